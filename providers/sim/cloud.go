// Package sim is one simulated cloud: regions and zones, instances on an
// injectable clock, networks, addresses, stock, quotas, prices, client
// tokens, faults, latency, a call log and change events. The in-memory
// fake (providers/fake) presents it in-process and each cloud emulator
// (providers/aliyun/aliyuntest, providers/aws/awstest) serves it over its
// cloud's wire format, so that they share one behaviour; wire-level things
// (signatures, shapes, error codes, pagination) stay in each face.
//
// A Cloud is safe for concurrent use and deterministic given Options.Seed
// and a ManualClock. State errors are *Error values of a small closed set
// of classes that each face maps to its own codes.
package sim

import (
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"time"
)

// Zone is a zone of a region: its name and its stable zone ID. The ID is
// the same for every account; a face that shows names per account (as AWS
// maps zone names to zone IDs per account) maps them itself.
type Zone struct {
	Name string
	ID   string
}

// Region is a region and its zones, in order of preference.
type Region struct {
	ID    string
	Zones []Zone
}

// Zone returns the zone of r named name (or with that zone ID).
func (r Region) Zone(name string) (Zone, bool) {
	for _, z := range r.Zones {
		if z.Name == name || z.ID == name {
			return z, true
		}
	}
	return Zone{}, false
}

// ZoneNames returns the names of r's zones, in order.
func (r Region) ZoneNames() []string {
	out := make([]string, len(r.Zones))
	for i, z := range r.Zones {
		out[i] = z.Name
	}
	return out
}

// NewRegion returns a region whose zone IDs are derived from the zone
// names ("<region>-<suffix>" gets the ID "<region>-az<n>", n counting from
// 1 in order), for faces that have no zone IDs of their own.
func NewRegion(id string, zones ...string) Region {
	r := Region{ID: id}
	for i, z := range zones {
		r.Zones = append(r.Zones, Zone{Name: z, ID: fmt.Sprintf("%s-az%d", id, i+1)})
	}
	return r
}

// Quota is a per-region quota.
type Quota string

// The quotas. Each is counted per region.
const (
	QuotaVPCs      Quota = "vpcs"
	QuotaAddresses Quota = "addresses"
	QuotaInstances Quota = "instances"
	QuotaVCPUs     Quota = "vcpus"
)

// Unlimited is the value of a quota or a stock count with no bound.
const Unlimited = -1

// The defaults of Options.
const (
	DefaultVPCQuota     = 10
	DefaultAddressQuota = 100
	DefaultCurrency     = "CNY"
)

// IDFunc returns a new resource ID of kind in region ("" for a global
// resource) from seq, a number unique within the Cloud (1, 2, ...).
type IDFunc func(kind Kind, region string, seq uint64) string

// Options configure a Cloud. New applies its option functions to a zero
// Options in order; fields left zero take the default in their comment.
type Options struct {
	// Regions are the regions and zones; default DefaultRegions().
	Regions []Region
	// Clock tells the time; default the wall clock.
	Clock Clock
	// Seed seeds every random draw (fault rates) and hash (sold-out
	// episodes, wrong stock answers); default 1.
	Seed uint64
	// TransitionDelay is how long each transient state lasts (an
	// instance's Pending, Starting, Stopping, Deleting; a VPC's and
	// subnet's Pending; an address's Associating and Unassociating).
	// Default 0: the next read shows the stable state.
	TransitionDelay time.Duration
	// DeletedRetention is how long a deleted instance stays visible in
	// StateDeleted (AWS shows terminated instances for about an hour);
	// default 0, gone once deleted.
	DeletedRetention time.Duration
	// DefaultStock is the stock of every (region, zone, type) SetStock did
	// not set; 0 means Unlimited, a negative value none.
	DefaultStock int
	// Quotas are the per-region quotas of every region; missing ones
	// default to DefaultVPCQuota VPCs, DefaultAddressQuota addresses and
	// no bound on instances and vCPUs.
	Quotas map[Quota]int
	// Currency is the currency of prices; default DefaultCurrency.
	Currency string
	// IDs makes resource IDs; default DefaultIDs.
	IDs IDFunc
	// MaxCalls bounds the call log (oldest calls are dropped); 0 keeps
	// every call. CallCount counts dropped calls too.
	MaxCalls int
	// MaxEvents bounds the change events kept (oldest are dropped); 0
	// keeps every event.
	MaxEvents int
}

// DefaultRegions returns the regions of a Cloud whose Options name none.
func DefaultRegions() []Region {
	return []Region{
		NewRegion("cn-hangzhou", "cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"),
		NewRegion("cn-shanghai", "cn-shanghai-e", "cn-shanghai-f", "cn-shanghai-g"),
		NewRegion("cn-beijing", "cn-beijing-f", "cn-beijing-g", "cn-beijing-h"),
		NewRegion("us-west-1", "us-west-1a", "us-west-1b"),
	}
}

