package fake_test

import (
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/providertest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		NewProvider: func(t *testing.T) multicloud.Provider { return fake.New() },
		Region:      "cn-hangzhou",
		ImageKey:    "ubuntu-22.04",
		GPUModel:    "A10",
		SetVPCQuota: func(t *testing.T, p multicloud.Provider, n int) {
			p.(*fake.Provider).SetQuota("cn-hangzhou", sim.QuotaVPCs, n)
		},
		Networks: func(t *testing.T, p multicloud.Provider, owner string) (int, int) {
			a := p.(*fake.Provider).Audit()
			return a.VPCs[owner], a.SecurityGroups[owner]
		},
		ResourceTags: func(t *testing.T, p multicloud.Provider, owner string) []map[string]string {
			var out []map[string]string
			for _, r := range p.(*fake.Provider).Resources() {
				if r.Kind != "switch" && r.Tags[multicloud.TagOwner] == owner {
					out = append(out, r.Tags)
				}
			}
			return out
		},
	})
}

// TestConformanceWithTransitions runs the suite with transient states
// that last, so that the suite's waits are exercised.
func TestConformanceWithTransitions(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		NewProvider: func(t *testing.T) multicloud.Provider {
			return fake.New(func(o *fake.Options) { o.TransitionDelay = 5 * time.Millisecond })
		},
		Region:       "cn-shanghai",
		Zone:         "cn-shanghai-f",
		ImageKey:     "ubuntu-22.04",
		InstanceType: "ecs.g7.large",
		SetVPCQuota: func(t *testing.T, p multicloud.Provider, n int) {
			p.(*fake.Provider).SetQuota("cn-shanghai", sim.QuotaVPCs, n)
		},
		Networks: func(t *testing.T, p multicloud.Provider, owner string) (int, int) {
			a := p.(*fake.Provider).Audit()
			return a.VPCs[owner], a.SecurityGroups[owner]
		},
		ResourceTags: func(t *testing.T, p multicloud.Provider, owner string) []map[string]string {
			var out []map[string]string
			for _, r := range p.(*fake.Provider).Resources() {
				if r.Tags[multicloud.TagOwner] == owner {
					out = append(out, r.Tags)
				}
			}
			return out
		},
	})
}
