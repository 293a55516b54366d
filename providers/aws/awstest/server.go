package awstest

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// Default credentials of the account every Server has unless Options.Accounts
// replaces it. They are AWS's documentation example keys.
const (
	DefaultAccountID       = "123456789012"
	DefaultAccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	DefaultSecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// maxBody bounds a request body.
const maxBody = 10 << 20

// Account is an AWS account the server knows, with one long-term access key.
type Account struct {
	// ID is the 12-digit account ID.
	ID string
	// AccessKeyID and SecretAccessKey sign the account's requests.
	AccessKeyID     string
	SecretAccessKey multicloud.Secret
	// UserName names the IAM user of the key in GetCallerIdentity's ARN
	// (default "emulator").
	UserName string
	// ZoneNames maps a zone ID ("use1-az1") to the name this account sees
	// it under ("us-east-1a"). AWS maps names to physical zones per account,
	// so two accounts may call one zone by different names. Zones not listed
	// keep their default names.
	ZoneNames map[string]string
}

// Options configure a Server. Edit them with the functions given to New.
type Options struct {
	// Accounts replaces the default account (DefaultAccountID with
	// DefaultAccessKeyID). Each access key must be unique.
	Accounts []Account
	// Now is the clock used for signature expiry and temporary credentials
	// (default time.Now).
	Now func() time.Time
	// Logger receives one debug line per request; never a secret (default:
	// discard).
	Logger *slog.Logger
	// RequestBuckets turns on EC2's documented per-action token buckets
	// (RequestLimitExceeded when one is empty). Off by default so tests that
	// do not exercise throttling are not throttled.
	RequestBuckets bool
	// ThrottleStatus is the HTTP status of RequestLimitExceeded (default 503;
	// the status is not documented: 503 is commonly observed, not confirmed).
	ThrottleStatus int
	// AssumeRoleDuration is the lifetime of AssumeRole credentials when the
	// call does not give DurationSeconds (default one hour, as STS documents).
	AssumeRoleDuration time.Duration

	// Cloud is the simulated cloud the server presents: instances and their
	// states, networks, addresses, stock, quotas, prices, faults, latency,
	// the call log and change events. Default: a new one with
	// DefaultRegions, AWS-shaped IDs, USD prices, terminated instances
	// visible for an hour and AWS's default quotas (5 VPCs and 5 Elastic IP
	// addresses per Region). A Cloud shared with other faces keeps its own
	// settings.
	Cloud *sim.Cloud
	// InstanceTypes is the instance type catalog (default
	// DefaultInstanceTypes()).
	InstanceTypes []InstanceType
	// Images is the AMI catalog, present in every Region (default
	// DefaultImages()).
	Images []Image
	// Listener is where the server accepts connections (default a new
	// listener on a free 127.0.0.1 port). The server closes it on Close.
	Listener net.Listener
	// DescribeDelay hides a new instance from DescribeInstances for this
	// long after RunInstances: a describe by its ID answers
	// InvalidInstanceID.NotFound, as EC2's eventual consistency documents
	// (default 0: visible at once).
	DescribeDelay time.Duration
}

// Server is a running emulator on an httptest server. All methods are safe
// for concurrent use.
type Server struct {
	ts   *httptest.Server
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	creds   map[string]*credential // access key ID -> credential
	buckets map[bucketKey]*bucket

	ec2Actions map[string]ec2Handler

	cloud *sim.Cloud
	types map[string]InstanceType

	// Wire-level facts the simulated cloud does not hold, under mu.
	owners       map[string]string // resource ID -> owning account ID
	launches     map[string]launch // instance ID -> launch facts
	associations map[string]string // allocation ID -> association ID
	volumeTags   map[string]map[string]string
	offered      map[offerKey]bool // SetOffered overrides
}

// credential is a registered access key, long-term or from AssumeRole.
type credential struct {
	account      *Account
	secret       string
	sessionToken string    // temporary keys only
	expires      time.Time // temporary keys only
	arn          string    // caller identity ARN
	userID       string
}

// New starts a server. Close it when done.
func New(optFns ...func(*Options)) *Server {
	var o Options
	for _, f := range optFns {
		f(&o)
	}
	if len(o.Accounts) == 0 {
		o.Accounts = []Account{{ID: DefaultAccountID, AccessKeyID: DefaultAccessKeyID, SecretAccessKey: DefaultSecretAccessKey}}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ThrottleStatus == 0 {
		o.ThrottleStatus = http.StatusServiceUnavailable
	}
	if o.AssumeRoleDuration == 0 {
		o.AssumeRoleDuration = time.Hour
	}
	if o.InstanceTypes == nil {
		o.InstanceTypes = DefaultInstanceTypes()
	}
	if o.Images == nil {
		o.Images = DefaultImages()
	}
	if o.Cloud == nil {
		o.Cloud = NewCloud()
	}
	s := &Server{opts: o, log: o.Logger, creds: map[string]*credential{}, buckets: map[bucketKey]*bucket{},
		cloud: o.Cloud, types: map[string]InstanceType{}, owners: map[string]string{}, launches: map[string]launch{},
		associations: map[string]string{}, volumeTags: map[string]map[string]string{}, offered: map[offerKey]bool{}}
	for _, t := range o.InstanceTypes {
		s.types[t.Name] = t
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i := range o.Accounts {
		a := &s.opts.Accounts[i]
		if a.UserName == "" {
			a.UserName = "emulator"
		}
		s.creds[a.AccessKeyID] = &credential{
			account: a,
			secret:  a.SecretAccessKey.Reveal(),
			arn:     "arn:aws:iam::" + a.ID + ":user/" + a.UserName,
			userID:  "AIDA" + strings.ToUpper(strings.ReplaceAll(uuid.NewString(), "-", ""))[:17],
		}
	}
	s.ec2Actions = s.ec2Handlers()
	if o.Listener != nil {
		s.ts = httptest.NewUnstartedServer(s)
		_ = s.ts.Listener.Close()
		s.ts.Listener = o.Listener
		s.ts.Start()
	} else {
		s.ts = httptest.NewServer(s)
	}
	return s
}

// NewCloud returns a simulated cloud set up as AWS: DefaultRegions with
// AWS zone IDs, AWS-shaped resource IDs, prices in USD, terminated instances
// visible for an hour ("approximately one hour", old TerminateInstances
// doc) and the default quotas of 5 VPCs and 5 Elastic IP addresses per
// Region (VPCQ). opts apply after these defaults.
func NewCloud(opts ...func(*sim.Options)) *sim.Cloud {
	return sim.New(append([]func(*sim.Options){func(so *sim.Options) {
		so.Regions = DefaultRegions()
		so.Currency = "USD"
		so.IDs = awsIDs
		so.DeletedRetention = time.Hour
		so.Quotas = map[sim.Quota]int{sim.QuotaVPCs: 5, sim.QuotaAddresses: 5}
	}}, opts...)...)
}

// URL is the server's base URL ("http://127.0.0.1:port"), usable as
// BaseEndpoint of the ec2, pricing and sts clients.
func (s *Server) URL() string { return s.ts.URL }

// Cloud is the simulated cloud the server presents; its knobs (stock,
// quotas, prices, faults, latency, clock) act on the server's answers.
func (s *Server) Cloud() *sim.Cloud { return s.cloud }

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// call is one authenticated request.
type call struct {
	reqID   string
	account *Account
	cred    *credential
	region  string
	action  string
	params  params
	body    []byte

	// Set by handlers for the call log and change events.
	targets      []string
	resourceType string
}

// ServeHTTP serves EC2 and STS (Query protocols), the Price List API and
// CloudTrail (awsJson1_1) on one endpoint; the signature's service name says
// which. It is safe for concurrent use.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeEC2Error(w, reqID, &apiError{Status: 400, Code: "InvalidRequest", Message: "The request body could not be read"})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	kind := s.kind(r, body)
	fail := func(e *apiError) {
		s.log.Debug("awstest", "service", kind, "code", e.Code, "status", e.Status, "request_id", reqID)
		switch kind {
		case "pricing", "cloudtrail":
			writeJSONError(w, reqID, e)
		case "sts":
			writeSTSError(w, reqID, e)
		default:
			writeEC2Error(w, reqID, e)
		}
	}
	scope, aerr := verifySigV4(r, body, s.opts.Now(), s.secretOf)
	if aerr == nil {
		aerr = s.checkToken(r, scope.AccessKeyID)
	}
	if aerr == nil && scope.Service != kind {
		aerr = &authError{authBadSignature, "Credential should be scoped to correct service: '" + kind + "'. "}
	}
	if aerr == nil && scope.Region == "" {
		// The SDK signs with an empty region when Region is unset; AWS
		// endpoints are per region, so the emulator refuses it.
		aerr = &authError{authBadSignature, "Credential should be scoped to a valid region. "}
	}
	if aerr != nil {
		switch kind {
		case "pricing", "cloudtrail":
			fail(jsonAuthError(aerr))
		case "sts":
			fail(stsAuthError(aerr))
		default:
			fail(ec2AuthError(aerr))
		}
		return
	}
	s.mu.Lock()
	cred := s.creds[scope.AccessKeyID]
	s.mu.Unlock()
	c := &call{reqID: reqID, account: cred.account, cred: cred, region: scope.Region, body: body}

	switch kind {
	case "pricing":
		c.action = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSPriceListService.")
		if s.enterOther(w, r, c, kind) {
			s.servePricing(w, c)
		}
		return
	case "cloudtrail":
		c.action = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), cloudTrailTarget)
		if s.enterOther(w, r, c, kind) {
			s.serveCloudTrail(w, c)
		}
		return
	}
	// The Query protocol takes its parameters from the form body (what the
	// SDKs send) or, for GET requests, from the query string.
	form, perr := url.ParseQuery(string(body))
	if perr != nil {
		fail(&apiError{Status: 400, Code: "MalformedQueryString", Message: "The request body is not a valid form"})
		return
	}
	if q, qerr := url.ParseQuery(r.URL.RawQuery); qerr == nil {
		for k, v := range q {
			if _, ok := form[k]; !ok {
				form[k] = v
			}
		}
	}
	c.params = params(form)
	c.action = c.params.str("Action")
	if c.action == "" {
		fail(&apiError{Status: 400, Code: "MissingAction", Message: "The request must contain the parameter Action"})
		return
	}
	if kind == "sts" {
		if s.enterOther(w, r, c, kind) {
			s.serveSTS(w, c)
		}
		return
	}
	if v := c.params.str("Version"); v != EC2Version {
		// ERRDOC: NoSuchVersion "The specified API version does not exist".
		fail(&apiError{Status: 400, Code: "NoSuchVersion", Message: "An invalid or unsupported API version '" + v + "' was specified"})
		return
	}
	s.serveEC2(w, r, c)
}

