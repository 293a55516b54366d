package aliyun_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// countingCall is a CallFunc that counts calls per API.
type countingCall struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countingCall) call(ctx context.Context, api string, fn func(ctx context.Context) error) error {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[api]++
	c.mu.Unlock()
	return fn(ctx)
}

func TestDiscover(t *testing.T) {
	srv := newServer(t)
	ids := srv.Seed(aliyuntest.SeedSpec{Regions: []string{"cn-shanghai"}, InstancesPerRegion: 250, RandSeed: 3})
	conn := aliyun.NewConnector(func(o *aliyun.Options) { o.Endpoint, o.Scheme = srv.Host(), "HTTP" })
	d, err := conn(testCtx(t), inventory.CloudAccount{ID: "acct-1", AccessKeyID: aliyuntest.DefaultAccessKeyID, Region: "cn-shanghai"},
		aliyuntest.DefaultAccessKeySecret)
	if err != nil {
		t.Fatalf("connector: %v", err)
	}
	if err := d.(inventory.ConnectionTester).TestConnection(testCtx(t)); err != nil {
		t.Fatalf("TestConnection: %v", err)
	}
	var calls countingCall
	regions, err := d.Regions(testCtx(t), calls.call)
	if err != nil || len(regions) == 0 {
		t.Fatalf("Regions: got %v, %v, want the emulator's regions", regions, err)
	}
	var assets []inventory.Asset
	pages := 0
	err = d.Discover(testCtx(t), "cn-shanghai", inventory.AssetTypeECS, calls.call, func(ctx context.Context, page []inventory.Asset) error {
		pages++
		if len(page) > aliyun.MaxPageSize {
			t.Errorf("page of %d assets, want at most %d", len(page), aliyun.MaxPageSize)
		}
		assets = append(assets, page...)
		return nil
	})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if len(assets) != len(ids) || pages != 3 || calls.n["DescribeInstances"] != 3 || calls.n["DescribeDisks"] == 0 {
		t.Errorf("Discover: got %d assets in %d pages, calls %v, want %d in 3 pages through the CallFunc", len(assets), pages, calls.n, len(ids))
	}
	withDataDisks := 0
	for _, a := range assets {
		var m inventory.ECSMetadata
		if err := a.DecodeMetadata(&m); err != nil {
			t.Fatalf("metadata of %s: %v", a.AssetID, err)
		}
		if m.InstanceID != a.AssetID || m.SystemDiskCategory == "" || m.SystemDiskSize == 0 || m.VPCID == "" || len(m.PrivateIP) == 0 || a.Status != "Running" {
			t.Errorf("asset %s: got %+v, want its id, system disk, vpc, private ip and Running", a.AssetID, m)
			break
		}
		withDataDisks += min(len(m.DataDisks), 1)
	}
	if withDataDisks == 0 {
		t.Errorf("no asset has data disks; the seed gives some instances data disks")
	}
	if err := d.Discover(testCtx(t), "cn-shanghai", "rds", calls.call, nil); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("Discover rds: got %v, want ErrInvalidArgument", err)
	}

	bad, err := conn(testCtx(t), inventory.CloudAccount{ID: "acct-2", AccessKeyID: aliyuntest.DefaultAccessKeyID}, "wrong")
	if err != nil {
		t.Fatalf("connector: %v", err)
	}
	err = bad.(inventory.ConnectionTester).TestConnection(testCtx(t))
	if got := inventory.ClassifyConnectionError(err); got != inventory.ErrorSignatureMismatch {
		t.Errorf("TestConnection with a wrong secret: got %v (%s), want a signature mismatch", err, got)
	}
}
