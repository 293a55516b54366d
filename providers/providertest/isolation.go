package providertest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/multicloud-ecs/multicloud"
)

// owner is a tenant and user ID.
type owner struct{ tenant, user string }

// testIsolationPairs creates one instance for each side of owner pairs that
// differ in ways a careless key would merge (swapped fields, case,
// separators, a trailing space, the same user ID in another tenant) and
// checks that the two never share a VPC or a security group.
func (s *suite) testIsolationPairs(t *testing.T) {
	e := s.env(t)
	pairs := []struct {
		name string
		a, b owner
	}{
		{"swapped tenant and user", owner{"alpha", "beta"}, owner{"beta", "alpha"}},
		{"tenant differing by case", owner{"Acme", "bob"}, owner{"acme", "bob"}},
		{"separator moved between fields", owner{"t|x", "u"}, owner{"t", "x|u"}},
		{"trailing space", owner{"corp", "carol"}, owner{"corp", "carol "}},
		{"same user in another tenant", owner{"north", "dave"}, owner{"south", "dave"}},
	}
	if s.h.SetVPCQuota != nil {
		s.h.SetVPCQuota(t, e.p, 2*len(pairs))
	}
	for _, pc := range pairs {
		a := s.create(t, e, s.request(e.p, pc.a.tenant, pc.a.user), 1)[0]
		b := s.create(t, e, s.request(e.p, pc.b.tenant, pc.b.user), 1)[0]
		if a.Network.VPCID == "" || a.Network.SecurityGroupID == "" {
			t.Fatalf("%s: instance %s names no vpc or security group: %+v", pc.name, a.ID, a.Network)
		}
		if a.Network.VPCID == b.Network.VPCID {
			t.Errorf("%s: %q/%q and %q/%q share vpc %s, want one each", pc.name, pc.a.tenant, pc.a.user, pc.b.tenant, pc.b.user, a.Network.VPCID)
		}
		if a.Network.SecurityGroupID == b.Network.SecurityGroupID {
			t.Errorf("%s: %q/%q and %q/%q share security group %s, want one each", pc.name, pc.a.tenant, pc.a.user, pc.b.tenant, pc.b.user, a.Network.SecurityGroupID)
		}
	}
}

// createMany creates one instance for each owner, four at a time, and
// returns them in owners' order.
func (s *suite) createMany(t *testing.T, c *multicloud.Client, p multicloud.Provider, owners []owner, opts ...multicloud.RequestOption) []*multicloud.Instance {
	t.Helper()
	out := make([]*multicloud.Instance, len(owners))
	var g errgroup.Group
	g.SetLimit(4)
	for i, o := range owners {
		g.Go(func() error {
			insts, err := c.CreateInstance(ctx(t), s.request(p, o.tenant, o.user, opts...))
			if err != nil {
				return fmt.Errorf("CreateInstance for %s/%s: %w", o.tenant, o.user, err)
			}
			out[i] = insts[0]
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return out
}

// owners returns n users spread round-robin over tenants.
func owners(n int, tenants ...string) []owner {
	out := make([]owner, n)
	for i := range out {
		out[i] = owner{tenants[i%len(tenants)], fmt.Sprintf("user-%02d", i)}
	}
	return out
}

// checkGroups fails t unless every instance has a security group of its
// own, and returns the VPCs the instances are in.
func checkGroups(t *testing.T, owners []owner, insts []*multicloud.Instance) map[string]bool {
	t.Helper()
	groups := make(map[string]owner)
	vpcs := make(map[string]bool)
	for i, in := range insts {
		sg := in.Network.SecurityGroupID
		if sg == "" {
			t.Fatalf("instance %s names no security group", in.ID)
		}
		if prev, dup := groups[sg]; dup {
			t.Errorf("security group %s: got users %v and %v in it, want one user per group", sg, prev, owners[i])
		}
		groups[sg] = owners[i]
		vpcs[in.Network.VPCID] = true
	}
	return vpcs
}

// testIsolationTenant serves 20 users of two tenants under a VPC quota of 2
// with a VPC per tenant, set as the client's option.
func (s *suite) testIsolationTenant(t *testing.T) {
	p := s.h.NewProvider(t)
	s.h.SetVPCQuota(t, p, 2)
	c := s.client(t, p, multicloud.UseNetworkIsolation(multicloud.IsolateTenant))
	ow := owners(20, "tenant-x", "tenant-y")
	insts := s.createMany(t, c, p, ow)
	if vpcs := checkGroups(t, ow, insts); len(vpcs) != 2 {
		t.Errorf("vpcs of 20 users in 2 tenants: got %d, want 2", len(vpcs))
	}
	vpcOf := make(map[string]string)
	switches := make(map[string]bool)
	for i, in := range insts {
		if v, ok := vpcOf[ow[i].tenant]; ok && v != in.Network.VPCID {
			t.Errorf("tenant %s: got vpcs %s and %s, want one", ow[i].tenant, v, in.Network.VPCID)
		}
		vpcOf[ow[i].tenant] = in.Network.VPCID
		if switches[in.Network.SwitchID] {
			t.Errorf("switch %s: got two users in it, want a switch per user", in.Network.SwitchID)
		}
		switches[in.Network.SwitchID] = true
	}
	if vpcOf["tenant-x"] == vpcOf["tenant-y"] {
		t.Errorf("tenants x and y: got one vpc %s, want one each", vpcOf["tenant-x"])
	}
}

// testIsolationShared serves 20 users of four tenants under a VPC quota of
// 2 in one shared VPC, asked for per request.
func (s *suite) testIsolationShared(t *testing.T) {
	p := s.h.NewProvider(t)
	s.h.SetVPCQuota(t, p, 2)
	c := s.client(t, p)
	ow := owners(20, "t1", "t2", "t3", "t4")
	insts := s.createMany(t, c, p, ow, multicloud.WithNetworkIsolation(multicloud.IsolateShared))
	if vpcs := checkGroups(t, ow, insts); len(vpcs) != 1 {
		t.Errorf("vpcs of 20 users sharing: got %d, want 1", len(vpcs))
	}
}

// testIsolationUserQuota checks that a VPC per user fails the third user
// under a quota of 2 with an error naming the isolation option, and that a
// request overriding the client's isolation is served under its own.
func (s *suite) testIsolationUserQuota(t *testing.T) {
	p := s.h.NewProvider(t)
	s.h.SetVPCQuota(t, p, 2)
	c := s.client(t, p, multicloud.UseNetworkIsolation(multicloud.IsolateUser))
	s.createMany(t, c, p, owners(2, "tenant-q"))
	_, err := c.CreateInstance(ctx(t), s.request(p, "tenant-q", "user-third"))
	if !errors.Is(err, multicloud.ErrQuotaExceeded) {
		t.Fatalf("third user's create: got %v, want an error matching ErrQuotaExceeded", err)
	}
	if !strings.Contains(err.Error(), `isolation "user"`) {
		t.Errorf("third user's quota error: got %q, want it to name isolation \"user\"", err)
	}
	// The quota is full, and the shared VPC would be a third one: the
	// request's own isolation is the one in force and named.
	_, err = c.CreateInstance(ctx(t), s.request(p, "tenant-q", "user-third", multicloud.WithNetworkIsolation(multicloud.IsolateShared)))
	if !errors.Is(err, multicloud.ErrQuotaExceeded) || !strings.Contains(err.Error(), `isolation "shared"`) {
		t.Errorf("shared request at a full quota: got %v, want ErrQuotaExceeded naming isolation \"shared\"", err)
	}
}
