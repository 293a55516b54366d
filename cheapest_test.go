package multicloud_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

const (
	gn7  = "ecs.gn7-c12g1.3xlarge"  // 1x A100, 12 vCPU, 94 GiB
	gn7e = "ecs.gn7e-c16g1.4xlarge" // 1x A100, 16 vCPU, 125 GiB
)

// twoClouds returns a CNY cloud "fake" and a USD cloud "other" on one
// clock, and a registry of both.
func twoClouds(t *testing.T, clock *fake.ManualClock) (*fake.Provider, *fake.Provider, *multicloud.Registry) {
	t.Helper()
	a := fake.New(func(o *fake.Options) {
		o.Clock = clock
		o.Prices.Types = map[string]float64{gn7: 31.58, gn7e: 34.74}
	})
	b := fake.New(func(o *fake.Options) {
		o.Code, o.Account, o.Clock = "other", "other-account", clock
		o.Regions = []fake.Region{{ID: "us-east-1", Zones: []string{"us-east-1a", "us-east-1b"}}}
		o.Prices.Currency = "USD"
		o.Prices.Types = map[string]float64{gn7: 4.0, gn7e: 4.5}
	})
	reg, err := multicloud.NewRegistry(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return a, b, reg
}

func a100Anywhere(regions ...string) *multicloud.CreateInstanceRequest {
	r := multicloud.NewCreateInstanceRequest(
		multicloud.WithOwner("tenant-acme", "user-42"),
		multicloud.WithName("train-01"),
		multicloud.WithImage("pytorch-1.12"),
		multicloud.WithGPU("nvidia a100", 1),
	)
	r.CPU, r.Memory = 12, 90
	r.Constraints = &multicloud.Constraints{Regions: regions}
	r.Normalize()
	return r
}

func newCheapest(clock *fake.ManualClock, rates map[string]float64) *multicloud.CheapestScheduler {
	return multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) {
		o.Now, o.Rates = clock.Now, rates
	})
}

func placements(e *multicloud.Explanation) []string {
	var out []string
	for _, c := range e.Chosen {
		out = append(out, c.Placement.String()+" "+string(c.Stock))
	}
	return out
}

