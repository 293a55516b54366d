// Package aws is the Amazon Web Services provider of multicloud: EC2
// instances and their VPC network through github.com/aws/aws-sdk-go-v2.
//
// A Provider implements multicloud.Provider (with RegionLister,
// HealthChecker, BatchGetter, RequestValidator, Sweeper, Candidater and
// Offerer), network.Primitives with network.VPCPreparer for the shared
// network flow, and inventory discovery (with a CloudTrail change feed). Point Options.BaseEndpoint at an emulator
// (providers/aws/awstest) to run it without a cloud.
package aws

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/mapping"
	"github.com/multicloud-ecs/multicloud/network"
)

// ProviderCode is the code of the provider: Provider.Code and the
// "provider" of requests and instances.
const ProviderCode = "aws"

// The defaults of Options.
const (
	DefaultRegion          = "us-east-1"
	DefaultConnectTimeout  = 5 * time.Second
	DefaultReadTimeout     = 20 * time.Second
	DefaultCreateTimeout   = 90 * time.Second
	DefaultSettleTimeout   = 2 * time.Minute
	DefaultPriceTTL        = 6 * time.Hour
	DefaultQuoteTTL        = time.Hour
	DefaultAvailabilityTTL = 3 * time.Minute
	DefaultImageTTL        = time.Hour
	DefaultRegionsTTL      = time.Hour
	DefaultRoleSession     = "multicloud"
	// DefaultPricingRegion is where the Price List Query API is called:
	// it is served from us-east-1, eu-central-1 and ap-south-1 only.
	DefaultPricingRegion = "us-east-1"
)

// Options configure a Provider. New applies its option functions to a zero
// Options, in order; fields left zero take the default in their comment.
type Options struct {
	// Credentials signs every call. Nil means: AccessKeyID and
	// SecretAccessKey (with SessionToken) when set, else the SDK's default
	// chain through config.LoadDefaultConfig (environment, shared config
	// and credentials files with Profile, SSO, web identity, ECS and EC2
	// instance roles).
	Credentials aws.CredentialsProvider
	// AccessKeyID and SecretAccessKey are a static access key, used when
	// Credentials is nil; SessionToken makes them temporary credentials.
	AccessKeyID     string
	SecretAccessKey multicloud.Secret
	SessionToken    multicloud.Secret
	// Profile names a shared config profile for the default chain.
	Profile string
	// RoleARN, when set, assumes this IAM role from the base credentials
	// (STS AssumeRole, cached and refreshed) and signs with the role's
	// temporary credentials; RoleSessionName defaults to "multicloud";
	// ExternalID is passed when set.
	RoleARN, RoleSessionName, ExternalID string

	// BaseEndpoint replaces the endpoint of every service the provider
	// calls (EC2, Price List, STS), e.g. "http://127.0.0.1:4566" for an
	// emulator; empty uses AWS's regional endpoints.
	BaseEndpoint string
	// HTTPClient carries the requests (AWS_CA_BUNDLE is not applied to
	// it); default the SDK's buildable client (which honours
	// AWS_CA_BUNDLE) with proxies from the environment and ConnectTimeout
	// on dials. Calls are bounded by their context either way.
	HTTPClient config.HTTPClient

	// Regions are the regions Regions reports; empty asks DescribeRegions
	// (cached for an hour) in HomeRegion.
	Regions []string
	// HomeRegion is where region-less calls go (DescribeRegions, STS);
	// default the region of the loaded configuration, else us-east-1.
	HomeRegion string
	// PricingRegion is the region of the Price List Query API; default
	// us-east-1.
	PricingRegion string

	// ConnectTimeout bounds a connection; default 5s.
	ConnectTimeout time.Duration
	// ReadTimeout bounds one call; default 20s.
	ReadTimeout time.Duration
	// CreateTimeout bounds RunInstances and the lifecycle calls; default 90s.
	CreateTimeout time.Duration
	// SettleTimeout bounds the settling of a call that creates or
	// releases something billable (RunInstances, AllocateAddress,
	// CreateVpc, CreateSubnet, CreateSecurityGroup, CreateInternetGateway,
	// TerminateInstances): it runs detached from the caller's
	// cancellation and, while its outcome is unknown, is sent again (with
	// the same ClientToken where the action takes one). Default 2 minutes.
	// The SDK's own retryer is off: the multicloud.Client is the one retry
	// layer.
	SettleTimeout time.Duration

	// Catalog resolves instance types and, as the fallback of
	// DescribeImages, image keys; default mapping.Load("aws").
	Catalog *mapping.Catalog
	// Images are the DescribeImages queries of the image keys; default
	// DefaultImages().
	Images map[string]ImageQuery
	// Network edits the options of the provider's network.Provisioner.
	Network []func(*network.Options)
	// Logger receives debug logs of every call and warnings; default
	// discards them.
	Logger *slog.Logger
	// Account labels the account in network scopes and negative-cache
	// keys; default AccessKeyID, else RoleARN, else "default".
	Account string

	// PriceTTL is how long an on-demand price from the Price List is
	// cached; default 6 hours (the list changes rarely).
	PriceTTL time.Duration
	// QuoteTTL is how long a quote is declared valid; default 1 hour.
	QuoteTTL time.Duration
	// AvailabilityTTL is how long zones and instance type offerings are
	// cached per region; default 3 minutes.
	AvailabilityTTL time.Duration
	// ImageTTL is how long a DescribeImages answer is cached per region
	// and key; default 1 hour.
	ImageTTL time.Duration
	// TrailDelay is how late a CloudTrail event may appear, which the
	// inventory's incremental sync overlaps its reads by; default
	// DefaultTrailDelay.
	TrailDelay time.Duration
	// DiscoverPageSize is the MaxResults of the inventory's
	// DescribeInstances pages, 5-1000; default 1000 (the largest).
	DiscoverPageSize int32
	// Prices are the prices that are not in the instance's product; the
	// zero fields take the Default* prices.
	Prices ExtraPrices
}

