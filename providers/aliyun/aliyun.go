// Package aliyun is the Alibaba Cloud provider of multicloud: ECS instances
// and their VPC network through github.com/aliyun/alibaba-cloud-sdk-go.
//
// A Provider implements multicloud.Provider (with RegionLister,
// HealthChecker and Candidater), network.Primitives for the shared
// network flow, and inventory discovery. Point Options.Endpoint at an
// aliyuntest emulator to run it without a cloud.
package aliyun

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/actiontrail"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/mapping"
	"github.com/multicloud-ecs/multicloud/network"
)

// ProviderCode is the code of the provider: Provider.Code and the
// "provider" of requests and instances.
const ProviderCode = "aliyun"

// The defaults of Options.
const (
	DefaultScheme          = "HTTPS"
	DefaultConnectTimeout  = 5 * time.Second
	DefaultReadTimeout     = 20 * time.Second
	DefaultCreateTimeout   = 90 * time.Second
	DefaultQuoteTTL        = 10 * time.Minute
	DefaultAvailabilityTTL = 3 * time.Minute
	DefaultRegionsTTL      = time.Hour
	DefaultSpotPriceTTL    = 5 * time.Minute
	DefaultImagesTTL       = time.Hour
	DefaultRoleSession     = "multicloud"
	DefaultSettleTimeout   = 2 * time.Minute
	// DefaultTrafficPricePerGB is the default of Options.TrafficPricePerGB.
	DefaultTrafficPricePerGB = 0.8
)

// Options configure a Provider. New applies its option functions to a zero
// Options, in order; fields left zero take the default in their comment.
type Options struct {
	// Credential provides the credentials every call is signed with. Nil
	// means: AccessKeyID and AccessKeySecret (with SecurityToken, an STS
	// token) when set, else the SDK's default chain (environment
	// ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, OIDC, CLI profile, ECS RAM
	// role, credentials URI).
	Credential credentials.CredentialsProvider
	// AccessKeyID and AccessKeySecret are a static access key, used when
	// Credential is nil.
	AccessKeyID     string
	AccessKeySecret multicloud.Secret
	// SecurityToken makes AccessKeyID and AccessKeySecret an STS token.
	SecurityToken multicloud.Secret
	// RoleARN, when set, assumes this RAM role from the base credential
	// (STS AssumeRole) and signs with the role's temporary credentials;
	// RoleSessionName defaults to "multicloud".
	RoleARN, RoleSessionName string

	// Endpoint is a host[:port] that replaces the SDK's per-region
	// endpoints of both ECS and VPC: an emulator, a private endpoint.
	// Empty uses the SDK's endpoints.
	Endpoint string
	// Scheme is "HTTPS" (the default) or "HTTP" (emulators).
	Scheme string
	// Transport carries the requests; default a transport with proxies
	// from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), which
	// never proxies loopback addresses, and ConnectTimeout on dials. The
	// SDK's own proxy handling is bypassed: it would proxy 127.0.0.1.
	Transport http.RoundTripper

	// Regions are the regions Regions reports; empty asks DescribeRegions
	// (cached for an hour).
	Regions []string

	// ConnectTimeout bounds a connection; default 5s.
	ConnectTimeout time.Duration
	// ReadTimeout bounds one call; default 20s.
	ReadTimeout time.Duration
	// CreateTimeout bounds RunInstances and the instance lifecycle calls
	// that the SDK's own table gives long timeouts; default 90s. Every
	// call sets its timeout explicitly: the SDK otherwise keeps the first
	// call's timeout for all later ones.
	CreateTimeout time.Duration

	// Catalog resolves image keys and instance types; default
	// mapping.Load("aliyun").
	Catalog *mapping.Catalog
	// Network edits the options of the provider's network.Provisioner.
	Network []func(*network.Options)
	// Logger receives debug logs of every call and warnings; default
	// discards them.
	Logger *slog.Logger
	// Account labels the account in network scopes; default AccessKeyID,
	// else "default".
	Account string

	// QuoteTTL is how long a quote is declared valid (DescribePrice gives
	// no validity); default 10 minutes.
	QuoteTTL time.Duration
	// TrafficPricePerGB is the price per GB sent of traffic-billed
	// bandwidth, reported as Quote.TrafficPerGB (DescribePrice does not
	// price traffic); default 0.8, the mainland China list price in CNY,
	// not confirmed for every region and site.
	TrafficPricePerGB float64
	// AvailabilityTTL is how long the zones that sell each instance type
	// (DescribeAvailableResource) are cached per region; default 3 minutes.
	AvailabilityTTL time.Duration
	// SpotPriceTTL is how long the spot prices of an instance type
	// (DescribeSpotPriceHistory) are cached per region; default 5 minutes.
	SpotPriceTTL time.Duration
	// ImagesTTL is how long the images of a region (DescribeImages) are
	// cached for the image check of Offerings; default an hour.
	ImagesTTL time.Duration
	// SettleTimeout bounds the settling of a call that creates or
	// releases something billable (RunInstances, AllocateEipAddress,
	// CreateVpc, CreateVSwitch, CreateSecurityGroup, DeleteInstance) and of
	// the tagging of a new elastic IP: the call runs detached from the
	// caller's cancellation, and is asked again with the same ClientToken
	// while its outcome is unknown (no response, or one that cannot be
	// read). Default 2 minutes. The provider retries nothing else: the
	// multicloud.Client is the one retry layer.
	SettleTimeout time.Duration

	// TrailDelay is how late an ActionTrail event may appear, which the
	// inventory's incremental sync overlaps its reads by; default
	// DefaultTrailDelay.
	TrailDelay time.Duration

	// homeRegion is the region of region-less calls (DescribeRegions)
	// when Regions is empty; NewConnector sets the account's.
	homeRegion string
}

