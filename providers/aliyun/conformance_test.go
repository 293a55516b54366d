package aliyun_test

import (
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/providertest"
)

// servers maps each provider of the suite to its emulator.
var servers sync.Map

func serverOf(t *testing.T, p multicloud.Provider) *aliyuntest.Server {
	t.Helper()
	srv, ok := servers.Load(p)
	if !ok {
		t.Fatalf("no emulator for provider %p", p)
	}
	return srv.(*aliyuntest.Server)
}

func conformance(t *testing.T, zone, typ string, delay time.Duration) {
	providertest.Run(t, providertest.Harness{
		NewProvider: func(t *testing.T) multicloud.Provider {
			srv := newServer(t, aliyuntest.WithTransitionDelay(delay))
			p := newProvider(t, srv)
			servers.Store(p, srv)
			t.Cleanup(func() { servers.Delete(p) })
			return p
		},
		Region:       "cn-hangzhou",
		Zone:         zone,
		ImageKey:     "ubuntu-22.04",
		InstanceType: typ,
		GPUModel:     "A10",
		SetVPCQuota: func(t *testing.T, p multicloud.Provider, n int) {
			serverOf(t, p).SetVPCQuota(n)
		},
		Networks: func(t *testing.T, p multicloud.Provider, owner string) (int, int) {
			a := serverOf(t, p).Audit()
			return a.VPCsByOwner[owner], a.SecurityGroupsByOwner[owner]
		},
		ResourceTags: func(t *testing.T, p multicloud.Provider, owner string) []map[string]string {
			return resourceTags(t, serverOf(t, p), owner)
		},
	})
}

func TestConformance(t *testing.T) {
	conformance(t, "cn-hangzhou-i", "", 0)
}

// TestConformanceWithTransitions runs the suite with transient states
// that last, so that the waits of the network flow and the suite run.
func TestConformanceWithTransitions(t *testing.T) {
	conformance(t, "", "ecs.g7.large", 5*time.Millisecond)
}
