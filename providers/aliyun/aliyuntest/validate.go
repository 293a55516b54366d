package aliyuntest

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The error codes below follow the reference where it names them; where it
// does not (noted per check), the code is a plausible Aliyun-style code.

func hasHTTPPrefix(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// validName checks a resource name of lo..hi characters that starts with a
// letter and holds letters, digits and the extra runes.
func validName(s string, lo, hi int, extra string) bool {
	n := utf8.RuneCountInString(s)
	if n < lo || n > hi || hasHTTPPrefix(s) {
		return false
	}
	for i, r := range s {
		if i == 0 && !unicode.IsLetter(r) {
			return false
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(extra, r) {
			return false
		}
	}
	return true
}

func checkInstanceName(s string) error {
	if s == "" {
		return nil
	}
	// Sequential-name syntax "name[begin,bits]" is accepted as written.
	base := s
	if i := strings.IndexByte(s, '['); i > 0 && strings.HasSuffix(s, "]") {
		base = s[:i]
	}
	if !validName(base, 2, 128, ":_.-") {
		return errCode(400, "InvalidInstanceName.Malformed", "The specified parameter \"InstanceName\" is not valid. It must be 2 to 128 characters, start with a letter and cannot start with http:// or https://.")
	}
	return nil
}

func checkDescription(s string) error {
	if s == "" {
		return nil
	}
	if n := utf8.RuneCountInString(s); n < 2 || n > 256 || hasHTTPPrefix(s) {
		return errCode(400, "InvalidDescription.Malformed", "The specified description is wrongly formed.")
	}
	return nil
}

const passwordSpecials = "()`~!@#$%^&*-_+=|{}[]:;'<>,.?/\""

func checkPassword(s string) error {
	if s == "" {
		return nil
	}
	var upper, lower, digit, special bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(passwordSpecials, r):
			special = true
		default:
			return errPassword
		}
	}
	kinds := 0
	for _, b := range []bool{upper, lower, digit, special} {
		if b {
			kinds++
		}
	}
	if len(s) < 8 || len(s) > 30 || kinds < 3 {
		return errPassword
	}
	return nil
}

var errPassword = errCode(400, "InvalidPassword.Malformed", "The specified parameter \"Password\" is not valid.")

// checkHostName applies the Linux rules: 2-64 characters, dot-separated
// segments of letters, digits and hyphens, no leading or trailing dot or
// hyphen, no consecutive dots or hyphens.
func checkHostName(s string) error {
	if s == "" {
		return nil
	}
	bad := errCode(400, "InvalidHostName.Malformed", "The specified parameter \"HostName\" is not valid.")
	s2 := strings.ReplaceAll(s, "${instance_id}", "x")
	if len(s2) < 2 || len(s2) > 64 || strings.Trim(s2, ".-") != s2 || strings.Contains(s2, "..") || strings.Contains(s2, "--") {
		return bad
	}
	for _, r := range s2 {
		if !(r == '.' || r == '-' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return bad
		}
	}
	return nil
}

// parseTags reads Tag.N.Key/Tag.N.Value (N 1-20) and validates them. For VPC
// resources values may not start with "aliyun" either.
func (p params) tags(vpcRules bool) ([]tag, error) {
	var out []tag
	seen := map[string]bool{}
	for i := 1; ; i++ {
		n := strconv.Itoa(i)
		k, hasKey := p["Tag."+n+".Key"]
		v, hasVal := p["Tag."+n+".Value"]
		if !hasKey && !hasVal {
			break
		}
		if i > 20 {
			return nil, errCode(400, "InvalidTagCount", "The number of tags exceeds the limit of 20.")
		}
		t := tag{}
		if hasKey {
			t.Key = k[0]
		}
		if hasVal {
			t.Value = v[0]
		}
		if t.Key == "" || utf8.RuneCountInString(t.Key) > 128 || hasPrefixFold(t.Key, "aliyun") || strings.HasPrefix(t.Key, "acs:") || hasHTTPPrefix(t.Key) {
			return nil, errCode(400, "InvalidTagKey.Malformed", "The specified Tag.n.Key is not valid.")
		}
		if utf8.RuneCountInString(t.Value) > 128 || strings.HasPrefix(t.Value, "acs:") || hasHTTPPrefix(t.Value) ||
			vpcRules && hasPrefixFold(t.Value, "aliyun") {
			return nil, errCode(400, "InvalidTagValue.Malformed", "The specified Tag.n.Value is not valid.")
		}
		if seen[t.Key] {
			return nil, errCode(400, "Duplicate.TagKey", "The Tag.N.Key contains duplicate key.")
		}
		seen[t.Key] = true
		out = append(out, t)
	}
	return out, nil
}

// tagFilter reads Tag.N.Key/Value as a filter; an empty value matches any value.
func (p params) tagFilter() []tag {
	var out []tag
	for i := 1; i <= 20; i++ {
		n := strconv.Itoa(i)
		k := p.str("Tag." + n + ".Key")
		if k == "" {
			break
		}
		out = append(out, tag{Key: k, Value: p.str("Tag." + n + ".Value")})
	}
	return out
}

// matchTags reports whether have contains every filter tag.
func matchTags(have, filter []tag) bool {
	for _, f := range filter {
		ok := false
		for _, t := range have {
			if t.Key == f.Key && (f.Value == "" || t.Value == f.Value) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// mergeTags returns a new slice with add applied over have (copy on write:
// tag slices may be shared between seeded resources).
func mergeTags(have, add []tag) []tag {
	out := append([]tag(nil), have...)
	for _, a := range add {
		found := false
		for i := range out {
			if out[i].Key == a.Key {
				out[i].Value, found = a.Value, true
			}
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// diskLimits returns the size range (GiB) of a disk category and performance
// level, and whether the category is known.
func diskLimits(category, pl string, system bool) (lo, hi int, ok bool) {
	switch category {
	case "cloud":
		if system {
			return 20, 500, true
		}
		return 5, 2000, true
	case "cloud_efficiency", "cloud_ssd", "cloud_essd_entry":
		if system {
			return 20, 2048, true
		}
		return 20, 32768, true
	case "cloud_auto":
		if system {
			return 1, 2048, true
		}
		return 1, 65536, true
	case "cloud_essd":
		hi = 65536
		if system {
			hi = 2048
		}
		switch pl {
		case "PL0":
			return 1, hi, true
		case "", "PL1":
			return 20, hi, true
		case "PL2":
			return 461, hi, true
		case "PL3":
			return 1261, hi, true
		}
	}
	return 0, 0, false
}

// checkCIDR validates a VPC CIDR block: private ranges or a public block
// outside the reserved ones, mask /8-/28.
func checkVPCCIDR(s string) (netip.Prefix, error) {
	bad := errCode(400, "InvalidCidrBlock.Malformed", "Specified CIDR block is not valid.")
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Masked() != p || p.Bits() < 8 || p.Bits() > 28 {
		return netip.Prefix{}, bad
	}
	for _, r := range []string{"100.64.0.0/10", "224.0.0.0/4", "127.0.0.0/8", "169.254.0.0/16"} {
		if netip.MustParsePrefix(r).Overlaps(p) {
			return netip.Prefix{}, bad
		}
	}
	return p, nil
}

func prefixContains(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}
