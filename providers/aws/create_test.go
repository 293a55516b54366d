package aws_test

import (
	"context"

	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// spec resolves req on p into what the Client would hand Create.
func spec(t testing.TB, p *aws.Provider, req *multicloud.CreateInstanceRequest) *multicloud.CreateSpec {
	t.Helper()
	r := req.Clone()
	r.Normalize()
	p.DefaultRequest(r)
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if fes := p.ValidateRequest(r); len(fes) > 0 {
		t.Fatalf("ValidateRequest: %v", multicloud.ValidationError(fes...))
	}
	plan, err := p.Resolve(context.Background(), r, multicloud.Placement{Provider: aws.ProviderCode, Region: r.Region, Zone: r.Zone})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	tags := map[string]string{multicloud.TagTenant: r.TenantID, multicloud.TagOwner: r.UserID, multicloud.TagCreatedBy: multicloud.CreatedByValue}
	for k, v := range r.Tags {
		tags[k] = v
	}
	return &multicloud.CreateSpec{Request: r, Plan: *plan, Tags: tags, Token: multicloud.Token(r.IdempotencyKey, plan.Placement)}
}

// createRunning runs Create and polls Get until every instance is Running,
// as the Client does.
func createRunning(ctx context.Context, t testing.TB, p *aws.Provider, s *multicloud.CreateSpec) []*multicloud.Instance {
	t.Helper()
	insts, err := p.Create(ctx, s)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for i, in := range insts {
		for {
			got, err := p.Get(ctx, s.Plan.Region, in.ID)
			if err == nil && got.Status == multicloud.StatusRunning {
				got.Warnings = in.Warnings
				insts[i] = got
				break
			}
			if err != nil && !multicloud.IsRetryable(err) {
				t.Fatalf("Get %s: %v", in.ID, err)
			}
			select {
			case <-ctx.Done():
				t.Fatalf("instance %s not Running: %v", in.ID, ctx.Err())
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	return insts
}

// isWait reports whether a call is a wait: a poll of a pending VPC
// (DescribeVpcs by VpcId), of the instance state (DescribeInstances), or
// an association refused while the instance is not ready.
func isWait(c callRecord) bool {
	switch c.action {
	case "DescribeVpcs":
		return c.form.Get("VpcId.1") != ""
	case "DescribeInstances":
		return true
	case "AssociateAddress":
		return c.status >= 400
	}
	return false
}

// roundTrips is the number of sequential round trips among the calls that
// are not waits: the longest chain of calls each starting after the
// previous one ended (earliest end first gives the longest chain).
func roundTrips(calls []callRecord) (n int, chain []string) {
	var work []callRecord
	for _, c := range calls {
		if !isWait(c) {
			work = append(work, c)
		}
	}
	slices.SortFunc(work, func(a, b callRecord) int { return a.end.Compare(b.end) })
	var last time.Time
	for _, c := range work {
		if !c.start.Before(last) {
			n++
			chain = append(chain, c.action)
			last = c.end
		}
	}
	return n, chain
}

// pathResult is one measured create.
type pathResult struct {
	rounds int
	chain  []string
	took   time.Duration
	calls  int
}

// measure creates s, waits for Running and measures the critical path.
func measure(t testing.TB, p *aws.Provider, rec *recorder, s *multicloud.CreateSpec) ([]*multicloud.Instance, pathResult) {
	t.Helper()
	rec.reset()
	start := time.Now()
	insts := createRunning(testCtx(t), t, p, s)
	took := time.Since(start)
	calls := rec.calls()
	n, chain := roundTrips(calls)
	return insts, pathResult{rounds: n, chain: chain, took: took, calls: len(calls)}
}

// benchServer is an emulator at 20 ms per call with room for many users.
func benchServer(t testing.TB) *awstest.Server {
	srv := newServer(t)
	srv.Cloud().SetLatency("", 20*time.Millisecond)
	srv.Cloud().SetQuota(region, sim.QuotaVPCs, 1<<20)
	srv.Cloud().SetQuota(region, sim.QuotaAddresses, 1<<20)
	return srv
}

func withRecorder(rec *recorder) func(*aws.Options) {
	return func(o *aws.Options) { o.HTTPClient = &httpClient{rec} }
}

// TestCreateCriticalPath checks the create path's depth at 20 ms per call:
// a cold create (new user, Elastic IP, four ports) and a warm one (the
// user's network cached), each reaching Running with its address bound.
// The cold path is one round longer than Aliyun's: CreateVpc takes no
// client token, so the scope's VPCs are listed once after the create to
// keep one of two racing creates.
func TestCreateCriticalPath(t *testing.T) {
	srv := benchServer(t)
	rec := newRecorder()
	p := newProvider(t, srv, withRecorder(rec))
	for _, tc := range []struct {
		name string
		user string
		max  int
	}{
		{"cold", "user-path", 5},
		{"warm", "user-path", 2},
	} {
		s := spec(t, p, request("tenant-p", tc.user, multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.AddPorts(22, 80, 443, 8888),
			multicloud.WithIdempotencyKey("order-"+tc.name)))
		insts, res := measure(t, p, rec, s)
		t.Logf("%s create: %d round trips (%s), %d calls, %s", tc.name, res.rounds, strings.Join(res.chain, " > "), res.calls, res.took.Round(time.Millisecond))
		if res.rounds > tc.max {
			t.Errorf("%s create: got %d sequential round trips (%s), want at most %d", tc.name, res.rounds, strings.Join(res.chain, " > "), tc.max)
		}
		if len(insts) != 1 || insts[0].Network.AddressID == "" && insts[0].PublicIP == "" {
			t.Errorf("%s create: got %+v, want one Running instance with a bound address", tc.name, insts)
		}
		// Cold: one call with every port; warm: none (the group's rules
		// are known).
		if n, want := rec.count("AuthorizeSecurityGroupIngress"), map[string]int{"cold": 1, "warm": 0}[tc.name]; n != want {
			t.Errorf("%s create: %d AuthorizeSecurityGroupIngress calls, want %d", tc.name, n, want)
		}
	}
}

// benchCreate measures creates against an emulator at 20 ms per call: a
// new user each time (cold) or one user whose network exists (warm), with
// an Elastic IP and ports 22, 80, 443 and 8888, until Running. It reports
// the sequential round trips of the critical path without the waits
// (rounds/op), all calls (calls/op) and the time to Running (ms/op).
//
//	go test -run '^$' -bench 'BenchmarkCreate' -benchtime 20x ./providers/aws/
func benchCreate(b *testing.B, warm bool) {
	srv := benchServer(b)
	rec := newRecorder()
	p := newProvider(b, srv, withRecorder(rec))
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

// BenchmarkCreateCold measures a cold create: a new user's VPC, internet
// gateway, subnet and security group on the way.
func BenchmarkCreateCold(b *testing.B) { benchCreate(b, false) }

// BenchmarkCreateWarm measures a warm create: the user's network cached.
func BenchmarkCreateWarm(b *testing.B) { benchCreate(b, true) }
