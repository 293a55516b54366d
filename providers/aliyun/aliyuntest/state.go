package aliyuntest

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

const (
	defaultVPCQuota = sim.DefaultVPCQuota
	defaultEIPQuota = sim.DefaultAddressQuota
)

// phase is a resource lifecycle state. Transient phases resolve to the next
// one after the server's transition delay; see settle.
type phase uint8

const (
	phPending phase = iota // instance: Pending, then Starting; VPC/vSwitch: Pending
	phStarting
	phRunning
	phStopping
	phStopped
	phAvailable // VPC, vSwitch, EIP
	phAssociating
	phInUse
	phUnassociating
)

var phaseNames = [...]string{"Pending", "Starting", "Running", "Stopping", "Stopped", "Available", "Associating", "InUse", "Unassociating"}

func (p phase) String() string { return phaseNames[p] }

// lifecycle is a phase and the time it was entered.
type lifecycle struct {
	ph    phase
	since int64 // unix nanoseconds
}

// at returns the phase at now given the transition delay, without mutating.
func (l lifecycle) at(now time.Time, d time.Duration) phase {
	el := time.Duration(now.UnixNano() - l.since)
	ph := l.ph
	for {
		next, ok := nextPhase(ph)
		if !ok || el < d {
			return ph
		}
		el -= d
		ph = next
	}
}

// settle stores the phase at now, so that a following change starts from it.
func (l *lifecycle) settle(now time.Time, d time.Duration) phase {
	if ph := l.at(now, d); ph != l.ph {
		l.ph, l.since = ph, now.UnixNano()
	}
	return l.ph
}

func nextPhase(p phase) (phase, bool) {
	switch p {
	case phPending:
		return phStarting, true
	case phStarting:
		return phRunning, true
	case phStopping:
		return phStopped, true
	case phAssociating:
		return phInUse, true
	case phUnassociating:
		return phAvailable, true
	}
	return p, false
}

// netLifecycle is the Pending -> Available lifecycle of VPCs and vSwitches.
func netPhase(l lifecycle, now time.Time, d time.Duration) string {
	if l.ph == phPending && time.Duration(now.UnixNano()-l.since) < d {
		return "Pending"
	}
	return "Available"
}

// tag is a resource tag.
type tag struct{ Key, Value string }

// state is the emulator's own part of the cloud: its regions' display
// names and price factors, and the attributes only ECS and VPC know of
// the simulated cloud's resources, by resource ID (guarded by Server.mu).
// The resources themselves, their states and relations live in the
// sim.Cloud; a view joins the two for one call.
type state struct {
	regions    map[string]*region
	regionList []*region
	seq        uint64 // order numbers
	creates    uint64 // create calls, for sweepAttrs
	// cloud is the simulated cloud the emulator serves.
	cloud *sim.Cloud
	ecs   map[string]*ecsAttrs // by instance ID
	vpcx  map[string]*vpcAttrs // by VPC ID
	sgx   map[string]*sgAttrs  // by security group ID
	eipx  map[string]*eipAttrs // by allocation ID
}

// ecsAttrs are the attributes of an instance that only ECS has. An
// instance another face created has none: the zero value holds.
type ecsAttrs struct {
	hostName, description, keyPair string
	userData, ramRole              string
	pls                            []string // each disk's performance level, by index
	payByBW                        bool
	bwOut, bwIn                    int32
	expired                        int64 // unix seconds; 0 = pay-as-you-go
	autoRenew                      bool
	autoRenewPeriod                int
	renewUnit                      string
}

// vpcAttrs are the VPC's router and system route table.
type vpcAttrs struct{ vrouter, routeTable string }

// sgAttrs are a security group's type and policy between its members.
type sgAttrs struct{ typ, innerPolicy string }

// eipAttrs are an EIP's billing and description.
type eipAttrs struct {
	description, internetChargeType string
	prepaid                         bool
}

// region is a region as the emulator shows it.
type region struct {
	id, localName string
	zones         []string
	priceFactor   float64
	idPrefix      string
}

func newState(regions []Region, cloud *sim.Cloud) *state {
	st := &state{
		regions: make(map[string]*region, len(regions)),
		cloud:   cloud,
		ecs:     make(map[string]*ecsAttrs),
		vpcx:    make(map[string]*vpcAttrs),
		sgx:     make(map[string]*sgAttrs),
		eipx:    make(map[string]*eipAttrs),
	}
	for _, r := range regions {
		rg := &region{id: r.ID, localName: r.LocalName, zones: regionZones(r), priceFactor: r.PriceFactor}
		if rg.localName == "" {
			rg.localName = r.ID
		}
		if rg.priceFactor <= 0 {
			rg.priceFactor = 1
		}
		rg.idPrefix = regionIDPrefix(r.ID)
		st.regions[r.ID] = rg
		st.regionList = append(st.regionList, rg)
	}
	return st
}

