package fake

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
)

// Fault makes matching calls fail, or wait, or both. Op names the method
// it applies to: a multicloud.Provider method ("Resolve", "Quote",
// "Create", "Get", "List", "Start", "Stop", "Reboot", "Delete",
// "Regions", "CheckHealth", "Candidates"), a network.Primitives method
// ("FindVPC", "CreateVPC", "GetVPC", "ListSwitches", "CreateSwitch",
// "FindSecurityGroup", "CreateSecurityGroup", "AuthorizePorts",
// "AllocateAddress", "AssociateAddress", "GetAddress",
// "UnassociateAddress", "ReleaseAddress") or "RunInstances", the launch
// step inside Create; "" matches every call.
//
// Kind says how the fault fails the call: with an error response (the
// default), or as a network does (FaultReset, FaultLost, FaultSlow,
// FaultGarbled). Creates of billable resources (Create, "RunInstances",
// CreateVPC, CreateSwitch, CreateSecurityGroup, AllocateAddress) settle a
// reset or a lost or unreadable response as the Aliyun provider does: they
// ask again with the same token, detached from the caller's cancellation,
// so that what they created is returned, not lost.
type Fault struct {
	Op   string
	Kind FaultKind
	// Code is the class of the returned *multicloud.Error of a FaultError;
	// use CodeThrottled or CodeUnavailable for transient faults the
	// Client retries. Empty: the fault only adds Latency and the call
	// goes on. The network kinds ignore it.
	Code multicloud.Code
	// Message is the error message; default "injected <code> fault".
	Message string
	// Count limits the fault to the next Count matching calls that it
	// fires on; 0 fires on every matching call.
	Count int
	// Probability is the chance, 0 to 1, that a matching call is hit; 0
	// means always. The draws come from a source seeded by Options.Seed,
	// so a test sees the same sequence on every run.
	Probability float64
	// Latency delays the call before it fails (or goes on); the delay
	// ends early when the call's context ends. For FaultSlow it is how
	// long the response is held after the call was processed (default
	// 1s); FaultReset, FaultLost and FaultGarbled ignore it.
	Latency time.Duration
}

// Call is one entry of the call log.
type Call struct {
	Op     string // method name, as in Fault.Op
	Region string
	// Target is the resource the call acted on: an instance, VPC, group or
	// address ID; for a create, the IDs created (comma-separated).
	Target string
	At     time.Time // when the call started, on the provider's Clock
	Err    error     // what the call returned
}

// controls holds faults, latencies and the call log, under their own lock
// so that waiting out latency never holds the state lock.
type controls struct {
	mu      sync.Mutex
	faults  []*Fault
	latency map[string]time.Duration
	rnd     *rand.Rand
	calls   []Call
	counts  map[string]int
}

func (c *controls) init(seed uint64) {
	c.latency = make(map[string]time.Duration)
	c.counts = make(map[string]int)
	c.rnd = newRand(seed)
}

// match returns the delay before a call of op and the fault that fires on
// it, if any (only faults with a Code, and resets, fail the call). Faults
// that act on the response are left to matchResponse.
func (c *controls) match(op string) (time.Duration, *Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delay := c.latency[op] + c.latency[""]
	var fired *Fault
	for i := 0; i < len(c.faults); i++ {
		f := c.faults[i]
		if (f.Op != "" && f.Op != op) || (f.Kind != FaultError && f.Kind != FaultReset) {
			continue
		}
		if f.Kind == FaultReset {
			if c.draw(i) {
				cp := *f
				fired = &cp
				break
			}
			continue
		}
		if f.Probability > 0 && f.Probability < 1 && c.rnd.Float64() >= f.Probability {
			continue
		}
		delay += f.Latency
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				c.faults = slices.Delete(c.faults, i, i+1)
				i--
			}
		}
		if f.Code != "" {
			cp := *f
			fired = &cp
			break
		}
	}
	return delay, fired
}

// draw decides whether the fault at i fires on a matching call, counting
// it down and removing it when its Count is used up; c.mu must be held.
func (c *controls) draw(i int) bool {
	f := c.faults[i]
	if f.Probability > 0 && f.Probability < 1 && c.rnd.Float64() >= f.Probability {
		return false
	}
	if f.Count > 0 {
		f.Count--
		if f.Count == 0 {
			c.faults = slices.Delete(c.faults, i, i+1)
		}
	}
	return true
}

// matchResponse returns the first response fault (FaultLost, FaultSlow,
// FaultGarbled) that fires on a processed call of op, or nil.
func (c *controls) matchResponse(op string) *Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < len(c.faults); i++ {
		f := c.faults[i]
		if (f.Op != "" && f.Op != op) || (f.Kind != FaultLost && f.Kind != FaultSlow && f.Kind != FaultGarbled) {
			continue
		}
		if c.draw(i) {
			cp := *f
			return &cp
		}
	}
	return nil
}

// InjectFault adds f to the faults; faults are tried in the order they
// were added and the first that fires with a Code fails the call.
func (p *Provider) InjectFault(f Fault) {
	p.ctl.mu.Lock()
	p.ctl.faults = append(p.ctl.faults, &f)
	p.ctl.mu.Unlock()
}

