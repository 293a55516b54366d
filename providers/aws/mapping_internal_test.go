package aws

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/mapping"
)

func TestSelectTypes(t *testing.T) {
	p := newTestProvider(t)
	for _, tc := range []struct {
		name string
		req  multicloud.CreateInstanceRequest
		want string
	}{
		{"T4", multicloud.CreateInstanceRequest{GPUModel: "T4", GPUCount: 1}, "g4dn.xlarge"},
		{"A10G", multicloud.CreateInstanceRequest{GPUModel: "NVIDIA A10G", GPUCount: 1}, "g5.xlarge"},
		{"L4", multicloud.CreateInstanceRequest{GPUModel: "L4", GPUCount: 1}, "g6.xlarge"},
		{"L40S", multicloud.CreateInstanceRequest{GPUModel: "l40s", GPUCount: 1}, "g6e.xlarge"},
		{"V100 x4", multicloud.CreateInstanceRequest{GPUModel: "Tesla V100", GPUCount: 4}, "p3.8xlarge"},
		{"A100 x8", multicloud.CreateInstanceRequest{GPUModel: "A100", GPUCount: 8}, "p4d.24xlarge"},
		{"A100 80G x8", multicloud.CreateInstanceRequest{GPUModel: "A100-80G", GPUCount: 8}, "p4de.24xlarge"},
		{"H100 x8", multicloud.CreateInstanceRequest{GPUModel: "H100", GPUCount: 8}, "p5.48xlarge"},
		{"2 vCPU 4 GiB", multicloud.CreateInstanceRequest{CPU: 2, Memory: 4}, "t3.medium"},
		{"8 vCPU 60 GiB", multicloud.CreateInstanceRequest{CPU: 8, Memory: 60}, "r6i.2xlarge"},
	} {
		got, err := p.selectTypes(&tc.req, "")
		if err != nil || got[0].ID != tc.want {
			t.Errorf("%s: got %v, %v; want %s first", tc.name, ids(got), err, tc.want)
		}
	}
}

func TestSelectTooFewGPUs(t *testing.T) {
	p := newTestProvider(t)
	_, err := p.selectTypes(&multicloud.CreateInstanceRequest{GPUModel: "A100", GPUCount: 1}, "")
	if !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Fatalf("A100 x1: got %v, want ErrInvalidArgument", err)
	}
	for _, s := range []string{"A100", "8 GPUs", "p4d.24xlarge", "smallest"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("A100 x1: error %q does not mention %q", err, s)
		}
	}
}

func ids(ts []mapping.InstanceType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestInstanceTypeFromDescribe(t *testing.T) {
	info := types.InstanceTypeInfo{InstanceType: "g5.12xlarge", VCpuInfo: &types.VCpuInfo{DefaultVCpus: aws.Int32(48)},
		MemoryInfo: &types.MemoryInfo{SizeInMiB: aws.Int64(196608)},
		GpuInfo: &types.GpuInfo{Gpus: []types.GpuDeviceInfo{{Name: aws.String("A10G"), Manufacturer: aws.String("NVIDIA"), Count: aws.Int32(4),
			MemoryInfo: &types.GpuDeviceMemoryInfo{SizeInMiB: aws.Int32(24576)}}}}}
	got, ok := instanceType(info)
	want := mapping.InstanceType{ID: "g5.12xlarge", Family: "g5", VCPU: 48, MemoryGiB: 192, GPUModel: "A10G", GPUCount: 4, GPUMemoryGiB: 24}
	if !ok || got != want {
		t.Errorf("got %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := instanceType(types.InstanceTypeInfo{InstanceType: "g4dn.metal", BareMetal: aws.Bool(true)}); ok {
		t.Errorf("bare metal type mapped, want it skipped")
	}
	// Refreshing the catalog with it keeps the reference price.
	p := newTestProvider(t)
	before, _ := p.Catalog().Type("g5.12xlarge")
	if err := p.Catalog().Refresh(context.Background(), sliceSource{got}); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	after, _ := p.Catalog().Type("g5.12xlarge")
	if after.HourlyPrice != before.HourlyPrice || after.GPUCount != 4 {
		t.Errorf("after refresh: %+v, want the specs with the reference price %v", after, before.HourlyPrice)
	}
}

type sliceSource []mapping.InstanceType

func (s sliceSource) InstanceTypes(context.Context) ([]mapping.InstanceType, error) { return s, nil }
