package fake

import (
	"slices"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// Fault makes matching calls fail, or wait, or both: it is sim's one
// fault vocabulary. Action names the method it applies to: a
// multicloud.Provider method ("Resolve", "Quote", "Create", "Get",
// "GetBatch", "List", "Start", "Stop", "Reboot", "Delete", "Regions",
// "CheckHealth", "Candidates", "Offerings", "Orphans", "Release"), a
// network.Primitives method ("FindVPC", "CreateVPC", "GetVPC",
// "ListSwitches", "CreateSwitch", "FindSecurityGroup",
// "CreateSecurityGroup", "AuthorizePorts", "AllocateAddress",
// "AssociateAddress", "GetAddress", "UnassociateAddress",
// "ReleaseAddress") or "RunInstances", the launch step inside Create; ""
// matches every call. Region restricts it to one region.
//
// A FaultError (the zero Kind) fails the call with a *multicloud.Error
// whose Code is Fault.Code when set (the fake's own codes are the
// portable ones: string(multicloud.CodePermissionDenied)), else the code
// of Fault.Class (sim.ClassThrottled is ErrThrottled, sim.ClassUnavailable
// ErrUnavailable, and so on); with neither, the fault only adds Latency.
// Rate is the chance a matching call is hit (0: always), drawn from a
// source seeded by Options.Seed; AfterCalls lets the first matching calls
// pass; Count limits how often it fires.
//
// The network kinds (FaultReset, FaultLost, FaultSlow, FaultGarbled) fail
// the call as a network does. Creates of billable resources (Create,
// "RunInstances", CreateVPC, CreateSwitch, CreateSecurityGroup,
// AllocateAddress) settle a reset or a lost or unreadable response as the
// Aliyun provider does: they ask again with the same token, detached from
// the caller's cancellation, so that what they created is returned, not
// lost.
type Fault = sim.Fault

// Call is one entry of the call log (sim's Call): Action is the method
// name, as in Fault.Action; Target the resource the call acted on (for a
// create, the IDs created, comma-separated); Err what the call returned.
type Call = sim.Call

// InjectFault adds f to the faults; faults are tried in the order they
// were added and the first that fires decides the call.
func (p *Provider) InjectFault(f Fault) { p.cloud.InjectFault(f) }

// ClearFaults removes every injected fault of the given kinds, or every
// fault when none is given. Latencies set with SetLatency stay.
func (p *Provider) ClearFaults(kinds ...FaultKind) { p.cloud.ClearFaults(kinds...) }

// SetLatency makes every call of action wait d before it runs; action ""
// sets the latency of every action without its own (an action's own
// replaces it, not adds to it); d <= 0 removes the setting. The wait ends
// early when the call's context ends, with an error matching
// multicloud.ErrCanceled.
func (p *Provider) SetLatency(action string, d time.Duration) { p.cloud.SetLatency(action, d) }

// Calls returns a copy of the call log, oldest first.
func (p *Provider) Calls() []Call { return p.cloud.Calls() }

// CallCount returns how many calls of action were logged ("" counts every
// call).
func (p *Provider) CallCount(action string) int { return p.cloud.CallCount(action) }

// ResetCalls empties the call log.
func (p *Provider) ResetCalls() { p.cloud.ResetCalls() }

// track logs a call; methods defer it with their named error result.
func (p *Provider) track(op, region, target string, at time.Time, errp *error) {
	var err error
	if errp != nil {
		err = *errp
	}
	p.cloud.Record(sim.Call{Action: op, Region: region, Target: target, At: at, Err: err})
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
	// Instances counts instances by state (deleted ones, and those being
	// deleted, are left out).
	Instances map[multicloud.Status]int
}

// Audit returns the counts of what the cloud holds now.
func (p *Provider) Audit() Audit {
	a := Audit{
		VPCs: map[string]int{}, SecurityGroups: map[string]int{}, Switches: map[string]int{},
		Addresses: map[network.Status]int{}, Instances: map[multicloud.Status]int{},
	}
	for _, v := range p.cloud.VPCs("") {
		a.VPCs[v.Tags[network.TagOwner]]++
	}
	for _, g := range p.cloud.SecurityGroups("", "") {
		a.SecurityGroups[g.Tags[network.TagOwner]]++
	}
	for _, s := range p.cloud.Subnets("", "") {
		a.Switches[s.Tags[network.TagOwner]]++
	}
	for _, ad := range p.cloud.Addresses("") {
		a.Addresses[addressStatus(ad.State)]++
		if ad.InstanceID == "" {
			a.UnboundAddresses++
		}
	}
	for _, in := range p.cloud.Instances("") {
		if deleted(in.State) {
			continue
		}
		a.Instances[instanceStatus(in.State)]++
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
	var out []Resource
	for _, v := range p.cloud.VPCs("") {
		out = append(out, Resource{Kind: "vpc", ID: v.ID, Region: v.Region, Status: netStatus(v.State), Tags: v.Tags})
	}
	for _, s := range p.cloud.Subnets("", "") {
		out = append(out, Resource{Kind: "switch", ID: s.ID, Region: s.Region, Status: netStatus(s.State), Tags: s.Tags})
	}
	for _, g := range p.cloud.SecurityGroups("", "") {
		out = append(out, Resource{Kind: "securityGroup", ID: g.ID, Region: g.Region, Tags: g.Tags})
	}
	for _, a := range p.cloud.Addresses("") {
		out = append(out, Resource{Kind: "address", ID: a.ID, Region: a.Region, Status: addressStatus(a.State), Tags: a.Tags})
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
	for _, g := range p.cloud.SecurityGroups("", "") {
		if g.ID == groupID {
			out := make([]network.PortRule, 0, len(g.Rules))
			for _, r := range g.Rules {
				out = append(out, portRule(r))
			}
			return out
		}
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
