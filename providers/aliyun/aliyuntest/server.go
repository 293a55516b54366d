// Package aliyuntest emulates the Aliyun ECS (2014-05-26) and VPC (2016-04-28)
// RPC APIs on an httptest server, with signature checks, resource state rules,
// quotas, stock, throttling and fault injection. Point the real Aliyun Go SDK
// (or any HTTP client) at Server.Host to test code against it without a cloud,
// or serve it on a port over HTTP, HTTPS and as a proxy with New and Serve,
// as cmd/cloudemu does. Every served action answers with the fields of its
// documented response table (testdata/documented).
//
// The emulator is a face of a simulated cloud (package sim): the
// resources, their states, stock, quotas, client tokens, faults, latency,
// the call log and change events are the sim.Cloud's (Server.Cloud), and
// the emulator keeps only the wire: parameters, signatures, JSON shapes,
// error codes and statuses, paging styles and documented quirks. A server
// built WithCloud serves a cloud that other faces serve too. Two facts of
// ECS alone are the emulator's too: its spot market (DescribeSpotPriceHistory,
// SetSpotPrice) and images withdrawn from single regions (WithdrawImage).
package aliyuntest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// Default credentials registered on every Server.
const (
	DefaultAccessKeyID     = "testid"
	DefaultAccessKeySecret = "testsecret"
)

// API versions served.
const (
	ECSVersion = "2014-05-26"
	VPCVersion = "2016-04-28"
)

// Server is a running emulator. All methods are safe for concurrent use.
type Server struct {
	ts     *httptest.Server
	log    *slog.Logger
	nonces *nonceCache
	// cloud is the simulated cloud the emulator serves: clock, transition
	// delay, stock, quotas, client tokens, faults, latency, the call log
	// and change events.
	cloud *sim.Cloud

	keysMu sync.RWMutex
	keys   map[string]string

	ctl    *controls
	quirks quirks
	spot   spotMarket
	// regionImgs are the images withdrawn from single regions.
	regionImgs regionImages

	handlers map[string]map[string]handler // version -> action -> handler

	mu sync.RWMutex
	st *state

	// sysEvents are the instance system events (RunSystemEvent).
	sysEvents systemEvents
}

// Option configures a Server in NewServer.
type Option func(*config)

type config struct {
	keys    map[string]string
	regions []Region
	latency time.Duration
	delay   time.Duration
	now     func() time.Time
	log     *slog.Logger
	seed    uint64
	hasSeed bool
	quirks  quirks
	cloud   *sim.Cloud
	// maxCalls bounds the call log (WithCallLogLimit).
	maxCalls int
	// maxEvents bounds the trail (WithTrailLimit).
	maxEvents int
}

// quirks are behaviours the API reference could not confirm; each has an option.
type quirks struct {
	throttleStatus     int
	unknownKeyStatus   int
	currency           string
	vswitchPageMax     int
	eipRefusesStatuses []string
}

// WithThrottlingStatus sets the HTTP status of Throttling.User responses.
// Aliyun's tables say 400 (the default); some products answer 429. Not
// confirmed for ECS/VPC.
func WithThrottlingStatus(status int) Option {
	return func(c *config) { c.quirks.throttleStatus = status }
}

// WithUnknownAccessKeyStatus sets the HTTP status of InvalidAccessKeyId.NotFound:
// 404 (the default) as in captured responses, or 400 as in the documentation.
func WithUnknownAccessKeyStatus(status int) Option {
	return func(c *config) { c.quirks.unknownKeyStatus = status }
}

// WithCurrency sets the simulated cloud's currency, which DescribePrice
// answers in: "CNY" (the default, China site) or "USD" (international
// site, inferred, not confirmed).
func WithCurrency(currency string) Option {
	return func(c *config) { c.quirks.currency = currency }
}

// WithVSwitchPageSizeMax sets the DescribeVSwitches PageSize maximum; the
// default 50 is believed but not confirmed.
func WithVSwitchPageSizeMax(n int) Option {
	return func(c *config) { c.quirks.vswitchPageMax = n }
}

// WithEIPRefusedInstanceStatuses sets the instance statuses in which
// AssociateEipAddress fails with IncorrectInstanceStatus. The reference does
// not confirm them; the default refuses only Pending.
func WithEIPRefusedInstanceStatuses(statuses ...string) Option {
	return func(c *config) { c.quirks.eipRefusesStatuses = append([]string(nil), statuses...) }
}

// WithAccessKey registers an additional access key pair.
func WithAccessKey(id, secret string) Option {
	return func(c *config) { c.keys[id] = secret }
}

