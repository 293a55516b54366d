package multicloud_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// renderExplanation lists the chosen placements, then every rejection
// that is not a plain misfit (those are counted), one line each.
func renderExplanation(e *multicloud.Explanation, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "at %s, currency %s, err: %v\n", e.At.Format(time.RFC3339), e.Currency, err)
	for _, c := range e.Chosen {
		fmt.Fprintf(&b, "chosen %d %s %s %s %.4f %s/%s %s age=%s\n", c.Rank, c.Placement, c.ChargeMode, c.Stock,
			c.Price.Amount, c.Price.Currency, c.Price.Unit, c.Price.Source, c.PriceAge)
	}
	misfit := map[multicloud.Reason]bool{multicloud.RejectNoGPUMatch: true, multicloud.RejectBelowVCPU: true,
		multicloud.RejectBelowMemory: true, multicloud.RejectRegionNotAllowed: true}
	for _, c := range e.Rejected {
		if misfit[c.Reason] {
			continue
		}
		fmt.Fprintf(&b, "rejected %s %s %s %.4f %s detail=%q\n", c.Placement, c.Reason, c.Stock, c.Price.Amount, c.Price.Currency, c.Detail)
	}
	fmt.Fprintf(&b, "counts %v\n", e.Counts())
	return b.String()
}

func TestExplainGolden(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(clock *fake.ManualClock, a, b *fake.Provider, s *multicloud.CheapestScheduler, req *multicloud.CreateInstanceRequest)
	}{
		{"mixed", func(clock *fake.ManualClock, a, b *fake.Provider, s *multicloud.CheapestScheduler, req *multicloud.CreateInstanceRequest) {
			a.SetStock("cn-hangzhou", "cn-hangzhou-h", gn7, 0)
			a.SetClosed("cn-hangzhou", "cn-hangzhou-i", gn7, true)
			a.SetClosed("cn-hangzhou", "cn-hangzhou-j", gn7e, true)
			a.SetStock("cn-hangzhou", "cn-hangzhou-j", gn7e, 0)
			s.Cache().NoStock(multicloud.StockKey{Provider: "fake", Account: "fake-account", Region: "cn-hangzhou", ZoneID: "cn-hangzhou-j", InstanceType: gn7, ChargeMode: multicloud.OnDemand})
			s.Cache().QuotaExceeded("other", "other-account", "us-east-1", "ecs.gn7e")
			req.Constraints.MaxHourlyPrice, req.Constraints.MaxPriceCurrency = 40, "CNY"
		}},
		{"sold_out", func(clock *fake.ManualClock, a, b *fake.Provider, s *multicloud.CheapestScheduler, req *multicloud.CreateInstanceRequest) {
			for _, typ := range []string{gn7, gn7e} {
				for i, z := range []string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"} {
					a.SetStock("cn-hangzhou", z, typ, 0)
					if i > 0 {
						s.Cache().NoStock(multicloud.StockKey{Provider: "fake", Account: "fake-account", Region: "cn-hangzhou", ZoneID: z, InstanceType: typ, ChargeMode: multicloud.OnDemand})
					}
				}
			}
			b.InjectFault(fake.Fault{Action: "CheckHealth", Class: sim.ClassUnavailable, Message: "endpoint down"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := fake.NewManualClock(t0)
			a, b, reg := twoClouds(t, clock)
			s := newCheapest(clock, map[string]float64{"USD": 7.1})
			req := a100Anywhere("cn-hangzhou", "us-east-1")
			tt.setup(clock, a, b, s, req)
			clock.Advance(time.Minute)
			e, err := s.Explain(ctx, req, reg)
			got := renderExplanation(e, err)
			path := filepath.Join("testdata", "explain_"+tt.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
		})
	}
}
