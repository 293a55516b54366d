package multicloud

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/multicloud-ecs/multicloud/pricing"
)

// ChargeMode is how an instance is billed: OnDemand, Prepaid or Spot.
type ChargeMode = pricing.ChargeMode

// BandwidthMode is how a public address's bandwidth is billed: Traffic or
// Fixed.
type BandwidthMode = pricing.BandwidthMode

// The charge and bandwidth modes, as the request spells them.
const (
	OnDemand = pricing.OnDemand // ON_DEMAND: pay by the hour
	Prepaid  = pricing.Prepaid  // PREPAID: pay Duration months up front
	Spot     = pricing.Spot     // SPOT: pay the market price by the hour; the cloud may reclaim the instance
	Traffic  = pricing.Traffic  // TRAFFIC: pay per GB sent
	Fixed    = pricing.Fixed    // FIXED: pay for the bandwidth reserved
)

// PublicIPMode says how a public address is given to an instance.
type PublicIPMode string

// The public address modes.
const (
	// PublicIPElastic allocates an elastic address and binds it to the
	// instance; it can outlive the instance and is released on Delete.
	PublicIPElastic PublicIPMode = "EIP"
	// PublicIPInstance gives the instance its own public address, which
	// lives and dies with it.
	PublicIPInstance PublicIPMode = "INSTANCE"
)

// NetworkIsolation is how the users of one region share a provider's
// network. Users never share a security group under any of them.
type NetworkIsolation string

// The network isolation modes.
const (
	// IsolateUser gives every user (tenant and user ID) a VPC of their
	// own: the default. It meets a cloud's VPC quota per region (10 on
	// Aliyun, 5 on AWS by default) after that many users.
	IsolateUser NetworkIsolation = "user"
	// IsolateTenant gives every tenant one VPC, and each of its users a
	// switch (subnet) per zone and a security group in it.
	IsolateTenant NetworkIsolation = "tenant"
	// IsolateShared puts every user of the account in one VPC per region,
	// with a switch per zone shared and a security group per user.
	IsolateShared NetworkIsolation = "shared"
)

// The reserved tag keys (with TagToken, on instances). The Client sets
// them on every instance and network resource it creates; a request that
// sets one itself, or a look-alike of one (see IsReservedTag), is
// rejected, so that no user can claim another user's network by tagging.
const (
	TagTenant    = "tenantId"
	TagOwner     = "Owner"
	TagCreatedBy = "createdBy"
	// CreatedByValue is the value of the createdBy tag.
	CreatedByValue = "multicloud"
)

// Defaults applied by Normalize to fields left zero.
const (
	DefaultSystemDiskSize = 40 // GiB
	DefaultBandwidthMbps  = 5
	// MaxQuantity is the largest Quantity one request may ask for.
	MaxQuantity = 100
	// MaxTags is how many tags a resource may carry, reserved tags included.
	MaxTags = 20
)

