package fake_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// providerCode returns the ProviderCode of err's *multicloud.Error.
func providerCode(err error) string {
	var e *multicloud.Error
	if errors.As(err, &e) {
		return e.ProviderCode
	}
	return ""
}

// TestNetworkFaultKinds drives each network-like kind on one call: a
// reset fails before anything happens; a lost or garbled response comes
// after the call took effect; a slow one holds the response, and a caller
// that leaves meanwhile gets ErrCanceled with the call done all the same.
func TestNetworkFaultKinds(t *testing.T) {
	tests := []struct {
		name     string
		fault    fake.Fault
		deadline time.Duration // 0: none
		wantErr  error         // nil: success
		wantCode string        // ProviderCode of the error
		wantGone bool          // the instance was deleted
	}{
		{name: "reset", fault: fake.Fault{Action: "Delete", Kind: fake.FaultReset}, wantErr: multicloud.ErrUnavailable, wantCode: fake.ProviderCodeReset},
		{name: "lost", fault: fake.Fault{Action: "Delete", Kind: fake.FaultLost}, wantErr: multicloud.ErrUnavailable, wantCode: fake.ProviderCodeLost, wantGone: true},
		{name: "garbled", fault: fake.Fault{Action: "Delete", Kind: fake.FaultGarbled}, wantErr: multicloud.ErrUnavailable, wantCode: fake.ProviderCodeGarbled, wantGone: true},
		{name: "slow", fault: fake.Fault{Action: "Delete", Kind: fake.FaultSlow, Latency: 5 * time.Millisecond}, wantGone: true},
		{name: "slow past the deadline", fault: fake.Fault{Action: "Delete", Kind: fake.FaultSlow, Latency: time.Hour},
			deadline: 10 * time.Millisecond, wantErr: multicloud.ErrCanceled, wantGone: true},
		{name: "other op", fault: fake.Fault{Action: "Start", Kind: fake.FaultLost}, wantGone: true},
		{name: "count used up", fault: fake.Fault{Action: "Delete", Kind: fake.FaultLost, Count: 1}, wantErr: multicloud.ErrUnavailable, wantCode: fake.ProviderCodeLost, wantGone: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := fake.New()
			in := createOne(t, newClient(t, p), gpuRequest("nina", multicloud.WithPublicIP(5, multicloud.Traffic)))
			p.InjectFault(tc.fault)
			ctx := testCtx(t)
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			err := p.Delete(ctx, in.Region, in.ID, true)
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || providerCode(err) != tc.wantCode {
				t.Errorf("Delete: got %v (provider code %q), want %v (%q)", err, providerCode(err), tc.wantErr, tc.wantCode)
			}
			_, gerr := p.Get(context.Background(), in.Region, in.ID)
			if gone := errors.Is(gerr, multicloud.ErrNotFound); gone != tc.wantGone {
				t.Errorf("instance gone after Delete: got %v, want %v", gone, tc.wantGone)
			}
			// Whatever the caller saw, a deleted instance took its address.
			if a := p.Audit(); tc.wantGone && (len(a.Addresses) != 0 || a.UnboundAddresses != 0) {
				t.Errorf("addresses after the delete: got %v, want none", a.Addresses)
			}
			if tc.fault.Count == 1 {
				if err := p.Delete(testCtx(t), in.Region, in.ID, true); !errors.Is(err, multicloud.ErrNotFound) {
					t.Errorf("second Delete: got %v, want ErrNotFound", err)
				}
			}
		})
	}
}

// TestCreateSettlesLostResponses loses the response of each create step
// once: the create asks again with the same token and returns what the
// first call made, and nothing else exists.
func TestCreateSettlesLostResponses(t *testing.T) {
	for _, op := range []string{"Create", "RunInstances", "AllocateAddress", "CreateVPC", "CreateSwitch", "CreateSecurityGroup"} {
		for _, kind := range []fake.FaultKind{fake.FaultLost, fake.FaultGarbled, fake.FaultReset} {
			t.Run(fmt.Sprintf("%s/%d", op, kind), func(t *testing.T) {
				p := fake.New()
				c := newClient(t, p, multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 1}))
				p.InjectFault(fake.Fault{Action: op, Kind: kind, Count: 1})
				insts, err := c.CreateInstance(testCtx(t), gpuRequest("olga", multicloud.WithQuantity(2), multicloud.WithPublicIP(5, multicloud.Traffic)))
				if err != nil || len(insts) != 2 {
					t.Fatalf("got %d instances, %v; want 2, nil (one try: the provider settles)", len(insts), err)
				}
				if n := p.CallCount(op); n < 2 {
					t.Errorf("%s calls: got %d, want at least 2 (asked again)", op, n)
				}
				a := p.Audit()
				if n := a.Instances[multicloud.StatusRunning]; n != 2 || len(a.Instances) != 1 {
					t.Errorf("instances: got %v, want 2 Running", a.Instances)
				}
				if a.UnboundAddresses != 0 || a.Addresses["InUse"] != 2 {
					t.Errorf("addresses: got %v (%d unbound), want 2 InUse", a.Addresses, a.UnboundAddresses)
				}
				if len(a.VPCs) != 1 || len(a.SecurityGroups) != 1 {
					t.Errorf("networks: got vpcs %v, groups %v; want one of each", a.VPCs, a.SecurityGroups)
				}
			})
		}
	}
}

