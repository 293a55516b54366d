package network

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// memPrims is an in-memory Primitives for this package's tests: VPCs that
// turn Available after a number of GetVPC polls, switches with CIDR
// checks, groups, addresses with their states, token idempotency,
// injectable faults per method, per-call latency and a call log.
type memPrims struct {
	latency        time.Duration // every call takes this long
	pendingPolls   int           // GetVPC calls that still see a new VPC Pending
	assocConflicts int           // AssociateAddress attempts per instance that fail with ErrConflict first

	mu         sync.Mutex
	seq        int
	vpcs       map[string]*memVPC
	switches   []memSwitch
	groups     map[string]*memGroup
	addrs      map[string]*Address
	tokens     map[string]string // kind + token -> resource ID
	assocTries map[string]int    // instance ID -> AssociateAddress attempts
	faults     map[string]*fault
	instances  map[string]memInstance // launched by memPrims.launcher
	log        []call
}

type memVPC struct {
	VPC
	scope Scope
	polls int
	seq   int
}

type memSwitch struct {
	Switch
	scope Scope
}

type memGroup struct {
	SecurityGroup
	scope Scope
	rules []PortRule
}

type memInstance struct {
	scope Scope
	net   Network
}

// fault makes the next n calls of a method fail with err; n < 0: all.
type fault struct {
	n   int
	err error
}

// call is one entry of the call log.
type call struct {
	method     string
	owner      string
	start, end time.Time
}

func newMem() *memPrims {
	return &memPrims{
		vpcs:       make(map[string]*memVPC),
		groups:     make(map[string]*memGroup),
		addrs:      make(map[string]*Address),
		tokens:     make(map[string]string),
		assocTries: make(map[string]int),
		faults:     make(map[string]*fault),
		instances:  make(map[string]memInstance),
	}
}

// fail makes the next n calls of method fail with err (n < 0: every call).
func (m *memPrims) fail(method string, n int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults[method] = &fault{n: n, err: err}
}