// Provider is the Alibaba Cloud provider. It is safe for concurrent use;
// build it with New.
type Provider struct {
	opts      Options
	cred      credentials.CredentialsProvider
	transport http.RoundTripper
	catalog   *mapping.Catalog
	prov      *network.Provisioner
	log       *slog.Logger

	mu       sync.Mutex
	zones    map[string]zoneCache // region -> available types per zone
	regions  []string
	regionsT time.Time
	released map[string]bool   // allocation IDs this provider released
	tokenGen map[string]int    // allocation token -> generation of its derived token, past released addresses
	addrTok  map[string]string // allocation ID -> the allocation token it was allocated with

	stock stockCache // DescribeAvailableResource per region and charge mode, for Offerings
	spot  spotCache  // DescribeSpotPriceHistory per region and instance type
	imgs  imageCache // DescribeImages per region, for ImageAvailable
}

// endpointsOnce initializes the SDK's global endpoint maps once: the SDK
// fills them lazily without a lock, which races when clients are built
// concurrently.
var endpointsOnce sync.Once

// New returns a Provider configured by opts. It makes no call: use
// CheckHealth to prove the credentials. An invalid option (a Scheme other
// than HTTP or HTTPS, an unloadable catalog) is ErrInvalidArgument.
func New(opts ...func(*Options)) (*Provider, error) {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	o.Scheme = strings.ToUpper(o.Scheme)
	switch o.Scheme {
	case "":
		o.Scheme = DefaultScheme
	case "HTTP", "HTTPS":
	default:
		return nil, &multicloud.Error{Op: "New", Provider: ProviderCode, Code: multicloud.CodeInvalidArgument,
			Message: "scheme must be HTTP or HTTPS, got " + o.Scheme}
	}
	setDefault(&o.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&o.ReadTimeout, DefaultReadTimeout)
	setDefault(&o.CreateTimeout, DefaultCreateTimeout)
	setDefault(&o.QuoteTTL, DefaultQuoteTTL)
	setDefault(&o.AvailabilityTTL, DefaultAvailabilityTTL)
	setDefault(&o.SpotPriceTTL, DefaultSpotPriceTTL)
	setDefault(&o.ImagesTTL, DefaultImagesTTL)
	setDefault(&o.TrafficPricePerGB, DefaultTrafficPricePerGB)
	setDefault(&o.SettleTimeout, DefaultSettleTimeout)
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Account == "" {
		o.Account = o.AccessKeyID
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
	cred, err := credential(o)
	if err != nil {
		return nil, &multicloud.Error{Op: "New", Provider: ProviderCode, Code: multicloud.CodeInvalidArgument, Message: "credentials", Err: err}
	}
	endpointsOnce.Do(func() {
		ecs.GetEndpointMap()
		vpc.GetEndpointMap()
		actiontrail.GetEndpointMap()
	})
	p := &Provider{
		opts:      o,
		cred:      &lockedCredential{p: cred},
		transport: o.Transport,
		catalog:   o.Catalog,
		log:       o.Logger,
		zones:     map[string]zoneCache{},
		released:  map[string]bool{},
		tokenGen:  map[string]int{},
		addrTok:   map[string]string{},
	}
	if p.transport == nil {
		p.transport = defaultTransport(o.ConnectTimeout)
	}
	netOpts := append([]func(*network.Options){}, o.Network...)
	p.prov = network.NewProvisioner(p, netOpts...)
	return p, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// credential builds the credentials provider of o.
func credential(o Options) (credentials.CredentialsProvider, error) {
	base := o.Credential
	switch {
	case base != nil:
	case o.AccessKeyID != "" && !o.SecurityToken.IsZero():
		base = credentials.NewStaticSTSCredentialsProvider(o.AccessKeyID, o.AccessKeySecret.Reveal(), o.SecurityToken.Reveal())
	case o.AccessKeyID != "":
		base = credentials.NewStaticAKCredentialsProvider(o.AccessKeyID, o.AccessKeySecret.Reveal())
	default:
		base = credentials.NewDefaultCredentialsProvider()
	}
	if o.RoleARN == "" {
		return base, nil
	}
	session := o.RoleSessionName
	if session == "" {
		session = DefaultRoleSession
	}
	return credentials.NewRAMRoleARNCredentialsProvider(base, o.RoleARN, session, 3600, "", "", "")
}

// lockedCredential serializes GetCredentials: the SDK's refreshing
// providers (RAM role, ECS role, OIDC) keep their cache without a lock.
type lockedCredential struct {
	mu sync.Mutex
	p  credentials.CredentialsProvider
}

func (l *lockedCredential) GetCredentials() (*credentials.Credentials, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p.GetCredentials()
}

func (l *lockedCredential) GetProviderName() string { return l.p.GetProviderName() }

// defaultTransport is an http.Transport with proxies from the environment;
// http.ProxyFromEnvironment never proxies localhost or loopback addresses.
func defaultTransport(connect time.Duration) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.DialContext = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConnsPerHost = 64
	return t
}

// ctxTransport binds one call's context to its HTTP request: the SDK's
// requests carry none, so that cancellation would not reach them.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
	host string // when set, the Host header: see productActionTrail
	// stream, when set, is decoded from a successful answer's body as
	// it arrives, and the SDK given an empty object (see streamedAnswer).
	stream streamedAnswer
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.WithContext(t.ctx)
	if t.host != "" {
		r.Host = t.host
	}
	resp, err := t.base.RoundTrip(r)
	// The SDK decodes the answers it deems successful (2xx); it reads
	// the others' bodies for their error.
	if err != nil || t.stream == nil || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return resp, err
	}
	err = decodeAnswer(resp.Body, t.stream)
	// Let the connection be reused: the decoder may stop short of the
	// body's last bytes (trailing white space).
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body, resp.ContentLength = io.NopCloser(strings.NewReader("{}")), 2
	return resp, nil
}