// knownPrefixes are the ID prefixes real resources carry per region.
var knownPrefixes = map[string]string{
	"cn-hangzhou": "bp1", "cn-shanghai": "uf6", "cn-beijing": "2ze", "cn-shenzhen": "wz9",
	"cn-qingdao": "m5e", "cn-zhangjiakou": "8vb", "cn-chengdu": "2vc", "cn-hongkong": "j6c",
	"ap-southeast-1": "t4n", "us-west-1": "rj9",
}

func regionIDPrefix(id string) string {
	if p, ok := knownPrefixes[id]; ok {
		return p
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return base36(uint64(h.Sum32()), 3)
}

const base36Digits = "0123456789abcdefghijklmnopqrstuvwxyz"

// base36 formats n with exactly width digits (mod 36^width).
func base36(n uint64, width int) string {
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = base36Digits[n%36]
		n /= 36
	}
	return string(b)
}

// CloudIDs makes the simulated cloud's resource IDs in Aliyun's form, like
// "i-bp1k3x9...": the kind's prefix (i, vpc, vsw, sg, eip, d, sgr), the
// region's ID prefix and 12 scrambled base-36 digits. The emulator builds
// its own cloud with it; give it to sim.Options.IDs of a cloud built
// elsewhere and served with WithCloud, so that IDs have Aliyun's shape.
func CloudIDs(kind sim.Kind, region string, seq uint64) string {
	prefix := "global"
	if region != "" {
		prefix = regionIDPrefix(region)
	}
	return idKind(kind) + "-" + prefix + base36(sim.Scramble(seq), 12)
}

// idKind is the Aliyun ID prefix of a kind of resource.
func idKind(kind sim.Kind) string {
	switch kind {
	case sim.KindInstance:
		return "i"
	case sim.KindVPC:
		return "vpc"
	case sim.KindSubnet:
		return "vsw"
	case sim.KindSecurityGroup:
		return "sg"
	case sim.KindAddress:
		return "eip"
	case sim.KindDisk:
		return "d"
	case sim.KindRule:
		return "sgr"
	}
	return string(kind)
}

// newID returns a fresh ID of a resource the emulator keeps itself, like
// "vrt-bp1k3x9...", from the simulated cloud's sequence.
func (st *state) newID(kind string, rg *region) string {
	st.seq++
	return st.cloud.NewID(sim.Kind(kind), rg.id)
}

// insertSorted inserts v into s keeping it sorted by id.
func insertSorted[T any](s []T, v T, id func(T) string) []T {
	k := id(v)
	i := sort.Search(len(s), func(i int) bool { return id(s[i]) >= k })
	s = append(s, v)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

func instID(in *instance) string       { return in.id }
func sgID(g *securityGroup) string     { return g.id }
func formatTime(t time.Time) string    { return t.UTC().Format("2006-01-02T15:04Z") }
func formatTimeSec(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// ipString formats an IPv4 address held as a uint32.
func ipString(ip uint32) string {
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}).String()
}

