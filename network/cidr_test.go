package network_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
)

func TestPlanVPC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		base   string
		prefix int
		want   string // exact block, when known
		code   multicloud.Code
	}{
		{name: "default", base: "172.16.0.0/12", prefix: 16},
		{name: "ten", base: "10.0.0.0/8", prefix: 16},
		{name: "subnet of a private range", base: "192.168.128.0/17", prefix: 24},
		{name: "prefix equals base", base: "10.1.0.0/16", prefix: 16, want: "10.1.0.0/16"},
		{name: "smallest vpc", base: "10.1.2.0/24", prefix: 28},
		{name: "prefix shorter than base", base: "172.16.0.0/12", prefix: 8, code: multicloud.CodeInvalidArgument},
		{name: "prefix too long", base: "172.16.0.0/12", prefix: 29, code: multicloud.CodeInvalidArgument},
		{name: "public range", base: "8.8.8.0/24", prefix: 26, code: multicloud.CodeInvalidArgument},
		{name: "shared range", base: "100.64.0.0/10", prefix: 16, code: multicloud.CodeInvalidArgument},
		{name: "wider than a private range", base: "172.0.0.0/8", prefix: 16, code: multicloud.CodeInvalidArgument},
		{name: "host bits", base: "172.16.1.0/12", prefix: 16, code: multicloud.CodeInvalidArgument},
		{name: "mask too long", base: "10.0.0.0/29", prefix: 29, code: multicloud.CodeInvalidArgument},
		{name: "ipv6", base: "fd00::/8", prefix: 16, code: multicloud.CodeInvalidArgument},
		{name: "garbage", base: "ten/8", prefix: 16, code: multicloud.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := network.PlanVPC(tt.base, tt.prefix, "user-1")
			if tt.code != "" {
				if multicloud.CodeOf(err) != tt.code {
					t.Fatalf("PlanVPC(%q, %d) = %q, %v; want code %s", tt.base, tt.prefix, got, err, tt.code)
				}
				return
			}
			must(t, err)
			p := netip.MustParsePrefix(got)
			base := netip.MustParsePrefix(tt.base)
			if p.Bits() != tt.prefix || p.Masked() != p || !base.Contains(p.Addr()) {
				t.Errorf("PlanVPC(%q, %d) = %s, want a canonical /%d inside the base", tt.base, tt.prefix, got, tt.prefix)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("PlanVPC(%q, %d) = %s, want %s", tt.base, tt.prefix, got, tt.want)
			}
			again, _ := network.PlanVPC(tt.base, tt.prefix, "user-1")
			if again != got {
				t.Errorf("PlanVPC is not deterministic: %s then %s", got, again)
			}
		})
	}
}

func TestPlanVPCSpreadsOwners(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for _, owner := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		got, err := network.PlanVPC("172.16.0.0/12", 16, owner)
		must(t, err)
		seen[got] = true
	}
	// 10 owners over 16 blocks: a hash that ignored the owner gives 1.
	if len(seen) < 4 {
		t.Errorf("10 owners got %d distinct blocks, want at least 4", len(seen))
	}
}

