//go:build race

package aws_test

// raceEnabled says the race detector is on: it slows the pure-Go SQLite
// and the SDK's XML decoding several times, so the end-to-end sync test
// shrinks its inventory to stay fast.
const raceEnabled = true
