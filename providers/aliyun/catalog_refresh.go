package aliyun

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/mapping"
)

// instanceTypesPageSize is DescribeInstanceTypes' largest MaxResults since
// 2023-11-15 (it was 1600): without NextToken only the first 100 types
// come back.
const instanceTypesPageSize = 100

// maxInstanceTypesPages bounds a listing whose NextToken never ends.
const maxInstanceTypesPages = 100

// InstanceTypes lists every instance type of the account's home region
// with DescribeInstanceTypes, 100 per page through NextToken, as
// mapping.InstanceType values (GPUSpec such as "NVIDIA A100" is normalized
// by the catalog). It implements mapping.Source, so that
// p.Catalog().Refresh(ctx, p) replaces the embedded specs with the live
// ones. Errors are the call's, classified; a listing that does not end
// within 100 pages is ErrUnavailable.
func (p *Provider) InstanceTypes(ctx context.Context) ([]mapping.InstanceType, error) {
	var out []mapping.InstanceType
	token := ""
	for range maxInstanceTypesPages {
		req := ecs.CreateDescribeInstanceTypesRequest()
		req.MaxResults = requests.NewInteger(instanceTypesPageSize)
		req.NextToken = token
		resp := ecs.CreateDescribeInstanceTypesResponse()
		if err := p.do(ctx, p.opts.homeRegion, productECS, req, resp); err != nil {
			return nil, err
		}
		for _, t := range resp.InstanceTypes.InstanceType {
			it := mapping.InstanceType{ID: t.InstanceTypeId, Family: t.InstanceTypeFamily, VCPU: t.CpuCoreCount, MemoryGiB: t.MemorySize}
			if t.GPUAmount > 0 {
				it.GPUModel, it.GPUCount, it.GPUMemoryGiB = t.GPUSpec, t.GPUAmount, t.GPUMemorySize
			}
			out = append(out, it)
		}
		if token = resp.NextToken; token == "" {
			return out, nil
		}
	}
	return nil, errorf("DescribeInstanceTypes", p.opts.homeRegion, multicloud.CodeUnavailable, "",
		"the listing did not end within %d pages", maxInstanceTypesPages)
}
