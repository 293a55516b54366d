package aliyun

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/multicloud-ecs/multicloud"
)

// Alibaba Cloud's own request rules, from the validation table of the
// ECS, VPC and EIP API documentation (see the reference's "Validation
// rules"). The Client runs them, with the portable ones, before any call.

// DefaultSystemDiskType is the system disk category a request that names
// none gets: an enhanced SSD. The API's own default (cloud_efficiency) is
// not sold with many current instance families, so it is not relied on.
const DefaultSystemDiskType = "cloud_essd"

// diskLimits are the system disk size ranges per category, in GiB. For
// cloud_essd it is PL1's, the level a request without one gets.
var diskLimits = map[string][2]int{
	"cloud":            {20, 500},
	"cloud_efficiency": {20, 2048},
	"cloud_ssd":        {20, 2048},
	"cloud_essd":       {20, 2048},
	"cloud_auto":       {1, 2048},
	"cloud_essd_entry": {20, 2048},
}

// passwordSpecials are the special characters a password may hold. Older
// documentation lists ' where the SDK's comments show ": both are taken.
const passwordSpecials = "()`~!@#$%^&*-_+=|{}[]:;'\"<>,.?/"

// prepaidMonths are the PREPAID periods sold, in months.
var prepaidMonths = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60}

var _ multicloud.RequestValidator = (*Provider)(nil)

// DefaultRequest gives a request without a system disk category
// DefaultSystemDiskType.
func (p *Provider) DefaultRequest(r *multicloud.CreateInstanceRequest) {
	if r.SystemDiskType == "" {
		r.SystemDiskType = DefaultSystemDiskType
	}
}

// ValidateRequest checks r against Alibaba Cloud's rules: tenant and user
// IDs and tags that may not start with acs:, aliyun, http:// or https://;
// the instance name's and description's forms; the disk category and its
// size range; bandwidth caps (an instance's own address 100 Mbit/s, an
// EIP 200 by traffic, 500 fixed); the password's character set and
// classes; key pair names of 2-128 characters; and the PREPAID periods
// sold. It is safe for concurrent use and calls nothing.
func (p *Provider) ValidateRequest(r *multicloud.CreateInstanceRequest) []*multicloud.FieldError {
	var v rules
	v.tagValue("tenantId", r.TenantID)
	v.tagValue("userId", r.UserID)
	if r.InstanceName != "" {
		v.instanceName(r.InstanceName)
	}
	v.disk(r.SystemDiskType, r.SystemDiskSize)
	v.bandwidth(r)
	if !r.Password.IsZero() {
		v.password(r.Password.Reveal())
	}
	if n := utf8.RuneCountInString(r.KeyPairName); r.KeyPairName != "" && (n < 2 || n > 128) {
		v.add("keyPairName", "must be 2-128 characters")
	}
	if r.InstanceChargeMode == multicloud.Prepaid && !slices.Contains(prepaidMonths, r.Duration) {
		v.add("duration", fmt.Sprintf("PREPAID needs one of 1-9, 12, 24, 36, 48, 60 months, got %d", r.Duration))
	}
	if r.Description != "" {
		if n := utf8.RuneCountInString(r.Description); n < 2 || n > 256 {
			v.add("description", fmt.Sprintf("must be 2-256 characters, got %d", n))
		}
		if hasURLPrefix(r.Description) {
			v.add("description", "must not start with http:// or https://")
		}
	}
	v.tags(r.Tags)
	return v.errs
}

// rules collects the field errors of ValidateRequest.
type rules struct{ errs []*multicloud.FieldError }

func (v *rules) add(field, reason string) {
	v.errs = append(v.errs, &multicloud.FieldError{Field: field, Reason: reason})
}

func hasURLPrefix(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// reservedPrefix reports whether s starts, in any case, with a prefix the
// tag APIs reserve.
func reservedPrefix(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "acs:") || strings.HasPrefix(l, "aliyun") || hasURLPrefix(s)
}

// tagValue checks a field that ends up as a tag value (tenantId, userId).
func (v *rules) tagValue(field, value string) {
	if reservedPrefix(value) {
		v.add(field, "must not start with acs:, aliyun, http:// or https://")
	}
}

func (v *rules) instanceName(name string) {
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

func (v *rules) disk(category string, size int) {
	lim, ok := diskLimits[category]
	if !ok {
		known := slices.Sorted(maps.Keys(diskLimits))
		v.add("systemDiskType", fmt.Sprintf("unknown category %q; known: %s", category, strings.Join(known, ", ")))
		return
	}
	if size < lim[0] || size > lim[1] {
		v.add("systemDiskSize", fmt.Sprintf("%s must be %d-%d GiB, got %d", category, lim[0], lim[1], size))
	}
}

func (v *rules) bandwidth(r *multicloud.CreateInstanceRequest) {
	if !r.AllocatePublicIP || r.PublicIPBandwidth < 1 {
		return // the portable rules report these
	}
	limit := 100 // an instance's own address
	if r.PublicIPMode == multicloud.PublicIPElastic {
		limit = 200 // EIP billed by traffic
		if r.BandwidthMode == multicloud.Fixed {
			limit = 500
		}
	}
	if r.PublicIPBandwidth > limit {
		v.add("publicIpBandwidth", fmt.Sprintf("must be 1-%d Mbit/s for %s %s, got %d", limit, r.PublicIPMode, r.BandwidthMode, r.PublicIPBandwidth))
	}
}

// password checks a password's length, characters and classes; no reason
// quotes it.
func (v *rules) password(pw string) {
	n := utf8.RuneCountInString(pw)
	if n < 8 || n > 30 {
		v.add("password", fmt.Sprintf("must be 8-30 characters, got %d", n))
	}
	var upper, lower, digit, special bool
	for _, c := range pw {
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

// tags checks the tag keys and values against the tag APIs' reserved
// prefixes.
func (v *rules) tags(tags map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if reservedPrefix(k) {
			v.add("tags", fmt.Sprintf("key %q must not start with aliyun, acs:, http:// or https://", k))
		}
		if reservedPrefix(tags[k]) {
			v.add("tags", fmt.Sprintf("value of %q must not start with aliyun, acs:, http:// or https://", k))
		}
	}
}
