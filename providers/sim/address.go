package sim

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// AddressState is the state of an elastic address: Available, then
// Associating for the transition delay after an association, InUse, then
// Unassociating for the delay after a disassociation.
type AddressState string

// The address states.
const (
	AddressAvailable     AddressState = "Available"
	AddressAssociating   AddressState = "Associating"
	AddressInUse         AddressState = "InUse"
	AddressUnassociating AddressState = "Unassociating"
)

func nextAddressState(s AddressState) (AddressState, bool) {
	switch s {
	case AddressAssociating:
		return AddressInUse, true
	case AddressUnassociating:
		return AddressAvailable, true
	}
	return s, false
}

// Address is a snapshot of an elastic address.
type Address struct {
	ID, Region string
	IP         netip.Addr
	// Bandwidth is the bandwidth cap in Mbit/s (0 when the face has none).
	Bandwidth int
	// InstanceID is the instance the address is associated with (in
	// Associating or InUse); "" otherwise.
	InstanceID string
	Name       string
	Tags       map[string]string
	State      AddressState
	Allocated  time.Time
}

// AddressSpec asks for an elastic address.
type AddressSpec struct {
	Region    string
	Bandwidth int
	Name      string
	Tags      map[string]string
}

type address struct {
	Address
	life life[AddressState]
}

func (a *address) snapshot(now time.Time, d time.Duration) Address {
	out := a.Address
	out.State, _ = a.life.at(now, d, nextAddressState)
	out.Tags = maps.Clone(a.Tags)
	return out
}

func (r *regionState) allocPublicIP() netip.Addr {
	ip := r.nextIP
	r.nextIP++
	if byte(r.nextIP) == 0 || byte(r.nextIP) == 255 {
		r.nextIP += 2
	}
	return addrOf(ip)
}

// AllocateAddress allocates an elastic address, Available. It fails with
// ClassNotFound for an unknown region, ClassQuotaExceeded past
// QuotaAddresses.
func (c *Cloud) AllocateAddress(spec AddressSpec) (Address, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	r, err := c.regionLocked(spec.Region)
	if err != nil {
		return Address{}, err
	}
	if err := c.checkQuotaLocked(r, QuotaAddresses, 1); err != nil {
		return Address{}, err
	}
	a := &address{Address: Address{ID: c.newIDLocked(KindAddress, r.ID), Region: r.ID, IP: r.allocPublicIP(),
		Bandwidth: spec.Bandwidth, Name: spec.Name, Tags: maps.Clone(spec.Tags), Allocated: now}}
	a.life.set(AddressAvailable, now)
	c.addresses[a.ID] = a
	r.usage[QuotaAddresses]++
	return a.snapshot(now, c.delay), nil
}

// GetAddress returns address id of region, or ClassNotFound.
func (c *Cloud) GetAddress(region, id string) (Address, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.addresses[id]
	if a == nil || a.Region != region {
		return Address{}, notFound(KindAddress, id)
	}
	return a.snapshot(c.Now(), c.delay), nil
}

// Addresses returns the addresses of region ("" for all), sorted by ID.
func (c *Cloud) Addresses(region string) []Address {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	var out []Address
	for _, a := range c.addresses {
		if region == "" || a.Region == region {
			out = append(out, a.snapshot(now, c.delay))
		}
	}
	slices.SortFunc(out, func(a, b Address) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// AssociateAddress associates address id with an instance of its
// region: Associating for the transition delay, then InUse. It fails with
// ClassNotFound for an unknown address or instance; ClassIncorrectState
// when the address is not Available or the instance is being deleted
// (faces refusing other states, such as Pending, check them first);
// ClassConflict when the instance already has another address.
func (c *Cloud) AssociateAddress(region, id, instanceID string) (Address, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	a := c.addresses[id]
	if a == nil || a.Region != region {
		return Address{}, notFound(KindAddress, id)
	}
	in, err := c.instanceLocked(region, instanceID, now)
	if err != nil {
		return Address{}, err
	}
	if st := a.life.settle(now, c.delay, nextAddressState); st != AddressAvailable {
		return Address{}, incorrectState(KindAddress, id, st)
	}
	switch st := in.life.settle(now, c.delay, nextInstanceState); st {
	case StateDeleting, StateDeleted:
		return Address{}, incorrectState(KindInstance, in.ID, st)
	}
	if in.AddressID != "" {
		return Address{}, &Error{Class: ClassConflict, Resource: KindInstance, ID: in.ID, Reason: "AddressBound", Message: "the instance has address " + in.AddressID}
	}
	a.InstanceID, in.AddressID = in.ID, a.ID
	a.life.set(AddressAssociating, now)
	return a.snapshot(now, c.delay), nil
}

// UnassociateAddress disassociates address id from its instance:
// Unassociating for the transition delay, then Available. It fails with
// ClassNotFound, and with ClassIncorrectState unless the address is
// InUse.
func (c *Cloud) UnassociateAddress(region, id string) (Address, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	a := c.addresses[id]
	if a == nil || a.Region != region {
		return Address{}, notFound(KindAddress, id)
	}
	if st := a.life.settle(now, c.delay, nextAddressState); st != AddressInUse {
		return Address{}, incorrectState(KindAddress, id, st)
	}
	if in := c.instances[a.InstanceID]; in != nil && in.AddressID == a.ID {
		in.AddressID = ""
	}
	a.InstanceID = ""
	a.life.set(AddressUnassociating, now)
	return a.snapshot(now, c.delay), nil
}

// ReleaseAddress releases address id. It fails with ClassNotFound, and
// with ClassIncorrectState unless the address is Available.
func (c *Cloud) ReleaseAddress(region, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.addresses[id]
	if a == nil || a.Region != region {
		return notFound(KindAddress, id)
	}
	if st := a.life.settle(c.Now(), c.delay, nextAddressState); st != AddressAvailable {
		return incorrectState(KindAddress, id, st)
	}
	delete(c.addresses, id)
	c.regions[region].usage[QuotaAddresses]--
	return nil
}

// UpdateAddress runs fn on a copy of address id and stores its Bandwidth,
// Name and Tags.
func (c *Cloud) UpdateAddress(region, id string, fn func(*Address) error) (Address, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	a := c.addresses[id]
	if a == nil || a.Region != region {
		return Address{}, notFound(KindAddress, id)
	}
	cp := a.snapshot(now, c.delay)
	if err := fn(&cp); err != nil {
		return Address{}, err
	}
	a.Bandwidth, a.Name, a.Tags = cp.Bandwidth, cp.Name, maps.Clone(cp.Tags)
	return a.snapshot(now, c.delay), nil
}
