//go:build race

package syncjobs_test

// slow stretches the schedule tests under the race detector, which slows
// the pure-Go SQLite about eightfold.
const slow = 3
