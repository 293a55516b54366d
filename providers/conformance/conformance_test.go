package conformance_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// face is one face of the simulated cloud under test: a provider over a
// fresh simulated cloud, and the face's own names of the calls the
// scenario injects faults into.
type face struct {
	name string
	// open returns a provider and the simulated cloud it presents, with
	// transient states lasting delay.
	open func(t *testing.T, delay time.Duration) (multicloud.Provider, *sim.Cloud)
	// run and stop are the face's action names of the instances' launch
	// and of a stop, as its call log and faults name them.
	run, stop string
	// region, zone and typ are the scenario's placement on this face: a
	// region, zone and instance type the face sells.
	region, zone, typ string
}

// faces are the faces of the simulated cloud: the fake, the Aliyun
// emulator through the Aliyun provider and the AWS emulator through the
// AWS provider.
var faces = []face{
	{
		name: "fake",
		open: func(t *testing.T, delay time.Duration) (multicloud.Provider, *sim.Cloud) {
			p := fake.New(func(o *fake.Options) {
				o.TransitionDelay = delay
				o.Network = []func(*network.Options){func(n *network.Options) { n.PollInterval = time.Millisecond }}
			})
			return p, p.Cloud()
		},
		run: "RunInstances", stop: "Stop",
		region: "cn-hangzhou", zone: "cn-hangzhou-h", typ: "ecs.g7.large",
	},
	{
		name: "aliyun",
		open: func(t *testing.T, delay time.Duration) (multicloud.Provider, *sim.Cloud) {
			srv := aliyuntest.NewServer(aliyuntest.WithTransitionDelay(delay))
			t.Cleanup(srv.Close)
			p, err := aliyun.New(func(o *aliyun.Options) {
				o.Endpoint, o.Scheme = srv.Host(), "HTTP"
				o.AccessKeyID, o.AccessKeySecret = aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret
				o.Network = []func(*network.Options){func(n *network.Options) {
					n.PollInterval, n.WaitTimeout = time.Millisecond, 20*time.Second
				}}
				o.SettleTimeout = 20 * time.Second
			})
			if err != nil {
				t.Fatalf("aliyun.New: %v", err)
			}
			return p, srv.Cloud()
		},
		run: "RunInstances", stop: "StopInstance",
		region: "cn-hangzhou", zone: "cn-hangzhou-h", typ: "ecs.g7.large",
	},
	{
		name: "aws",
		open: func(t *testing.T, delay time.Duration) (multicloud.Provider, *sim.Cloud) {
			return openAWS(t, delay)
		},
		run: "RunInstances", stop: "StopInstances",
		region: "us-east-1", zone: "us-east-1a", typ: "m5.large",
	},
	{
		// EC2's eventual consistency: a new instance is not found by
		// DescribeInstances for a while (awstest.Options.DescribeDelay).
		name: "aws-eventual",
		open: func(t *testing.T, delay time.Duration) (multicloud.Provider, *sim.Cloud) {
			return openAWS(t, delay, func(o *awstest.Options) { o.DescribeDelay = 30 * time.Millisecond })
		},
		run: "RunInstances", stop: "StopInstances",
		region: "us-east-1", zone: "us-east-1a", typ: "m5.large",
	},
}

// openAWS returns the AWS provider over a new awstest server with opts,
// its transient states lasting delay.
func openAWS(t *testing.T, delay time.Duration, opts ...func(*awstest.Options)) (multicloud.Provider, *sim.Cloud) {
	t.Helper()
	srv := awstest.New(opts...)
	t.Cleanup(srv.Close)
	srv.Cloud().SetTransitionDelay(delay)
	p, err := aws.New(context.Background(), func(o *aws.Options) {
		// awstest's HTTP client: the SDK's default one races
		// against a server that answers within microseconds
		// (see awstest.Server.HTTPClient).
		o.BaseEndpoint, o.HomeRegion, o.HTTPClient = srv.URL(), "us-east-1", srv.HTTPClient()
		o.AccessKeyID, o.SecretAccessKey = awstest.DefaultAccessKeyID, multicloud.Secret(awstest.DefaultSecretAccessKey)
		o.Network = []func(*network.Options){func(n *network.Options) {
			n.PollInterval, n.WaitTimeout = time.Millisecond, 20*time.Second
		}}
		o.SettleTimeout = 20 * time.Second
	})
	if err != nil {
		t.Fatalf("aws.New: %v", err)
	}
	return p, srv.Cloud()
}

