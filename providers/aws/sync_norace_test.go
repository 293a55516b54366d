//go:build !race

package aws_test

// raceEnabled says the race detector is on.
const raceEnabled = false