// ExtraPrices are the USD prices a quote adds to the instance's.
type ExtraPrices struct {
	// GP3PerGiBMonth is the gp3 EBS volume price per GiB-month; default
	// 0.08 (us-east-1 list price).
	GP3PerGiBMonth float64
	// PublicIPv4PerHour is the price of a public IPv4 address per hour,
	// an Elastic IP included; default 0.005.
	PublicIPv4PerHour float64
	// TrafficPerGB is the price of data sent out to the internet, per GB;
	// default 0.09 (first tier, us-east-1).
	TrafficPerGB float64
}

// The defaults of ExtraPrices, in USD (us-east-1 list prices; other
// regions differ by a few percent, not modelled here).
const (
	DefaultGP3PerGiBMonth    = 0.08
	DefaultPublicIPv4PerHour = 0.005
	DefaultTrafficPerGB      = 0.09
)

// Provider is the AWS provider. It is safe for concurrent use; build it
// with New.
type Provider struct {
	opts    Options
	cfg     aws.Config
	catalog *mapping.Catalog
	prov    *network.Provisioner
	log     *slog.Logger

	mu           sync.Mutex
	ec2c         map[string]*ec2.Client // region -> client
	pricing      *pricing.Client
	trail        map[string]*cloudtrail.Client // region -> CloudTrail client
	stsc         *sts.Client
	zones        map[string]zoneCache  // region -> zones and offerings
	images       map[imageKey]imageHit // (region, key) -> AMI
	prices       map[priceKey]priceHit
	pricesLoaded map[string]time.Time // region -> when its whole price list was read
	regions      []string
	regT         time.Time
	addrTok      map[string]string    // allocation ID -> the flow's allocation token, while not released
	relTok       map[string]int       // allocation token -> how many of its addresses were released
	vpcOf        map[string]string    // instance ID -> VPC ID, for bindings that wait for internet access
	boundOf      map[string]string    // instance ID -> the Elastic IP it had when RunInstances returned it
	recent       map[string]time.Time // region/instance ID -> when RunInstances returned it
	authorized   map[string]time.Time // group ID|rule -> when this provider authorized it

	prepMu sync.Mutex
	prep   map[string]*prepState // VPC ID -> its internet access
}