// idSpace is 36^12; default IDs are a bijective scramble of the sequence
// within it, unique yet random-looking.
const idSpace = 4738381338321616896

const base36Digits = "0123456789abcdefghijklmnopqrstuvwxyz"

// Base36 formats n with exactly width base-36 digits (mod 36^width).
func Base36(n uint64, width int) string {
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = base36Digits[n%36]
		n /= 36
	}
	return string(b)
}

// Scramble maps seq one-to-one onto [0, 36^12), so that IDs built from it
// are unique and look random.
func Scramble(seq uint64) uint64 {
	hi, lo := bits.Mul64(seq, 0x2545F4914F6CDD1D) // odd, not divisible by 3: invertible mod 36^12
	_, rem := bits.Div64(hi%idSpace, lo, idSpace)
	return rem
}

// DefaultIDs makes IDs like "instance-k3x9..." : the kind, a dash and 12
// scrambled base-36 digits.
func DefaultIDs(kind Kind, _ string, seq uint64) string {
	return string(kind) + "-" + Base36(Scramble(seq), 12)
}

// Cloud is the simulated cloud. Every method is safe for concurrent use.
// Build one with New; the zero Cloud is not usable.
type Cloud struct {
	opts  Options
	clock Clock

	ctl    controls
	events eventLog
	tok    ledger

	mu        sync.Mutex
	regions   map[string]*regionState
	order     []string
	seq       uint64
	delay     time.Duration
	instances map[string]*instance
	vpcs      map[string]*vpc
	subnets   map[string]*subnet
	groups    map[string]*group
	addresses map[string]*address
	extras    map[string]*Extra
	// deleted are the instances deleted and not yet pruned, in the
	// order of their deletion.
	deleted  []*instance
	stock    stockTable
	prices   map[string]float64
	currency string
}

type regionState struct {
	Region
	quotas map[Quota]int
	nextIP uint32 // next public address
	// usage counts what holds quota: VPCs, addresses, live instances
	// (short of deleting) and their vCPUs.
	usage map[Quota]int
	// instanceIDs are the region's instances (deleted ones included until
	// pruned), sorted, for paging.
	instanceIDs []string
}

// New returns a Cloud configured by opts.
func New(opts ...func(*Options)) *Cloud {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	if len(o.Regions) == 0 {
		o.Regions = DefaultRegions()
	}
	if o.Clock == nil {
		o.Clock = RealClock()
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Currency == "" {
		o.Currency = DefaultCurrency
	}
	if o.IDs == nil {
		o.IDs = DefaultIDs
	}
	c := &Cloud{
		opts:      o,
		clock:     o.Clock,
		delay:     o.TransitionDelay,
		regions:   make(map[string]*regionState, len(o.Regions)),
		instances: make(map[string]*instance),
		vpcs:      make(map[string]*vpc),
		subnets:   make(map[string]*subnet),
		groups:    make(map[string]*group),
		addresses: make(map[string]*address),
		extras:    make(map[string]*Extra),
		prices:    make(map[string]float64),
		currency:  o.Currency,
	}
	c.tok.m = make(map[TokenKey]tokenEntry)
	c.tok.inflight = make(map[TokenKey]chan struct{})
	c.stock.init(o.DefaultStock)
	c.ctl.init(o.Seed, o.MaxCalls)
	c.events.max = o.MaxEvents
	for i, r := range o.Regions {
		if _, dup := c.regions[r.ID]; dup {
			continue
		}
		q := map[Quota]int{QuotaVPCs: DefaultVPCQuota, QuotaAddresses: DefaultAddressQuota, QuotaInstances: Unlimited, QuotaVCPUs: Unlimited}
		for k, v := range o.Quotas {
			q[k] = v
		}
		rs := &regionState{Region: Region{ID: r.ID, Zones: slices.Clone(r.Zones)}, quotas: q, usage: map[Quota]int{},
			// Public addresses come from 47.96+i.0.0/16, one block per region.
			nextIP: uint32(47)<<24 | uint32(96+i%128)<<16 | 1}
		c.regions[r.ID] = rs
		c.order = append(c.order, r.ID)
	}
	return c
}

// Now returns the time on the Cloud's clock.
func (c *Cloud) Now() time.Time { return c.clock.Now() }

// Clock returns the Cloud's clock.
func (c *Cloud) Clock() Clock { return c.clock }

// Seed returns the seed of the Cloud's random draws.
func (c *Cloud) Seed() uint64 { return c.opts.Seed }

// Regions returns the regions, in order. The slices are copies.
func (c *Cloud) Regions() []Region {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Region, len(c.order))
	for i, id := range c.order {
		r := c.regions[id].Region
		out[i] = Region{ID: r.ID, Zones: slices.Clone(r.Zones)}
	}
	return out
}

