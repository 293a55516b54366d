package aws

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud/mapping"
)

// The Provider is a mapping.Source: Catalog().Refresh(ctx, p) takes the
// current specs from DescribeInstanceTypes.
var _ mapping.Source = (*Provider)(nil)

// catalogFamilies are the families InstanceTypes asks for: those of the
// embedded catalog (general purpose and the GPU families of the mapping).
var catalogFamilies = []string{"t3.*", "m5.*", "c5.*", "r5.*", "m6i.*", "c6i.*", "r6i.*", "g4dn.*", "g5.*", "g6.*", "g6e.*", "p3.*", "p4d.*", "p4de.*", "p5.*"}

// InstanceTypes lists the instance types of the catalog's families in the
// home region (DescribeInstanceTypes with an instance-type filter, every
// page of 100) with their specs: default vCPUs, memory, and GPU model,
// count and memory as GpuInfo reports them (the model normalized by
// Refresh; the exact names EC2 reports are not confirmed). Bare-metal
// sizes are left out. Prices are not in the answer and stay the catalog's.
func (p *Provider) InstanceTypes(ctx context.Context) ([]mapping.InstanceType, error) {
	var out []mapping.InstanceType
	var next *string
	for {
		page, err := call(ctx, p, p.opts.HomeRegion, "DescribeInstanceTypes", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeInstanceTypesOutput, error) {
			return c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(100), NextToken: next,
				Filters: []types.Filter{filter("instance-type", catalogFamilies...)}})
		})
		if err != nil {
			return nil, err
		}
		for _, info := range page.InstanceTypes {
			if t, ok := instanceType(info); ok {
				out = append(out, t)
			}
		}
		if aws.ToString(page.NextToken) == "" || aws.ToString(page.NextToken) == aws.ToString(next) {
			return out, nil
		}
		next = page.NextToken
	}
}

// instanceType maps DescribeInstanceTypes' view of a type; bare metal and
// types without vCPU or memory facts are skipped.
func instanceType(info types.InstanceTypeInfo) (mapping.InstanceType, bool) {
	id := string(info.InstanceType)
	if aws.ToBool(info.BareMetal) || strings.HasSuffix(id, ".metal") || info.VCpuInfo == nil || info.MemoryInfo == nil {
		return mapping.InstanceType{}, false
	}
	t := mapping.InstanceType{ID: id, Family: strings.SplitN(id, ".", 2)[0], VCPU: int(aws.ToInt32(info.VCpuInfo.DefaultVCpus)),
		MemoryGiB: float64(aws.ToInt64(info.MemoryInfo.SizeInMiB)) / 1024}
	if g := info.GpuInfo; g != nil && len(g.Gpus) > 0 {
		d := g.Gpus[0]
		t.GPUModel, t.GPUCount = aws.ToString(d.Name), int(aws.ToInt32(d.Count))
		if d.MemoryInfo != nil {
			t.GPUMemoryGiB = float64(aws.ToInt32(d.MemoryInfo.SizeInMiB)) / 1024
		}
	}
	if t.VCPU <= 0 || t.MemoryGiB <= 0 {
		return mapping.InstanceType{}, false
	}
	return t, true
}