// WithRegions replaces the default region catalog.
func WithRegions(regions ...Region) Option {
	return func(c *config) { c.regions = append([]Region(nil), regions...) }
}

// WithCloud serves an existing simulated cloud, for instance one that
// another face (the in-memory fake, another emulator) serves too. The
// cloud's own regions, clock, seed, transition delay, quotas and currency
// hold: WithRegions names only the emulator's display names and price
// factors of the cloud's regions, and WithClock, WithRandSeed,
// WithTransitionDelay and WithCurrency are ignored.
func WithCloud(c *sim.Cloud) Option {
	return func(cf *config) { cf.cloud = c }
}

// WithCallLogLimit keeps only the last n calls in the call log (Calls),
// for a server that runs long; CallCount still counts every call. The
// default keeps every call. It is ignored WithCloud (sim.Options.MaxCalls
// holds).
func WithCallLogLimit(n int) Option {
	return func(c *config) { c.maxCalls = n }
}

// WithTrailLimit keeps only the last n events of the trail that
// LookupEvents reads, for a server that runs long; a NextToken whose
// events were dropped continues with those left. The default keeps every
// event. It is ignored WithCloud (sim.Options.MaxEvents holds).
func WithTrailLimit(n int) Option {
	return func(c *config) { c.maxEvents = n }
}

// WithLatency delays every call by d (see also Server.SetLatency). It is
// the simulated cloud's default latency, so WithCloud it delays the other
// faces' calls too.
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// WithTransitionDelay sets how long each transient state lasts: instance
// Pending, Starting and Stopping, VPC and vSwitch Pending, EIP Associating and
// Unassociating. A new instance is Pending for d, then Starting for d, then
// Running. With 0 (the default) transitions complete before the next read.
func WithTransitionDelay(d time.Duration) Option {
	return func(c *config) { c.delay = d }
}

// WithClock sets the server clock used for resource timestamps and state
// transitions, so tests can advance time instead of sleeping. The signature
// Timestamp is always checked against wall time. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithLogger logs every call at debug level and failures at info level.
// The default discards logs.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.log = l }
}

// WithRandSeed seeds the simulated cloud's random draws (sim.Fault.Rate)
// and hashes (sold-out episodes, wrong stock answers), so that they are
// reproducible; without it the seed is random.
func WithRandSeed(seed uint64) Option {
	return func(c *config) { c.seed, c.hasSeed = seed, true }
}

// NewServer starts an emulator on a loopback httptest server. Call Close to stop it.
func NewServer(opts ...Option) *Server {
	s := New(opts...)
	s.ts = httptest.NewServer(s)
	return s
}

// New returns an emulator that is not listening yet: serve it with Serve (HTTP,
// HTTPS and proxy requests on one listener) or use it as an http.Handler.
// Until a test listener exists (NewServer), URL and Host are empty and
// Client is http.DefaultClient.
func New(opts ...Option) *Server {
	c := &config{
		keys:    map[string]string{DefaultAccessKeyID: DefaultAccessKeySecret},
		regions: DefaultRegions(),
		now:     time.Now,
		log:     slog.New(slog.DiscardHandler),
		quirks: quirks{throttleStatus: 400, unknownKeyStatus: 404, currency: "CNY", vswitchPageMax: 50,
			eipRefusesStatuses: []string{"Pending"}},
	}
	for _, o := range opts {
		o(c)
	}
	seed := c.seed
	if !c.hasSeed {
		seed = rand.Uint64()
	}
	cloud := c.cloud
	regions := c.regions
	if cloud == nil {
		cloud = sim.New(func(o *sim.Options) {
			o.Regions = simRegions(regions)
			o.Clock = sim.ClockFunc(c.now)
			o.Seed = seed
			o.TransitionDelay = c.delay
			o.Currency = c.quirks.currency
			o.IDs = CloudIDs
			o.MaxCalls = c.maxCalls
			o.MaxEvents = c.maxEvents
			o.Quotas = map[sim.Quota]int{sim.QuotaVPCs: defaultVPCQuota, sim.QuotaAddresses: defaultEIPQuota}
		})
	} else {
		regions = faceRegions(cloud.Regions(), regions)
	}
	if c.latency > 0 {
		cloud.SetLatency("", c.latency)
	}
	s := &Server{
		log:    c.log,
		nonces: newNonceCache(),
		keys:   c.keys,
		cloud:  cloud,
		ctl:    newControls(c.quirks.throttleStatus),
		quirks: c.quirks,
		st:     newState(regions, cloud),
	}
	s.handlers = s.routes()
	return s
}

