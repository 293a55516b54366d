// Package fake is an in-memory cloud with real semantics, for unit tests of
// services built on multicloud: the in-process face of the simulated cloud
// of package sim, which holds regions and zones, stock, quotas, prices,
// VPCs, switches, security groups, elastic addresses, the instance state
// machine, client tokens, injectable faults (error responses, and
// connection resets and lost, slow or unreadable responses as a network
// fails: see Fault), latency and the call log. The Aliyun emulator
// (providers/aliyun/aliyuntest) serves the same model over the wire, so
// the fake and the emulator behave alike.
//
// A *Provider implements multicloud.Provider (and its optional RegionLister,
// HealthChecker and Candidater) as well as network.Primitives, so that the
// network flow of package network runs against it exactly as it runs
// against a real cloud. Each New returns an independent cloud; there is no
// shared state. Cloud returns the simulated cloud for knobs the fake does
// not wrap.
package fake

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/mapping"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/sim"
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
	DefaultCode  = "fake"
	DefaultStock = 1000
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
	// Quotas are the per-region quotas of every region (sim.QuotaVPCs,
	// sim.QuotaAddresses, sim.QuotaInstances, sim.QuotaVCPUs); missing
	// ones take sim's defaults: 10 VPCs, 100 addresses, no bound on
	// instances and vCPUs. SetQuota changes them later.
	Quotas map[sim.Quota]int
	// Prices is the price table Quote uses.
	Prices Prices
	// TransitionDelay is how long each transient state (an instance's
	// Pending, Starting, Stopping and Deleting; a VPC's and switch's
	// Pending; an address's Busy) lasts on Clock. Default 0: the next
	// read shows the stable state.
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
	// Seed seeds the random draws of faults with a Rate and the hashes of
	// sold-out episodes and wrong stock answers; default 1.
	Seed uint64
	// Cloud, when set, is the simulated cloud the fake presents, for
	// instance one the Aliyun emulator serves too (aliyuntest.WithCloud):
	// the cloud's regions, clock, seed, transition delay, default stock,
	// quotas and currency hold, and Regions, Clock, Seed, TransitionDelay,
	// DefaultStock, Quotas and Prices.Currency are ignored; Prices.Types
	// are set on it. Default a new cloud of its own.
	Cloud *sim.Cloud
	// Network edits the options of the provider's network.Provisioner,
	// after the fake's own: a PollInterval of DefaultPollInterval and the
	// Clock's Now.
	Network []func(*network.Options)
}

// Clock tells the time; it is sim's Clock.
type Clock = sim.Clock

// ManualClock is a Clock that moves only when told to (sim's ManualClock).
// It is safe for concurrent use.
type ManualClock = sim.ManualClock

// NewManualClock returns a clock showing t.
func NewManualClock(t time.Time) *ManualClock { return sim.NewManualClock(t) }

// Provider is the fake cloud: the in-process face of a simulated cloud
// (package sim), which holds its state. It implements multicloud.Provider,
// multicloud.RegionLister, multicloud.HealthChecker, multicloud.Candidater
// and network.Primitives; the Set*, InjectFault, Calls and Audit methods
// are knobs and probes for tests, and Cloud gives the simulated cloud
// itself. Every method is safe for concurrent use. Build one with New;
// the zero Provider is not usable.
type Provider struct {
	code    string
	account string
	opts    Options
	catalog *mapping.Catalog
	prices  Prices
	prov    *network.Provisioner
	cloud   *sim.Cloud
	// regions are the cloud's regions, which never change, by ID, and
	// their IDs in order.
	regions map[string]sim.Region
	order   []string

	// addrMu makes an address's token claim, allocation and store one
	// step.
	addrMu sync.Mutex

	mu sync.Mutex
	// sold are the types SetStock named per region, sold even when the
	// catalog lacks them.
	sold map[soldKey]bool
	// bw is each instance's bandwidth setting, a fact the portable model
	// does not keep.
	bw    map[string]bandwidth
	plans map[string]multicloud.Plan // by planKey
}

var (
	_ multicloud.Provider      = (*Provider)(nil)
	_ multicloud.RegionLister  = (*Provider)(nil)
	_ multicloud.HealthChecker = (*Provider)(nil)
	_ multicloud.Candidater    = (*Provider)(nil)
	_ multicloud.BatchGetter   = (*Provider)(nil)
	_ network.Primitives       = (*Provider)(nil)
)

type soldKey struct{ region, typ string }

type bandwidth struct {
	mode multicloud.BandwidthMode
	mbps int
}

// idPrefixes are the prefixes of the fake's resource IDs, by kind.
var idPrefixes = map[sim.Kind]string{
	sim.KindInstance: "i", sim.KindVPC: "vpc", sim.KindSubnet: "vsw", sim.KindSecurityGroup: "sg",
	sim.KindAddress: "eip", sim.KindDisk: "d", sim.KindRule: "sgr",
}

// fakeIDs makes the fake's IDs: a prefix of the kind and a sequence
// number of at least six digits, so that IDs sort in creation order.
func fakeIDs(kind sim.Kind, _ string, seq uint64) string {
	prefix, ok := idPrefixes[kind]
	if !ok {
		prefix = string(kind)
	}
	var b [32]byte
	var d [20]byte
	digits := strconv.AppendUint(d[:0], seq, 10)
	out := append(b[:0], prefix...)
	out = append(out, '-')
	for i := len(digits); i < 6; i++ {
		out = append(out, '0')
	}
	return string(append(out, digits...))
}