// result is what the scenario observes through the portable API: states,
// error codes and counts, nothing a face spells its own way.
type result struct {
	Created        multicloud.Status // after the create and its wait
	Replay         string            // the same key and request again: "same instance" or what came back
	ReplayOther    multicloud.Code   // the same key with another request
	Stopped        multicloud.Status
	StopStopped    multicloud.Code
	Started        multicloud.Status
	StopThrottled  multicloud.Code // one throttled stop: retried, and it stops
	StopCalls      int             // calls of the face's stop action for it
	StopFailing    multicloud.Code // a stop the cloud keeps failing
	StateAfterFail multicloud.Status
	// A create whose launch response is lost: settled with its token, it
	// returns the one instance launched.
	LostLaunch      multicloud.Code
	LostLaunchCount int
	NoStock         multicloud.Code // a create where the zone is sold out
	NoStockCount    int             // the user's instances after it
	VPCQuota        multicloud.Code // a new user's create with the VPC quota reached
	InstanceQuota   multicloud.Code // a create with the instance quota reached
	// A create with an elastic address, the address quota reached: the
	// instance is created without one, with a warning.
	AddressQuota        multicloud.Code
	AddressQuotaAddress bool
	AddressQuotaWarned  bool
	Deleted             multicloud.Code // Get after Delete
	Remaining           int             // the users' instances at the end
}

// want is the one portable outcome every face must give.
var want = result{
	Created:            multicloud.StatusRunning,
	Replay:             "same instance",
	ReplayOther:        multicloud.CodeIdempotency,
	Stopped:            multicloud.StatusStopped,
	StopStopped:        multicloud.CodeConflict,
	Started:            multicloud.StatusRunning,
	StopThrottled:      "",
	StopCalls:          2,
	StopFailing:        multicloud.CodeUnavailable,
	StateAfterFail:     multicloud.StatusRunning,
	LostLaunch:         "",
	LostLaunchCount:    1,
	NoStock:            multicloud.CodeNoStock,
	NoStockCount:       0,
	VPCQuota:           multicloud.CodeQuotaExceeded,
	InstanceQuota:      multicloud.CodeQuotaExceeded,
	AddressQuota:       "",
	AddressQuotaWarned: true,
	Deleted:            multicloud.CodeNotFound,
	Remaining:          0,
}

func TestSameScenarioOnEveryFace(t *testing.T) {
	for _, delay := range []time.Duration{0, 3 * time.Millisecond} {
		for _, f := range faces {
			t.Run(f.name+"/delay="+delay.String(), func(t *testing.T) {
				t.Parallel()
				got := scenario(t, f, delay)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("face %s: portable results differ (-want +got):\n%s", f.name, diff)
				}
			})
		}
	}
}