// Code returns "aliyun".
func (p *Provider) Code() string { return ProviderCode }

// Catalog returns the catalog the provider resolves with.
func (p *Provider) Catalog() *mapping.Catalog { return p.catalog }

// Provisioner returns the provider's network flow, for instance to
// provision a user's network ahead of a create.
func (p *Provider) Provisioner() *network.Provisioner { return p.prov }

// Scope returns the network scope of a tenant's user in region.
func (p *Provider) Scope(region, tenant, owner string) network.Scope {
	return network.Scope{Provider: ProviderCode, Account: p.opts.Account, Region: region, Tenant: tenant, Owner: owner}
}

// product says which API a request goes to, for endpoint resolution.
type product int

const (
	productECS product = iota
	productVPC
	// productActionTrail is regional by endpoint host alone
	// (actiontrail.<region>.aliyuncs.com; LookupEvents has no RegionId),
	// so through Options.Endpoint its calls keep that host in the Host
	// header.
	productActionTrail
)

// longCalls are the actions whose SDK timeout table (sdk/api_timeout.go)
// exceeds a normal read: they get Options.CreateTimeout.
var longCalls = map[string]bool{
	"RunInstances": true, "DeleteInstance": true, "StartInstance": true, "StopInstance": true, "RebootInstance": true,
}