// New returns a Provider configured by opts. It makes no call to AWS
// except what the SDK's default chain needs to load its configuration
// (files and environment): use CheckHealth to prove the credentials. An
// unloadable configuration or catalog is ErrInvalidArgument.
func New(ctx context.Context, opts ...func(*Options)) (*Provider, error) {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	setDefault(&o.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&o.ReadTimeout, DefaultReadTimeout)
	setDefault(&o.CreateTimeout, DefaultCreateTimeout)
	setDefault(&o.SettleTimeout, DefaultSettleTimeout)
	setDefault(&o.PriceTTL, DefaultPriceTTL)
	setDefault(&o.QuoteTTL, DefaultQuoteTTL)
	setDefault(&o.AvailabilityTTL, DefaultAvailabilityTTL)
	setDefault(&o.ImageTTL, DefaultImageTTL)
	setDefault(&o.PricingRegion, DefaultPricingRegion)
	setDefault(&o.DiscoverPageSize, MaxPageSize)
	o.DiscoverPageSize = min(max(o.DiscoverPageSize, 5), MaxPageSize)
	setDefault(&o.Prices.GP3PerGiBMonth, DefaultGP3PerGiBMonth)
	setDefault(&o.Prices.PublicIPv4PerHour, DefaultPublicIPv4PerHour)
	setDefault(&o.Prices.TrafficPerGB, DefaultTrafficPerGB)
	if o.Images == nil {
		o.Images = DefaultImages()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Account == "" {
		o.Account = o.AccessKeyID
		if o.Account == "" {
			o.Account = o.RoleARN
		}
		if o.Account == "" {
			o.Account = "default"
		}
	}
	if o.Catalog == nil {
		c, err := mapping.Load(ProviderCode)
		if err != nil {
			return nil, &multicloud.Error{Op: "New", Provider: ProviderCode, Code: multicloud.CodeInvalidArgument, Message: "load catalog", Err: err}
		}
		o.Catalog = c
	}
	cfg, err := loadConfig(ctx, o)
	if err != nil {
		return nil, &multicloud.Error{Op: "New", Provider: ProviderCode, Code: multicloud.CodeInvalidArgument,
			Message: "load aws configuration", Err: multicloud.RedactError(err)}
	}
	if o.HomeRegion == "" {
		o.HomeRegion = cfg.Region
	}
	p := &Provider{
		opts: o, cfg: cfg, catalog: o.Catalog, log: o.Logger,
		ec2c: map[string]*ec2.Client{}, zones: map[string]zoneCache{}, images: map[imageKey]imageHit{},
		prices: map[priceKey]priceHit{}, pricesLoaded: map[string]time.Time{}, addrTok: map[string]string{}, relTok: map[string]int{}, vpcOf: map[string]string{}, boundOf: map[string]string{}, authorized: map[string]time.Time{},
	}
	p.prov = network.NewProvisioner(p, o.Network...)
	return p, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// loadConfig builds the SDK configuration of o: the default chain (or o's
// static keys or provider), the SDK's retryer switched off (one attempt
// per call: the multicloud.Client retries), an HTTP client with explicit
// timeouts, the base endpoint, and an assumed role on top when asked.
func loadConfig(ctx context.Context, o Options) (aws.Config, error) {
	// The SDK applies AWS_CA_BUNDLE only to its own buildable client: a
	// caller's client is set after loading, as given.
	hc := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout, d.KeepAlive = o.ConnectTimeout, 30*time.Second }).
		WithTransportOptions(func(t *http.Transport) {
			t.Proxy = http.ProxyFromEnvironment // never proxies loopback addresses
			t.MaxIdleConnsPerHost = 64
		})
	lo := []func(*config.LoadOptions) error{
		config.WithHTTPClient(hc),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithRetryMaxAttempts(1),
		config.WithDefaultRegion(DefaultRegion),
		// The SDK's own log lines (to stderr by default) are dropped: the
		// provider logs each call to Options.Logger, redacted.
		config.WithLogger(logging.Nop{}),
		config.WithClientLogMode(0),
	}
	if o.HomeRegion != "" {
		lo = append(lo, config.WithRegion(o.HomeRegion))
	}
	if o.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(o.Profile))
	}
	if o.BaseEndpoint != "" {
		lo = append(lo, config.WithBaseEndpoint(o.BaseEndpoint))
	}
	switch {
	case o.Credentials != nil:
		lo = append(lo, config.WithCredentialsProvider(o.Credentials))
	case o.AccessKeyID != "":
		lo = append(lo, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			o.AccessKeyID, o.SecretAccessKey.Reveal(), o.SessionToken.Reveal())))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return aws.Config{}, err
	}
	if o.HTTPClient != nil {
		cfg.HTTPClient = o.HTTPClient
	}
	if o.RoleARN != "" {
		stsc := sts.NewFromConfig(cfg)
		session := o.RoleSessionName
		if session == "" {
			session = DefaultRoleSession
		}
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, o.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = session
			if o.ExternalID != "" {
				ao.ExternalID = aws.String(o.ExternalID)
			}
		}))
	}
	return cfg, nil
}

