package aliyun_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// checkNoLeak fails unless the emulator holds no instance outside keep, no
// unbound or untagged elastic IP, once every transition has settled.
func checkNoLeak(t *testing.T, srv *aliyuntest.Server, keep int) {
	t.Helper()
	a := settledAudit(t, srv)
	if a.Instances != keep || a.UnassociatedEIPs != 0 || a.EIPsByOwner[""] != 0 {
		t.Errorf("emulator holds %d instances (want %d), %d unbound eips and %d untagged eips (want 0): %+v",
			a.Instances, keep, a.UnassociatedEIPs, a.EIPsByOwner[""], a)
	}
}

// TestCanceledCreateLeaksNothing ends the caller's context while a
// billable call is in flight and its response is slow: what the cloud
// created is released, and the error is ErrCanceled.
func TestCanceledCreateLeaksNothing(t *testing.T) {
	for _, action := range []string{"AllocateEipAddress", "RunInstances", "TagResources"} {
		t.Run(action, func(t *testing.T) {
			srv := newServer(t)
			c := newClient(t, newProvider(t, srv))
			// Warm the user's network so the slow call is the one in flight.
			warm, err := c.CreateInstance(testCtx(t), request("t1", "u1", multicloud.WithName("warm")))
			if err != nil {
				t.Fatal(err)
			}
			srv.InjectFault(sim.Fault{Action: action, Kind: sim.FaultSlow, Latency: 300 * time.Millisecond})
			ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
			defer cancel()
			insts, err := c.CreateInstance(ctx, request("t1", "u1", multicloud.WithPublicIP(5, multicloud.Traffic)))
			if len(insts) != 0 || !errors.Is(err, multicloud.ErrCanceled) {
				t.Fatalf("got %d instances and %v, want none and ErrCanceled", len(insts), err)
			}
			srv.ClearFaults(sim.FaultReset, sim.FaultLost, sim.FaultSlow, sim.FaultGarbled)
			checkNoLeak(t, srv, len(warm))
		})
	}
}

// TestLostDeleteResponseReleasesAddress loses the response to
// DeleteInstance: the repeated call finds the instance gone, and its
// elastic IP is released all the same.
func TestLostDeleteResponseReleasesAddress(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, newProvider(t, srv))
	insts, err := c.CreateInstance(testCtx(t), request("t1", "u1", multicloud.WithPublicIP(5, multicloud.Traffic)))
	if err != nil {
		t.Fatal(err)
	}
	srv.InjectFault(sim.Fault{Action: "DeleteInstance", Kind: sim.FaultLost, Count: 1})
	if err := c.Delete(testCtx(t), insts[0].Ref(), multicloud.Force()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	checkNoLeak(t, srv, 0)
	if a := srv.Audit(); a.EIPs != 0 {
		t.Errorf("got %d elastic ips after the delete, want 0", a.EIPs)
	}
}

// TestGarbledRunInstancesResponse answers RunInstances with a body that
// cannot be read: the create asks again with the same token and returns
// the instance that the first call made.
func TestGarbledRunInstancesResponse(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, newProvider(t, srv))
	srv.InjectFault(sim.Fault{Action: "RunInstances", Kind: sim.FaultGarbled, Count: 1})
	insts, err := c.CreateInstance(testCtx(t), request("t1", "u1"))
	if err != nil || len(insts) != 1 {
		t.Fatalf("got %d instances and %v, want 1 and no error", len(insts), err)
	}
	checkNoLeak(t, srv, 1)
}

