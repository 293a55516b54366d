package multicloud

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/multicloud-ecs/multicloud/pricing"
)

// ChargeMode is how an instance is billed: OnDemand or Prepaid.
type ChargeMode = pricing.ChargeMode

// BandwidthMode is how a public address's bandwidth is billed: Traffic or
// Fixed.
type BandwidthMode = pricing.BandwidthMode

// The charge and bandwidth modes, as the request spells them.
const (
	OnDemand = pricing.OnDemand // ON_DEMAND: pay by the hour
	Prepaid  = pricing.Prepaid  // PREPAID: pay Duration months up front
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
	DefaultSystemDiskType = "cloud_essd"
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
	SystemDiskType string `json:"systemDiskType,omitempty"` // default cloud_essd

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

	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Extensions pass provider-specific settings through, keyed
	// "<provider>.<name>"; a provider ignores keys of other providers.
	Extensions map[string]string `json:"extensions,omitempty"`

	// IdempotencyKey identifies this request across retries: a request
	// sent again with the same key creates nothing new. Set it, for
	// instance to the order ID, so that retrying a whole CreateInstance
	// call (after a timeout or a crash) is safe. When it is empty,
	// CreateInstance generates one that covers only its own retries.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
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

// WithQuantity asks for n identical instances in one call.
func WithQuantity(n int) RequestOption {
	return func(r *CreateInstanceRequest) { r.Quantity = n }
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
	c.Tags = cloneMap(r.Tags)
	c.Extensions = cloneMap(r.Extensions)
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Normalize fills defaults into zero fields: quantity 1, ON_DEMAND,
// TRAFFIC, EIP, the default system disk, the default bandwidth when a
// public IP is asked for, one GPU when only a model is given, and a random
// IdempotencyKey. It sorts and de-duplicates OpenPorts. It changes nothing
// that is set.
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
	if r.SystemDiskType == "" {
		r.SystemDiskType = DefaultSystemDiskType
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

// Validate checks r against the portable rules and reports every problem
// at once: the result is an *Error of CodeInvalidArgument (errors.Is(err,
// ErrInvalidArgument)) whose cause joins one *FieldError per problem, in
// field order. It expects a Normalized request where defaults matter (a
// zero Quantity is reported). Providers may add their own rules. The
// password is never part of a message.
func (r *CreateInstanceRequest) Validate() error {
	var v validator
	v.required("tenantId", r.TenantID)
	v.tagValue("tenantId", r.TenantID)
	v.required("userId", r.UserID)
	v.tagValue("userId", r.UserID)
	v.required("region", r.Region)
	v.identifier("region", r.Region)
	v.identifier("zone", r.Zone)
	v.identifier("provider", r.Provider)
	v.required("instanceName", r.InstanceName)
	if r.InstanceName != "" {
		v.instanceName(r.InstanceName)
	}
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
	v.disk(r.SystemDiskType, r.SystemDiskSize)
	v.publicIP(r)
	for _, p := range r.OpenPorts {
		if p < 1 || p > 65535 {
			v.add("openPorts", fmt.Sprintf("port %d out of range 1-65535", p))
		}
	}
	if len(r.OpenPorts) > 200 {
		v.add("openPorts", fmt.Sprintf("at most 200 ports, got %d", len(r.OpenPorts)))
	}
	if r.Password != "" {
		v.password(r.Password.Reveal())
	}
	if r.KeyPairName != "" && (utf8.RuneCountInString(r.KeyPairName) < 2 || utf8.RuneCountInString(r.KeyPairName) > 128) {
		v.add("keyPairName", "must be 2-128 characters")
	}
	v.charge(r.InstanceChargeMode, r.Duration)
	if r.Quantity < 1 || r.Quantity > MaxQuantity {
		v.add("quantity", fmt.Sprintf("must be between 1 and %d, got %d", MaxQuantity, r.Quantity))
	}
	if r.Description != "" {
		n := utf8.RuneCountInString(r.Description)
		if n < 2 || n > 256 {
			v.add("description", fmt.Sprintf("must be 2-256 characters, got %d", n))
		}
		if hasURLPrefix(r.Description) {
			v.add("description", "must not start with http:// or https://")
		}
	}
	v.tags(r.Tags)
	for k := range r.Extensions {
		if k == "" {
			v.add("extensions", "keys must not be empty")
		}
	}
	if len(r.IdempotencyKey) > 128 {
		v.add("idempotencyKey", fmt.Sprintf("at most 128 characters, got %d", len(r.IdempotencyKey)))
	}
	return v.err()
}

// String describes the request without its password.
func (r *CreateInstanceRequest) String() string {
	return fmt.Sprintf("CreateInstanceRequest{provider=%q region=%q zone=%q tenant=%q user=%q name=%q type=%q gpu=%s*%d image=%q quantity=%d}",
		r.Provider, r.Region, r.Zone, r.TenantID, r.UserID, r.InstanceName, r.InstanceType, r.GPUModel, r.GPUCount, r.ImageKey, r.Quantity)
}

type validator struct{ errs []error }

func (v *validator) add(field, reason string) {
	v.errs = append(v.errs, &FieldError{Field: field, Reason: reason})
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

func hasURLPrefix(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// tagValue checks a value that ends up in a tag (tenantId, userId).
func (v *validator) tagValue(field, value string) {
	if value == "" {
		return
	}
	if n := utf8.RuneCountInString(value); n > 128 {
		v.add(field, fmt.Sprintf("at most 128 characters, got %d", n))
	}
	l := strings.ToLower(value)
	if strings.HasPrefix(l, "acs:") || strings.HasPrefix(l, "aliyun") || hasURLPrefix(value) {
		v.add(field, "must not start with acs:, aliyun, http:// or https://")
	}
}

func (v *validator) instanceName(name string) {
	n := utf8.RuneCountInString(name)
	if n < 2 || n > 128 {
		v.add("instanceName", fmt.Sprintf("must be 2-128 characters, got %d", n))
	}
	first, _ := utf8.DecodeRuneInString(name)
	if !unicode.IsLetter(first) {
		v.add("instanceName", "must start with a letter")
	}
	if hasURLPrefix(name) {
		v.add("instanceName", "must not start with http:// or https://")
	}
	for _, c := range name {
		if !(unicode.IsLetter(c) || unicode.IsDigit(c) || strings.ContainsRune(":_.-", c)) {
			v.add("instanceName", fmt.Sprintf("character %q not allowed: use letters, digits, ':', '_', '.' and '-'", c))
			break
		}
	}
}

// diskLimits are the system disk size ranges per category (GiB).
var diskLimits = map[string][2]int{
	"cloud":            {20, 500},
	"cloud_efficiency": {20, 2048},
	"cloud_ssd":        {20, 2048},
	"cloud_essd":       {20, 2048},
	"cloud_auto":       {1, 2048},
	"cloud_essd_entry": {20, 2048},
}

func (v *validator) disk(category string, size int) {
	lim, ok := diskLimits[category]
	if !ok {
		known := make([]string, 0, len(diskLimits))
		for k := range diskLimits {
			known = append(known, k)
		}
		sort.Strings(known)
		v.add("systemDiskType", fmt.Sprintf("unknown category %q; known: %s", category, strings.Join(known, ", ")))
		return
	}
	if size < lim[0] || size > lim[1] {
		v.add("systemDiskSize", fmt.Sprintf("%s must be %d-%d GiB, got %d", category, lim[0], lim[1], size))
	}
}

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
	max := 100 // an instance's own address
	if r.PublicIPMode == PublicIPElastic {
		max = 200 // EIP billed by traffic
		if r.BandwidthMode == Fixed {
			max = 500
		}
	}
	if r.PublicIPBandwidth < 1 || r.PublicIPBandwidth > max {
		v.add("publicIpBandwidth", fmt.Sprintf("must be 1-%d Mbit/s for %s %s, got %d", max, r.PublicIPMode, r.BandwidthMode, r.PublicIPBandwidth))
	}
}

const passwordSpecials = "()`~!@#$%^&*-_+=|{}[]:;'\"<>,.?/"

func (v *validator) password(p string) {
	n := utf8.RuneCountInString(p)
	if n < 8 || n > 30 {
		v.add("password", fmt.Sprintf("must be 8-30 characters, got %d", n))
	}
	var upper, lower, digit, special bool
	for _, c := range p {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		case strings.ContainsRune(passwordSpecials, c):
			special = true
		default:
			v.add("password", "may hold only letters, digits and the characters "+passwordSpecials)
			return
		}
	}
	classes := 0
	for _, b := range []bool{upper, lower, digit, special} {
		if b {
			classes++
		}
	}
	if classes < 3 {
		v.add("password", "needs at least three of: upper case, lower case, digit, special character")
	}
}

var prepaidMonths = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60}

func (v *validator) charge(mode ChargeMode, months int) {
	switch mode {
	case OnDemand:
		if months != 0 {
			v.add("duration", "only for PREPAID")
		}
	case Prepaid:
		if !slices.Contains(prepaidMonths, months) {
			v.add("duration", fmt.Sprintf("PREPAID needs one of 1-9, 12, 24, 36, 48, 60 months, got %d", months))
		}
	default:
		v.add("instanceChargeMode", fmt.Sprintf("must be ON_DEMAND or PREPAID, got %q", mode))
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
		switch lk := strings.ToLower(k); {
		case TagKeyProblem(k) != "":
			v.add("tags", fmt.Sprintf("key %q %s", k, TagKeyProblem(k)))
		case IsReservedTag(k):
			v.add("tags", fmt.Sprintf("key %q is reserved and set by the client", k))
		case k == "" || utf8.RuneCountInString(k) > 128:
			v.add("tags", fmt.Sprintf("key %q must be 1-128 characters", k))
		case strings.HasPrefix(lk, "aliyun") || strings.HasPrefix(lk, "acs:") || hasURLPrefix(k):
			v.add("tags", fmt.Sprintf("key %q must not start with aliyun, acs:, http:// or https://", k))
		}
		lv := strings.ToLower(val)
		switch {
		case utf8.RuneCountInString(val) > 128:
			v.add("tags", fmt.Sprintf("value of %q must be at most 128 characters", k))
		case strings.HasPrefix(lv, "aliyun") || strings.HasPrefix(lv, "acs:") || hasURLPrefix(val):
			v.add("tags", fmt.Sprintf("value of %q must not start with aliyun, acs:, http:// or https://", k))
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
