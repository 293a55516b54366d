package multicloud_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// TestCheapestAllSoldOutNoStorm sends 1,000 requests over 60 seconds
// (fake clock, 10 at a time) while every fitting placement is sold out and
// every stock answer wrongly says in stock: each (zone, type) is tried at
// most once per block (3 minutes), so create attempts stay within the
// distinct keys × ⌈60 s / 3 min⌉, every request fails with ErrNoStock,
// and no throttling error reaches a caller.
func TestCheapestAllSoldOutNoStorm(t *testing.T) {
	ctx := context.Background()
	clock := fake.NewManualClock(t0)
	a, _, reg := twoClouds(t, clock)
	keys := 0
	for _, z := range []string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"} {
		for _, typ := range []string{gn7, gn7e} {
			a.SetStock("cn-hangzhou", z, typ, 0)
			keys++
		}
	}
	a.SetWrongStockRate(1)
	s := newCheapest(clock, nil)
	client, err := multicloud.New(reg, multicloud.UseScheduler(s), multicloud.UseWaitForRunning(false, 0))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	codes := map[multicloud.Code]int{}
	for round := range 100 {
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				_, err := client.CreateInstance(ctx, a100Anywhere("cn-hangzhou"))
				mu.Lock()
				codes[multicloud.CodeOf(err)]++
				mu.Unlock()
				if errors.Is(err, multicloud.ErrThrottled) {
					t.Errorf("throttling reached the caller: %v", err)
				}
			})
		}
		wg.Wait()
		if round < 99 {
			clock.Advance(600 * time.Millisecond) // 100 rounds within one minute
		}
	}
	attempts := 0
	var tried []string
	for _, c := range a.Calls() {
		if (c.Action == "Resolve" || c.Action == "RunInstances") && c.Err != nil {
			attempts++
			tried = append(tried, c.At.Sub(t0).String()+" "+c.Action+" "+c.Target+": "+c.Err.Error())
		}
	}
	if attempts > keys {
		for _, s := range tried {
			t.Log(s)
		}
	}
	t.Logf("%d failed create attempts for %d keys; outcomes %v", attempts, keys, codes)
	if attempts > keys {
		t.Errorf("failed create attempts: got %d, want at most %d (one per key within the block)", attempts, keys)
	}
	if codes[multicloud.CodeNoStock] != 1000 {
		t.Errorf("outcomes: got %v, want 1000 NO_STOCK", codes)
	}
}