// Code returns "aws".
func (p *Provider) Code() string { return ProviderCode }

// Catalog returns the catalog the provider resolves with.
func (p *Provider) Catalog() *mapping.Catalog { return p.catalog }

// Provisioner returns the provider's network flow, for instance to
// provision a user's network ahead of a create.
func (p *Provider) Provisioner() *network.Provisioner { return p.prov }

// Account returns the account label of the provider (Options.Account).
func (p *Provider) Account() string { return p.opts.Account }

// Scope returns the network scope of a tenant's user in region.
func (p *Provider) Scope(region, tenant, owner string) network.Scope {
	return network.Scope{Provider: ProviderCode, Account: p.opts.Account, Region: region, Tenant: tenant, Owner: owner}
}

// ec2Client returns the EC2 client of region, built once.
func (p *Provider) ec2Client(region string) *ec2.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.ec2c[region]
	if !ok {
		c = ec2.NewFromConfig(p.cfg, func(o *ec2.Options) { o.Region = region })
		p.ec2c[region] = c
	}
	return c
}

func (p *Provider) pricingClient() *pricing.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pricing == nil {
		p.pricing = pricing.NewFromConfig(p.cfg, func(o *pricing.Options) { o.Region = p.opts.PricingRegion })
	}
	return p.pricing
}

func (p *Provider) stsClient() *sts.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stsc == nil {
		p.stsc = sts.NewFromConfig(p.cfg, func(o *sts.Options) { o.Region = p.opts.HomeRegion })
	}
	return p.stsc
}

// longCalls get Options.CreateTimeout instead of Options.ReadTimeout.
var longCalls = map[string]bool{
	"RunInstances": true, "TerminateInstances": true, "StartInstances": true, "StopInstances": true, "RebootInstances": true,
}

// call runs one API call of action in region, bounded by the call's
// timeout, and classifies its error. It honours ctx.
func call[T any](ctx context.Context, p *Provider, region, action string, fn func(ctx context.Context, c *ec2.Client) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, canceled(action, region, err)
	}
	timeout := p.opts.ReadTimeout
	if longCalls[action] {
		timeout = p.opts.CreateTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	out, err := fn(cctx, p.ec2Client(region))
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(err, ctx.Err())
		}
		err = classify(action, region, err)
		p.log.Debug("aws call", "action", action, "region", region, "took", time.Since(start), "err", err)
		return zero, err
	}
	p.log.Debug("aws call", "action", action, "region", region, "took", time.Since(start))
	return out, nil
}

// The capabilities the Provider implements.
var (
	_ multicloud.Provider         = (*Provider)(nil)
	_ multicloud.RegionLister     = (*Provider)(nil)
	_ multicloud.HealthChecker    = (*Provider)(nil)
	_ multicloud.BatchGetter      = (*Provider)(nil)
	_ multicloud.RequestValidator = (*Provider)(nil)
	_ multicloud.Sweeper          = (*Provider)(nil)
	_ multicloud.Candidater       = (*Provider)(nil)
	_ multicloud.ChargeModer      = (*Provider)(nil)
	_ network.Primitives          = (*Provider)(nil)
	_ network.VPCPreparer         = (*Provider)(nil)
)