// CreateInstanceRequest is a portable request for one or more identical
// instances. Build it as a literal or with NewCreateInstanceRequest and
// RequestOptions; the JSON names are the ones order systems store, so a
// stored request can be replayed. Password is a Secret and does not
// survive JSON: set it again before replaying.
//
// Zero values mean "not set": Normalize fills the defaults, Validate
// reports what is wrong. The Client does both.
type CreateInstanceRequest struct {
	Provider string `json:"provider,omitempty"` // provider code; required by FixedScheduler
	Region   string `json:"region"`
	Zone     string `json:"zone,omitempty"` // empty: the provider picks one with stock

	TenantID string `json:"tenantId"`
	UserID   string `json:"userId"`

	InstanceName string `json:"instanceName"`
	// InstanceType, when set, wins over GPUModel and CPU/Memory.
	InstanceType string `json:"instanceType,omitempty"`
	ImageKey     string `json:"imageKey"`
	GPUModel     string `json:"gpuModel,omitempty"` // e.g. "A100", "V100", "T4", "A10"
	GPUCount     int    `json:"gpuCount,omitempty"` // 0 with a GPUModel means 1
	CPU          int    `json:"cpu,omitempty"`      // minimum vCPUs
	Memory       int    `json:"memory,omitempty"`   // minimum memory in GiB

	SystemDiskSize int    `json:"systemDiskSize,omitempty"` // GiB; default 40
	SystemDiskType string `json:"systemDiskType,omitempty"` // provider's category; default the provider's

	AllocatePublicIP  bool          `json:"allocatePublicIp,omitempty"`
	PublicIPBandwidth int           `json:"publicIpBandwidth,omitempty"` // Mbit/s; default 5 when AllocatePublicIP
	BandwidthMode     BandwidthMode `json:"bandwidthMode,omitempty"`     // default TRAFFIC
	PublicIPMode      PublicIPMode  `json:"publicIpMode,omitempty"`      // default EIP
	OpenPorts         []int         `json:"openPorts,omitempty"`         // inbound TCP ports opened to the world

	Password    Secret `json:"password,omitempty"`
	KeyPairName string `json:"keyPairName,omitempty"`

	InstanceChargeMode ChargeMode `json:"instanceChargeMode,omitempty"` // default ON_DEMAND
	Duration           int        `json:"duration,omitempty"`           // months; PREPAID only
	Quantity           int        `json:"quantity,omitempty"`           // default 1

	// NetworkIsolation, when set, overrides the client's (UseNetworkIsolation)
	// and the provider's default, IsolateUser.
	NetworkIsolation NetworkIsolation `json:"networkIsolation,omitempty"`

	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Extensions pass provider-specific settings through, keyed
	// "<provider>.<name>"; a provider ignores keys of other providers.
	Extensions map[string]string `json:"extensions,omitempty"`

	// IdempotencyKey identifies this request across retries: a request
	// sent again with the same key creates nothing new. Set it, for
	// instance to the order ID, so that retrying a whole CreateInstance
	// call (after a timeout or a crash) is safe, and a CreateInstance
	// after a Client.Quote with the same key builds the quoted plan. When
	// it is empty, CreateInstance generates one that covers only its own
	// retries (an identical request quoted within the quote TTL still
	// builds the quoted plan).
	IdempotencyKey string `json:"idempotencyKey,omitempty"`

	// Constraints bound where a price-aware scheduler (CheapestScheduler)
	// may place the request; nil allows any provider and region.
	Constraints *Constraints `json:"constraints,omitempty"`
}

// RequestOption edits a CreateInstanceRequest. Options apply in order; the
// last one to set a field wins.
type RequestOption func(*CreateInstanceRequest)

// NewCreateInstanceRequest returns a request built from opts. It does not
// validate: the Client does, or call Validate.
func NewCreateInstanceRequest(opts ...RequestOption) *CreateInstanceRequest {
	r := &CreateInstanceRequest{}
	r.Apply(opts...)
	return r
}

// Apply applies opts to r in order.
func (r *CreateInstanceRequest) Apply(opts ...RequestOption) {
	for _, o := range opts {
		o(r)
	}
}

// WithProvider sets the provider code.
func WithProvider(code string) RequestOption {
	return func(r *CreateInstanceRequest) { r.Provider = code }
}

// WithPlacement sets the region and, optionally, the zone.
func WithPlacement(region, zone string) RequestOption {
	return func(r *CreateInstanceRequest) { r.Region, r.Zone = region, zone }
}

// WithOwner sets the tenant and the user the instance belongs to.
func WithOwner(tenantID, userID string) RequestOption {
	return func(r *CreateInstanceRequest) { r.TenantID, r.UserID = tenantID, userID }
}

// WithName sets the instance name.
func WithName(name string) RequestOption {
	return func(r *CreateInstanceRequest) { r.InstanceName = name }
}

// WithImage sets the portable image key, e.g. "pytorch-1.12".
func WithImage(key string) RequestOption {
	return func(r *CreateInstanceRequest) { r.ImageKey = key }
}