func TestPlanSwitch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		vpc    string
		prefix int
		used   []string
		zone   string
		want   string
		code   multicloud.Code
	}{
		{name: "first block", vpc: "172.16.0.0/16", prefix: 24, want: "172.16.0.0/24"},
		{name: "skips used", vpc: "172.16.0.0/16", prefix: 24, used: []string{"172.16.0.0/24", "172.16.1.0/24"}, want: "172.16.2.0/24"},
		{name: "skips a wider used block", vpc: "172.16.0.0/16", prefix: 24, used: []string{"172.16.0.0/20"}, want: "172.16.16.0/24"},
		{name: "skips a narrower used block", vpc: "172.16.0.0/16", prefix: 24, used: []string{"172.16.0.128/25"}, want: "172.16.1.0/24"},
		{name: "used outside the vpc is no obstacle", vpc: "172.16.0.0/16", prefix: 24, used: []string{"10.0.0.0/8"}, want: "172.16.0.0/24"},
		{name: "last free block", vpc: "192.168.0.0/24", prefix: 26, used: []string{"192.168.0.0/26", "192.168.0.64/26", "192.168.0.192/26"}, want: "192.168.0.128/26"},
		{name: "smallest switch", vpc: "10.0.0.0/28", prefix: 29, used: []string{"10.0.0.0/29"}, want: "10.0.0.8/29"},
		{name: "exhausted", vpc: "192.168.0.0/24", prefix: 25, used: []string{"192.168.0.0/25", "192.168.0.128/25"}, code: multicloud.CodeQuotaExceeded},
		{name: "exhausted by a covering block", vpc: "192.168.0.0/24", prefix: 26, used: []string{"192.168.0.0/24"}, zone: "z", code: multicloud.CodeQuotaExceeded},
		{name: "switch prefix too short", vpc: "10.0.0.0/8", prefix: 15, code: multicloud.CodeInvalidArgument},
		{name: "switch prefix too long", vpc: "10.0.0.0/16", prefix: 30, code: multicloud.CodeInvalidArgument},
		{name: "switch wider than vpc", vpc: "10.0.0.0/20", prefix: 16, code: multicloud.CodeInvalidArgument},
		{name: "bad vpc", vpc: "10.0.0.0", prefix: 24, code: multicloud.CodeInvalidArgument},
		{name: "vpc host bits", vpc: "10.0.0.1/16", prefix: 24, code: multicloud.CodeInvalidArgument},
		{name: "bad used", vpc: "10.0.0.0/16", prefix: 24, used: []string{"nope"}, code: multicloud.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := network.PlanSwitch(tt.vpc, tt.prefix, tt.used, tt.zone)
			if tt.code != "" {
				if multicloud.CodeOf(err) != tt.code {
					t.Fatalf("PlanSwitch = %q, %v; want code %s", got, err, tt.code)
				}
				return
			}
			must(t, err)
			if got != tt.want {
				t.Errorf("PlanSwitch = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPlanSwitchFillsVPC plans switches one after another for rotating
// zones until the VPC is full: every block is inside the VPC, none
// overlaps another, and the plan ends with a quota error exactly when the
// VPC is full.
func TestPlanSwitchFillsVPC(t *testing.T) {
	t.Parallel()
	vpc := netip.MustParsePrefix("10.9.0.0/20")
	zones := []string{"cn-a", "cn-b", "cn-c"}
	var used []string
	for i := 0; ; i++ {
		got, err := network.PlanSwitch(vpc.String(), 24, used, zones[i%len(zones)])
		if err != nil {
			if !errors.Is(err, multicloud.ErrQuotaExceeded) {
				t.Fatalf("after %d blocks: %v, want a quota error", i, err)
			}
			if i != 16 {
				t.Fatalf("VPC full after %d blocks, want 16", i)
			}
			return
		}
		p := netip.MustParsePrefix(got)
		if !vpc.Contains(p.Addr()) || p.Bits() != 24 {
			t.Fatalf("block %s is not a /24 inside %s", got, vpc)
		}
		for _, u := range used {
			if netip.MustParsePrefix(u).Overlaps(p) {
				t.Fatalf("block %s overlaps %s", got, u)
			}
		}
		used = append(used, got)
	}
}

func TestPlanSwitchZonesDiffer(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for _, z := range []string{"cn-hangzhou-a", "cn-hangzhou-b", "cn-hangzhou-c", "cn-hangzhou-d", "cn-hangzhou-e"} {
		got, err := network.PlanSwitch("172.16.0.0/16", 24, nil, z)
		must(t, err)
		seen[got] = true
	}
	if len(seen) < 3 {
		t.Errorf("5 zones start at %d distinct blocks, want at least 3", len(seen))
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	a := network.Token("aliyun", "acct", "vpc")
	if len(a) > 64 || len(a) == 0 {
		t.Fatalf("len(network.Token) = %d, want 1..64", len(a))
	}
	for _, r := range a {
		if r > 127 {
			t.Fatalf("Token %q is not ASCII", a)
		}
	}
	if b := network.Token("aliyun", "acct", "vpc"); b != a {
		t.Errorf("Token is not deterministic: %s then %s", a, b)
	}
	if network.Token("ab", "c") == network.Token("a", "bc") {
		t.Error(`network.Token("ab", "c") == network.Token("a", "bc"), want them apart`)
	}
	if network.Token("a", "") == network.Token("a") {
		t.Error(`network.Token("a", "") == network.Token("a"), want them apart`)
	}
}