// kind says which service a request is for: the signature's service name
// when the Authorization header names one, else the X-Amz-Target or Version.
func (s *Server) kind(r *http.Request, body []byte) string {
	if p, err := parseAuthorization(r.Header.Get("Authorization")); err == nil {
		switch p.scope.Service {
		case "pricing", "sts", "ec2", "cloudtrail":
			return p.scope.Service
		}
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSPriceListService.") {
		return "pricing"
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), cloudTrailTarget) {
		return "cloudtrail"
	}
	if bytes.Contains(body, []byte("Version="+STSVersion)) {
		return "sts"
	}
	return "ec2"
}

// secretOf looks an access key up for the verifier; an expired temporary key
// counts as unknown.
func (s *Server) secretOf(akid string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.creds[akid]
	if !ok || (!c.expires.IsZero() && !s.opts.Now().Before(c.expires)) {
		return "", false
	}
	return c.secret, true
}

// checkToken requires a temporary key's session token in X-Amz-Security-Token
// (signed or not) and refuses a token on a long-term key.
func (s *Server) checkToken(r *http.Request, akid string) *authError {
	s.mu.Lock()
	c := s.creds[akid]
	s.mu.Unlock()
	tok := r.Header.Get("X-Amz-Security-Token")
	if c == nil || tok != c.sessionToken {
		return &authError{authBadToken, "The security token included in the request is invalid"}
	}
	return nil
}