// WithInstanceType sets an explicit provider instance type.
func WithInstanceType(t string) RequestOption {
	return func(r *CreateInstanceRequest) { r.InstanceType = t }
}

// WithGPU asks for count GPUs of model.
func WithGPU(model string, count int) RequestOption {
	return func(r *CreateInstanceRequest) { r.GPUModel, r.GPUCount = model, count }
}

// WithCPUMemory asks for at least cpu vCPUs and memoryGiB of memory.
func WithCPUMemory(cpu, memoryGiB int) RequestOption {
	return func(r *CreateInstanceRequest) { r.CPU, r.Memory = cpu, memoryGiB }
}

// WithSystemDisk sets the system disk category and size in GiB.
func WithSystemDisk(diskType string, sizeGiB int) RequestOption {
	return func(r *CreateInstanceRequest) { r.SystemDiskType, r.SystemDiskSize = diskType, sizeGiB }
}

// WithPublicIP asks for a public address of mbps Mbit/s billed by mode.
func WithPublicIP(mbps int, mode BandwidthMode) RequestOption {
	return func(r *CreateInstanceRequest) {
		r.AllocatePublicIP, r.PublicIPBandwidth, r.BandwidthMode = true, mbps, mode
	}
}

// WithPublicIPMode chooses between an elastic address and the instance's
// own public address.
func WithPublicIPMode(m PublicIPMode) RequestOption {
	return func(r *CreateInstanceRequest) { r.PublicIPMode = m }
}

// AddPorts appends inbound TCP ports to open to those already set.
func AddPorts(ports ...int) RequestOption {
	return func(r *CreateInstanceRequest) { r.OpenPorts = append(r.OpenPorts, ports...) }
}

// WithPassword sets the login password.
func WithPassword(p Secret) RequestOption {
	return func(r *CreateInstanceRequest) { r.Password = p }
}

// WithKeyPair sets the SSH key pair name.
func WithKeyPair(name string) RequestOption {
	return func(r *CreateInstanceRequest) { r.KeyPairName = name }
}

// WithPrepaid bills the instances PREPAID for months months.
func WithPrepaid(months int) RequestOption {
	return func(r *CreateInstanceRequest) { r.InstanceChargeMode, r.Duration = Prepaid, months }
}

// WithSpot bills the instances as SPOT (preemptible) instances at the
// market price. A provider that does not sell spot instances offers no
// placement for them.
func WithSpot() RequestOption {
	return func(r *CreateInstanceRequest) { r.InstanceChargeMode, r.Duration = Spot, 0 }
}

// WithQuantity asks for n identical instances in one call.
func WithQuantity(n int) RequestOption {
	return func(r *CreateInstanceRequest) { r.Quantity = n }
}

// WithNetworkIsolation sets how the instance's network is shared with
// other users of its region; see NetworkIsolation.
func WithNetworkIsolation(i NetworkIsolation) RequestOption {
	return func(r *CreateInstanceRequest) { r.NetworkIsolation = i }
}

// WithDescription sets the description.
func WithDescription(d string) RequestOption {
	return func(r *CreateInstanceRequest) { r.Description = d }
}

// AddTag adds a user tag to those already set, replacing one of the same key.
func AddTag(key, value string) RequestOption {
	return func(r *CreateInstanceRequest) {
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		r.Tags[key] = value
	}
}

// AddExtension adds a provider-specific setting, keyed "<provider>.<name>",
// to those already set, replacing one of the same key.
func AddExtension(key, value string) RequestOption {
	return func(r *CreateInstanceRequest) {
		if r.Extensions == nil {
			r.Extensions = map[string]string{}
		}
		r.Extensions[key] = value
	}
}

// WithIdempotencyKey sets the key that makes retries of this request safe.
func WithIdempotencyKey(key string) RequestOption {
	return func(r *CreateInstanceRequest) { r.IdempotencyKey = key }
}