// Cloud returns the simulated cloud the emulator serves, for the knobs the
// emulator does not wrap (sim.Cloud.SetQuota per region, SetClosed,
// SetPrice...) and to serve it through another face too.
func (s *Server) Cloud() *sim.Cloud { return s.cloud }

// now is the time on the simulated cloud's clock.
func (s *Server) now() time.Time { return s.cloud.Now() }

// delay is the simulated cloud's transition delay.
func (s *Server) delay() time.Duration { return s.cloud.TransitionDelay() }

// simRegions are the simulated cloud's regions of the emulator's: Aliyun
// zone IDs are both the zones' names and their IDs.
func simRegions(rs []Region) []sim.Region {
	out := make([]sim.Region, 0, len(rs))
	for _, r := range rs {
		sr := sim.Region{ID: r.ID}
		for _, z := range regionZones(r) {
			sr.Zones = append(sr.Zones, sim.Zone{Name: z, ID: z})
		}
		out = append(out, sr)
	}
	return out
}

// regionZones are r's zones, or the default ones.
func regionZones(r Region) []string {
	if len(r.Zones) == 0 {
		return []string{r.ID + "-a", r.ID + "-b"}
	}
	return r.Zones
}

// faceRegions are the emulator's regions of a simulated cloud's, with the
// display names and price factors of named where it has the region.
func faceRegions(rs []sim.Region, named []Region) []Region {
	out := make([]Region, 0, len(rs))
	for _, r := range rs {
		fr := Region{ID: r.ID, Zones: r.ZoneNames()}
		for _, n := range named {
			if n.ID == r.ID {
				fr.LocalName, fr.PriceFactor = n.LocalName, n.PriceFactor
			}
		}
		out = append(out, fr)
	}
	return out
}

// Close shuts the test listener down and blocks until all its requests have
// completed. It does nothing for a Server from New (cancel Serve's context).
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// URL returns the base URL, e.g. "http://127.0.0.1:PORT"; "" without a test listener.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Host returns "127.0.0.1:PORT", the value for an SDK client's Domain.
func (s *Server) Host() string { return strings.TrimPrefix(s.URL(), "http://") }

// Client returns an HTTP client that talks to the test listener directly.
func (s *Server) Client() *http.Client {
	if s.ts == nil {
		return http.DefaultClient
	}
	return s.ts.Client()
}

// handler serves one action. It returns a response value embedding respBase,
// or an *apiError.
type handler struct {
	fn func(*call) (response, error)
	// global handlers do not need a RegionId.
	global bool
}

// call is one decoded request.
type call struct {
	ctx    context.Context
	action string
	p      params
	region *region // nil for global actions without RegionId
	now    time.Time
}

// response is a success body; respBase carries the RequestId.
type response interface{ setRequestID(string) }

type respBase struct {
	RequestId string `json:"RequestId"`
}

func (b *respBase) setRequestID(id string) { b.RequestId = id }

// apiError is an error response.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

type errorBody struct {
	RequestId string `json:"RequestId"`
	HostId    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

func newRequestID() string { return strings.ToUpper(uuid.NewString()) }

// ServeHTTP implements http.Handler: it serves the call, failing it like a
// network where a fault of a network kind (sim.FaultReset, FaultLost, FaultSlow,
// FaultGarbled) says so.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = prepareV3(r)
	_ = r.ParseForm()
	action, region := r.Form.Get("Action"), r.Form.Get("RegionId")
	if s.cloud.DrawFault(action, region, sim.FaultReset) != nil {
		dropConnection(w)
		return
	}
	f := s.cloud.DrawFault(action, region, sim.FaultLost, sim.FaultSlow, sim.FaultGarbled)
	if f == nil {
		s.serve(w, r)
		return
	}
	bw := &heldResponse{header: w.Header()}
	s.serve(bw, r)
	switch f.Kind {
	case sim.FaultLost:
		dropConnection(w)
		return
	case sim.FaultGarbled:
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(bw.body.Bytes()[:bw.body.Len()/2])
		return
	}
	t := time.NewTimer(f.Latency)
	select {
	case <-t.C:
	case <-r.Context().Done():
		t.Stop()
	}
	w.WriteHeader(bw.status)
	_, _ = w.Write(bw.body.Bytes())
}

// heldResponse keeps a response until a network fault decides its fate.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }
func (h *heldResponse) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}
func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

