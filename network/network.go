// Package network provisions a user's network on any provider without the
// caller naming it: the user's VPC found by its Owner tag or created, a
// switch per zone, a security group, public addresses and port rules.
//
// A provider implements the small Primitives interface; a Provisioner runs
// the flow over it once for all providers, with concurrent identical work
// collapsed, a per-user cache, and nothing billable left behind on failure.
package network

import (
	"context"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// Reserved tag keys that mark who owns a network resource. They are the
// root package's (multicloud.TagTenant and the rest), named here too so
// that providers read as network code. Every resource the flow creates for
// a user carries all three; the Owner tag is how a user's VPC is found
// again.
const (
	TagTenant    = multicloud.TagTenant
	TagOwner     = multicloud.TagOwner
	TagCreatedBy = multicloud.TagCreatedBy
	// CreatedByValue is the value of TagCreatedBy on what this module creates.
	CreatedByValue = multicloud.CreatedByValue
	// TagIsolation marks a resource shared by several users: a tenant's VPC
	// (value "tenant") or the account's VPC and its switches ("shared").
	// A user's own resources do not carry it.
	TagIsolation = "networkIsolation"
)

// Isolation is how the users of a region share the network; see
// multicloud.NetworkIsolation.
type Isolation = multicloud.NetworkIsolation

// The isolation modes, as the root package names them.
const (
	IsolateUser   = multicloud.IsolateUser   // a VPC per user (the default)
	IsolateTenant = multicloud.IsolateTenant // a VPC per tenant; a switch per zone and a group per user
	IsolateShared = multicloud.IsolateShared // one VPC per account; a switch per zone; a group per user
)

// Scope is whose network, where: the unit of sharing. Two requests with
// equal Scopes share one network; different Owners never share a security
// group, and under IsolateUser (the default) nothing at all. A Scope
// whose Owner is empty is a shared one: the tenant's under IsolateTenant,
// the account's (Tenant empty too) under IsolateShared; the Provisioner
// derives those itself.
type Scope struct {
	Provider string // provider code
	Account  string // provider account (or credential) the resources are billed to
	Region   string // region ID
	Tenant   string // tenant ID, tagged on every resource
	Owner    string // user ID, tagged as Owner on every resource
	// Isolation is how the user's VPC is shared; empty takes the
	// Provisioner's Options.Isolation.
	Isolation Isolation
}

// Tags returns the tags of resources created in s, which are also the tags
// that find them again: the three reserved tags for a user's scope; for a
// shared scope createdBy, TagIsolation and (for a tenant's) tenantId.
func (s Scope) Tags() map[string]string {
	if !s.shared() {
		return map[string]string{TagTenant: s.Tenant, TagOwner: s.Owner, TagCreatedBy: CreatedByValue}
	}
	t := map[string]string{TagCreatedBy: CreatedByValue, TagIsolation: string(s.Isolation)}
	if s.Isolation == IsolateTenant {
		t[TagTenant] = s.Tenant
	}
	return t
}

// shared reports whether s is a shared scope (a tenant's or the account's).
func (s Scope) shared() bool {
	return s.Owner == "" && (s.Isolation == IsolateTenant || s.Isolation == IsolateShared)
}

// vpcScope returns the scope that owns the VPC of user scope s.
func (s Scope) vpcScope() Scope {
	switch s.Isolation {
	case IsolateTenant:
		s.Owner = ""
	case IsolateShared:
		s.Tenant, s.Owner = "", ""
	}
	return s
}

// switchScope returns the scope that owns the switches of user scope s:
// the user's own, except under IsolateShared.
func (s Scope) switchScope() Scope {
	if s.Isolation == IsolateShared {
		return s.vpcScope()
	}
	return s
}

// Match reports whether tags carry every tag of s.Tags(), exactly (case
// and spaces included): what a provider's find of s matches.
func (s Scope) Match(tags map[string]string) bool {
	for k, v := range s.Tags() {
		if got, ok := tags[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Status is the lifecycle state of a VPC, switch or address, in portable
// form.
type Status string

// The portable statuses of network resources.
const (
	StatusPending   Status = "Pending"   // being created; not usable yet
	StatusAvailable Status = "Available" // usable; for an address, allocated and unbound
	StatusInUse     Status = "InUse"     // an address bound to an instance
	StatusBusy      Status = "Busy"      // an address being bound or unbound
)

// VPC is a private network.
type VPC struct {
	ID     string `json:"id"`
	CIDR   string `json:"cidr"`
	Status Status `json:"status"`
}

// Switch is a subnet of a VPC in one zone (a vSwitch on Aliyun).
type Switch struct {
	ID    string `json:"id"`
	VPCID string `json:"vpcId"`
	Zone  string `json:"zone"`
	CIDR  string `json:"cidr"`
	// Tags are the switch's tags as ListSwitches reports them; under
	// IsolateTenant they tell whose switch it is.
	Tags map[string]string `json:"tags,omitempty"`
}

// SecurityGroup is a set of firewall rules in a VPC.
type SecurityGroup struct {
	ID    string `json:"id"`
	VPCID string `json:"vpcId"`
}

// Network is what an instance is launched into.
type Network struct {
	VPC           VPC           `json:"vpc"`
	Switch        Switch        `json:"switch"`
	SecurityGroup SecurityGroup `json:"securityGroup"`
}

// PortRule opens an inbound port range to a source range.
type PortRule struct {
	Protocol   string `json:"protocol"`   // "tcp" or "udp"
	FromPort   int    `json:"fromPort"`   // 1-65535
	ToPort     int    `json:"toPort"`     // FromPort-65535
	SourceCIDR string `json:"sourceCidr"` // e.g. "0.0.0.0/0"
}

// TCPPorts returns one rule per port, open to the world over TCP.
func TCPPorts(ports ...int) []PortRule {
	rules := make([]PortRule, 0, len(ports))
	for _, p := range ports {
		rules = append(rules, PortRule{Protocol: "tcp", FromPort: p, ToPort: p, SourceCIDR: "0.0.0.0/0"})
	}
	return rules
}

// AddressSpec says what public address to allocate.
type AddressSpec struct {
	BandwidthMbps int    // bandwidth cap in Mbit/s
	ChargeMode    string // provider-neutral bandwidth billing: "TRAFFIC" or "FIXED"
	// Tags are put on the address beside scope.Tags() (which win on a
	// shared key), as early as the provider can: a create passes its
	// idempotency token (multicloud.TagToken), so that an address left
	// unbound can be traced to the create it came from. Nil adds none.
	Tags map[string]string
}

// Address is an allocated public address (an EIP on Aliyun).
type Address struct {
	ID         string `json:"id"` // allocation ID
	IP         string `json:"ip"`
	Status     Status `json:"status"`
	InstanceID string `json:"instanceId,omitempty"` // bound instance, if any
}

// VPCPreparer is an optional Primitives capability: the steps a provider
// needs on a VPC before instances in it can reach the internet (on AWS an
// internet gateway attached to the VPC and a default route to it; Aliyun
// needs none). The flow calls PrepareVPC once the VPC is Available, for
// every VPC it found or created and did not have cached, before it creates
// switches and security groups in it. PrepareVPC must be idempotent: a VPC
// already prepared returns nil, and creates take token (derived per VPC)
// as their idempotency token, carrying scope.Tags().
type VPCPreparer interface {
	PrepareVPC(ctx context.Context, scope Scope, vpc VPC, token string) error
}

// Primitives are the provider operations the flow is built from. Every
// method is safe for concurrent use. Finds return an error matching
// multicloud.ErrNotFound when nothing matches. Creates are idempotent on
// token: a repeated call with the same token and arguments returns the
// first call's resource instead of making a second one. Created resources
// carry scope.Tags(). Errors are classified *multicloud.Error values, so
// the flow can tell a state conflict (multicloud.ErrConflict: retry after a
// wait) from a final failure.
type Primitives interface {
	// FindVPC returns the VPC in scope's region that carries every tag of
	// scope.Tags(), compared exactly; with several, the oldest.
	FindVPC(ctx context.Context, scope Scope) (VPC, error)
	// CreateVPC creates a VPC with cidr, tagged for scope.
	CreateVPC(ctx context.Context, scope Scope, cidr, token string) (VPC, error)
	// GetVPC returns the VPC's current state.
	GetVPC(ctx context.Context, scope Scope, vpcID string) (VPC, error)
	// ListSwitches returns every switch of a VPC, with its tags.
	ListSwitches(ctx context.Context, scope Scope, vpcID string) ([]Switch, error)
	// CreateSwitch creates a switch in zone with cidr inside the VPC. It
	// fails with multicloud.ErrConflict while the VPC is not yet available.
	CreateSwitch(ctx context.Context, scope Scope, vpcID, zone, cidr, token string) (Switch, error)
	// FindSecurityGroup returns the security group in the VPC that carries
	// every tag of scope.Tags(), compared exactly.
	FindSecurityGroup(ctx context.Context, scope Scope, vpcID string) (SecurityGroup, error)
	// CreateSecurityGroup creates a security group in the VPC.
	CreateSecurityGroup(ctx context.Context, scope Scope, vpcID, token string) (SecurityGroup, error)
	// AuthorizePorts adds every rule to the group in one call. Rules that
	// already exist are not an error.
	AuthorizePorts(ctx context.Context, scope Scope, groupID string, rules []PortRule) error
	// AllocateAddress allocates a public address.
	AllocateAddress(ctx context.Context, scope Scope, spec AddressSpec, token string) (Address, error)
	// AssociateAddress binds an address to an instance. It fails with
	// multicloud.ErrConflict while the instance or the address cannot take
	// the binding yet.
	AssociateAddress(ctx context.Context, scope Scope, addressID, instanceID string) error
	// GetAddress returns the address's current state.
	GetAddress(ctx context.Context, scope Scope, addressID string) (Address, error)
	// UnassociateAddress unbinds an address from its instance.
	UnassociateAddress(ctx context.Context, scope Scope, addressID, instanceID string) error
	// ReleaseAddress gives an unbound address back. It fails with
	// multicloud.ErrConflict while the address is still bound or busy.
	ReleaseAddress(ctx context.Context, scope Scope, addressID string) error
}

// Launcher starts instances into a provisioned network; a provider passes
// one to Provisioner.Launch for each create.
type Launcher interface {
	// Launch starts the instances and returns the IDs of those created. It
	// may return IDs and an error together when only some were created:
	// the flow never loses track of an ID it was given.
	Launch(ctx context.Context, net Network) ([]string, error)
}

// LaunchFunc adapts a function to Launcher.
type LaunchFunc func(ctx context.Context, net Network) ([]string, error)

// Launch calls f.
func (f LaunchFunc) Launch(ctx context.Context, net Network) ([]string, error) { return f(ctx, net) }

// LaunchRequest is one create, as the flow sees it.
type LaunchRequest struct {
	Scope Scope
	Zone  string
	// Ports are opened on the security group beside the launch; a failure
	// becomes a warning on every instance.
	Ports []PortRule
	// Address, when not nil, asks for one public address per instance,
	// allocated before the launch and bound once the instance can take it.
	Address *AddressSpec
	// Quantity is how many instances the launcher is asked for; it sizes
	// the address allocation.
	Quantity int
	// Token makes the request's creates idempotent across retries: address
	// allocations use tokens derived from it.
	Token string
}

// Launched is one instance of a LaunchResult.
type Launched struct {
	ID       string   `json:"id"`
	Address  *Address `json:"address,omitempty"` // the bound public address, if one was asked for and bound
	Warnings []string `json:"warnings,omitempty"`
}

// LaunchResult is what Launch produced.
type LaunchResult struct {
	Network   Network    `json:"network"`
	Instances []Launched `json:"instances"`
	// Leaked lists billable resources the flow allocated, could not use and
	// could not release either: they need a person or a retry of the
	// release. It is empty when everything was cleaned.
	Leaked []string `json:"leaked,omitempty"`
}

// Options configure a Provisioner. The zero value of each field picks the
// default given in its comment.
type Options struct {
	// BaseCIDR is the range VPC blocks are planned in; default 172.16.0.0/12.
	BaseCIDR string
	// VPCPrefixLen is the mask of a planned VPC block; default 16.
	VPCPrefixLen int
	// SwitchPrefixLen is the mask of a planned switch block; default 24.
	SwitchPrefixLen int
	// CacheTTL is how long a user's provisioned network is trusted without
	// looking it up again; default 10 minutes; a negative value disables
	// the cache. A failure that suggests the network changed (not found)
	// drops the entry.
	CacheTTL time.Duration
	// PollInterval is the first wait between polls for a VPC to become
	// available or an instance to take an address; it grows to 8x; default 500ms.
	PollInterval time.Duration
	// WaitTimeout bounds every such wait; default 3 minutes.
	WaitTimeout time.Duration
	// Isolation is how users share a region's network when a Scope does
	// not say; default IsolateUser.
	Isolation Isolation
	// Now returns the current time for cache expiry; default time.Now.
	// Waits and polls run on the real clock.
	Now func() time.Time
}