func TestCheapestRanking(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		regions []string
		rates   map[string]float64
		setup   func(a, b *fake.Provider)
		want    []string
	}{
		{
			name:    "price then closed after open then zone",
			regions: []string{"cn-hangzhou"},
			setup: func(a, b *fake.Provider) {
				a.SetClosed("cn-hangzhou", "cn-hangzhou-h", gn7, true)
				a.SetStock("cn-hangzhou", "cn-hangzhou-i", gn7, 0)
			},
			want: []string{
				"fake/cn-hangzhou/cn-hangzhou-j/" + gn7 + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-h/" + gn7 + " ClosedWithStock",
				"fake/cn-hangzhou/cn-hangzhou-h/" + gn7e + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-i/" + gn7e + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-j/" + gn7e + " WithStock",
			},
		},
		{
			name:    "USD without a rate ranks after every CNY price",
			regions: []string{"cn-hangzhou", "us-east-1"},
			setup: func(a, b *fake.Provider) {
				a.SetStock("cn-hangzhou", "cn-hangzhou-h", gn7e, 0)
				a.SetStock("cn-hangzhou", "cn-hangzhou-i", gn7e, 0)
			},
			want: []string{
				"fake/cn-hangzhou/cn-hangzhou-h/" + gn7 + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-i/" + gn7 + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-j/" + gn7 + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-j/" + gn7e + " WithStock",
				"other/us-east-1/us-east-1a/" + gn7 + " WithStock",
			},
		},
		{
			name:    "USD through a rate",
			regions: []string{"cn-hangzhou", "us-east-1"},
			rates:   map[string]float64{"USD": 7.1}, // 4.0 USD = 28.4 CNY, 4.5 USD = 31.95 CNY
			want: []string{
				"other/us-east-1/us-east-1a/" + gn7 + " WithStock",
				"other/us-east-1/us-east-1b/" + gn7 + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-h/" + gn7 + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-i/" + gn7 + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-j/" + gn7 + " WithStock",
			},
		},
		{
			name: "any region: at most 5 placements in 3 regions",
			want: []string{
				"fake/cn-beijing/cn-beijing-f/" + gn7 + " WithStock",
				"fake/cn-beijing/cn-beijing-g/" + gn7 + " WithStock",
				"fake/cn-beijing/cn-beijing-h/" + gn7 + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-h/" + gn7 + " WithStock",
				"fake/cn-hangzhou/cn-hangzhou-i/" + gn7 + " WithStock",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := fake.NewManualClock(t0)
			a, b, reg := twoClouds(t, clock)
			if tt.setup != nil {
				tt.setup(a, b)
			}
			e, err := newCheapest(clock, tt.rates).Explain(ctx, a100Anywhere(tt.regions...), reg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, placements(e)); diff != "" {
				t.Errorf("chosen (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheapestMaxPriceAndHealth(t *testing.T) {
	ctx := context.Background()
	clock := fake.NewManualClock(t0)
	_, b, reg := twoClouds(t, clock)
	b.InjectFault(fake.Fault{Action: "CheckHealth", Code: string(multicloud.CodePermissionDenied), Message: "bad access key"})
	req := a100Anywhere("cn-hangzhou", "us-east-1")
	req.Constraints.MaxHourlyPrice, req.Constraints.MaxPriceCurrency = 32, "CNY"
	e, err := newCheapest(clock, nil).Explain(ctx, req, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range e.Chosen {
		if c.InstanceType != gn7 {
			t.Errorf("chosen %s, want only %s under the maximum price", c.Placement, gn7)
		}
	}
	counts := e.Counts()
	if counts[multicloud.RejectAbovePrice] != 3 {
		t.Errorf("above_max_price: got %d, want 3 (%s in three zones)", counts[multicloud.RejectAbovePrice], gn7e)
	}
	var unhealthy []string
	for _, c := range e.Rejected {
		if c.Reason == multicloud.RejectUnhealthy {
			unhealthy = append(unhealthy, c.Provider+": "+c.Detail)
		}
	}
	if diff := cmp.Diff([]string{"other: injected PERMISSION_DENIED fault: bad access key"}, unhealthy); diff != "" {
		// The fault's message format belongs to the fake; compare the provider only.
		if len(unhealthy) != 1 || unhealthy[0][:6] != "other:" {
			t.Errorf("unhealthy (-want +got):\n%s", diff)
		}
	}
}

func TestCheapestAllSoldOutRetryAfter(t *testing.T) {
	ctx := context.Background()
	clock := fake.NewManualClock(t0)
	a, _, reg := twoClouds(t, clock)
	s := newCheapest(clock, nil)
	req := a100Anywhere("cn-hangzhou")
	for _, z := range []string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"} {
		a.SetStock("cn-hangzhou", z, gn7e, 0)
		a.SetClosed("cn-hangzhou", z, gn7e, true) // not on sale: no retry-after of its own
		s.Cache().NoStock(multicloud.StockKey{Provider: "fake", Account: "fake-account", Region: "cn-hangzhou", ZoneID: z, InstanceType: gn7, ChargeMode: multicloud.OnDemand})
		clock.Advance(10 * time.Second) // within one stock refresh interval
	}
	pls, err := s.Schedule(ctx, req, reg)
	if !errors.Is(err, multicloud.ErrNoStock) {
		t.Fatalf("got %v %v, want ErrNoStock", pls, err)
	}
	at, ok := multicloud.RetryAfter(err)
	if want := t0.Add(3 * time.Minute); !ok || !at.Equal(want) {
		t.Errorf("retry after: got %v %v, want %v (the earliest block's end)", at, ok, want)
	}
	clock.Set(t0.Add(3 * time.Minute))
	// The first block has ended, and the stock answers read at 03:03 are
	// newer than the other two blocks: those end early.
	pls, err = s.Schedule(ctx, req, reg)
	var zones []string
	for _, p := range pls {
		zones = append(zones, p.Zone)
	}
	if diff := cmp.Diff([]string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"}, zones); err != nil || diff != "" {
		t.Errorf("after the first block: err %v, zones (-want +got):\n%s", err, diff)
	}
}

// TestCheapestObserveFailsOverAndRemembers has a zone whose stock answer
// is wrong: the first create there finds no stock and moves on; no later
// request goes there again while the block lasts.
func TestCheapestObserveFailsOverAndRemembers(t *testing.T) {
	ctx := context.Background()
	clock := fake.NewManualClock(t0)
	a, _, reg := twoClouds(t, clock)
	a.SetStock("cn-hangzhou", "cn-hangzhou-h", gn7, 0)
	a.SetWrongStockRate(1) // every sold-out pair is reported in stock
	s := newCheapest(clock, nil)
	client, err := multicloud.New(reg, multicloud.UseScheduler(s), multicloud.UsePollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			req := a100Anywhere("cn-hangzhou")
			req.IdempotencyKey = fmt.Sprint("order-", i)
			if _, err := client.CreateInstance(ctx, req); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("create: %v", err)
	}
	// The fake refuses a sold-out placement in Resolve, before
	// RunInstances: both count as a failed create attempt.
	failed := 0
	for _, c := range a.Calls() {
		if (c.Action == "RunInstances" || c.Action == "Resolve") && errors.Is(c.Err, multicloud.ErrNoStock) {
			failed++
		}
	}
	// Requests scheduled before the first failure came back may reach the
	// zone too; after it, none does. With 50 concurrent requests on two
	// cores that is a handful at most; sequentially it is exactly one.
	if failed < 1 || failed > n/2 {
		t.Errorf("failed RunInstances: got %d, want between 1 and %d", failed, n/2)
	}
	a.ResetCalls()
	req := a100Anywhere("cn-hangzhou")
	if _, err := client.CreateInstance(ctx, req); err != nil {
		t.Fatal(err)
	}
	for _, c := range a.Calls() {
		if (c.Action == "RunInstances" || c.Action == "Resolve") && c.Err != nil {
			t.Errorf("a request after the block reached the sold-out zone: %v", c.Err)
		}
	}
	e, _ := s.Explain(ctx, req, reg)
	if got := e.Counts()[multicloud.RejectNoStockCached]; got != 1 {
		t.Errorf("no_stock_cached: got %d, want 1", got)
	}
}

// TestExplainCoversEveryCandidate checks that chosen ∪ rejected is every
// offering of every provider and region, over seeded random stock,
// closures, requests and constraints.
func TestExplainCoversEveryCandidate(t *testing.T) {
	ctx := context.Background()
	models := []string{"A100", "T4", "V100", "A10", ""}
	for seed := range uint64(20) {
		clock := fake.NewManualClock(t0)
		a, b, reg := twoClouds(t, clock)
		r := newRand(seed)
		total := 0
		for _, p := range []*fake.Provider{a, b} {
			regions, _ := p.Regions(ctx)
			for _, region := range regions {
				groups, _ := p.Offerings(ctx, region, multicloud.OnDemand)
				var offers []multicloud.Offering
				for _, g := range groups {
					offers = append(offers, g.Offers...)
				}
				total += len(offers)
				for _, o := range offers {
					switch r.IntN(10) {
					case 0:
						p.SetStock(region, o.Zone, o.InstanceType, 0)
					case 1:
						p.SetClosed(region, o.Zone, o.InstanceType, true)
					}
				}
			}
		}
		req := a100Anywhere()
		req.GPUModel, req.GPUCount, req.CPU, req.Memory = models[r.IntN(len(models))], r.IntN(2), r.IntN(16), r.IntN(64)
		if req.GPUModel != "" && req.GPUCount == 0 {
			req.GPUCount = 1
		}
		if r.IntN(2) == 0 {
			req.Constraints.Regions = []string{"cn-hangzhou", "us-east-1"}
		}
		if r.IntN(2) == 0 {
			req.Constraints.MaxHourlyPrice, req.Constraints.MaxPriceCurrency = 20, "CNY"
		}
		s := newCheapest(clock, map[string]float64{"USD": 7})
		e, err := s.Explain(ctx, req, reg)
		if err != nil && !errors.Is(err, multicloud.ErrNoStock) && !errors.Is(err, multicloud.ErrNoPlacement) {
			t.Fatalf("seed %d: %v", seed, err)
		}
		seen := map[string]int{}
		for _, c := range append(append([]multicloud.Candidate(nil), e.Chosen...), e.Rejected...) {
			seen[c.Placement.String()]++
		}
		if len(seen) != total || len(e.Chosen)+len(e.Rejected) != total {
			t.Errorf("seed %d: got %d candidates (%d distinct), want %d", seed, len(e.Chosen)+len(e.Rejected), len(seen), total)
		}
		for _, c := range e.Rejected {
			if c.Reason == "" || c.Rank != 0 {
				t.Errorf("seed %d: rejected %s with reason %q rank %d", seed, c.Placement, c.Reason, c.Rank)
			}
		}
		if len(e.Chosen) > 5 {
			t.Errorf("seed %d: %d chosen, want at most 5", seed, len(e.Chosen))
		}
	}
}