// ClearFaults removes every injected fault. Latencies set with SetLatency
// stay.
func (p *Provider) ClearFaults() {
	p.ctl.mu.Lock()
	p.ctl.faults = nil
	p.ctl.mu.Unlock()
}

// SetLatency makes every call of op (every call for "") wait d before it
// runs; 0 removes the latency. The wait ends early when the call's
// context ends, with an error matching multicloud.ErrCanceled.
func (p *Provider) SetLatency(op string, d time.Duration) {
	p.ctl.mu.Lock()
	if d <= 0 {
		delete(p.ctl.latency, op)
	} else {
		p.ctl.latency[op] = d
	}
	p.ctl.mu.Unlock()
}

// Calls returns a copy of the call log, oldest first.
func (p *Provider) Calls() []Call {
	p.ctl.mu.Lock()
	defer p.ctl.mu.Unlock()
	return slices.Clone(p.ctl.calls)
}

// CallCount returns how many calls of op were logged ("" counts every
// call).
func (p *Provider) CallCount(op string) int {
	p.ctl.mu.Lock()
	defer p.ctl.mu.Unlock()
	if op == "" {
		return len(p.ctl.calls)
	}
	return p.ctl.counts[op]
}

// ResetCalls empties the call log.
func (p *Provider) ResetCalls() {
	p.ctl.mu.Lock()
	p.ctl.calls = nil
	clear(p.ctl.counts)
	p.ctl.mu.Unlock()
}

// track logs a call; methods defer it with their named error result.
func (p *Provider) track(op, region, target string, at time.Time, errp *error) {
	var err error
	if errp != nil {
		err = *errp
	}
	p.ctl.mu.Lock()
	p.ctl.calls = append(p.ctl.calls, Call{Op: op, Region: region, Target: target, At: at, Err: err})
	p.ctl.counts[op]++
	p.ctl.mu.Unlock()
}

// Audit counts what the fake cloud holds, for assertions in tests.
type Audit struct {
	// VPCs, SecurityGroups and Switches count resources by their Owner
	// tag ("" for untagged ones).
	VPCs           map[string]int
	SecurityGroups map[string]int
	Switches       map[string]int
	// Addresses counts elastic addresses by state.
	Addresses map[network.Status]int
	// UnboundAddresses counts elastic addresses bound to no instance:
	// billed and unused, so a leak unless the test kept one on purpose.
	UnboundAddresses int
	// Instances counts instances by state (deleted ones are gone).
	Instances map[multicloud.Status]int
}

// Audit returns the counts of what the cloud holds now.
func (p *Provider) Audit() Audit {
	a := Audit{
		VPCs: map[string]int{}, SecurityGroups: map[string]int{}, Switches: map[string]int{},
		Addresses: map[network.Status]int{}, Instances: map[multicloud.Status]int{},
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for _, v := range p.vpcs {
		a.VPCs[v.tags[network.TagOwner]]++
	}
	for _, g := range p.groups {
		a.SecurityGroups[g.tags[network.TagOwner]]++
	}
	for _, s := range p.switches {
		a.Switches[s.tags[network.TagOwner]]++
	}
	for _, ad := range p.addresses {
		a.Addresses[ad.status(now)]++
		if ad.instanceID == "" {
			a.UnboundAddresses++
		}
	}
	for _, in := range p.instances {
		a.Instances[in.status(now)]++
	}
	return a
}

// Resource is a network resource of the fake cloud, as Resources lists it.
type Resource struct {
	Kind   string // "vpc", "switch", "securityGroup" or "address"
	ID     string
	Region string
	Status network.Status // empty for security groups
	Tags   map[string]string
}

// Resources returns every network resource, sorted by kind and ID. The
// tags are copies.
func (p *Provider) Resources() []Resource {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	var out []Resource
	for _, v := range p.vpcs {
		out = append(out, Resource{Kind: "vpc", ID: v.id, Region: v.region, Status: v.status(now), Tags: cloneTags(v.tags)})
	}
	for _, s := range p.switches {
		out = append(out, Resource{Kind: "switch", ID: s.id, Region: s.region, Status: network.StatusAvailable, Tags: cloneTags(s.tags)})
	}
	for _, g := range p.groups {
		out = append(out, Resource{Kind: "securityGroup", ID: g.id, Region: g.region, Tags: cloneTags(g.tags)})
	}
	for _, a := range p.addresses {
		out = append(out, Resource{Kind: "address", ID: a.id, Region: a.region, Status: a.status(now), Tags: cloneTags(a.tags)})
	}
	slices.SortFunc(out, func(a, b Resource) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// SecurityGroupRules returns the rules of a security group, in the order
// they were added, or nil for an unknown group.
func (p *Provider) SecurityGroupRules(groupID string) []network.PortRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	if g, ok := p.groups[groupID]; ok {
		return slices.Clone(g.rules)
	}
	return nil
}

func cloneTags(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
