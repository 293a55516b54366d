package aliyun_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

var faultCreates = flag.Int("fault.creates", 200, "creates the fault suite runs")

// TestFaultSuite runs 200 creates and the deletes of what they return on
// the emulator under 30% throttling, 5% server errors, 2% connection
// resets, 2% lost responses and 1% slow ones, with a third of the
// callers' contexts ending at a random point between 1 and 200 ms. It then
// counts in the emulator's state: no instance left that was neither
// returned nor released, no unbound and no untagged elastic IP, no
// untagged VPC or security group, and, counted before the deletes, no
// elastic IP without its create's idempotency token; and no secret in any
// log record or error. Every create returned its instances or a classified error.
//
// Run it ten times in a row with
//
//	go test ./providers/aliyun -run TestFaultSuite -count=10
func TestFaultSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("fault suite skipped in -short mode")
	}
	const password, secret = "Fault-Pa55word!", "fault-suite-secret-42"
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	srv := newServer(t, aliyuntest.WithAccessKey("suite-id", secret), aliyuntest.WithRandSeed(seed),
		aliyuntest.WithTransitionDelay(5*time.Millisecond))
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := newProvider(t, srv, func(o *aliyun.Options) {
		o.AccessKeyID, o.AccessKeySecret, o.Logger = "suite-id", multicloud.Secret(secret), log
		o.CreateTimeout, o.ReadTimeout = 2*time.Second, 2*time.Second
		o.Network = []func(*network.Options){func(n *network.Options) { n.PollInterval, n.WaitTimeout = 5*time.Millisecond, 10*time.Second }}
	})
	c := newClient(t, p, multicloud.UseLogger(log), multicloud.UseSettleTimeout(30*time.Second),
		multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 5, BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond}),
		multicloud.UseWaitForRunning(true, 10*time.Second))

	srv.InjectFault(sim.Fault{Kind: sim.FaultReset, Rate: 0.02})
	srv.InjectFault(sim.Fault{Kind: sim.FaultLost, Rate: 0.02})
	srv.InjectFault(sim.Fault{Kind: sim.FaultSlow, Rate: 0.01, Latency: 150 * time.Millisecond})
	srv.InjectFault(sim.Fault{Code: "Throttling.User", Rate: 0.3})
	srv.InjectFault(sim.Fault{Code: "InternalError", Rate: 0.05})

	rnd := rand.New(rand.NewPCG(seed, 1))
	type job struct {
		i        int
		deadline time.Duration // 0: no early end
		qty      int
	}
	jobs := make(chan job)
	var (
		mu       sync.Mutex
		returned []*multicloud.Instance
		outcomes = map[string]int{}
		errs     []error
	)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ctx, cancel := context.WithTimeout(testCtx(t), 30*time.Second)
				if j.deadline > 0 {
					ctx, cancel = context.WithTimeout(testCtx(t), j.deadline)
				}
				req := request("tenant", fmt.Sprintf("user-%d", j.i%8), multicloud.WithName(fmt.Sprintf("vm-%d", j.i)),
					multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.WithQuantity(j.qty), multicloud.WithPassword(password))
				req.IdempotencyKey = fmt.Sprintf("order-%d", j.i)
				insts, err := c.CreateInstance(ctx, req)
				cancel()
				mu.Lock()
				returned = append(returned, insts...)
				switch code := multicloud.CodeOf(err); {
				case err == nil:
					outcomes["ok"]++
				case code == multicloud.CodeUnknown:
					errs = append(errs, fmt.Errorf("create %d: unclassified error: %w", j.i, err))
				case len(insts) == 0 && strings.Contains(err.Error(), "not released"):
					errs = append(errs, fmt.Errorf("create %d reports a leak: %w", j.i, err))
				default:
					outcomes[string(code)]++
				}
				errs = append(errs, secretIn(err, password, secret)...)
				mu.Unlock()
			}
		}()
	}
	for i := range *faultCreates {
		var d time.Duration
		if rnd.IntN(3) == 0 {
			d = time.Duration(1+rnd.IntN(200)) * time.Millisecond
		}
		jobs <- job{i: i, deadline: d, qty: 1 + rnd.IntN(2)}
	}
	close(jobs)
	wg.Wait()
	t.Logf("outcomes %v, %d instances returned", outcomes, len(returned))
	// Every address that exists now carries its create's token and owner:
	// counted before the deletes release them.
	untokened := untokenedEIPs(srv)

	// Delete what was returned, under the same faults; a caller retries
	// a delete that failed on a transient error.
	var dwg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, in := range returned {
		dwg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; dwg.Done() }()
			var err error
			for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				err = c.Delete(testCtx(t), in.Ref(), multicloud.Force())
				if err == nil || errors.Is(err, multicloud.ErrNotFound) {
					return
				}
				if !multicloud.IsRetryable(err) && !errors.Is(err, multicloud.ErrConflict) {
					break
				}
			}
			mu.Lock()
			errs = append(errs, fmt.Errorf("delete %s: %w", in.ID, err))
			mu.Unlock()
		}()
	}
	dwg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	srv.ClearFaults()
	srv.ClearFaults(sim.FaultReset, sim.FaultLost, sim.FaultSlow, sim.FaultGarbled)

	a := settledAudit(t, srv)
	if a.Instances != 0 || a.UnassociatedEIPs != 0 || a.EIPs != 0 || a.EIPsByOwner[""] != 0 || a.VPCsByOwner[""] != 0 || a.SecurityGroupsByOwner[""] != 0 || untokened != 0 {
		t.Errorf("emulator state after the suite: %d instances (%v), %d eips (%d unbound, %d untagged), %d untagged vpcs, %d untagged groups, %d eips without their create's token before the deletes; want all 0",
			a.Instances, a.InstancesByStatus, a.EIPs, a.UnassociatedEIPs, a.EIPsByOwner[""], a.VPCsByOwner[""], a.SecurityGroupsByOwner[""], untokened)
	}
	for _, e := range secretIn(errors.New(logs.String()), password, secret) {
		t.Error("logs:", e)
	}
	if outcomes["ok"] == 0 {
		t.Error("no create succeeded: the suite proves nothing")
	}
}

// secretIn returns an error for each rendering of err that shows one of
// the secrets in any of their forms.
func secretIn(err error, secrets ...string) []error {
	if err == nil {
		return nil
	}
	var out []error
	text := fmt.Sprintf("%v|%+v|%#v|%s", err, err, err, err)
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if strings.Contains(text, f) {
				out = append(out, fmt.Errorf("secret form %q shown", f))
			}
		}
	}
	return out
}