// TestCanceledDuringSlowLaunch: the caller leaves while the launch's
// response is held; the create still learns the instances and the Client
// releases them, with their addresses.
func TestCanceledDuringSlowLaunch(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	p.InjectFault(fake.Fault{Action: "RunInstances", Kind: fake.FaultSlow, Latency: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Millisecond)
	defer cancel()
	insts, err := c.CreateInstance(ctx, gpuRequest("pia", multicloud.WithQuantity(2), multicloud.WithPublicIP(5, multicloud.Traffic)))
	if !errors.Is(err, multicloud.ErrCanceled) || len(insts) != 0 {
		t.Fatalf("got %d instances, %v; want none and ErrCanceled", len(insts), err)
	}
	if n := p.CallCount("RunInstances"); n != 1 {
		t.Errorf("RunInstances calls: got %d, want 1", n)
	}
	if a := p.Audit(); len(a.Instances) != 0 || len(a.Addresses) != 0 {
		t.Errorf("after the canceled create: instances %v, addresses %v; want none", a.Instances, a.Addresses)
	}
}

// TestFakeFaultSuite runs 100 creates and the deletes of what they return
// under lost, garbled and slow responses, resets and throttling on every
// call, with a third of the callers' contexts ending at a random point.
// Afterwards the fake holds no instance and no address: nothing the
// callers were not given survives. Before the deletes, every address
// carries its create's idempotency token.
func TestFakeFaultSuite(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	p := fake.New(func(o *fake.Options) { o.Seed = seed })
	c := newClient(t, p, multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
		multicloud.UseSettleTimeout(10*time.Second), multicloud.UseWaitForRunning(true, 5*time.Second))
	p.SetLatency("", 200*time.Microsecond)
	p.InjectFault(fake.Fault{Kind: fake.FaultReset, Rate: 0.02})
	p.InjectFault(fake.Fault{Kind: fake.FaultLost, Rate: 0.03})
	p.InjectFault(fake.Fault{Kind: fake.FaultGarbled, Rate: 0.01})
	p.InjectFault(fake.Fault{Kind: fake.FaultSlow, Rate: 0.02, Latency: 20 * time.Millisecond})
	p.InjectFault(fake.Fault{Class: sim.ClassThrottled, Rate: 0.1})

	rnd := rand.New(rand.NewPCG(seed, 2))
	type job struct {
		i        int
		deadline time.Duration
		qty      int
	}
	jobs := make(chan job)
	var (
		mu       sync.Mutex
		returned []*multicloud.Instance
		outcomes = map[multicloud.Code]int{}
		errs     []error
		wg       sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
				if j.deadline > 0 {
					ctx, cancel = context.WithTimeout(testCtx(t), j.deadline)
				}
				req := gpuRequest(fmt.Sprintf("user-%d", j.i%6), multicloud.WithQuantity(j.qty), multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.AddPorts(22))
				req.IdempotencyKey = fmt.Sprintf("order-%d", j.i)
				insts, err := c.CreateInstance(ctx, req)
				cancel()
				mu.Lock()
				returned = append(returned, insts...)
				code := multicloud.CodeOf(err)
				outcomes[code]++
				if err != nil && code == multicloud.CodeUnknown {
					errs = append(errs, fmt.Errorf("create %d: unclassified error: %w", j.i, err))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range 100 {
		var d time.Duration
		if rnd.IntN(3) == 0 {
			d = time.Duration(1+rnd.IntN(10)) * time.Millisecond
		}
		jobs <- job{i: i, deadline: d, qty: 1 + rnd.IntN(2)}
	}
	close(jobs)
	wg.Wait()
	t.Logf("outcomes %v, %d instances returned", outcomes, len(returned))
	if outcomes[""] == 0 {
		t.Error("no create succeeded: the suite proves nothing")
	}
	untokened := 0
	for _, r := range p.Resources() {
		if r.Kind == "address" && (r.Tags[multicloud.TagToken] == "" || r.Tags[multicloud.TagOwner] == "") {
			untokened++
		}
	}

	sem := make(chan struct{}, 8)
	var dwg sync.WaitGroup
	for _, in := range returned {
		dwg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; dwg.Done() }()
			var err error
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
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
	p.ClearFaults()
	a := p.Audit()
	if len(a.Instances) != 0 || len(a.Addresses) != 0 || a.UnboundAddresses != 0 || untokened != 0 {
		t.Errorf("after the suite: instances %v (neither returned nor released), addresses %v (%d unbound), %d addresses without their create's token; want none",
			a.Instances, a.Addresses, a.UnboundAddresses, untokened)
	}
}
