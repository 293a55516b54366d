package fake_test

import (
	"context"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

func stockCounts(t *testing.T, p *fake.Provider) map[multicloud.StockStatus]int {
	t.Helper()
	groups, err := p.Offerings(context.Background(), "cn-hangzhou", multicloud.OnDemand)
	if err != nil {
		t.Fatal(err)
	}
	m := map[multicloud.StockStatus]int{}
	for _, g := range groups {
		for _, o := range g.Offers {
			m[o.Stock]++
		}
	}
	return m
}

func TestOfferingsStockMatrix(t *testing.T) {
	clock := fake.NewManualClock(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	p := fake.New(func(o *fake.Options) { o.Clock, o.Seed = clock, 9 })
	const typ = "ecs.gn7-c12g1.3xlarge"
	p.SetStock("cn-hangzhou", "cn-hangzhou-h", typ, 0)
	p.SetClosed("cn-hangzhou", "cn-hangzhou-h", typ, true)
	p.SetClosed("cn-hangzhou", "cn-hangzhou-i", typ, true)
	p.SetStock("cn-hangzhou", "cn-hangzhou-j", typ, 0)
	got := map[string]multicloud.StockStatus{}
	groups, err := p.Offerings(context.Background(), "cn-hangzhou", multicloud.OnDemand)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		for _, o := range g.Offers {
			if o.InstanceType == typ {
				got[o.Zone] = o.Stock
			}
		}
	}
	want := map[string]multicloud.StockStatus{"cn-hangzhou-h": multicloud.ClosedWithoutStock, "cn-hangzhou-i": multicloud.ClosedWithStock, "cn-hangzhou-j": multicloud.WithoutStock}
	for z, w := range want {
		if got[z] != w {
			t.Errorf("%s: got %q, want %q", z, got[z], w)
		}
	}

	// Sold-out episodes: about the fraction asked, different pairs in the
	// next period, none after the schedule ends.
	q := fake.New(func(o *fake.Options) { o.Clock, o.Seed = clock, 9 })
	q.SetSoldOutEpisodes(0.3, 10*time.Minute)
	first := stockCounts(t, q)
	total := first[multicloud.WithStock] + first[multicloud.WithoutStock]
	if frac := float64(first[multicloud.WithoutStock]) / float64(total); frac < 0.2 || frac > 0.4 {
		t.Errorf("sold-out fraction: got %.2f of %d, want about 0.3", frac, total)
	}
	if again := stockCounts(t, q); again[multicloud.WithoutStock] != first[multicloud.WithoutStock] {
		t.Errorf("same period: got %d sold out, want %d", again[multicloud.WithoutStock], first[multicloud.WithoutStock])
	}
	q.SetSoldOutEpisodes(0, 0)
	if n := stockCounts(t, q)[multicloud.WithoutStock]; n != 0 {
		t.Errorf("after the schedule ends: got %d sold out, want 0", n)
	}
}
