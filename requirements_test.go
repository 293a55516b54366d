package multicloud_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
)

func TestRequirementsOf(t *testing.T) {
	tests := []struct {
		req  multicloud.CreateInstanceRequest
		want multicloud.Requirements
	}{
		{multicloud.CreateInstanceRequest{GPUModel: "NVIDIA A100-SXM4-80GB", CPU: 12, Memory: 90},
			multicloud.Requirements{GPUModel: "A100", GPUCount: 1, GPUMemoryGiB: 80, VCPU: 12, MemoryGiB: 90}},
		{multicloud.CreateInstanceRequest{GPUModel: "tesla t4", GPUCount: 2}, multicloud.Requirements{GPUModel: "T4", GPUCount: 2}},
		{multicloud.CreateInstanceRequest{CPU: 4, Memory: 8}, multicloud.Requirements{VCPU: 4, MemoryGiB: 8}},
		{multicloud.CreateInstanceRequest{InstanceType: " ecs.g7.large ", GPUModel: "A10"},
			multicloud.Requirements{InstanceType: "ecs.g7.large", GPUModel: "A10", GPUCount: 1}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, multicloud.RequirementsOf(&tt.req)); diff != "" {
			t.Errorf("RequirementsOf(%+v) (-want +got):\n%s", tt.req, diff)
		}
	}
}

func TestRequirementsMisfit(t *testing.T) {
	a100 := multicloud.TypeSpec{ID: "ecs.gn7-c12g1.3xlarge", VCPU: 12, MemoryGiB: 94, GPUModel: "A100", GPUCount: 1, GPUMemoryGiB: 40}
	a100x8 := multicloud.TypeSpec{ID: "ecs.gn7-c13g1.26xlarge", VCPU: 104, MemoryGiB: 756, GPUModel: "A100", GPUCount: 8, GPUMemoryGiB: 40}
	cpu := multicloud.TypeSpec{ID: "ecs.g7.4xlarge", VCPU: 16, MemoryGiB: 64}
	tests := []struct {
		name string
		q    multicloud.Requirements
		t    multicloud.TypeSpec
		want multicloud.Reason
	}{
		{"fits", multicloud.Requirements{GPUModel: "A100", GPUCount: 1, VCPU: 12, MemoryGiB: 90}, a100, ""},
		{"count exact", multicloud.Requirements{GPUModel: "A100", GPUCount: 1}, a100x8, multicloud.RejectNoGPUMatch},
		{"model", multicloud.Requirements{GPUModel: "V100", GPUCount: 1}, a100, multicloud.RejectNoGPUMatch},
		{"gpu memory", multicloud.Requirements{GPUModel: "A100", GPUCount: 1, GPUMemoryGiB: 80}, a100, multicloud.RejectNoGPUMatch},
		{"no GPU asked", multicloud.Requirements{VCPU: 4}, a100, multicloud.RejectNoGPUMatch},
		{"vcpu", multicloud.Requirements{GPUModel: "A100", GPUCount: 1, VCPU: 16}, a100, multicloud.RejectBelowVCPU},
		{"memory", multicloud.Requirements{VCPU: 4, MemoryGiB: 128}, cpu, multicloud.RejectBelowMemory},
		{"type named", multicloud.Requirements{InstanceType: "ecs.g7.large"}, cpu, multicloud.RejectNoTypeMatch},
		{"type named fits", multicloud.Requirements{InstanceType: "ecs.g7.4xlarge"}, cpu, ""},
	}
	for _, tt := range tests {
		if got := tt.q.Misfit(tt.t); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