// Clone returns a deep copy of r.
func (r *CreateInstanceRequest) Clone() *CreateInstanceRequest {
	c := *r
	c.OpenPorts = slices.Clone(r.OpenPorts)
	c.Tags = maps.Clone(r.Tags)
	c.Extensions = maps.Clone(r.Extensions)
	c.Constraints = r.Constraints.clone()
	return &c
}

// Normalize fills the portable defaults into zero fields: quantity 1,
// ON_DEMAND, TRAFFIC, EIP, the default system disk size, the default
// bandwidth when a public IP is asked for, one GPU when only a model is
// given, and a random IdempotencyKey. It sorts and de-duplicates
// OpenPorts. It changes nothing that is set. The system disk category is
// left to the provider (RequestValidator.DefaultRequest).
func (r *CreateInstanceRequest) Normalize() {
	if r.Quantity == 0 {
		r.Quantity = 1
	}
	if r.InstanceChargeMode == "" {
		r.InstanceChargeMode = OnDemand
	}
	if r.BandwidthMode == "" {
		r.BandwidthMode = Traffic
	}
	if r.PublicIPMode == "" {
		r.PublicIPMode = PublicIPElastic
	}
	if r.SystemDiskSize == 0 {
		r.SystemDiskSize = DefaultSystemDiskSize
	}
	if r.AllocatePublicIP && r.PublicIPBandwidth == 0 {
		r.PublicIPBandwidth = DefaultBandwidthMbps
	}
	if r.GPUModel != "" && r.GPUCount == 0 {
		r.GPUCount = 1
	}
	if len(r.OpenPorts) > 0 {
		r.OpenPorts = slices.Compact(slices.Sorted(slices.Values(r.OpenPorts)))
	}
	if r.IdempotencyKey == "" {
		r.IdempotencyKey = NewIdempotencyKey()
	}
}

// NewIdempotencyKey returns a random key for CreateInstanceRequest.
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// FieldError is one problem Validate found, naming the JSON field.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "field: reason".
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Validate checks r against the portable rules, those true of every cloud,
// and reports every problem at once: the result is an *Error of
// CodeInvalidArgument (errors.Is(err, ErrInvalidArgument)) whose cause
// joins one *FieldError per problem, in field order. It expects a
// Normalized request where defaults matter (a zero Quantity is reported).
// A provider's own rules (disk categories, name and password character
// sets, bandwidth caps, billing periods) are the provider's: the Client
// adds them through RequestValidator, in the same report. The password is
// never part of a message.
func (r *CreateInstanceRequest) Validate() error {
	var v validator
	v.portable(r)
	return v.err()
}

// ValidationError returns the *Error of CodeInvalidArgument that Validate
// returns for fes, or nil when there are none. A RequestValidator may use
// it to report its field errors on its own.
func ValidationError(fes ...*FieldError) error {
	var v validator
	for _, fe := range fes {
		v.errs = append(v.errs, fe)
	}
	return v.err()
}

