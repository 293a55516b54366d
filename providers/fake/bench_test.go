package fake_test

import (
	"context"
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// BenchmarkCreateInstance measures the portable create path: the Client
// (validation, scheduling, resolve, cached quote, create, wait for
// Running) over the network flow with a warm user, on a fake with no
// latency and instant transitions.
//
// "warm" is the bare path; "ports+address" adds one AuthorizePorts call and
// an elastic address allocated and bound per create.
func BenchmarkCreateInstance(b *testing.B) {
	b.Run("warm", func(b *testing.B) { benchCreate(b, gpuRequest("bench-user")) })
	b.Run("ports+address", func(b *testing.B) {
		benchCreate(b, gpuRequest("bench-user", multicloud.AddPorts(22, 8888), multicloud.WithPublicIP(5, multicloud.Traffic)))
	})
}

func benchCreate(b *testing.B, req *multicloud.CreateInstanceRequest) {
	// The instances pile up: a switch as wide as the VPC holds them all, as
	// a /24 would not past 250.
	p := fake.New(func(o *fake.Options) {
		o.DefaultStock, o.Quotas = 1<<40, map[sim.Quota]int{sim.QuotaAddresses: sim.Unlimited}
		o.Network = append(o.Network, func(no *network.Options) { no.SwitchPrefixLen = network.DefaultVPCPrefixLen })
	})
	c := newClient(b, p, multicloud.UseWaitForRunning(true, 0))
	ctx := context.Background()
	createOne(b, c, req.Clone()) // warm: network provisioned and cached, quote cached
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := req.Clone()
		r.IdempotencyKey = "" // a new order each time
		insts, err := c.CreateInstance(ctx, r)
		if err != nil || len(insts) != 1 {
			b.Fatalf("CreateInstance: %d instances, %v", len(insts), err)
		}
	}
}