// do sends one API call for region and classifies its error. Each call
// runs on its own SDK client, built in microseconds: an SDK client writes
// its timeout and transport settings on every call, which is a data race
// when goroutines share one. The call honours ctx.
func (p *Provider) do(ctx context.Context, region string, prod product, req requests.AcsRequest, resp responses.AcsResponse) error {
	action := req.GetActionName()
	if err := ctx.Err(); err != nil {
		return canceled(action, region, err)
	}
	cfg := sdk.NewConfig()
	cfg.Scheme = p.opts.Scheme
	cfg.AutoRetry = false
	tr := ctxTransport{ctx: ctx, base: p.transport}
	if prod == productActionTrail && p.opts.Endpoint != "" {
		tr.host = "actiontrail." + region + ".aliyuncs.com"
	}
	if s, ok := resp.(streamedAnswer); ok && strings.EqualFold(req.GetAcceptFormat(), "JSON") {
		tr.stream = s
	}
	cfg.Transport = tr
	c := &sdk.Client{}
	if err := c.InitWithOptions(region, cfg, p.cred); err != nil {
		return classify(action, region, err)
	}
	if p.opts.Endpoint != "" {
		c.Domain = p.opts.Endpoint
	} else if prod == productECS {
		c.EndpointMap, c.EndpointType = ecs.EndpointMap, ecs.EndpointType
	} else if prod == productActionTrail {
		c.EndpointMap, c.EndpointType = actiontrail.EndpointMap, actiontrail.EndpointType
	} else {
		c.EndpointMap, c.EndpointType = vpc.EndpointMap, vpc.EndpointType
	}
	req.SetScheme(p.opts.Scheme)
	read := p.opts.ReadTimeout
	if longCalls[action] {
		read = p.opts.CreateTimeout
	}
	req.SetReadTimeout(read)
	req.SetConnectTimeout(p.opts.ConnectTimeout)
	start := time.Now()
	err := c.DoAction(req, resp)
	if err != nil && ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		err = classify(action, region, err)
		p.log.Debug("aliyun call", "action", action, "region", region, "took", time.Since(start), "err", err)
		return err
	}
	p.log.Debug("aliyun call", "action", action, "region", region, "took", time.Since(start))
	return nil
}

// The capabilities the Provider implements.
var (
	_ multicloud.Provider      = (*Provider)(nil)
	_ multicloud.RegionLister  = (*Provider)(nil)
	_ multicloud.HealthChecker = (*Provider)(nil)
	_ multicloud.Candidater    = (*Provider)(nil)
	_ multicloud.BatchGetter   = (*Provider)(nil)
)
