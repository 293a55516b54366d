package aliyun_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// benchCreate measures creates against an emulator at 20 ms per call: a
// new user each time (cold) or one user whose network exists (warm), with
// an elastic IP and ports 22, 80, 443 and 8888, until Running. It reports
// the sequential round trips of the critical path without the waits
// (rounds/op), all calls (calls/op) and the time to Running (ms/op).
//
//	go test -run '^$' -bench 'BenchmarkCreate' -benchtime 20x ./providers/aliyun/
func benchCreate(b *testing.B, warm bool) {
	srv := newServer(b, aliyuntest.WithLatency(20*time.Millisecond))
	srv.SetVPCQuota(1 << 20)
	srv.SetEIPQuota(1 << 20)
	rec := newRecorder()
	p := newProvider(b, srv, func(o *aliyun.Options) { o.Transport = rec })
	req := func(i int) *multicloud.CreateInstanceRequest {
		user := fmt.Sprintf("user-%d", i)
		if warm {
			user = "user-warm"
		}
		return request("tenant-b", user, multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.AddPorts(22, 80, 443, 8888),
			multicloud.WithIdempotencyKey(fmt.Sprintf("order-%d", i)))
	}
	if warm {
		measure(b, p, rec, spec(b, p, req(-1)))
	}
	var rounds, calls int
	var took time.Duration
	b.ResetTimer()
	for i := range b.N {
		_, res := measure(b, p, rec, spec(b, p, req(i)))
		rounds += res.rounds
		calls += res.calls
		took += res.took
	}
	b.ReportMetric(float64(rounds)/float64(b.N), "rounds/op")
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkCreateCold measures a cold create: a new user's VPC, vSwitch
// and security group on the way.
func BenchmarkCreateCold(b *testing.B) { benchCreate(b, false) }

// BenchmarkCreateWarm measures a warm create: the user's network cached.
func BenchmarkCreateWarm(b *testing.B) { benchCreate(b, true) }