// serve serves one call. Requests may be direct ("POST /?...") or
// absolute-form proxy requests ("POST http://ecs.cn-hangzhou.aliyuncs.com/?...");
// both are served alike, the region coming from the RegionId parameter.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	if r.Body != nil {
		defer io.Copy(io.Discard, r.Body)
	}
	if err := r.ParseForm(); err != nil {
		s.writeError(w, r, reqID, "", &apiError{status: 400, code: "InvalidParameter", msg: "The request parameters are malformed."})
		return
	}
	form := r.Form
	action, version := form.Get("Action"), form.Get("Version")
	if r.URL.Path != "/" && r.URL.Path != "" {
		s.writeError(w, r, reqID, version, errNoAction)
		return
	}
	authenticate := func() *apiError { return s.authenticate(r.Method, form) }
	if isV3(r) {
		authenticate = func() *apiError { return s.authenticateV3(r) }
	}
	if e := authenticate(); e != nil {
		s.writeError(w, r, reqID, version, e)
		return
	}
	regionID := cmp.Or(form.Get("RegionId"), trailRegion(version, r.Host))
	logged := sim.Call{At: s.now(), Action: action, Region: regionID, Target: callTarget(form)}
	var callErr error
	defer func() {
		logged.Err = callErr
		s.cloud.Record(logged)
	}()
	h, ok := s.handlers[version][action]
	if !ok {
		callErr = errNoAction
		s.writeError(w, r, reqID, version, errNoAction)
		return
	}
	if err := s.before(r.Context(), action, regionID); err != nil {
		callErr = err
		s.writeError(w, r, reqID, version, err)
		return
	}
	c := &call{ctx: r.Context(), action: action, p: params(form), now: s.now()}
	if regionID != "" {
		s.mu.RLock()
		c.region = s.st.regions[regionID]
		s.mu.RUnlock()
		if c.region == nil {
			callErr = &apiError{status: 404, code: "InvalidRegionId.NotFound", msg: "The specified RegionId does not exist."}
			s.writeError(w, r, reqID, version, callErr)
			return
		}
	} else if !h.global {
		callErr = errMissing("RegionId")
		s.writeError(w, r, reqID, version, callErr)
		return
	}
	resp, err := h.fn(c)
	if err != nil {
		callErr = err
		s.writeError(w, r, reqID, version, err)
		return
	}
	logged.Target = cmp.Or(responseTarget(resp), logged.Target)
	resp.setRequestID(reqID)
	s.recordTrail(c, version, resp)
	s.log.Debug("aliyuntest call", "action", action, "region", regionID, "request_id", reqID)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(resp)
}

var errNoAction = &apiError{status: 404, code: "InvalidAction.NotFound", msg: "Specified api is not found, please check your url and method."}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, reqID, version string, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{status: 500, code: "InternalError", msg: "The request processing has failed due to some unknown error."}
	}
	product, host := "Ecs", "ecs.aliyuncs.com"
	if version == VPCVersion {
		product, host = "Vpc", "vpc.aliyuncs.com"
	}
	if region := r.Form.Get("RegionId"); region != "" && product == "Ecs" {
		host = "ecs." + region + ".aliyuncs.com"
	}
	body := errorBody{
		RequestId: reqID,
		HostId:    host,
		Code:      e.code,
		Message:   e.msg,
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + e.code + "&product=" + product + "&requestId=" + reqID,
	}
	s.log.Info("aliyuntest error", "action", r.Form.Get("Action"), "code", e.code, "status", e.status, "request_id", reqID)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(body)
}

// Calls returns a copy of the simulated cloud's call log, oldest first:
// every authenticated call, including those that were throttled, failed
// by a fault, or rejected, with the error it was answered with (an error
// whose text is "<Code>: <Message>").
func (s *Server) Calls() []sim.Call { return s.cloud.Calls() }

// CallCount returns the number of authenticated calls of action ("" for
// every action).
func (s *Server) CallCount(action string) int { return s.cloud.CallCount(action) }

// ResetCalls empties the call log.
func (s *Server) ResetCalls() { s.cloud.ResetCalls() }

// targetParams are the parameters that name the resource of a call, in
// order of preference, for the call log.
var targetParams = []string{"InstanceId", "AllocationId", "SecurityGroupId", "VSwitchId", "VpcId", "DiskId"}