// scenario runs the scenario against a fresh cloud of face f.
func scenario(t *testing.T, f face, delay time.Duration) result {
	p, cloud := f.open(t, delay)
	region, zone, typ := f.region, f.zone, f.typ
	reg, err := multicloud.NewRegistry(p)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	c, err := multicloud.New(reg,
		multicloud.UsePollInterval(time.Millisecond),
		multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
		multicloud.UseWaitForRunning(true, 20*time.Second))
	if err != nil {
		t.Fatalf("multicloud.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	request := func(user string, opts ...multicloud.RequestOption) *multicloud.CreateInstanceRequest {
		return multicloud.NewCreateInstanceRequest(append([]multicloud.RequestOption{
			multicloud.WithProvider(p.Code()), multicloud.WithPlacement(region, zone),
			multicloud.WithOwner("t1", user), multicloud.WithName("vm"),
			multicloud.WithImage("ubuntu-22.04"), multicloud.WithInstanceType(typ),
		}, opts...)...)
	}
	var r result

	// Create, and replay the token: with the same request, then another.
	first, err := c.CreateInstance(ctx, request("alice", multicloud.WithIdempotencyKey("order-1")))
	if err != nil || len(first) != 1 {
		t.Fatalf("create: got %d instances, %v; want 1", len(first), err)
	}
	ref := first[0].Ref()
	in, err := c.Get(ctx, ref)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	r.Created = in.Status
	again, err := c.CreateInstance(ctx, request("alice", multicloud.WithIdempotencyKey("order-1")))
	switch {
	case err != nil:
		r.Replay = string(multicloud.CodeOf(err))
	case len(again) == 1 && again[0].ID == first[0].ID:
		r.Replay = "same instance"
	default:
		r.Replay = "other instances"
	}
	_, err = c.CreateInstance(ctx, request("alice", multicloud.WithIdempotencyKey("order-1"), multicloud.WithName("other")))
	r.ReplayOther = multicloud.CodeOf(err)

	// Stop, stop again, start.
	if err := c.Stop(ctx, ref); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	r.Stopped = waitFor(ctx, t, c, ref, multicloud.StatusStopped)
	r.StopStopped = multicloud.CodeOf(c.Stop(ctx, ref))
	if err := c.Start(ctx, ref); err != nil {
		t.Fatalf("Start: %v", err)
	}
	r.Started = waitFor(ctx, t, c, ref, multicloud.StatusRunning)

	// Faults in sim's one vocabulary, named with the face's own action:
	// one throttled stop is retried; a stop the cloud keeps failing is
	// reported and changes nothing.
	cloud.ResetCalls()
	cloud.InjectFault(sim.Fault{Action: f.stop, Region: region, Class: sim.ClassThrottled, Count: 1})
	r.StopThrottled = multicloud.CodeOf(c.Stop(ctx, ref))
	r.StopCalls = cloud.CallCount(f.stop)
	waitFor(ctx, t, c, ref, multicloud.StatusStopped)
	if err := c.Start(ctx, ref); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitFor(ctx, t, c, ref, multicloud.StatusRunning)
	cloud.InjectFault(sim.Fault{Action: f.stop, Class: sim.ClassUnavailable})
	r.StopFailing = multicloud.CodeOf(c.Stop(ctx, ref))
	cloud.ClearFaults()
	r.StateAfterFail = waitFor(ctx, t, c, ref, multicloud.StatusRunning)

	cloud.InjectFault(sim.Fault{Action: f.run, Kind: sim.FaultLost, Count: 1})
	_, err = c.CreateInstance(ctx, request("carol", multicloud.WithIdempotencyKey("order-3")))
	r.LostLaunch = multicloud.CodeOf(err)
	r.LostLaunchCount = count(ctx, t, c, region, "carol")
	cloud.ClearFaults()

	// Stock: a sold-out zone creates nothing.
	cloud.SetStock(region, zone, typ, 0)
	_, err = c.CreateInstance(ctx, request("alice", multicloud.WithIdempotencyKey("order-2")))
	r.NoStock = multicloud.CodeOf(err)
	r.NoStockCount = count(ctx, t, c, region, "alice") - 1
	cloud.SetStock(region, zone, typ, sim.Unlimited)

	// Quotas, per region in sim's vocabulary: a new user needs a VPC; an
	// elastic address needs address quota.
	// Each quota is put back to the face's own default afterwards.
	vpcQuota := cloud.Quota(region, sim.QuotaVPCs)
	cloud.SetQuota(region, sim.QuotaVPCs, cloud.Usage(region, sim.QuotaVPCs))
	_, err = c.CreateInstance(ctx, request("bob"))
	r.VPCQuota = multicloud.CodeOf(err)
	cloud.SetQuota(region, sim.QuotaVPCs, vpcQuota)
	instanceQuota := cloud.Quota(region, sim.QuotaInstances)
	cloud.SetQuota(region, sim.QuotaInstances, cloud.Usage(region, sim.QuotaInstances))
	_, err = c.CreateInstance(ctx, request("alice"))
	r.InstanceQuota = multicloud.CodeOf(err)
	cloud.SetQuota(region, sim.QuotaInstances, instanceQuota)
	addressQuota := cloud.Quota(region, sim.QuotaAddresses)
	cloud.SetQuota(region, sim.QuotaAddresses, 0)
	withIP, err := c.CreateInstance(ctx, request("alice", multicloud.WithPublicIP(5, multicloud.Traffic)))
	r.AddressQuota = multicloud.CodeOf(err)
	for _, in := range withIP {
		r.AddressQuotaAddress = r.AddressQuotaAddress || in.Network.AddressID != "" || in.PublicIP != ""
		r.AddressQuotaWarned = r.AddressQuotaWarned || len(in.Warnings) > 0
	}
	cloud.SetQuota(region, sim.QuotaAddresses, addressQuota)

	// Delete every instance of the users; the first is then gone.
	for _, user := range []string{"alice", "bob", "carol"} {
		for in, err := range c.List(ctx, multicloud.ListOptions{Provider: p.Code(), Region: region, UserID: user}) {
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if err := c.Delete(ctx, in.Ref(), multicloud.Force()); err != nil {
				t.Fatalf("Delete %s: %v", in.ID, err)
			}
		}
	}
	_, err = c.Get(ctx, ref)
	r.Deleted = multicloud.CodeOf(err)
	r.Remaining = count(ctx, t, c, region, "alice") + count(ctx, t, c, region, "bob") + count(ctx, t, c, region, "carol")
	return r
}

// waitFor waits until ref is in state want and returns the state it
// reached.
func waitFor(ctx context.Context, t *testing.T, c *multicloud.Client, ref multicloud.InstanceRef, want multicloud.Status) multicloud.Status {
	t.Helper()
	in, err := c.Wait(ctx, ref, want, 20*time.Second)
	if err != nil {
		t.Fatalf("Wait %s for %s: %v", ref, want, err)
	}
	return in.Status
}

// count returns how many instances of user the cloud lists in region,
// deleted ones aside.
func count(ctx context.Context, t *testing.T, c *multicloud.Client, region, user string) int {
	t.Helper()
	n := 0
	for in, err := range c.List(ctx, multicloud.ListOptions{Region: region, UserID: user}) {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if in.Status != multicloud.StatusDeleted {
			n++
		}
	}
	return n
}