func ipUint(a netip.Addr) uint32 {
	if !a.Is4() {
		return 0
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func (rg *region) hasZone(z string) bool {
	for _, v := range rg.zones {
		if v == z {
			return true
		}
	}
	return false
}

// tokenKey is the ledger key of a call's ClientToken: tokens are scoped
// to the action and the region.
func tokenKey(c *call) sim.TokenKey {
	return sim.TokenKey{Action: c.action, Region: c.region.id, Token: c.p.str("ClientToken")}
}

// claimToken returns the stored response for a repeated ClientToken, or
// IdempotentParameterMismatch when the parameters differ. A nil response
// and nil error mean the token is new. Server.mu is held from the claim
// to storeToken, so that a token is claimed once.
func (st *state) claimToken(c *call) (response, error) {
	tok := c.p.str("ClientToken")
	if len(tok) > 64 {
		return nil, errInvalid("ClientToken", tok)
	}
	prev, ok, err := st.cloud.ClaimToken(tokenKey(c), c.p.fingerprint())
	if err != nil {
		return nil, errCode(400, "IdempotentParameterMismatch", "The specified parameter has changed while using an already used clientToken.")
	}
	if !ok {
		return nil, nil
	}
	replay, ok := prev.(func() response)
	if !ok {
		// Another face's call of the same name took the token.
		return nil, errCode(400, "IdempotentParameterMismatch", "The specified parameter has changed while using an already used clientToken.")
	}
	return replay(), nil
}

// storeToken remembers a successful response for its ClientToken: the
// ledger keeps a function that makes a fresh copy, so that each reply
// gets its own RequestId.
func storeToken[T any, PT interface {
	*T
	response
}](st *state, c *call, r PT) {
	saved := *r
	st.cloud.StoreToken(tokenKey(c), c.p.fingerprint(), func() response { cp := saved; return PT(&cp) })
}

// SetStock sets how many more instances of instanceType can be created in
// zone (sim.Cloud.SetStock); 0 makes RunInstances fail with
// OperationDenied.NoStock and DescribeAvailableResource report SoldOut
// (in every charge mode without a SetStockCategory setting). A negative n
// restores unlimited stock. RunInstances takes from it and deleting an
// instance gives back.
func (s *Server) SetStock(region, zone, instanceType string, n int) {
	s.cloud.SetStock(region, zone, instanceType, n)
}

// SetVPCQuota sets the number of VPCs allowed in every region (default
// 10; sim.Cloud.SetQuota sets one region's); CreateVpc beyond it fails
// with QuotaExceeded.Vpc.
func (s *Server) SetVPCQuota(n int) { s.cloud.SetQuota("", sim.QuotaVPCs, n) }

// SetEIPQuota sets the number of EIPs allowed in every region (default
// 100; sim.Cloud.SetQuota sets one region's); AllocateEipAddress beyond
// it fails with QuotaExceeded.Eip.
func (s *Server) SetEIPQuota(n int) { s.cloud.SetQuota("", sim.QuotaAddresses, n) }

// SetInstanceStatus forces the status of an instance, as if changed outside
// the code under test. status is one of Pending, Starting, Running, Stopping,
// Stopped; transient states resolve after the transition delay as usual.
// It returns an error if the instance or status is unknown.
func (s *Server) SetInstanceStatus(id, status string) error {
	switch status {
	case "Pending", "Starting", "Running", "Stopping", "Stopped":
	default:
		return fmt.Errorf("aliyuntest: unknown instance status %q", status)
	}
	if err := s.cloud.SetInstanceState(id, sim.InstanceState(status)); err != nil {
		return fmt.Errorf("aliyuntest: instance %s not found", id)
	}
	return nil
}

// RemoveInstance deletes an instance whatever its state, as if released
// outside the code under test; its EIP is disassociated, not released.
// It returns an error if the instance is unknown.
func (s *Server) RemoveInstance(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.cloud.RemoveInstance(id); err != nil {
		return fmt.Errorf("aliyuntest: instance %s not found", id)
	}
	delete(s.st.ecs, id)
	return nil
}

// InstanceIDs returns the IDs of the instances in region, sorted.
func (s *Server) InstanceIDs(region string) []string {
	var out []string
	for _, in := range s.cloud.Instances(region) {
		if live(in.State) {
			out = append(out, in.ID)
		}
	}
	return out
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// sweepAttrs drops the attributes of resources the simulated cloud no
// longer holds (another face deleted them) every sweepEvery creates:
// create handlers call it under the write lock, so that the tables stay
// bounded at an amortized cost of a lookup per entry.
func (st *state) sweepAttrs() {
	st.creates++
	if st.creates%sweepEvery != 0 {
		return
	}
	c := st.cloud
	for id := range st.ecs {
		if in, err := c.Instance("", id); err != nil || !live(in.State) {
			delete(st.ecs, id)
		}
	}
	for id := range st.vpcx {
		if !st.has(func(r string) error { _, err := c.GetVPC(r, id); return err }) {
			delete(st.vpcx, id)
		}
	}
	for id := range st.sgx {
		if !st.has(func(r string) error { _, err := c.GetSecurityGroup(r, id); return err }) {
			delete(st.sgx, id)
		}
	}
	for id := range st.eipx {
		if !st.has(func(r string) error { _, err := c.GetAddress(r, id); return err }) {
			delete(st.eipx, id)
		}
	}
}

// sweepEvery is how many creates pass between two sweeps of the
// attribute tables.
const sweepEvery = 1024

// has reports whether get finds a resource in one of the regions.
func (st *state) has(get func(region string) error) bool {
	for _, rg := range st.regionList {
		if get(rg.id) == nil {
			return true
		}
	}
	return false
}