// Region returns the region id, or a ClassNotFound error of KindRegion.
func (c *Cloud) Region(id string) (Region, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.regionLocked(id)
	if err != nil {
		return Region{}, err
	}
	return Region{ID: r.ID, Zones: slices.Clone(r.Zones)}, nil
}

func (c *Cloud) regionLocked(id string) (*regionState, error) {
	if r, ok := c.regions[id]; ok {
		return r, nil
	}
	return nil, notFound(KindRegion, id)
}

// zoneLocked checks that zone is a zone of r (by name), as an invalid
// parameter otherwise.
func (c *Cloud) zoneLocked(r *regionState, zone string) (Zone, error) {
	for _, z := range r.Zones {
		if z.Name == zone {
			return z, nil
		}
	}
	return Zone{}, &Error{Class: ClassInvalidParameter, Resource: KindZone, ID: zone, Message: "not a zone of region " + r.ID}
}

// TransitionDelay returns how long each transient state lasts.
func (c *Cloud) TransitionDelay() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.delay
}

// SetTransitionDelay sets how long each transient state lasts from now
// on (see Options.TransitionDelay).
func (c *Cloud) SetTransitionDelay(d time.Duration) {
	c.mu.Lock()
	c.delay = d
	c.mu.Unlock()
}

// newIDLocked returns a new ID of kind in region.
func (c *Cloud) newIDLocked(kind Kind, region string) string {
	c.seq++
	return c.opts.IDs(kind, region, c.seq)
}

// NewID returns a new ID of kind in region ("" for global) from the
// Cloud's IDFunc, for resources a face keeps itself (disks, rules).
func (c *Cloud) NewID(kind Kind, region string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.newIDLocked(kind, region)
}

// SetQuota sets quota q of region to n (Unlimited for no bound); region ""
// sets it in every region. An unknown region is ignored. A quota lower
// than the usage refuses new resources and keeps the existing ones.
func (c *Cloud) SetQuota(region string, q Quota, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n < 0 {
		n = Unlimited
	}
	for id, r := range c.regions {
		if region == "" || region == id {
			r.quotas[q] = n
		}
	}
}

// Quota returns quota q of region (Unlimited for no bound, 0 for an
// unknown region).
func (c *Cloud) Quota(region string, q Quota) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.regions[region]; ok {
		if n, ok := r.quotas[q]; ok {
			return n
		}
		return Unlimited
	}
	return 0
}

// Usage returns how much of quota q region uses now.
func (c *Cloud) Usage(region string, q Quota) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.regions[region]; ok {
		return r.usage[q]
	}
	return 0
}

// checkQuotaLocked fails with ClassQuotaExceeded when adding more of q
// in region would exceed its quota.
func (c *Cloud) checkQuotaLocked(r *regionState, q Quota, more int) error {
	limit, ok := r.quotas[q]
	if !ok || limit < 0 {
		return nil
	}
	if used := r.usage[q]; used+more > limit {
		return &Error{Class: ClassQuotaExceeded, Resource: quotaKind(q), Reason: string(q),
			Message: fmt.Sprintf("quota of %d %s in region %s reached (%d used)", limit, q, r.ID, used)}
	}
	return nil
}

func quotaKind(q Quota) Kind {
	switch q {
	case QuotaVPCs:
		return KindVPC
	case QuotaAddresses:
		return KindAddress
	}
	return KindInstance
}

// Price is an hourly price in a currency.
type Price struct {
	Amount   float64
	Currency string
}

// SetPrice sets the hourly on-demand price of instanceType, in the
// Cloud's currency; a negative price removes it.
func (c *Cloud) SetPrice(instanceType string, hourly float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hourly < 0 {
		delete(c.prices, instanceType)
		return
	}
	c.prices[instanceType] = hourly
}

// Price returns the hourly on-demand price of instanceType set with
// SetPrice, and whether there is one. Faces price what has none
// themselves (from their catalogs).
func (c *Cloud) Price(instanceType string) (Price, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.prices[instanceType]
	return Price{Amount: p, Currency: c.currency}, ok
}

// Currency returns the currency of the Cloud's prices.
func (c *Cloud) Currency() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.currency
}

// SetCurrency sets the currency of the Cloud's prices.
func (c *Cloud) SetCurrency(cur string) {
	c.mu.Lock()
	c.currency = cur
	c.mu.Unlock()
}