// portable adds the problems of r under the rules of every cloud.
func (v *validator) portable(r *CreateInstanceRequest) {
	v.required("tenantId", r.TenantID)
	v.tagValue("tenantId", r.TenantID)
	v.required("userId", r.UserID)
	v.tagValue("userId", r.UserID)
	if r.Constraints == nil { // constraints let a scheduler choose the region
		v.required("region", r.Region)
	}
	v.constraints(r.Constraints)
	v.identifier("region", r.Region)
	v.identifier("zone", r.Zone)
	v.identifier("provider", r.Provider)
	v.required("instanceName", r.InstanceName)
	v.maxLen("instanceName", r.InstanceName, 128)
	v.required("imageKey", r.ImageKey)
	if r.InstanceType == "" && r.GPUModel == "" && (r.CPU == 0 || r.Memory == 0) {
		v.add("instanceType", "one of instanceType, gpuModel, or cpu and memory is required")
	}
	switch {
	case r.GPUCount < 0 || r.GPUCount > 16:
		v.add("gpuCount", fmt.Sprintf("must be between 0 and 16, got %d", r.GPUCount))
	case r.GPUCount > 0 && r.GPUModel == "":
		v.add("gpuCount", "requires gpuModel")
	}
	if r.CPU < 0 || r.CPU > 1024 {
		v.add("cpu", fmt.Sprintf("must be between 0 and 1024, got %d", r.CPU))
	}
	if r.Memory < 0 || r.Memory > 16384 {
		v.add("memory", fmt.Sprintf("must be between 0 and 16384 GiB, got %d", r.Memory))
	}
	v.maxLen("systemDiskType", r.SystemDiskType, 64)
	if r.SystemDiskSize < 1 || r.SystemDiskSize > 65536 {
		v.add("systemDiskSize", fmt.Sprintf("must be between 1 and 65536 GiB, got %d", r.SystemDiskSize))
	}
	v.publicIP(r)
	for _, p := range r.OpenPorts {
		if p < 1 || p > 65535 {
			v.add("openPorts", fmt.Sprintf("port %d out of range 1-65535", p))
		}
	}
	if len(r.OpenPorts) > 200 {
		v.add("openPorts", fmt.Sprintf("at most 200 ports, got %d", len(r.OpenPorts)))
	}
	if n := utf8.RuneCountInString(r.Password.Reveal()); n > 128 {
		v.add("password", fmt.Sprintf("at most 128 characters, got %d", n))
	}
	v.maxLen("keyPairName", r.KeyPairName, 255)
	v.charge(r.InstanceChargeMode, r.Duration)
	if r.Quantity < 1 || r.Quantity > MaxQuantity {
		v.add("quantity", fmt.Sprintf("must be between 1 and %d, got %d", MaxQuantity, r.Quantity))
	}
	switch r.NetworkIsolation {
	case "", IsolateUser, IsolateTenant, IsolateShared:
	default:
		v.add("networkIsolation", fmt.Sprintf("must be user, tenant or shared, got %q", r.NetworkIsolation))
	}
	v.maxLen("description", r.Description, 256)
	v.tags(r.Tags)
	for k := range r.Extensions {
		if k == "" {
			v.add("extensions", "keys must not be empty")
		}
	}
	if len(r.IdempotencyKey) > 128 {
		v.add("idempotencyKey", fmt.Sprintf("at most 128 characters, got %d", len(r.IdempotencyKey)))
	}
}

// String describes the request without its password.
func (r *CreateInstanceRequest) String() string {
	return fmt.Sprintf("CreateInstanceRequest{provider=%q region=%q zone=%q tenant=%q user=%q name=%q type=%q gpu=%s*%d image=%q quantity=%d}",
		r.Provider, r.Region, r.Zone, r.TenantID, r.UserID, r.InstanceName, r.InstanceType, r.GPUModel, r.GPUCount, r.ImageKey, r.Quantity)
}

// validator collects field errors.
type validator struct{ errs []error }

func (v *validator) add(field, reason string) {
	v.errs = append(v.errs, &FieldError{Field: field, Reason: reason})
}

// merge adds fes, leaving out any the report holds already (a provider
// may check again what the portable rules check).
func (v *validator) merge(fes []*FieldError) {
	for _, fe := range fes {
		if !slices.ContainsFunc(v.errs, func(e error) bool { return *e.(*FieldError) == *fe }) {
			v.errs = append(v.errs, fe)
		}
	}
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	fields := make([]string, 0, len(v.errs))
	for _, e := range v.errs {
		fields = append(fields, e.(*FieldError).Field)
	}
	return &Error{Op: "Validate", Code: CodeInvalidArgument,
		Message: "invalid request (" + strings.Join(slices.Compact(fields), ", ") + ")", Err: errors.Join(v.errs...)}
}

func (v *validator) required(field, value string) {
	if strings.TrimSpace(value) == "" {
		v.add(field, "is required")
	}
}

func (v *validator) maxLen(field, value string, n int) {
	if got := utf8.RuneCountInString(value); got > n {
		v.add(field, fmt.Sprintf("at most %d characters, got %d", n, got))
	}
}

