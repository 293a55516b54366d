package multicloud

import (
	"time"

	"github.com/multicloud-ecs/multicloud/pricing"
)

// Status is an instance's lifecycle state, in portable form.
type Status string

// The instance states. Pending, Starting and Stopping are transient;
// Running and Stopped are stable; Deleted is final.
const (
	StatusPending  Status = "Pending"
	StatusStarting Status = "Starting"
	StatusRunning  Status = "Running"
	StatusStopping Status = "Stopping"
	StatusStopped  Status = "Stopped"
	StatusDeleted  Status = "Deleted"
	StatusUnknown  Status = "Unknown"
)

// Transient reports whether s is a state the instance leaves by itself.
func (s Status) Transient() bool {
	return s == StatusPending || s == StatusStarting || s == StatusStopping
}

// NetworkInfo names the network resources an instance uses.
type NetworkInfo struct {
	VPCID           string `json:"vpcId,omitempty"`
	SwitchID        string `json:"switchId,omitempty"`
	SecurityGroupID string `json:"securityGroupId,omitempty"`
	// AddressID is the allocation ID of the elastic public address bound
	// to the instance, if any.
	AddressID string `json:"addressId,omitempty"`
}

// Instance is a virtual machine as the portable API sees it. It is plain
// data: a snapshot taken when it was returned. Fetch it again with
// Client.Get for its current state.
type Instance struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Provider     string `json:"provider"`
	Region       string `json:"region"`
	Zone         string `json:"zone"`
	Status       Status `json:"status"`
	InstanceType string `json:"instanceType"`
	ImageID      string `json:"imageId"`
	PublicIP     string `json:"publicIp,omitempty"`
	PrivateIP    string `json:"privateIp,omitempty"`

	TenantID string            `json:"tenantId"`
	UserID   string            `json:"userId"`
	Tags     map[string]string `json:"tags,omitempty"`

	Network NetworkInfo `json:"network"`

	ChargeMode    ChargeMode    `json:"chargeMode"`
	BandwidthMode BandwidthMode `json:"bandwidthMode,omitempty"`
	BandwidthMbps int           `json:"bandwidthMbps,omitempty"`

	// Quote is the price quoted at creation, when one could be had.
	Quote *pricing.Quote `json:"quote,omitempty"`

	CreatedAt time.Time `json:"createdAt"`

	// Warnings lists post-create steps that failed without failing the
	// create, e.g. "ports 8888 not opened: ..." or "public address not
	// bound: ...". The instance exists and is billed; the caller decides.
	Warnings []string `json:"warnings,omitempty"`
}

// Ref returns the reference that names the instance in Client calls.
func (i *Instance) Ref() InstanceRef {
	return InstanceRef{Provider: i.Provider, Region: i.Region, ID: i.ID}
}

// InstanceRef names an instance: provider code, region and ID.
type InstanceRef struct {
	Provider string `json:"provider"`
	Region   string `json:"region"`
	ID       string `json:"id"`
}

// String returns "provider/region/id".
func (r InstanceRef) String() string { return r.Provider + "/" + r.Region + "/" + r.ID }
