//go:build !race

package syncjobs_test

const slow = 1