// identifier checks provider, region and zone codes: letters, digits, '-'
// and '_' only, so they can be used in endpoints and tags.
func (v *validator) identifier(field, value string) {
	if value == "" {
		return
	}
	if len(value) > 64 {
		v.add(field, fmt.Sprintf("at most 64 characters, got %d", len(value)))
		return
	}
	for _, c := range value {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			v.add(field, fmt.Sprintf("%q may hold only letters, digits, '-' and '_'", value))
			return
		}
	}
}

// tagValue checks a value that ends up in a tag (tenantId, userId): at
// most 128 characters, the least any cloud allows for a tag value.
func (v *validator) tagValue(field, value string) {
	if n := utf8.RuneCountInString(value); n > 128 {
		v.add(field, fmt.Sprintf("at most 128 characters, got %d", n))
	}
}

// publicIP checks the portable public address fields; each cloud caps the
// bandwidth its own way.
func (v *validator) publicIP(r *CreateInstanceRequest) {
	switch r.BandwidthMode {
	case Traffic, Fixed:
	default:
		v.add("bandwidthMode", fmt.Sprintf("must be TRAFFIC or FIXED, got %q", r.BandwidthMode))
	}
	switch r.PublicIPMode {
	case PublicIPElastic, PublicIPInstance:
	default:
		v.add("publicIpMode", fmt.Sprintf("must be EIP or INSTANCE, got %q", r.PublicIPMode))
	}
	if !r.AllocatePublicIP {
		if r.PublicIPBandwidth != 0 {
			v.add("publicIpBandwidth", "set while allocatePublicIp is false")
		}
		return
	}
	if r.PublicIPBandwidth < 1 {
		v.add("publicIpBandwidth", fmt.Sprintf("must be at least 1 Mbit/s, got %d", r.PublicIPBandwidth))
	}
}

// charge checks the billing fields; which prepaid periods are sold is each
// cloud's.
func (v *validator) charge(mode ChargeMode, months int) {
	switch mode {
	case OnDemand, Spot:
		if months != 0 {
			v.add("duration", "only for PREPAID")
		}
	case Prepaid:
		if months < 1 {
			v.add("duration", fmt.Sprintf("PREPAID needs a duration of at least 1 month, got %d", months))
		}
	default:
		v.add("instanceChargeMode", fmt.Sprintf("must be ON_DEMAND, PREPAID or SPOT, got %q", mode))
	}
}

func (v *validator) tags(tags map[string]string) {
	if n := len(reservedTags); len(tags) > MaxTags-n {
		v.add("tags", fmt.Sprintf("at most %d user tags (%d of %d are reserved), got %d", MaxTags-n, n, MaxTags, len(tags)))
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := tags[k]
		switch {
		case TagKeyProblem(k) != "":
			v.add("tags", fmt.Sprintf("key %q %s", k, TagKeyProblem(k)))
		case IsReservedTag(k):
			v.add("tags", fmt.Sprintf("key %q is reserved and set by the client", k))
		case k == "" || utf8.RuneCountInString(k) > 128:
			v.add("tags", fmt.Sprintf("key %q must be 1-128 characters", k))
		}
		// Prefixes a cloud reserves (acs:, aliyun, aws:) are the
		// provider's rules (RequestValidator).
		if utf8.RuneCountInString(val) > 128 {
			v.add("tags", fmt.Sprintf("value of %q must be at most 128 characters", k))
		}
	}
}

// LogValue implements slog.LogValuer: the request's identifying fields,
// never its password.
func (r *CreateInstanceRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("provider", r.Provider), slog.String("region", r.Region), slog.String("zone", r.Zone),
		slog.String("tenantId", r.TenantID), slog.String("userId", r.UserID), slog.String("instanceName", r.InstanceName),
		slog.String("instanceType", r.InstanceType), slog.String("gpuModel", r.GPUModel), slog.Int("gpuCount", r.GPUCount),
		slog.String("imageKey", r.ImageKey), slog.Int("quantity", r.Quantity), slog.Bool("password", r.Password != ""),
		slog.String("idempotencyKey", r.IdempotencyKey))
}
