package network

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"

	"github.com/multicloud-ecs/multicloud"
)

// The mask limits of VPC and switch blocks (reference: Aliyun CreateVpc
// and CreateVSwitch CidrBlock rules).
const (
	minVPCPrefix    = 8
	maxVPCPrefix    = 28
	minSwitchPrefix = 16
	maxSwitchPrefix = 29
)

// privateRanges are the ranges a planned VPC block may lie in. Aliyun also
// accepts custom public blocks; the planner does not plan in them.
var privateRanges = [...]netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// PlanVPC returns the block of mask prefixLen that owner's VPC gets inside
// base: a hash of owner picks one of the 2^(prefixLen-baseLen) blocks, so
// the same owner always gets the same block and owners spread over the
// range. (Owners' VPCs are isolated from each other, so equal blocks for
// two owners are allowed; spreading only eases a later peering.)
//
// base must be a canonical IPv4 prefix (no host bits set) inside
// 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a mask of /8 to /28;
// prefixLen must lie between base's mask and 28. Any other input returns
// an error matching multicloud.ErrInvalidArgument. PlanVPC is a pure
// function, safe for concurrent use.
func PlanVPC(base string, prefixLen int, owner string) (string, error) {
	b, err := parseBase(base)
	if err != nil {
		return "", err
	}
	if prefixLen < b.Bits() || prefixLen > maxVPCPrefix {
		return "", multicloud.Errorf(multicloud.CodeInvalidArgument,
			"vpc prefix length %d out of range: must be between %d (the base mask) and %d", prefixLen, b.Bits(), maxVPCPrefix)
	}
	n := uint64(1) << (prefixLen - b.Bits())
	sum := sha256.Sum256([]byte(owner))
	idx := binary.BigEndian.Uint64(sum[:8]) % n
	return blockAt(b, prefixLen, idx).String(), nil
}

// parseBase validates the base range of VPC planning.
func parseBase(base string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(base)
	if err != nil {
		return netip.Prefix{}, multicloud.Errorf(multicloud.CodeInvalidArgument, "base cidr %q: %w", base, err)
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, multicloud.Errorf(multicloud.CodeInvalidArgument, "base cidr %q is not ipv4", base)
	}
	if p.Masked() != p {
		return netip.Prefix{}, multicloud.Errorf(multicloud.CodeInvalidArgument,
			"base cidr %q has host bits set; did you mean %s", base, p.Masked())
	}
	if p.Bits() < minVPCPrefix || p.Bits() > maxVPCPrefix {
		return netip.Prefix{}, multicloud.Errorf(multicloud.CodeInvalidArgument,
			"base cidr %q: mask must be between /%d and /%d", base, minVPCPrefix, maxVPCPrefix)
	}
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return p, nil
		}
	}
	return netip.Prefix{}, multicloud.Errorf(multicloud.CodeInvalidArgument,
		"base cidr %q is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", base)
}

// PlanSwitch returns a free block of mask prefixLen inside vpcCIDR for a
// switch in zone: the first block, counting from a start that a hash of
// zone picks, that overlaps none of used (the blocks of the VPC's existing
// switches). Starting from a zone-hashed block makes two planners that
// race for different zones unlikely to pick the same block.
//
// vpcCIDR must be a canonical IPv4 prefix; prefixLen must lie between 16
// and 29 and not be shorter than the VPC's mask; every used block must
// parse. Bad input returns an error matching multicloud.ErrInvalidArgument.
// When no block is free, the error matches multicloud.ErrQuotaExceeded:
// the VPC is full, as when its switch quota is reached. PlanSwitch is a
// pure function, safe for concurrent use.
func PlanSwitch(vpcCIDR string, prefixLen int, used []string, zone string) (string, error) {
	v, err := netip.ParsePrefix(vpcCIDR)
	if err != nil {
		return "", multicloud.Errorf(multicloud.CodeInvalidArgument, "vpc cidr %q: %w", vpcCIDR, err)
	}
	if !v.Addr().Is4() || v.Masked() != v {
		return "", multicloud.Errorf(multicloud.CodeInvalidArgument, "vpc cidr %q is not a canonical ipv4 prefix", vpcCIDR)
	}
	if prefixLen < minSwitchPrefix || prefixLen > maxSwitchPrefix {
		return "", multicloud.Errorf(multicloud.CodeInvalidArgument,
			"switch prefix length %d out of range: must be between %d and %d", prefixLen, minSwitchPrefix, maxSwitchPrefix)
	}
	if prefixLen < v.Bits() {
		return "", multicloud.Errorf(multicloud.CodeInvalidArgument,
			"switch prefix length %d is shorter than the vpc mask of %s", prefixLen, vpcCIDR)
	}
	taken := make([]netip.Prefix, 0, len(used))
	for _, u := range used {
		p, err := netip.ParsePrefix(u)
		if err != nil {
			return "", multicloud.Errorf(multicloud.CodeInvalidArgument, "used cidr %q: %w", u, err)
		}
		taken = append(taken, p.Masked())
	}
	n := uint64(1) << (prefixLen - v.Bits())
	start := uint64(0)
	if zone != "" {
		sum := sha256.Sum256([]byte(zone))
		start = binary.BigEndian.Uint64(sum[:8]) % n
	}
next:
	for i := uint64(0); i < n; i++ {
		b := blockAt(v, prefixLen, (start+i)%n)
		for _, t := range taken {
			if t.Overlaps(b) {
				continue next
			}
		}
		return b.String(), nil
	}
	return "", multicloud.Errorf(multicloud.CodeQuotaExceeded,
		"no free /%d block left in vpc %s (%d switch blocks in use)", prefixLen, vpcCIDR, len(used))
}

// blockAt returns the idx-th block of mask bits inside p.
func blockAt(p netip.Prefix, bits int, idx uint64) netip.Prefix {
	a := p.Addr().As4()
	base := binary.BigEndian.Uint32(a[:])
	base += uint32(idx << (32 - bits))
	binary.BigEndian.PutUint32(a[:], base)
	return netip.PrefixFrom(netip.AddrFrom4(a), bits)
}

// Token returns a deterministic idempotency token for parts: the hex
// SHA-256 of the length-prefixed parts, 64 ASCII characters, within the
// 64-character limit of Aliyun's ClientToken. Equal parts give equal
// tokens; the length prefixes keep ("ab", "c") and ("a", "bc") apart. Token
// is a pure function, safe for concurrent use.
func Token(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
