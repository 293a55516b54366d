package multicloud_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

var t0 = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)

func newNegCache(clock *fake.ManualClock) *multicloud.MemNegativeCache {
	return multicloud.NewMemNegativeCache(func(o *multicloud.NegativeCacheOptions) { o.Now = clock.Now })
}

func TestNegativeCacheDoublesUpToMax(t *testing.T) {
	clock := fake.NewManualClock(t0)
	c := newNegCache(clock)
	k := multicloud.StockKey{Provider: "aliyun", Account: "a", Region: "cn-hangzhou", ZoneID: "cn-hangzhou-h", InstanceType: "ecs.gn7", ChargeMode: multicloud.OnDemand}
	var got []time.Duration
	for range 6 {
		b := c.NoStock(k)
		got = append(got, b.Until.Sub(clock.Now()))
		// A repeat inside the block is the same episode: no extension.
		if again := c.NoStock(k); again.Until != b.Until {
			t.Fatalf("repeat inside the block moved it: got %v, want %v", again.Until, b.Until)
		}
		if _, ok := c.Blocked(k, ""); !ok {
			t.Fatal("got not blocked right after a no-stock, want blocked")
		}
		clock.Set(b.Until)
		if _, ok := c.Blocked(k, ""); ok {
			t.Fatal("got blocked at the block's end, want free")
		}
	}
	want := []time.Duration{3 * time.Minute, 6 * time.Minute, 12 * time.Minute, 24 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("block lengths (-want +got):\n%s", diff)
	}
	c.InStock(k)
	if b := c.NoStock(k); b.Until.Sub(clock.Now()) != 3*time.Minute {
		t.Errorf("after InStock: got a %v block, want 3m", b.Until.Sub(clock.Now()))
	}
	c.InStock(k)
	if _, ok := c.Blocked(k, ""); ok {
		t.Error("got blocked after InStock, want free")
	}
}

func TestNegativeCacheScopes(t *testing.T) {
	clock := fake.NewManualClock(t0)
	c := newNegCache(clock)
	base := multicloud.StockKey{Provider: "aliyun", Account: "a", Region: "cn-hangzhou", ZoneID: "cn-hangzhou-h", InstanceType: "ecs.gn7-c12g1.3xlarge", ChargeMode: multicloud.OnDemand}
	c.NoStock(base)
	c.QuotaExceeded("aliyun", "a", "cn-beijing", "ecs.gn7")
	c.BadCredentials("other", "b")
	with := func(f func(*multicloud.StockKey)) multicloud.StockKey { k := base; f(&k); return k }
	tests := []struct {
		name   string
		key    multicloud.StockKey
		family string
		want   multicloud.Reason
	}{
		{"same key", base, "ecs.gn7", multicloud.RejectNoStockCached},
		{"other zone ID", with(func(k *multicloud.StockKey) { k.ZoneID = "cn-hangzhou-i" }), "ecs.gn7", ""},
		{"other type", with(func(k *multicloud.StockKey) { k.InstanceType = "ecs.gn7e-c16g1.4xlarge" }), "ecs.gn7e", ""},
		{"other charge mode", with(func(k *multicloud.StockKey) { k.ChargeMode = multicloud.Prepaid }), "ecs.gn7", ""},
		{"other account", with(func(k *multicloud.StockKey) { k.Account = "b" }), "ecs.gn7", ""},
		{"quota: same family in the region", with(func(k *multicloud.StockKey) { k.Region, k.ZoneID = "cn-beijing", "cn-beijing-f" }), "ecs.gn7", multicloud.RejectQuota},
		{"quota: other family", with(func(k *multicloud.StockKey) { k.Region, k.ZoneID = "cn-beijing", "cn-beijing-f" }), "ecs.gn7i", ""},
		{"quota: other account", with(func(k *multicloud.StockKey) { k.Region, k.Account = "cn-beijing", "b" }), "ecs.gn7", ""},
		{"credentials: the provider account", with(func(k *multicloud.StockKey) { k.Provider, k.Account = "other", "b" }), "x", multicloud.RejectUnhealthy},
		{"credentials: another account", with(func(k *multicloud.StockKey) { k.Provider, k.Account = "other", "c" }), "x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := c.Blocked(tt.key, tt.family)
			if b.Reason != tt.want {
				t.Errorf("got %q, want %q", b.Reason, tt.want)
			}
		})
	}
}

// TestNegativeCacheAnyAccount checks the AWS keying: a no-stock of a zone
// ID whose capacity every account shares (AnyAccount) blocks that zone
// ID for another account, while a quota stays the account's own; without
// AnyAccount a no-stock is the account's alone.
func TestNegativeCacheAnyAccount(t *testing.T) {
	c := multicloud.NewMemNegativeCache()
	a := multicloud.StockKey{Provider: "aws", Account: "acct-a", Region: "us-east-1", ZoneID: "use1-az2", InstanceType: "p4d.24xlarge", ChargeMode: multicloud.OnDemand, AnyAccount: true}
	b := a
	b.Account = "acct-b"
	other := b
	other.ZoneID = "use1-az4"
	c.NoStock(a)
	if _, ok := c.Blocked(b, "p4d"); !ok {
		t.Errorf("account b in the same zone ID: not blocked, want blocked by account a's no-stock")
	}
	if _, ok := c.Blocked(other, "p4d"); ok {
		t.Errorf("account b in another zone ID: blocked, want free")
	}
	c.QuotaExceeded("aws", "acct-a", "us-east-1", "p4d")
	if blk, ok := c.Blocked(other, "p4d"); ok {
		t.Errorf("account b: blocked by account a's quota (%v), want free", blk.Reason)
	}
	c.InStock(b)
	if _, ok := c.Blocked(a, ""); ok {
		t.Errorf("after account b's success in the zone ID, account a: still blocked, want free")
	}

	ali := multicloud.StockKey{Provider: "aliyun", Account: "acct-a", Region: "cn-hangzhou", ZoneID: "cn-hangzhou-h", InstanceType: "ecs.g7.large", ChargeMode: multicloud.OnDemand}
	ali2 := ali
	ali2.Account = "acct-b"
	c.NoStock(ali)
	if _, ok := c.Blocked(ali2, ""); ok {
		t.Errorf("aliyun account b: blocked by account a's no-stock, want free (no AnyAccount)")
	}
}
