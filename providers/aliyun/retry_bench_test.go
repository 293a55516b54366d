package aliyun_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// benchFailingCreate measures creates through a Client with the default
// retry policy (a fresh Client, so a full retry budget, each time) while
// one action always fails with code: the calls of that action each create
// sends (calls/op) and the time until the error surfaces (ms/op).
//
//	go test -run '^$' -bench 'BenchmarkCreateAlways' -benchtime 5x ./providers/aliyun/
func benchFailingCreate(b *testing.B, action, code string) {
	srv := newServer(b)
	p := newProvider(b, srv)
	srv.InjectFault(sim.Fault{Action: action, Code: code})
	var took time.Duration
	b.ResetTimer()
	for i := range b.N {
		c := newClient(b, p, multicloud.UseRetryPolicy(multicloud.DefaultRetryPolicy))
		start := time.Now()
		_, err := c.CreateInstance(testCtx(b), request("tenant-b", fmt.Sprintf("user-%d", i), multicloud.WithPublicIP(5, multicloud.Traffic)))
		took += time.Since(start)
		if err == nil {
			b.Fatal("create succeeded under a persistent fault")
		}
	}
	b.ReportMetric(float64(srv.CallCount(action))/float64(b.N), "calls/op")
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkCreateAlwaysThrottled: RunInstances always Throttling.User.
func BenchmarkCreateAlwaysThrottled(b *testing.B) {
	benchFailingCreate(b, "RunInstances", "Throttling.User")
}

// BenchmarkCreateAlways5xx: building the network (CreateVpc) always fails
// with InternalError.
func BenchmarkCreateAlways5xx(b *testing.B) { benchFailingCreate(b, "CreateVpc", "InternalError") }