// New returns a fake cloud configured by opts, over a new simulated
// cloud. It panics only when the embedded aliyun catalog cannot be
// loaded, which is a build defect.
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
	if o.Clock == nil {
		o.Clock = sim.RealClock()
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.SettleTimeout <= 0 {
		o.SettleTimeout = DefaultSettleTimeout
	}
	prices := o.Prices.withDefaults()
	cloud := o.Cloud
	if cloud == nil {
		regions := make([]sim.Region, 0, len(o.Regions))
		for _, r := range o.Regions {
			regions = append(regions, sim.Region{ID: r.ID, Zones: simZones(r.Zones)})
		}
		cloud = sim.New(func(so *sim.Options) {
			so.Regions = regions
			so.Clock = o.Clock
			so.Seed = o.Seed
			so.TransitionDelay = o.TransitionDelay
			so.DefaultStock = o.DefaultStock
			if o.DefaultStock < 0 {
				so.DefaultStock = -1
			}
			so.Quotas = o.Quotas
			so.Currency = prices.Currency
			so.IDs = fakeIDs
		})
	} else {
		prices.Currency = cloud.Currency()
	}
	for typ, price := range prices.Types {
		cloud.SetPrice(typ, price)
	}
	p := &Provider{
		code:    o.Code,
		account: o.Account,
		opts:    o,
		catalog: o.Catalog,
		prices:  prices,
		cloud:   cloud,
		sold:    make(map[soldKey]bool),
		bw:      make(map[string]bandwidth),
		plans:   make(map[string]multicloud.Plan),
		regions: make(map[string]sim.Region),
	}
	for _, r := range cloud.Regions() {
		p.regions[r.ID] = r
		p.order = append(p.order, r.ID)
	}
	nopts := append([]func(*network.Options){func(no *network.Options) {
		no.PollInterval = DefaultPollInterval
		no.Now = cloud.Now
	}}, o.Network...)
	p.prov = network.NewProvisioner(p, nopts...)
	return p
}

// simZones names zones by themselves: the fake's zone IDs are its zone
// names, as its Offerings have always said.
func simZones(names []string) []sim.Zone {
	out := make([]sim.Zone, len(names))
	for i, z := range names {
		out[i] = sim.Zone{Name: z, ID: z}
	}
	return out
}

// Cloud returns the simulated cloud that holds the provider's state, for
// the knobs and probes the provider does not wrap (sold-out episodes,
// instance states forced from outside, the change events).
func (p *Provider) Cloud() *sim.Cloud { return p.cloud }

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

// SetStock sets how many instances of instanceType zone can still take
// (a negative n is 0). A region or zone the provider does not serve is
// accepted and never used; a type the catalog lacks is sold in the region
// from then on.
func (p *Provider) SetStock(region, zone, instanceType string, n int) {
	p.mu.Lock()
	p.sold[soldKey{region, instanceType}] = true
	p.mu.Unlock()
	p.cloud.SetStock(region, zone, instanceType, max(n, 0))
}

// Stock returns how many instances of instanceType zone can still take
// (sim.Unlimited for no bound, which only a cloud shared with another
// face can have).
func (p *Provider) Stock(region, zone, instanceType string) int {
	return p.cloud.Stock(region, zone, instanceType)
}

// SetQuota sets quota q of region to n (sim.Unlimited for no bound);
// region "" sets it in every region. Creating past it is
// ErrQuotaExceeded; a quota below the usage keeps what exists.
func (p *Provider) SetQuota(region string, q sim.Quota, n int) { p.cloud.SetQuota(region, q, n) }

// now returns the provider clock's time.
func (p *Provider) now() time.Time { return p.cloud.Now() }

// region returns the region id or an ErrInvalidArgument naming the known
// regions.
func (p *Provider) region(op, id string) (sim.Region, error) {
	r, ok := p.regions[id]
	if !ok {
		return sim.Region{}, p.errorf(op, id, multicloud.CodeInvalidArgument, "InvalidRegionId.NotFound",
			"unknown region %q; known regions: %s", id, joinComma(p.order))
	}
	return r, nil
}

// errorf returns a classified error of the fake cloud.
func (p *Provider) errorf(op, region string, code multicloud.Code, providerCode, format string, args ...any) *multicloud.Error {
	return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: code, ProviderCode: providerCode, Message: fmt.Sprintf(format, args...)}
}

// enter runs the call-entry steps of op shared by every method through
// the simulated cloud: a cancelled context fails at once, then the
// latency is waited out (returning early when ctx ends) and an injected
// fault fires.
func (p *Provider) enter(ctx context.Context, op, region string) error {
	f, err := p.cloud.Enter(ctx, op, region)
	if err != nil {
		return p.canceled(op, region, err)
	}
	switch {
	case f == nil:
		return nil
	case f.Kind == FaultReset:
		return p.netError(op, region, ProviderCodeReset, "connection reset by peer")
	}
	code := multicloud.Code(f.Code)
	if code == "" {
		code = classCode(f.Err().Class)
	}
	msg := f.Message
	if msg == "" {
		msg = "injected " + string(code) + " fault"
	}
	return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: code, ProviderCode: "Fake.InjectedFault", Message: msg}
}

func (p *Provider) canceled(op, region string, err error) error {
	return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: multicloud.CodeCanceled, Err: err}
}
