// Package fake is an in-memory cloud with real semantics, for unit tests of
// services built on multicloud: regions and zones, stock, quotas, prices,
// VPCs, switches, security groups, elastic addresses and the instance state
// machine, with injectable faults (error responses, and connection resets
// and lost, slow or unreadable responses as a network fails: see Fault)
// and latency, and a log of every call.
//
// A *Provider implements multicloud.Provider (and its optional RegionLister,
// HealthChecker and Candidater) as well as network.Primitives, so that the
// network flow of package network runs against it exactly as it runs
// against a real cloud. Each New returns an independent cloud; there is no
// shared state.
package fake

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/mapping"
	"github.com/multicloud-ecs/multicloud/network"
)

// Region is a region of the fake cloud and its zones, in order of
// preference.
type Region struct {
	ID    string
	Zones []string
}

// DefaultRegions are the regions of a Provider whose Options name none.
var DefaultRegions = []Region{
	{ID: "cn-hangzhou", Zones: []string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"}},
	{ID: "cn-shanghai", Zones: []string{"cn-shanghai-e", "cn-shanghai-f", "cn-shanghai-g"}},
	{ID: "cn-beijing", Zones: []string{"cn-beijing-f", "cn-beijing-g", "cn-beijing-h"}},
	{ID: "us-west-1", Zones: []string{"us-west-1a", "us-west-1b"}},
}

// The defaults of Options.
const (
	DefaultCode         = "fake"
	DefaultStock        = 1000
	DefaultVPCQuota     = 10
	DefaultAddressQuota = 100
	// DefaultPollInterval is the provisioner's poll interval in the fake:
	// nothing in the fake needs a real wait, so polls are tight.
	DefaultPollInterval = time.Millisecond
)

// Prices is the price table of the fake cloud, in Prices.Currency (CNY by default). Zero fields take
// the default in their comment.
type Prices struct {
	// Types maps instance types to their hourly on-demand price. Types
	// not in it cost the catalog's reference price, and where the catalog
	// has none, 0.1 per vCPU and 0.05 per GiB of memory.
	Types map[string]float64
	// DiskGiBHour is the system disk price per GiB-hour; default 0.001.
	DiskGiBHour float64
	// BandwidthMbpsHour is the price of FIXED bandwidth per Mbit/s-hour;
	// default 0.063.
	BandwidthMbpsHour float64
	// TrafficPerGB is the price of TRAFFIC-billed bandwidth per GB sent;
	// default 0.8.
	TrafficPerGB float64
	// PrepaidDiscount is taken off the monthly price of PREPAID orders;
	// default 0.15 (15%).
	PrepaidDiscount float64
	// Currency is the currency of every price; default "CNY".
	Currency string
}

func (p Prices) withDefaults() Prices {
	if p.DiskGiBHour <= 0 {
		p.DiskGiBHour = 0.001
	}
	if p.BandwidthMbpsHour <= 0 {
		p.BandwidthMbpsHour = 0.063
	}
	if p.TrafficPerGB <= 0 {
		p.TrafficPerGB = 0.8
	}
	if p.Currency == "" {
		p.Currency = "CNY"
	}
	if p.PrepaidDiscount <= 0 || p.PrepaidDiscount >= 1 {
		p.PrepaidDiscount = 0.15
	}
	return p
}

// Options configure a Provider. New applies its option functions to a
// zero Options, in order; fields left zero take the default in their
// comment.
type Options struct {
	// Code is the provider code; default "fake".
	Code string
	// Account names the account the resources belong to; it is part of
	// every network scope. Default "fake-account".
	Account string
	// Regions are the regions and zones served; default DefaultRegions.
	Regions []Region
	// Catalog resolves image keys and instance types; default
	// mapping.Load("aliyun"), so instance types look like
	// "ecs.gn7-c12g1.3xlarge".
	Catalog *mapping.Catalog
	// DefaultStock is the stock of every (region, zone, instance type)
	// that SetStock did not set; default 1000, negative for none.
	// Creating instances takes from it, deleting gives back.
	DefaultStock int
	// VPCQuota is the number of VPCs a region holds; default 10.
	VPCQuota int
	// AddressQuota is the number of elastic addresses a region holds;
	// default 100.
	AddressQuota int
	// Prices is the price table Quote uses.
	Prices Prices
	// TransitionDelay is how long each transient state (an instance's
	// Pending, Starting, Stopping; a VPC's Pending; an address's Busy)
	// lasts on Clock. Default 0: the next read shows the stable state.
	TransitionDelay time.Duration
	// Clock tells the time of transitions, quotes and the call log;
	// default the real clock. With a ManualClock and a TransitionDelay,
	// states change only when the clock is advanced, and that includes a
	// new user's VPC, which a create waits for: advance the clock while
	// the create runs, or provision the user's network first with
	// Provisioner().Ensure while advancing it.
	Clock Clock
	// SettleTimeout bounds the settling of a create whose outcome a
	// network fault left unknown (see Fault); default
	// DefaultSettleTimeout.
	SettleTimeout time.Duration
	// Seed seeds the random source of probabilistic faults; default 1.
	Seed uint64
	// Network edits the options of the provider's network.Provisioner,
	// after the fake's own: a PollInterval of DefaultPollInterval and the
	// Clock's Now.
	Network []func(*network.Options)
}

// Clock tells the time.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock that moves only when told to. It is safe for
// concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock showing t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (backward for a negative d).
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set sets the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Provider is the fake cloud. It implements multicloud.Provider,
// multicloud.RegionLister, multicloud.HealthChecker, multicloud.Candidater
// and network.Primitives; the Set*, InjectFault, Calls and Audit methods
// are knobs and probes for tests. Every method is safe for concurrent use.
// Build one with New; the zero Provider is not usable.
type Provider struct {
	code    string
	account string
	opts    Options
	catalog *mapping.Catalog
	clock   Clock
	prices  Prices
	prov    *network.Provisioner

	ctl controls

	mu      sync.Mutex
	regions map[string]*region
	order   []string // region IDs in order
	stock   map[stockKey]int
	closed  map[stockKey]bool
	// modeStock is the stock category per charge mode (SetStockCategory).
	modeStock map[modeStockKey]multicloud.StockStatus
	// wrongStock is the fraction of sold-out pairs Offerings calls in stock.
	wrongStock float64
	episodes   episodes
	seq        int64
	instances  map[string]*instance
	vpcs       map[string]*vpc
	switches   map[string]*vswitch
	groups     map[string]*group
	addresses  map[string]*address
	tokens     map[string]*tokenRecord
	plans      map[string]multicloud.Plan // by planKey
	publicIPs  uint32
}

var (
	_ multicloud.Provider      = (*Provider)(nil)
	_ multicloud.RegionLister  = (*Provider)(nil)
	_ multicloud.HealthChecker = (*Provider)(nil)
	_ multicloud.Candidater    = (*Provider)(nil)
	_ multicloud.BatchGetter   = (*Provider)(nil)
	_ network.Primitives       = (*Provider)(nil)
)

type region struct {
	id        string
	zones     []string
	vpcQuota  int
	addrQuota int
	nvpcs     int // VPCs held, against vpcQuota
	naddrs    int // addresses held, against addrQuota
}

func (r *region) hasZone(z string) bool {
	for _, x := range r.zones {
		if x == z {
			return true
		}
	}
	return false
}

type stockKey struct{ region, zone, typ string }

// New returns a fake cloud configured by opts. It panics only when the
// embedded aliyun catalog cannot be loaded, which is a build defect.
func New(opts ...func(*Options)) *Provider {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	if o.Code == "" {
		o.Code = DefaultCode
	}
	if o.Account == "" {
		o.Account = "fake-account"
	}
	if len(o.Regions) == 0 {
		o.Regions = DefaultRegions
	}
	if o.Catalog == nil {
		c, err := mapping.Load("aliyun")
		if err != nil {
			panic("fake: embedded catalog: " + err.Error())
		}
		o.Catalog = c
	}
	if o.DefaultStock == 0 {
		o.DefaultStock = DefaultStock
	}
	if o.VPCQuota == 0 {
		o.VPCQuota = DefaultVPCQuota
	}
	if o.AddressQuota == 0 {
		o.AddressQuota = DefaultAddressQuota
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.SettleTimeout <= 0 {
		o.SettleTimeout = DefaultSettleTimeout
	}
	p := &Provider{
		code:      o.Code,
		account:   o.Account,
		opts:      o,
		catalog:   o.Catalog,
		clock:     o.Clock,
		prices:    o.Prices.withDefaults(),
		regions:   make(map[string]*region, len(o.Regions)),
		stock:     make(map[stockKey]int),
		closed:    make(map[stockKey]bool),
		modeStock: make(map[modeStockKey]multicloud.StockStatus),
		instances: make(map[string]*instance),
		vpcs:      make(map[string]*vpc),
		switches:  make(map[string]*vswitch),
		groups:    make(map[string]*group),
		addresses: make(map[string]*address),
		tokens:    make(map[string]*tokenRecord),
		plans:     make(map[string]multicloud.Plan),
	}
	p.ctl.init(o.Seed)
	for _, r := range o.Regions {
		if _, dup := p.regions[r.ID]; dup {
			continue
		}
		p.regions[r.ID] = &region{id: r.ID, zones: append([]string(nil), r.Zones...), vpcQuota: o.VPCQuota, addrQuota: o.AddressQuota}
		p.order = append(p.order, r.ID)
	}
	nopts := append([]func(*network.Options){func(no *network.Options) {
		no.PollInterval = DefaultPollInterval
		no.Now = p.clock.Now
	}}, o.Network...)
	p.prov = network.NewProvisioner(p, nopts...)
	return p
}

// Code returns the provider code, "fake" unless Options.Code says otherwise.
func (p *Provider) Code() string { return p.code }

// Catalog returns the catalog the provider resolves with. Changes made to
// it (SetImage, SetType) apply to the provider.
func (p *Provider) Catalog() *mapping.Catalog { return p.catalog }

// Provisioner returns the network provisioner the provider creates through,
// for instance to Forget a user's cached network.
func (p *Provider) Provisioner() *network.Provisioner { return p.prov }

// Scope returns the network scope the provider's creates use for a
// tenant's user in region, for calls to Provisioner or to the
// network.Primitives methods.
func (p *Provider) Scope(region, tenant, owner string) network.Scope {
	return network.Scope{Provider: p.code, Account: p.account, Region: region, Tenant: tenant, Owner: owner}
}

// SetStock sets how many instances of instanceType zone can still take.
// A region or zone the provider does not serve is accepted and never used.
func (p *Provider) SetStock(region, zone, instanceType string, n int) {
	p.mu.Lock()
	p.stock[stockKey{region, zone, instanceType}] = max(n, 0)
	p.mu.Unlock()
}

// Stock returns how many instances of instanceType zone can still take.
func (p *Provider) Stock(region, zone, instanceType string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stockLocked(stockKey{region, zone, instanceType})
}

func (p *Provider) stockLocked(k stockKey) int {
	if p.soldOutEpisodeLocked(k) {
		return 0
	}
	if n, ok := p.stock[k]; ok {
		return n
	}
	return max(p.opts.DefaultStock, 0)
}

// SetVPCQuota sets how many VPCs region may hold; creating one more is
// ErrQuotaExceeded. An unknown region is ignored.
func (p *Provider) SetVPCQuota(region string, n int) {
	p.mu.Lock()
	if r, ok := p.regions[region]; ok {
		r.vpcQuota = n
	}
	p.mu.Unlock()
}

// SetAddressQuota sets how many elastic addresses region may hold;
// allocating one more is ErrQuotaExceeded. An unknown region is ignored.
func (p *Provider) SetAddressQuota(region string, n int) {
	p.mu.Lock()
	if r, ok := p.regions[region]; ok {
		r.addrQuota = n
	}
	p.mu.Unlock()
}

// now returns the provider clock's time.
func (p *Provider) now() time.Time { return p.clock.Now() }

// regionLocked returns the region id or an ErrInvalidArgument naming the
// known regions. p.mu must be held.
func (p *Provider) regionLocked(op, id string) (*region, error) {
	if r, ok := p.regions[id]; ok {
		return r, nil
	}
	return nil, p.errorf(op, id, multicloud.CodeInvalidArgument, "InvalidRegionId.NotFound",
		"unknown region %q; known regions: %s", id, joinComma(p.order))
}

// newID returns a fresh ID of prefix; p.mu must be held.
func (p *Provider) newID(prefix string) string {
	p.seq++
	return fmt.Sprintf("%s-%06d", prefix, p.seq)
}

// errorf returns a classified error of the fake cloud.
func (p *Provider) errorf(op, region string, code multicloud.Code, providerCode, format string, args ...any) *multicloud.Error {
	return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: code, ProviderCode: providerCode, Message: fmt.Sprintf(format, args...)}
}

// newRand returns the seeded random source of probabilistic faults.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// enter runs the call-entry steps of op shared by every method: a
// cancelled context fails at once, then configured latency is waited out
// (returning early when ctx ends) and an injected fault fires.
func (p *Provider) enter(ctx context.Context, op, region string) error {
	if err := ctx.Err(); err != nil {
		return p.canceled(op, region, err)
	}
	delay, fault := p.ctl.match(op)
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return p.canceled(op, region, ctx.Err())
		}
	}
	if fault != nil && fault.Kind == FaultReset {
		return p.netError(op, region, ProviderCodeReset, "connection reset by peer")
	}
	if fault != nil {
		msg := fault.Message
		if msg == "" {
			msg = "injected " + string(fault.Code) + " fault"
		}
		return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: fault.Code, ProviderCode: "Fake.InjectedFault", Message: msg}
	}
	return nil
}

func (p *Provider) canceled(op, region string, err error) error {
	return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: multicloud.CodeCanceled, Err: err}
}
