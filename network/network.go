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

// Reserved tag keys that mark who owns a network resource. Every resource
// the flow creates carries all three; the Owner tag is how a user's VPC is
// found again.
// They are multicloud's reserved keys, defined once there.
const (
	TagTenant    = multicloud.TagTenant
	TagOwner     = multicloud.TagOwner
	TagCreatedBy = multicloud.TagCreatedBy
	// CreatedByValue is the value of TagCreatedBy on what this module creates.
	CreatedByValue = multicloud.CreatedByValue
)

// Scope is whose network, where: the unit of sharing. Two requests with
// equal Scopes share one VPC and one security group; different Owners
// never share anything.
type Scope struct {
	Provider string // provider code
	Account  string // provider account (or credential) the resources are billed to
	Region   string // region ID
	Tenant   string // tenant ID, tagged on every resource
	Owner    string // user ID, tagged as Owner on every resource
}

// Tags returns the reserved tags for resources created in s.
func (s Scope) Tags() map[string]string {
	return map[string]string{TagTenant: s.Tenant, TagOwner: s.Owner, TagCreatedBy: CreatedByValue}
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
}

// Address is an allocated public address (an EIP on Aliyun).
type Address struct {
	ID         string `json:"id"` // allocation ID
	IP         string `json:"ip"`
	Status     Status `json:"status"`
	InstanceID string `json:"instanceId,omitempty"` // bound instance, if any
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
	// FindVPC returns the VPC tagged Owner = scope.Owner (and created by
	// this module) in scope's region; with several, the oldest.
	FindVPC(ctx context.Context, scope Scope) (VPC, error)
	// CreateVPC creates a VPC with cidr, tagged for scope.
	CreateVPC(ctx context.Context, scope Scope, cidr, token string) (VPC, error)
	// GetVPC returns the VPC's current state.
	GetVPC(ctx context.Context, scope Scope, vpcID string) (VPC, error)
	// ListSwitches returns the switches of a VPC.
	ListSwitches(ctx context.Context, scope Scope, vpcID string) ([]Switch, error)
	// CreateSwitch creates a switch in zone with cidr inside the VPC. It
	// fails with multicloud.ErrConflict while the VPC is not yet available.
	CreateSwitch(ctx context.Context, scope Scope, vpcID, zone, cidr, token string) (Switch, error)
	// FindSecurityGroup returns the scope's security group in the VPC.
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
	// Now returns the current time for cache expiry; default time.Now.
	// Waits and polls run on the real clock.
	Now func() time.Time
}
