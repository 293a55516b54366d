//go:build !race

package aliyun_test

// raceEnabled says the race detector is on; see sync_race_test.go.
const raceEnabled = false
