package aws_test

import (
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
	"github.com/multicloud-ecs/multicloud/providers/providertest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// servers maps each provider of the suite to its emulator.
var servers sync.Map

func serverOf(t *testing.T, p multicloud.Provider) *awstest.Server {
	t.Helper()
	srv, ok := servers.Load(p)
	if !ok {
		t.Fatalf("no emulator for provider %p", p)
	}
	return srv.(*awstest.Server)
}

// owned returns the tags of srv's VPCs, security groups and addresses
// tagged Owner = owner.
func owned(srv *awstest.Server, owner string) (vpcs, groups, addrs []map[string]string) {
	c := srv.Cloud()
	for _, v := range c.VPCs(region) {
		if v.Tags[multicloud.TagOwner] == owner {
			vpcs = append(vpcs, v.Tags)
		}
	}
	for _, g := range c.SecurityGroups(region, "") {
		if g.Tags[multicloud.TagOwner] == owner {
			groups = append(groups, g.Tags)
		}
	}
	for _, a := range c.Addresses(region) {
		if a.Tags[multicloud.TagOwner] == owner {
			addrs = append(addrs, a.Tags)
		}
	}
	return vpcs, groups, addrs
}

func conformance(t *testing.T, zone, typ string, opts ...func(*awstest.Options)) {
	providertest.Run(t, providertest.Harness{
		NewProvider: func(t *testing.T) multicloud.Provider {
			srv := newServer(t, opts...)
			p := newProvider(t, srv)
			servers.Store(p, srv)
			t.Cleanup(func() { servers.Delete(p) })
			return p
		},
		Region:       region,
		Zone:         zone,
		ImageKey:     "ubuntu-22.04",
		InstanceType: typ,
		GPUModel:     "T4",
		SetVPCQuota: func(t *testing.T, p multicloud.Provider, n int) {
			serverOf(t, p).Cloud().SetQuota(region, sim.QuotaVPCs, n)
		},
		Networks: func(t *testing.T, p multicloud.Provider, owner string) (int, int) {
			v, g, _ := owned(serverOf(t, p), owner)
			return len(v), len(g)
		},
		ResourceTags: func(t *testing.T, p multicloud.Provider, owner string) []map[string]string {
			v, g, a := owned(serverOf(t, p), owner)
			return append(append(v, g...), a...)
		},
	})
}

func TestConformance(t *testing.T) {
	conformance(t, "us-east-1a", "")
}

// TestConformanceWithDescribeDelay runs the suite with new instances
// hidden from DescribeInstances for a while (EC2's eventual consistency)
// and the zone left to the provider.
func TestConformanceWithDescribeDelay(t *testing.T) {
	conformance(t, "", "m5.large", func(o *awstest.Options) { o.DescribeDelay = 30 * time.Millisecond })
}
