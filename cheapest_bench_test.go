package multicloud_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// catalogProvider serves a synthetic catalog from memory: Offerings and
// Regions only, no network. Every other Provider method is absent (the
// embedded nil interface), as the scheduler calls none of them.
type catalogProvider struct {
	multicloud.Provider
	code    string
	regions []string
	offers  map[string][]multicloud.OfferingGroup // by region + "|" + mode
	calls   atomic.Int64
}

func (p *catalogProvider) Code() string { return p.code }
func (p *catalogProvider) Regions(context.Context) ([]string, error) {
	return p.regions, nil
}
func (p *catalogProvider) CachedOfferings(region string, mode multicloud.ChargeMode) ([]multicloud.OfferingGroup, bool) {
	g, ok := p.offers[region+"|"+string(mode)]
	return g, ok
}
func (p *catalogProvider) Offerings(_ context.Context, region string, mode multicloud.ChargeMode) ([]multicloud.OfferingGroup, error) {
	p.calls.Add(1)
	return p.offers[region+"|"+string(mode)], nil
}

// syntheticCatalog builds providers × 25 regions × 4 zones × 110 types ×
// 3 charge modes, with a quarter of the types carrying GPUs, from a fixed
// seed. It returns the registry and the number of offerings.
func syntheticCatalog(providers int, at time.Time) (*multicloud.Registry, []*catalogProvider, int) {
	r := rand.New(rand.NewPCG(7, 11))
	models := []string{"A100", "A10", "T4", "V100", "L20"}
	var types []multicloud.TypeSpec
	for i := range 110 {
		t := multicloud.TypeSpec{ID: fmt.Sprintf("t%03d", i), Family: fmt.Sprintf("f%02d", i/8), VCPU: 2 << (i % 7), MemoryGiB: float64(int(4) << (i % 8))}
		if i%4 == 0 {
			t.GPUModel, t.GPUCount, t.GPUMemoryGiB = models[i/4%len(models)], 1<<(i/20%4), 40
		}
		types = append(types, t)
	}
	modes := []multicloud.ChargeMode{multicloud.OnDemand, multicloud.Prepaid, "SPOT"}
	stocks := []multicloud.StockStatus{multicloud.WithStock, multicloud.WithStock, multicloud.WithStock, multicloud.ClosedWithStock, multicloud.WithoutStock}
	var provs []*catalogProvider
	total := 0
	for p := range providers {
		cp := &catalogProvider{code: fmt.Sprintf("cloud%d", p), offers: map[string][]multicloud.OfferingGroup{}}
		cur := []string{"CNY", "USD", "USD"}[p%3]
		for g := range 25 {
			region := fmt.Sprintf("r%02d", g)
			cp.regions = append(cp.regions, region)
			for _, m := range modes {
				var list []multicloud.OfferingGroup
				for _, t := range types {
					g := multicloud.OfferingGroup{Type: t}
					for z := range 4 {
						zone := fmt.Sprintf("%s-%c", region, 'a'+z)
						g.Offers = append(g.Offers, multicloud.Offering{
							Placement: multicloud.Placement{Provider: cp.code, Region: region, Zone: zone, InstanceType: t.ID},
							Account:   "acct", ChargeMode: m, Type: t, Stock: stocks[r.IntN(len(stocks))], StockAsOf: at,
							Price: multicloud.Price{Amount: float64(t.VCPU)*0.1 + float64(t.GPUCount)*8 + r.Float64(), Currency: cur, Unit: "hour", Source: "synthetic", AsOf: at},
						})
					}
					list = append(list, g)
					total += len(g.Offers)
				}
				cp.offers[region+"|"+string(m)] = list
			}
		}
		provs = append(provs, cp)
	}
	var ps []multicloud.Provider
	for _, p := range provs {
		ps = append(ps, p)
	}
	reg, err := multicloud.NewRegistry(ps...)
	if err != nil {
		panic(err)
	}
	return reg, provs, total
}

func anyA100() *multicloud.CreateInstanceRequest {
	r := &multicloud.CreateInstanceRequest{GPUModel: "A100", GPUCount: 1, CPU: 8, Memory: 4, Constraints: &multicloud.Constraints{}}
	r.Normalize()
	return r
}

// BenchmarkCheapestWarm is one warm decision over 99,000 offerings (3
// providers × 25 regions × 4 zones × 110 types × 3 charge modes): the
// request's charge mode selects a third of them. It reports p50 and p99.
func BenchmarkCheapestWarm(b *testing.B) {
	at := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	reg, _, total := syntheticCatalog(3, at)
	s := multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) {
		o.Now = func() time.Time { return at }
		o.Rates = map[string]float64{"USD": 7.1}
	})
	ctx := context.Background()
	req := anyA100()
	if _, err := s.Schedule(ctx, req, reg); err != nil {
		b.Fatal(err)
	}
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := s.Schedule(ctx, req, reg); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	reportQuantiles(b, durs)
	b.ReportMetric(float64(total), "offerings")
}

// BenchmarkCheapestExplain is the full Explain of the same catalog: every
// offering of every region itemized.
func BenchmarkCheapestExplain(b *testing.B) {
	at := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	reg, _, _ := syntheticCatalog(3, at)
	s := multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) {
		o.Now = func() time.Time { return at }
		o.Rates = map[string]float64{"USD": 7.1}
	})
	ctx := context.Background()
	req := anyA100()
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := s.Explain(ctx, req, reg); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	reportQuantiles(b, durs)
}

func reportQuantiles(b *testing.B, durs []time.Duration) {
	b.Helper()
	if len(durs) == 0 {
		return
	}
	slices.Sort(durs)
	q := func(f float64) float64 { return float64(durs[int(f*float64(len(durs)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}

// TestCheapestConcurrentOneSoldOutZone sends 1,000 concurrent decisions
// with one sold-out zone whose stock answer is wrong (it says WithStock):
// each request tries its placements in order and reports the outcome, as
// the Client does. Exactly one attempt reaches that zone within the
// cache time: the first no-stock blocks it for every later decision, and
// requests that had it on their list before the block wait for the first
// attempt's outcome in Admit, then skip it.
func TestCheapestConcurrentOneSoldOutZone(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	reg, _, _ := syntheticCatalog(1, at)
	s := multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) { o.Now = func() time.Time { return at } })
	ctx := context.Background()
	req := anyA100()
	first, err := s.Schedule(ctx, req, reg)
	if err != nil {
		t.Fatal(err)
	}
	soldOut := first[0]
	var reached atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			pls, err := s.Schedule(ctx, req, reg)
			if err != nil {
				t.Error(err)
				return
			}
			for _, pl := range pls {
				if !s.Admit(ctx, req, pl) {
					continue
				}
				if pl == soldOut {
					reached.Add(1)
					s.Observe(req, pl, &multicloud.Error{Code: multicloud.CodeNoStock, ProviderCode: "OperationDenied.NoStock"})
					continue
				}
				s.Observe(req, pl, nil)
				return
			}
		})
	}
	wg.Wait()
	if got := reached.Load(); got != 1 {
		t.Errorf("attempts reaching the sold-out zone: got %d, want 1", got)
	}
}
