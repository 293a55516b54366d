package network_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// The tests run the network flow against the fake cloud (the in-process
// face of the simulated cloud): one region, four zones.
const (
	testRegion  = "r1"
	testAccount = "acct"
	testType    = "ecs.g7.large"
)

var testZones = []string{"z0", "z1", "z2", "z3"}

// newCloud returns a fake cloud with the test region, edited by opts.
func newCloud(t testing.TB, opts ...func(*fake.Options)) *fake.Provider {
	t.Helper()
	return fake.New(append([]func(*fake.Options){func(o *fake.Options) {
		o.Account = testAccount
		o.Regions = []fake.Region{{ID: testRegion, Zones: testZones}}
	}}, opts...)...)
}

// pendingCloud returns a fake cloud whose new VPCs answer Pending to the
// first polls GetVPC calls: its clock stands still but for GetVPC, which
// moves it one step. polls < 0 keeps VPCs Pending for good. Instances stay
// Pending too: use it for tests that do not launch.
func pendingCloud(t testing.TB, polls int) polled {
	t.Helper()
	clock := sim.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	delay := time.Duration(polls) * time.Second
	if polls < 0 {
		delay = 1000 * time.Hour
	}
	c := newCloud(t, func(o *fake.Options) { o.Clock, o.TransitionDelay = clock, delay })
	return polled{Provider: c, clock: clock}
}

// polled moves its cloud's clock a second after every GetVPC.
type polled struct {
	*fake.Provider
	clock *sim.ManualClock
}

func (p polled) GetVPC(ctx context.Context, scope network.Scope, vpcID string) (network.VPC, error) {
	defer p.clock.Advance(time.Second)
	return p.Provider.GetVPC(ctx, scope, vpcID)
}

// fastOptions keep waits short in tests.
func fastOptions(o *network.Options) {
	o.PollInterval = time.Millisecond
	o.WaitTimeout = 2 * time.Second
}

func testScope(owner string) network.Scope {
	return network.Scope{Provider: fake.DefaultCode, Account: testAccount, Region: testRegion, Tenant: "t1", Owner: owner}
}

// launcher returns a Launcher that starts n instances in the fake cloud
// into the network it is given, as the call "Launch" (with the cloud's
// latency and faults for it), and returns err beside their IDs.
func launcher(c *fake.Provider, scope network.Scope, n int, err error) network.Launcher {
	return launcherThen(c, scope, n, err, nil)
}

// launcherThen is launcher, running then (when not nil) once the
// instances exist, for tests that move a manual clock past their start.
func launcherThen(c *fake.Provider, scope network.Scope, n int, err error, then func()) network.Launcher {
	return network.LaunchFunc(func(ctx context.Context, net network.Network) (ids []string, _ error) {
		cloud := c.Cloud()
		at := cloud.Now()
		var callErr error
		defer func() {
			cloud.Record(sim.Call{Action: "Launch", Region: scope.Region, Target: strings.Join(ids, ","), At: at, Err: callErr})
		}()
		if f, ferr := cloud.Enter(ctx, "Launch", scope.Region); ferr != nil || f != nil {
			callErr = ferr
			if f != nil {
				callErr = f.Err()
			}
			return nil, callErr
		}
		if n > 0 {
			created, cerr := cloud.CreateInstances(sim.InstanceSpec{Region: scope.Region, Zone: net.Switch.Zone, Type: testType,
				SubnetID: net.Switch.ID, SecurityGroupIDs: []string{net.SecurityGroup.ID}, Tags: scope.Tags(), Count: n})
			if cerr != nil {
				callErr = cerr
				return nil, cerr
			}
			for _, in := range created {
				ids = append(ids, in.ID)
			}
		}
		if then != nil {
			then()
		}
		callErr = err
		return ids, err
	})
}

// addresses returns every elastic address of the cloud, sorted by ID, as
// the primitives show them.
func addresses(c *fake.Provider) []network.Address {
	var out []network.Address
	for _, a := range c.Cloud().Addresses("") {
		st := network.StatusAvailable
		switch a.State {
		case sim.AddressInUse:
			st = network.StatusInUse
		case sim.AddressAssociating, sim.AddressUnassociating:
			st = network.StatusBusy
		}
		out = append(out, network.Address{ID: a.ID, IP: a.IP.String(), Status: st, InstanceID: a.InstanceID})
	}
	slices.SortFunc(out, func(a, b network.Address) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// deleteVPC removes a VPC and everything in it, as a user might, long
// enough after its creation that the cloud has forgotten the client tokens
// of the region (a token of a deleted VPC would answer with the deleted
// VPC).
func deleteVPC(t testing.TB, c *fake.Provider, id string) {
	t.Helper()
	cloud := c.Cloud()
	cloud.ForgetTokens(testRegion)
	for _, g := range cloud.SecurityGroups(testRegion, id) {
		must(t, cloud.DeleteSecurityGroup(testRegion, g.ID))
	}
	for _, s := range cloud.Subnets(testRegion, id) {
		must(t, cloud.DeleteSubnet(testRegion, s.ID))
	}
	must(t, cloud.DeleteVPC(testRegion, id))
}

// vpcOwner returns the Owner tag of VPC id.
func vpcOwner(t testing.TB, c *fake.Provider, id string) string {
	t.Helper()
	v, err := c.Cloud().GetVPC(testRegion, id)
	if err != nil {
		t.Errorf("VPC %s: %v", id, err)
		return ""
	}
	return v.Tags[network.TagOwner]
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
