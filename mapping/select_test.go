package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ids(types []InstanceType) []string {
	var out []string
	for _, t := range types {
		out = append(out, t.ID)
	}
	return out
}

func TestSelect(t *testing.T) {
	c := load(t)
	tests := []struct {
		name string
		req  Requirements
		want []string
	}{
		{"a100 is gn7 or gn7e", Requirements{GPUModel: "A100"},
			[]string{"ecs.gn7-c12g1.3xlarge", "ecs.gn7e-c16g1.4xlarge"}},
		{"a100 with a vendor prefix", Requirements{GPUModel: "nvidia a100", GPUCount: 1},
			[]string{"ecs.gn7-c12g1.3xlarge", "ecs.gn7e-c16g1.4xlarge"}},
		{"a100 80 GB", Requirements{GPUModel: "A100-80G"},
			[]string{"ecs.gn7e-c16g1.4xlarge"}},
		{"a100 with gpu memory minimum", Requirements{GPUModel: "A100", GPUMemoryGiB: 41},
			[]string{"ecs.gn7e-c16g1.4xlarge"}},
		{"two a100 only on gn7e", Requirements{GPUModel: "A100", GPUCount: 2},
			[]string{"ecs.gn7e-c16g1.8xlarge"}},
		{"eight a100", Requirements{GPUModel: "A100", GPUCount: 8},
			[]string{"ecs.gn7-c13g1.26xlarge", "ecs.gn7e-c16g1.32xlarge"}},
		{"a10 is gn7i", Requirements{GPUModel: "A10"},
			[]string{"ecs.gn7i-c8g1.2xlarge", "ecs.gn7i-c16g1.4xlarge", "ecs.gn7i-c32g1.8xlarge"}},
		{"four a10", Requirements{GPUModel: "A10", GPUCount: 4},
			[]string{"ecs.gn7i-c32g1.32xlarge"}},
		{"t4 with cpu minimum", Requirements{GPUModel: "Tesla T4", VCPU: 10},
			[]string{"ecs.gn6i-c16g1.4xlarge"}},
		{"two t4", Requirements{GPUModel: "T4", GPUCount: 2},
			[]string{"ecs.gn6i-c24g1.12xlarge"}},
		{"v100, 32 GB first by price", Requirements{GPUModel: "V100"},
			[]string{"ecs.gn6e-c12g1.3xlarge", "ecs.gn6v-c8g1.2xlarge"}},
		{"four v100 16 GB", Requirements{GPUModel: "V100-16GB", GPUCount: 4},
			[]string{"ecs.gn6e-c12g1.12xlarge", "ecs.gn6v-c8g1.8xlarge"}},
		{"eight l20", Requirements{GPUModel: "L20", GPUCount: 8},
			[]string{"ecs.gn8is-8x.32xlarge"}},
		{"any model by count", Requirements{GPUCount: 4, MemoryGiB: 500},
			[]string{"ecs.gn7i-c32g1.32xlarge", "ecs.gn8is-4x.16xlarge", "ecs.gn7e-c16g1.16xlarge"}},
		{"cpu and memory: cheapest general type", Requirements{VCPU: 4, MemoryGiB: 16},
			[]string{"ecs.g7.xlarge", "ecs.r7.xlarge", "ecs.g7.2xlarge", "ecs.g7.4xlarge"}},
		{"memory heavy", Requirements{VCPU: 2, MemoryGiB: 16},
			[]string{"ecs.r7.large", "ecs.g7.xlarge", "ecs.r7.xlarge", "ecs.g7.2xlarge", "ecs.g7.4xlarge"}},
		{"smallest", Requirements{VCPU: 1, MemoryGiB: 1},
			[]string{"ecs.t6-c1m1.large", "ecs.c7.large", "ecs.g7.large", "ecs.r7.large", "ecs.c7.xlarge", "ecs.g7.xlarge", "ecs.r7.xlarge", "ecs.g7.2xlarge", "ecs.g7.4xlarge"}},
		{"explicit known type wins", Requirements{InstanceType: "ecs.gn7i-c8g1.2xlarge", GPUModel: "A100", GPUCount: 8},
			[]string{"ecs.gn7i-c8g1.2xlarge"}},
		{"explicit unknown type passes through", Requirements{InstanceType: "ecs.gn9x.large", GPUModel: "nonsense"},
			[]string{"ecs.gn9x.large"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Select(tt.req)
			if err != nil {
				t.Fatalf("Select(%+v): %v", tt.req, err)
			}
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("Select(%+v) (-want +got):\n%s", tt.req, diff)
			}
		})
	}
}

func TestSelectNeverMapsA100ToA10Family(t *testing.T) {
	c := load(t)
	for _, model := range []string{"A100", "a100", "NVIDIA A100", "A100-80G", "A100-40GB"} {
		for _, n := range []int{0, 1, 2, 4, 8} {
			got, err := c.Select(Requirements{GPUModel: model, GPUCount: n})
			if err != nil {
				continue // no size with that count; the error path is tested elsewhere
			}
			for _, it := range got {
				if it.Family == "ecs.gn7i" || strings.HasPrefix(it.ID, "ecs.gn7i") || it.GPUModel != "A100" {
					t.Errorf("Select(%q, %d): got %s (%s, %s), want only A100 families", model, n, it.ID, it.Family, it.GPUModel)
				}
			}
		}
	}
	got, err := c.Select(Requirements{GPUModel: "A10"})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range got {
		if it.Family != "ecs.gn7i" {
			t.Errorf("Select(A10): got %s in %s, want ecs.gn7i", it.ID, it.Family)
		}
	}
}

func TestSelectExplicitKnownTypeReturnsCatalogEntry(t *testing.T) {
	c := load(t)
	got, err := c.Select(Requirements{InstanceType: " ecs.gn7-c12g1.3xlarge "})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := c.Type("ecs.gn7-c12g1.3xlarge")
	if diff := cmp.Diff([]InstanceType{want}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSelectErrors(t *testing.T) {
	c := load(t)
	tests := []struct {
		name string
		req  Requirements
		want []string // the error must mention each
	}{
		{"unknown model", Requirements{GPUModel: "H100"}, []string{`"H100"`, "A10, A100, L20, T4, V100"}},
		{"only vendor", Requirements{GPUModel: "NVIDIA"}, []string{"A10, A100, L20, T4, V100"}},
		{"no size with that count", Requirements{GPUModel: "A100", GPUCount: 3},
			[]string{"3 A100 GPUs", "closest", "ecs.gn7e-c16g1.8xlarge"}},
		{"no a100 with that memory", Requirements{GPUModel: "A100-160G"}, []string{"at least 160 GiB", "ecs.gn7e-c16g1.4xlarge"}},
		{"too many vcpus", Requirements{VCPU: 64}, []string{"at least 64 vCPUs", "ecs.g7.4xlarge"}},
		{"too much memory", Requirements{VCPU: 2, MemoryGiB: 100}, []string{"at least 100 GiB memory", "ecs.g7.4xlarge"}},
		{"negative", Requirements{VCPU: -1}, []string{"negative"}},
		{"negative gpu count", Requirements{GPUModel: "A10", GPUCount: -1}, []string{"negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Select(tt.req)
			if got != nil {
				t.Errorf("got %v with an error, want nil", ids(got))
			}
			wantInvalid(t, err, tt.want...)
		})
	}
}

func BenchmarkSelect(b *testing.B) {
	c, err := Load("aliyun")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Select(Requirements{GPUModel: "NVIDIA A100", GPUCount: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
