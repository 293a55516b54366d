//go:build race

package aliyun_test

// raceEnabled says the race detector is on: it slows the pure-Go SQLite
// and the SDK's JSON decoding about eightfold, so the end-to-end sync
// tests shrink their inventory to stay fast.
const raceEnabled = true