// callTarget is the resource a call names.
func callTarget(form map[string][]string) string {
	for _, k := range targetParams {
		if v := form[k]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// responseTarget is what a create call created, for the call log.
func responseTarget(r response) string {
	switch r := r.(type) {
	case *runInstancesResp:
		return strings.Join(r.InstanceIdSets.InstanceIdSet, ",")
	case *createVpcResp:
		return r.VpcId
	case *createVSwitchResp:
		return r.VSwitchId
	case *createSGResp:
		return r.SecurityGroupId
	case *allocateEipResp:
		return r.AllocationId
	}
	return ""
}

// routes builds the dispatch table.
func (s *Server) routes() map[string]map[string]handler {
	ecs := map[string]handler{
		"DescribeRegions":                {fn: s.describeRegions, global: true},
		"DescribeZones":                  {fn: s.describeZones},
		"DescribeInstanceTypes":          {fn: s.describeInstanceTypes, global: true},
		"DescribeImages":                 {fn: s.describeImages},
		"DescribeAvailableResource":      {fn: s.describeAvailableResource},
		"DescribePrice":                  {fn: s.describePrice},
		"DescribeSpotPriceHistory":       {fn: s.describeSpotPriceHistory},
		"RunInstances":                   {fn: s.runInstances},
		"DescribeInstances":              {fn: s.describeInstances},
		"DescribeInstanceStatus":         {fn: s.describeInstanceStatus},
		"DescribeInstanceHistoryEvents":  {fn: s.describeInstanceHistoryEvents},
		"StartInstance":                  {fn: s.startInstance},
		"StopInstance":                   {fn: s.stopInstance},
		"RebootInstance":                 {fn: s.rebootInstance},
		"DeleteInstance":                 {fn: s.deleteInstance},
		"StartInstances":                 {fn: s.startInstances},
		"StopInstances":                  {fn: s.stopInstances},
		"RebootInstances":                {fn: s.rebootInstances},
		"DeleteInstances":                {fn: s.deleteInstances},
		"DescribeDisks":                  {fn: s.describeDisksPaged},
		"CreateSecurityGroup":            {fn: s.createSecurityGroup},
		"AuthorizeSecurityGroup":         {fn: s.authorizeSecurityGroup},
		"DescribeSecurityGroups":         {fn: s.describeSecurityGroups},
		"DescribeSecurityGroupAttribute": {fn: s.describeSecurityGroupAttribute},
		"DeleteSecurityGroup":            {fn: s.deleteSecurityGroup},
		"TagResources":                   {fn: s.ecsTagResources},
		"ListTagResources":               {fn: s.ecsListTagResources},
		// Read-back and clean-up actions infrastructure tools call.
		"UntagResources":                        {fn: s.ecsUntagResources},
		"RevokeSecurityGroup":                   {fn: s.revokeSecurityGroup},
		"ModifySecurityGroupPolicy":             {fn: s.modifySecurityGroupPolicy},
		"DescribeInstanceAttribute":             {fn: s.describeInstanceAttribute, global: true},
		"DescribeUserData":                      {fn: s.describeUserData},
		"DescribeInstanceRamRole":               {fn: s.describeInstanceRamRole},
		"DescribeInstanceMaintenanceAttributes": {fn: s.describeInstanceMaintenanceAttributes},
		"DescribeInstanceAttachmentAttributes":  {fn: s.describeInstanceAttachmentAttributes},
		"DescribeNetworkInterfaces":             {fn: s.describeNetworkInterfaces},
		"DescribeInstanceAutoRenewAttribute":    {fn: s.describeInstanceAutoRenewAttribute},
	}
	vpc := map[string]handler{
		"CreateVpc":             {fn: s.createVpc},
		"DescribeVpcs":          {fn: s.describeVpcs},
		"DeleteVpc":             {fn: s.deleteVpc},
		"CreateVSwitch":         {fn: s.createVSwitch},
		"DescribeVSwitches":     {fn: s.describeVSwitches},
		"DeleteVSwitch":         {fn: s.deleteVSwitch},
		"AllocateEipAddress":    {fn: s.allocateEipAddress},
		"AssociateEipAddress":   {fn: s.associateEipAddress},
		"UnassociateEipAddress": {fn: s.unassociateEipAddress},
		"ReleaseEipAddress":     {fn: s.releaseEipAddress},
		"DescribeEipAddresses":  {fn: s.describeEipAddresses},
		"TagResources":          {fn: s.vpcTagResources},
		"ListTagResources":      {fn: s.vpcListTagResources},
		"DescribeRegions":       {fn: s.vpcDescribeRegions, global: true},
		// Read-back and update actions infrastructure tools call.
		"UnTagResources":            {fn: s.vpcUnTagResources},
		"DescribeVpcAttribute":      {fn: s.describeVpcAttribute},
		"ModifyVpcAttribute":        {fn: s.modifyVpcAttribute},
		"DescribeVSwitchAttributes": {fn: s.describeVSwitchAttributes},
		"ModifyVSwitchAttribute":    {fn: s.modifyVSwitchAttribute},
		"DescribeRouteTableList":    {fn: s.describeRouteTableList},
	}
	return map[string]map[string]handler{ECSVersion: ecs, VPCVersion: vpc, ActionTrailVersion: s.trailRoutes()}
}