// enterOther runs the simulated cloud's entry (latency, error and reset
// faults) and call log for a Price List or STS call, under the action's
// own name. It reports whether the call goes on.
func (s *Server) enterOther(w http.ResponseWriter, r *http.Request, c *call, kind string) bool {
	f, err := s.cloud.Enter(r.Context(), c.action, c.region)
	if err != nil {
		return false
	}
	if f == nil {
		s.cloud.Record(sim.Call{Action: c.action, Region: c.region})
		return true
	}
	if f.Kind == sim.FaultReset {
		s.cloud.Record(sim.Call{Action: c.action, Region: c.region, Err: errors.New("connection reset")})
		resetConnection(w)
		return false
	}
	e := s.simError(c, f.Err())
	throttled := sim.ClassOf(f.Err()) == sim.ClassThrottled
	if f.Err().Code == "" {
		// Each service's own codes: the Price List API models
		// ThrottlingException and InternalErrorException; STS answers
		// Throttling and InternalFailure (AWS common errors).
		switch {
		case kind == "pricing" && throttled:
			e = &apiError{Status: 400, Code: "ThrottlingException", Message: "Rate exceeded"}
		case kind == "pricing":
			e = &apiError{Status: 500, Code: "InternalErrorException", Message: "internal error"}
		case kind == "cloudtrail" && throttled:
			e = &apiError{Status: 400, Code: "ThrottlingException", Message: "Rate exceeded"}
		case kind == "cloudtrail":
			e = &apiError{Status: 500, Code: "InternalFailure", Message: "internal failure"}
		case throttled:
			e = &apiError{Status: 400, Code: "Throttling", Message: "Rate exceeded"}
		default:
			e = &apiError{Status: 500, Code: "InternalFailure", Message: "internal failure"}
		}
	}
	s.cloud.Record(sim.Call{Action: c.action, Region: c.region, Err: e})
	if kind == "pricing" || kind == "cloudtrail" {
		writeJSONError(w, c.reqID, e)
	} else {
		writeSTSError(w, c.reqID, e)
	}
	return false
}
