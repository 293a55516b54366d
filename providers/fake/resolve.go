package fake

import (
	"cmp"
	"context"
	"strconv"
	"strings"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/mapping"
)

// Resolve completes a placement: the zone (the placement's, else the
// request's, else the first zone of the region with stock of the type),
// the instance type (the placement's or request's, else the cheapest type
// of the catalog that fits the request and has stock in the zone or
// region) and the image ID of the request's image key. The plan made for
// a request with an IdempotencyKey is remembered: resolving it again at
// the same placement returns the same plan even when stock has moved
// since, so that a retried order reaches the same instances. An unknown region,
// zone, image key, GPU model or instance type is ErrInvalidArgument naming
// the known ones; fitting types that are all out of stock ErrNoStock.
func (p *Provider) Resolve(ctx context.Context, req *multicloud.CreateInstanceRequest, pl multicloud.Placement) (_ *multicloud.Plan, err error) {
	const op = "Resolve"
	region := pl.Region
	if region == "" && req != nil {
		region = req.Region
	}
	defer p.track(op, region, "", p.now(), &err)
	defer p.leave(ctx, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, p.errorf(op, region, multicloud.CodeInvalidArgument, "", "nil request")
	}
	zone, typ := cmp.Or(pl.Zone, req.Zone), cmp.Or(pl.InstanceType, req.InstanceType)
	r, err := p.region(op, region)
	if err != nil {
		return nil, err
	}
	if _, ok := r.Zone(zone); zone != "" && !ok {
		return nil, p.errorf(op, region, multicloud.CodeInvalidArgument, "InvalidZoneId.NotFound",
			"unknown zone %q in %s; known zones: %s", zone, region, joinComma(r.ZoneNames()))
	}
	cands, err := p.catalog.Select(requirements(req, typ))
	if err != nil {
		return nil, p.classify(op, region, err)
	}
	image, err := p.catalog.ImageID(region, req.ImageKey)
	if err != nil {
		return nil, p.classify(op, region, err)
	}
	memo := planKey(req, region, zone, typ)
	p.mu.Lock()
	plan, ok := p.plans[memo]
	p.mu.Unlock()
	if ok && memo != "" {
		return &plan, nil
	}
	var sold []string
	for _, c := range cands {
		if !p.sells(region, c.ID) {
			continue
		}
		sold = append(sold, c.ID)
		for _, z := range r.ZoneNames() {
			if (zone == "" || z == zone) && p.available(region, z, c.ID, req.InstanceChargeMode) {
				plan := multicloud.Plan{Placement: multicloud.Placement{Provider: p.code, Region: region, Zone: z, InstanceType: c.ID}, ImageID: image}
				if memo != "" {
					p.mu.Lock()
					if first, ok := p.plans[memo]; ok {
						plan = first
					} else {
						p.plans[memo] = plan
					}
					p.mu.Unlock()
				}
				return &plan, nil
			}
		}
	}
	where := cmp.Or(zone, region)
	if len(sold) == 0 {
		return nil, p.errorf(op, region, multicloud.CodeInvalidArgument, "InvalidInstanceType.ValueNotSupported",
			"instance type %q is not sold in %s", cmp.Or(typ, cands[0].ID), region)
	}
	return nil, p.errorf(op, region, multicloud.CodeNoStock, "OperationDenied.NoStock",
		"no stock in %s of %s", where, strings.Join(sold, ", "))
}

// planKey identifies a resolution for Resolve's memory: the request's
// idempotency key and everything the plan depends on. It is empty without
// an idempotency key.
func planKey(req *multicloud.CreateInstanceRequest, region, zone, typ string) string {
	if req.IdempotencyKey == "" {
		return ""
	}
	b := make([]byte, 0, 128)
	for _, s := range []string{req.IdempotencyKey, region, zone, typ, req.GPUModel, req.ImageKey, string(req.InstanceChargeMode)} {
		b = strconv.AppendQuote(b, s)
	}
	for _, n := range []int{req.GPUCount, req.CPU, req.Memory} {
		b = strconv.AppendInt(append(b, '|'), int64(n), 10)
	}
	return string(b)
}

func requirements(req *multicloud.CreateInstanceRequest, typ string) mapping.Requirements {
	return mapping.Requirements{InstanceType: typ, GPUModel: req.GPUModel, GPUCount: req.GPUCount, VCPU: req.CPU, MemoryGiB: float64(req.Memory)}
}

// sells reports whether region sells typ: a type of the catalog, or one
// SetStock gave stock to in the region.
func (p *Provider) sells(region, typ string) bool {
	if _, ok := p.catalog.Type(typ); ok {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sold[soldKey{region, typ}]
}

// Candidates returns every placement of region that can take req: each
// zone (req.Zone alone when set) and each fitting instance type with
// stock, cheapest type first, zones in configured order. Resolution
// errors are as in Resolve; fitting types all out of stock is ErrNoStock.
func (p *Provider) Candidates(ctx context.Context, req *multicloud.CreateInstanceRequest, region string) (_ []multicloud.Placement, err error) {
	const op = "Candidates"
	defer p.track(op, region, "", p.now(), &err)
	defer p.leave(ctx, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, p.errorf(op, region, multicloud.CodeInvalidArgument, "", "nil request")
	}
	cands, err := p.catalog.Select(requirements(req, req.InstanceType))
	if err != nil {
		return nil, p.classify(op, region, err)
	}
	r, err := p.region(op, region)
	if err != nil {
		return nil, err
	}
	var out []multicloud.Placement
	for _, c := range cands {
		if !p.sells(region, c.ID) {
			continue
		}
		for _, z := range r.ZoneNames() {
			if (req.Zone == "" || z == req.Zone) && p.available(region, z, c.ID, req.InstanceChargeMode) {
				out = append(out, multicloud.Placement{Provider: p.code, Region: region, Zone: z, InstanceType: c.ID})
			}
		}
	}
	if len(out) == 0 {
		return nil, p.errorf(op, region, multicloud.CodeNoStock, "OperationDenied.NoStock", "no placement in %s has stock for the request", cmp.Or(req.Zone, region))
	}
	return out, nil
}
