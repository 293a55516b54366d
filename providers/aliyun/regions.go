package aliyun

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// Regions returns the regions the provider serves: Options.Regions when
// set, else those DescribeRegions reports (cached for an hour).
func (p *Provider) Regions(ctx context.Context) ([]string, error) {
	if len(p.opts.Regions) > 0 {
		return slices.Clone(p.opts.Regions), nil
	}
	p.mu.Lock()
	if p.regions != nil && time.Since(p.regionsT) < DefaultRegionsTTL {
		out := slices.Clone(p.regions)
		p.mu.Unlock()
		return out, nil
	}
	p.mu.Unlock()
	out, err := p.describeRegions(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.regions, p.regionsT = out, time.Now()
	p.mu.Unlock()
	return slices.Clone(out), nil
}

// describeRegions calls DescribeRegions.
func (p *Provider) describeRegions(ctx context.Context) ([]string, error) {
	region := cmp.Or(p.opts.homeRegion, "cn-hangzhou")
	if len(p.opts.Regions) > 0 {
		region = p.opts.Regions[0]
	}
	req := ecs.CreateDescribeRegionsRequest()
	resp := ecs.CreateDescribeRegionsResponse()
	if err := p.do(ctx, region, productECS, req, resp); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(resp.Regions.Region))
	for _, r := range resp.Regions.Region {
		out = append(out, r.RegionId)
	}
	return out, nil
}

// CheckHealth proves the endpoint is reachable and the credentials valid
// with one DescribeRegions call. A wrong key or secret is
// ErrPermissionDenied with a message that says which.
func (p *Provider) CheckHealth(ctx context.Context) error {
	_, err := p.describeRegions(ctx)
	return err
}
