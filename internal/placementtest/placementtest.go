// Package placementtest holds what the placement tests of several packages
// share: the naive price-order baseline scheduler and a run of sequential
// creates of mixed request kinds. It is for tests only.
package placementtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/multicloud-ecs/multicloud"
)

// PriceOrder is the naive baseline scheduler: every fitting placement of
// the allowed regions in price order, stock not consulted, nothing
// remembered, the first 5 returned. It reads the providers' Offerer and
// RegionLister capabilities and fails on a provider without them.
type PriceOrder struct{}

// Schedule implements multicloud.Scheduler.
func (PriceOrder) Schedule(ctx context.Context, req *multicloud.CreateInstanceRequest, reg *multicloud.Registry) ([]multicloud.Placement, error) {
	q := multicloud.RequirementsOf(req)
	type pc struct {
		pl   multicloud.Placement
		cost float64
	}
	var all []pc
	for _, code := range reg.Codes() {
		p, err := reg.Get(code)
		if err != nil {
			return nil, err
		}
		rl, ok1 := p.(multicloud.RegionLister)
		of, ok2 := p.(multicloud.Offerer)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("provider %s lists no regions or offerings", code)
		}
		regions, err := rl.Regions(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range regions {
			groups, err := of.Offerings(ctx, r, req.InstanceChargeMode)
			if err != nil {
				return nil, err
			}
			for _, g := range groups {
				if q.Misfit(g.Type) != "" {
					continue
				}
				for _, o := range g.Offers {
					all = append(all, pc{o.Placement, o.Price.Amount})
				}
			}
		}
	}
	slices.SortStableFunc(all, func(a, b pc) int { return cmp.Compare(a.cost, b.cost) })
	var out []multicloud.Placement
	for _, c := range all[:min(5, len(all))] {
		out = append(out, c.pl)
	}
	return out, nil
}

// Kind is one kind of request of a Run: a GPU model (one GPU), or a
// minimum of vCPUs and GiB of memory.
type Kind struct {
	GPU         string
	CPU, Memory int
}

// Kinds are the request kinds of a Run, used in turn: five GPU models and
// four general-purpose sizes.
var Kinds = []Kind{{GPU: "A100"}, {GPU: "T4"}, {GPU: "A10"}, {GPU: "V100"}, {GPU: "L20"},
	{CPU: 2, Memory: 4}, {CPU: 4, Memory: 8}, {CPU: 8, Memory: 32}, {CPU: 16, Memory: 64}}

// Run creates n instances one after another through client, request i of
// kind kinds[i%len(kinds)] (Kinds when nil) for one of 7 users, with image, any provider and
// any region, in charge mode mode (ON_DEMAND when empty), and calls after
// (when not nil) after each. It returns how
// many creates succeeded and how many failed with ErrNoStock; any other
// error, or no success at all, fails t.
func Run(t testing.TB, client *multicloud.Client, n int, kinds []Kind, image string, mode multicloud.ChargeMode, after func()) (ok, noStock int) {
	t.Helper()
	ctx := context.Background()
	if kinds == nil {
		kinds = Kinds
	}
	for i := range n {
		req := multicloud.NewCreateInstanceRequest(
			multicloud.WithOwner("tenant-acme", fmt.Sprint("user-", i%7)),
			multicloud.WithName("job"),
			multicloud.WithImage(image),
		)
		k := kinds[i%len(kinds)]
		if k.GPU != "" {
			req.GPUModel, req.GPUCount = k.GPU, 1
		}
		req.CPU, req.Memory = k.CPU, k.Memory
		req.Constraints = &multicloud.Constraints{}
		if mode != "" {
			req.InstanceChargeMode = mode
		}
		if _, err := client.CreateInstance(ctx, req); err == nil {
			ok++
		} else if !errors.Is(err, multicloud.ErrNoStock) {
			t.Fatalf("create %d: %v", i, err)
		} else {
			noStock++
		}
		if after != nil {
			after()
		}
	}
	if ok == 0 {
		t.Fatalf("no create succeeded (%d sold out)", noStock)
	}
	return ok, noStock
}