// begin starts a call: it waits out the latency, logs the call when the
// returned function runs, and returns an injected fault if there is one.
// The caller holds m.mu from the return of begin until it calls the
// returned function.
func (m *memPrims) begin(ctx context.Context, method string, scope Scope) (func(), error) {
	start := time.Now()
	if m.latency > 0 {
		t := time.NewTimer(m.latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	m.mu.Lock()
	done := func() {
		m.log = append(m.log, call{method: method, owner: scope.Owner, start: start, end: time.Now()})
		m.mu.Unlock()
	}
	if err := ctx.Err(); err != nil {
		return done, err
	}
	if f, ok := m.faults[method]; ok && f.n != 0 {
		if f.n > 0 {
			f.n--
		}
		return done, f.err
	}
	return done, nil
}

func (m *memPrims) nextID(prefix string) string {
	m.seq++
	return fmt.Sprintf("%s-%d", prefix, m.seq)
}

func sameOwner(a, b Scope) bool {
	return a.Provider == b.Provider && a.Account == b.Account && a.Region == b.Region && a.Owner == b.Owner
}

func notFound(format string, args ...any) error {
	return multicloud.Errorf(multicloud.CodeNotFound, format, args...)
}

func conflict(format string, args ...any) error {
	return multicloud.Errorf(multicloud.CodeConflict, format, args...)
}

func (m *memPrims) FindVPC(ctx context.Context, scope Scope) (VPC, error) {
	done, err := m.begin(ctx, "FindVPC", scope)
	defer done()
	if err != nil {
		return VPC{}, err
	}
	var best *memVPC
	for _, v := range m.vpcs {
		if sameOwner(v.scope, scope) && (best == nil || v.seq < best.seq) {
			best = v
		}
	}
	if best == nil {
		return VPC{}, notFound("no vpc of owner %s", scope.Owner)
	}
	return best.VPC, nil
}

func (m *memPrims) CreateVPC(ctx context.Context, scope Scope, cidr, token string) (VPC, error) {
	done, err := m.begin(ctx, "CreateVPC", scope)
	defer done()
	if err != nil {
		return VPC{}, err
	}
	if id, ok := m.tokens["vpc"+token]; ok && token != "" {
		if v, ok := m.vpcs[id]; ok {
			return v.VPC, nil
		}
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil || p.Masked() != p {
		return VPC{}, multicloud.Errorf(multicloud.CodeInvalidArgument, "bad vpc cidr %q", cidr)
	}
	v := &memVPC{VPC: VPC{ID: m.nextID("vpc"), CIDR: cidr, Status: StatusPending}, scope: scope, seq: m.seq}
	m.vpcs[v.ID] = v
	m.tokens["vpc"+token] = v.ID
	return v.VPC, nil
}

func (m *memPrims) GetVPC(ctx context.Context, scope Scope, vpcID string) (VPC, error) {
	done, err := m.begin(ctx, "GetVPC", scope)
	defer done()
	if err != nil {
		return VPC{}, err
	}
	v, ok := m.vpcs[vpcID]
	if !ok || !sameOwner(v.scope, scope) {
		return VPC{}, notFound("vpc %s not found", vpcID)
	}
	v.polls++
	if v.polls > m.pendingPolls {
		v.Status = StatusAvailable
	}
	return v.VPC, nil
}

func (m *memPrims) ListSwitches(ctx context.Context, scope Scope, vpcID string) ([]Switch, error) {
	done, err := m.begin(ctx, "ListSwitches", scope)
	defer done()
	if err != nil {
		return nil, err
	}
	v, ok := m.vpcs[vpcID]
	if !ok || !sameOwner(v.scope, scope) {
		return nil, notFound("vpc %s not found", vpcID)
	}
	var out []Switch
	for _, s := range m.switches {
		if s.VPCID == vpcID {
			out = append(out, s.Switch)
		}
	}
	return out, nil
}

func (m *memPrims) CreateSwitch(ctx context.Context, scope Scope, vpcID, zone, cidr, token string) (Switch, error) {
	done, err := m.begin(ctx, "CreateSwitch", scope)
	defer done()
	if err != nil {
		return Switch{}, err
	}
	v, ok := m.vpcs[vpcID]
	if !ok || !sameOwner(v.scope, scope) {
		return Switch{}, notFound("vpc %s not found", vpcID)
	}
	if v.Status != StatusAvailable {
		return Switch{}, conflict("vpc %s is %s", vpcID, v.Status)
	}
	if id, ok := m.tokens["switch"+token]; ok && token != "" {
		for _, s := range m.switches {
			if s.ID == id {
				return s.Switch, nil
			}
		}
	}
	p, err := netip.ParsePrefix(cidr)
	vp := netip.MustParsePrefix(v.CIDR)
	if err != nil || p.Masked() != p || p.Bits() < vp.Bits() || !vp.Contains(p.Addr()) {
		return Switch{}, multicloud.Errorf(multicloud.CodeInvalidArgument, "switch cidr %q not inside vpc %s", cidr, v.CIDR)
	}
	for _, s := range m.switches {
		if s.VPCID == vpcID && netip.MustParsePrefix(s.CIDR).Overlaps(p) {
			return Switch{}, multicloud.Errorf(multicloud.CodeInvalidArgument, "switch cidr %s overlaps %s", cidr, s.CIDR)
		}
	}
	s := memSwitch{Switch: Switch{ID: m.nextID("vsw"), VPCID: vpcID, Zone: zone, CIDR: cidr}, scope: scope}
	m.switches = append(m.switches, s)
	m.tokens["switch"+token] = s.ID
	return s.Switch, nil
}

func (m *memPrims) FindSecurityGroup(ctx context.Context, scope Scope, vpcID string) (SecurityGroup, error) {
	done, err := m.begin(ctx, "FindSecurityGroup", scope)
	defer done()
	if err != nil {
		return SecurityGroup{}, err
	}
	var best *memGroup
	for _, g := range m.groups {
		if g.VPCID == vpcID && sameOwner(g.scope, scope) && (best == nil || g.ID < best.ID) {
			best = g
		}
	}
	if best == nil {
		return SecurityGroup{}, notFound("no security group in %s", vpcID)
	}
	return best.SecurityGroup, nil
}

func (m *memPrims) CreateSecurityGroup(ctx context.Context, scope Scope, vpcID, token string) (SecurityGroup, error) {
	done, err := m.begin(ctx, "CreateSecurityGroup", scope)
	defer done()
	if err != nil {
		return SecurityGroup{}, err
	}
	if v, ok := m.vpcs[vpcID]; !ok || !sameOwner(v.scope, scope) {
		return SecurityGroup{}, notFound("vpc %s not found", vpcID)
	}
	if id, ok := m.tokens["group"+token]; ok && token != "" {
		if g, ok := m.groups[id]; ok {
			return g.SecurityGroup, nil
		}
	}
	g := &memGroup{SecurityGroup: SecurityGroup{ID: m.nextID("sg"), VPCID: vpcID}, scope: scope}
	m.groups[g.ID] = g
	m.tokens["group"+token] = g.ID
	return g.SecurityGroup, nil
}

func (m *memPrims) AuthorizePorts(ctx context.Context, scope Scope, groupID string, rules []PortRule) error {
	done, err := m.begin(ctx, "AuthorizePorts", scope)
	defer done()
	if err != nil {
		return err
	}
	g, ok := m.groups[groupID]
	if !ok {
		return notFound("security group %s not found", groupID)
	}
	for _, r := range rules {
		if !slices.Contains(g.rules, r) {
			g.rules = append(g.rules, r)
		}
	}
	return nil
}

func (m *memPrims) AllocateAddress(ctx context.Context, scope Scope, spec AddressSpec, token string) (Address, error) {
	done, err := m.begin(ctx, "AllocateAddress", scope)
	defer done()
	if err != nil {
		return Address{}, err
	}
	if id, ok := m.tokens["address"+token]; ok && token != "" {
		if a, ok := m.addrs[id]; ok {
			return *a, nil
		}
	}
	id := m.nextID("eip")
	a := &Address{ID: id, IP: fmt.Sprintf("47.0.%d.%d", m.seq/250, m.seq%250), Status: StatusAvailable}
	m.addrs[id] = a
	m.tokens["address"+token] = id
	return *a, nil
}

func (m *memPrims) AssociateAddress(ctx context.Context, scope Scope, addressID, instanceID string) error {
	done, err := m.begin(ctx, "AssociateAddress", scope)
	defer done()
	if err != nil {
		return err
	}
	a, ok := m.addrs[addressID]
	if !ok {
		return notFound("address %s not found", addressID)
	}
	m.assocTries[instanceID]++
	if m.assocTries[instanceID] <= m.assocConflicts {
		return conflict("instance %s cannot take an address yet", instanceID)
	}
	if a.Status == StatusInUse && a.InstanceID == instanceID {
		return nil
	}
	if a.Status != StatusAvailable {
		return conflict("address %s is %s", addressID, a.Status)
	}
	a.Status, a.InstanceID = StatusInUse, instanceID
	return nil
}

func (m *memPrims) GetAddress(ctx context.Context, scope Scope, addressID string) (Address, error) {
	done, err := m.begin(ctx, "GetAddress", scope)
	defer done()
	if err != nil {
		return Address{}, err
	}
	a, ok := m.addrs[addressID]
	if !ok {
		return Address{}, notFound("address %s not found", addressID)
	}
	return *a, nil
}

func (m *memPrims) UnassociateAddress(ctx context.Context, scope Scope, addressID, instanceID string) error {
	done, err := m.begin(ctx, "UnassociateAddress", scope)
	defer done()
	if err != nil {
		return err
	}
	a, ok := m.addrs[addressID]
	if !ok {
		return notFound("address %s not found", addressID)
	}
	if a.InstanceID != instanceID {
		return conflict("address %s is not bound to %s", addressID, instanceID)
	}
	a.Status, a.InstanceID = StatusAvailable, ""
	return nil
}

func (m *memPrims) ReleaseAddress(ctx context.Context, scope Scope, addressID string) error {
	done, err := m.begin(ctx, "ReleaseAddress", scope)
	defer done()
	if err != nil {
		return err
	}
	a, ok := m.addrs[addressID]
	if !ok {
		return notFound("address %s not found", addressID)
	}
	if a.Status != StatusAvailable {
		return conflict("address %s is %s", addressID, a.Status)
	}
	delete(m.addrs, addressID)
	return nil
}

// launcher returns a Launcher that starts n instances into the network it
// is given, logged as "Launch", and returns err beside their IDs.
func (m *memPrims) launcher(scope Scope, n int, err error) Launcher {
	return LaunchFunc(func(ctx context.Context, net Network) ([]string, error) {
		done, ferr := m.begin(ctx, "Launch", scope)
		defer done()
		if ferr != nil {
			return nil, ferr
		}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = m.nextID("i")
			m.instances[ids[i]] = memInstance{scope: scope, net: net}
		}
		return ids, err
	})
}

// deleteVPC removes a VPC and everything in it, as a user might.
func (m *memPrims) deleteVPC(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.vpcs, id)
	m.switches = slices.DeleteFunc(m.switches, func(s memSwitch) bool { return s.VPCID == id })
	for gid, g := range m.groups {
		if g.VPCID == id {
			delete(m.groups, gid)
		}
	}
}

// calls returns a copy of the call log.
func (m *memPrims) calls() []call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.log)
}

// count returns how many calls of method the log holds.
func (m *memPrims) count(method string) int {
	n := 0
	for _, c := range m.calls() {
		if c.method == method {
			n++
		}
	}
	return n
}

// counts returns the calls per method.
func (m *memPrims) counts() map[string]int {
	out := make(map[string]int)
	for _, c := range m.calls() {
		out[c.method]++
	}
	return out
}

// addresses returns a copy of every allocated address.
func (m *memPrims) addresses() []Address {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Address
	for _, a := range m.addrs {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b Address) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// fastOptions keep waits short in tests.
func fastOptions(o *Options) {
	o.PollInterval = time.Millisecond
	o.WaitTimeout = 2 * time.Second
}

func testScope(owner string) Scope {
	return Scope{Provider: "mem", Account: "acct", Region: "r1", Tenant: "t1", Owner: owner}
}

var _ Primitives = (*memPrims)(nil)

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