// TestOneRetryLayer counts the calls of an always-throttled create and of
// a network step failing with InternalError: the Client's attempts, no
// more, and the error surfaces with its own code.
func TestOneRetryLayer(t *testing.T) {
	for _, tc := range []struct {
		action, code string
		want         multicloud.Code
	}{
		{"RunInstances", "Throttling.User", multicloud.CodeThrottled},
		{"CreateVpc", "InternalError", multicloud.CodeUnavailable},
	} {
		t.Run(tc.action, func(t *testing.T) {
			srv := newServer(t)
			c := newClient(t, newProvider(t, srv), multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
			srv.InjectFault(sim.Fault{Action: tc.action, Code: tc.code})
			_, err := c.CreateInstance(testCtx(t), request("t1", "u1", multicloud.WithPublicIP(5, multicloud.Traffic)))
			if got := multicloud.CodeOf(err); got != tc.want {
				t.Errorf("code: got %s, want %s (%v)", got, tc.want, err)
			}
			if got := srv.CallCount(tc.action); got != 5 {
				t.Errorf("%s calls: got %d, want 5 (the Client's attempts)", tc.action, got)
			}
			srv.ClearFaults()
			checkNoLeak(t, srv, 0)
		})
	}
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secretForms are the renderings of a secret that must never show.
func secretForms(secret string) []string {
	return []string{secret, url.QueryEscape(secret), url.PathEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.URLEncoding.EncodeToString([]byte(secret)), hex.EncodeToString([]byte(secret))}
}

// TestNoSecretInOutput drives creates that fail on connection errors,
// deadlines, signature mismatches and throttling, with the client and the
// provider logging at debug level, and searches every log record, error
// rendering and JSON for the instance password and the access key secret.
func TestNoSecretInOutput(t *testing.T) {
	const password, secret = "Hunter2-Pa55word!", "S3cretAccessKey-9f8e7d"
	srv := newServer(t, aliyuntest.WithAccessKey("rotated-id", secret), aliyuntest.WithRandSeed(3))
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := newProvider(t, srv, func(o *aliyun.Options) {
		o.AccessKeyID, o.AccessKeySecret, o.Logger = "rotated-id", multicloud.Secret(secret), log
		o.CreateTimeout, o.SettleTimeout = 200*time.Millisecond, time.Second
	})
	c := newClient(t, p, multicloud.UseLogger(log), multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}))
	var outputs []string
	record := func(v ...any) {
		for _, x := range v {
			js, _ := json.Marshal(x)
			outputs = append(outputs, fmt.Sprintf("%v|%+v|%#v|%s|%d|%x", x, x, x, x, x, x), string(js))
		}
	}
	record(p, c, aliyun.Options{AccessKeySecret: multicloud.Secret(secret)})
	for _, fault := range []struct {
		inject  func()
		timeout time.Duration
	}{
		{func() { srv.InjectFault(sim.Fault{Action: "RunInstances", Kind: sim.FaultReset}) }, 3 * time.Second},
		{func() {
			srv.InjectFault(sim.Fault{Action: "RunInstances", Kind: sim.FaultSlow, Latency: time.Second, Count: 1})
		}, 100 * time.Millisecond},
		{func() { srv.InjectFault(sim.Fault{Action: "RunInstances", Code: "Throttling.User"}) }, 3 * time.Second},
		{func() {
			srv.InjectFault(sim.Fault{Action: "RunInstances", Code: "SignatureDoesNotMatch", Status: 400,
				Message: "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3Drotated-id%26Password%3D" + url.QueryEscape(url.QueryEscape(password))})
		}, 3 * time.Second},
	} {
		fault.inject()
		ctx, cancel := context.WithTimeout(testCtx(t), fault.timeout)
		_, err := c.CreateInstance(ctx, request("t1", "u1", multicloud.WithPassword(password)))
		cancel()
		if err == nil {
			t.Fatalf("create under fault %d succeeded", len(outputs))
		}
		record(err)
		srv.ClearFaults()
		srv.ClearFaults(sim.FaultReset, sim.FaultLost, sim.FaultSlow, sim.FaultGarbled)
	}
	if err := p.CheckHealth(testCtx(t)); err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	// Key rotation through the inventory's connector: a stale secret
	// fails the connection test (SignatureDoesNotMatch echoes the string
	// to sign), the new one passes and lists regions.
	connect := aliyun.NewConnector(func(o *aliyun.Options) {
		o.Endpoint, o.Scheme, o.Logger = srv.Host(), "HTTP", log
	})
	for _, key := range []string{password, secret} {
		d, err := connect(testCtx(t), inventory.CloudAccount{ID: "acct-1", AccessKeyID: "rotated-id", Region: "cn-hangzhou"}, multicloud.Secret(key))
		if err != nil {
			t.Fatalf("connector: %v", err)
		}
		record(d)
		err = d.(inventory.ConnectionTester).TestConnection(testCtx(t))
		if (err == nil) != (key == secret) {
			t.Fatalf("connection test with key %d: got %v", len(key), err)
		}
		record(err)
		if key == secret {
			_, err := d.Regions(testCtx(t), func(ctx context.Context, _ string, fn func(context.Context) error) error { return fn(ctx) })
			if err != nil {
				t.Fatalf("Regions: %v", err)
			}
		}
	}
	outputs = append(outputs, logs.String())
	for _, out := range outputs {
		for _, s := range append(secretForms(password), secretForms(secret)...) {
			if strings.Contains(out, s) {
				t.Errorf("output shows a secret (%q):\n%s", s, out)
			}
		}
	}
	if !strings.Contains(logs.String(), "RunInstances") {
		t.Error("the debug log has no record of the calls: the search proves nothing")
	}
}

// TestSweepFindsUnboundAddresses leaves two elastic IPs bound to nothing,
// one whose tagging failed: Sweep finds both (the untagged one by its
// name), leaves them alone within the grace period, and releases them.
func TestSweepFindsUnboundAddresses(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv)
	c := newClient(t, p)
	scope := p.Scope("cn-hangzhou", "t1", "u1")
	spec := network.AddressSpec{BandwidthMbps: 5, ChargeMode: "TRAFFIC"}
	if _, err := p.AllocateAddress(testCtx(t), scope, spec, "tok-tagged"); err != nil {
		t.Fatal(err)
	}
	srv.InjectFault(sim.Fault{Action: "TagResources", Code: "Forbidden.RAM", Status: 403})
	if _, err := p.AllocateAddress(testCtx(t), scope, spec, "tok-untagged"); err != nil {
		t.Fatal(err)
	}
	srv.ClearFaults()
	if a := srv.Audit(); a.UnassociatedEIPs != 2 || a.EIPsByOwner[""] != 1 {
		t.Fatalf("setup: got %d unbound and %d untagged eips, want 2 and 1", a.UnassociatedEIPs, a.EIPsByOwner[""])
	}
	opts := multicloud.SweepOptions{Provider: aliyun.ProviderCode, Region: "cn-hangzhou"}
	if found, err := c.Sweep(testCtx(t), opts); err != nil || len(found) != 0 {
		t.Fatalf("sweep within the grace period: got %v, %v; want nothing", found, err)
	}
	opts.Now = func() time.Time { return time.Now().Add(time.Hour) }
	found, err := c.Sweep(testCtx(t), opts)
	if err != nil || len(found) != 2 || !found[0].Released || !found[1].Released {
		t.Fatalf("sweep: got %+v, %v; want 2 addresses released", found, err)
	}
	if a := srv.Audit(); a.EIPs != 0 {
		t.Errorf("got %d eips after the sweep, want 0", a.EIPs)
	}
}
