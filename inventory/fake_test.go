package inventory_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// fakeCloud is a Discoverer over in-memory regions, with pagination,
// injectable failures, throttling and latency, and call counting.
type fakeCloud struct {
	mu       sync.Mutex
	regions  map[string][]inventory.Asset // by region, in listing order
	pageSize int
	// failRegion fails its listing on page failPage (0-based) with a
	// non-retryable error.
	failRegion string
	failPage   int
	// throttleEvery makes every n-th API call fail with ErrThrottled.
	throttleEvery int64
	delay         time.Duration // per page
	testErr       error         // returned by TestConnection

	calls       atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

func newFakeCloud(regions, perRegion int) *fakeCloud {
	f := &fakeCloud{regions: map[string][]inventory.Asset{}, pageSize: 100}
	for r := range regions {
		region := fmt.Sprintf("region-%02d", r)
		for i := range perRegion {
			f.regions[region] = append(f.regions[region], fakeInstance(region, i))
		}
	}
	return f
}

// fakeInstance maps a made-up ECS instance as a provider's Discoverer
// would.
func fakeInstance(region string, i int) inventory.Asset {
	id := fmt.Sprintf("i-%s-%05d", region, i)
	status := []string{"Running", "Stopped"}[i%2]
	m := inventory.ECSMetadata{
		InstanceID: id, InstanceName: fmt.Sprintf("web-%d", i), Status: status, Region: region, Zone: region + "-a",
		InstanceType: "ecs.g7.large", InstanceTypeFamily: "ecs.g7", CPU: 2, Memory: 8192, OSType: "linux",
		OSName: "Ubuntu 22.04 64 bit", ImageID: "ubuntu_22_04_x64", PublicIP: []string{"47.0.0.1"},
		PrivateIP: []string{"172.16.0.1"}, VPCID: "vpc-1", VSwitchID: "vsw-1", SecurityGroups: []string{"sg-1"},
		InternetMaxBandwidthOut: 5, SystemDiskCategory: "cloud_essd", SystemDiskSize: 40,
		DataDisks:  []inventory.DataDisk{{DiskID: "d-" + id, Category: "cloud_essd", Size: 100}},
		ChargeType: "PostPaid", CreationTime: time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC), IOOptimized: true,
		NetworkType: "vpc", InstanceNetworkType: "vpc", Tags: []inventory.Tag{{Key: "env", Value: "prod"}},
		Provider: "fake", HostName: "host-" + id,
	}
	a := inventory.Asset{AssetID: id, AssetName: m.InstanceName, Zone: m.Zone, Status: status, Tags: m.Tags, Cost: 0.5}
	if err := a.SetMetadata(m); err != nil {
		panic(err) // a fixed struct always marshals
	}
	return a
}

func (f *fakeCloud) apiCall(ctx context.Context, call inventory.CallFunc, api string, fn func() error) error {
	return call(ctx, api, func(ctx context.Context) error {
		n := f.calls.Add(1)
		if f.throttleEvery > 0 && n%f.throttleEvery == 0 {
			return &multicloud.Error{Op: api, Provider: "fake", Code: multicloud.CodeThrottled, ProviderCode: "Throttling.User"}
		}
		return fn()
	})
}

func (f *fakeCloud) Regions(ctx context.Context, call inventory.CallFunc) ([]string, error) {
	var out []string
	err := f.apiCall(ctx, call, "DescribeRegions", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		for r := range f.regions {
			out = append(out, r)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

func (f *fakeCloud) Discover(ctx context.Context, region, assetType string, call inventory.CallFunc, emit func(context.Context, []inventory.Asset) error) error {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if assetType != inventory.AssetTypeECS {
		return nil
	}
	for page := 0; ; page++ {
		var items []inventory.Asset
		var more bool
		err := f.apiCall(ctx, call, "DescribeInstances", func() error {
			if f.delay > 0 {
				time.Sleep(f.delay)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if region == f.failRegion && page == f.failPage {
				return &multicloud.Error{Op: "DescribeInstances", Provider: "fake", Region: region,
					Code: multicloud.CodeUnknown, ProviderCode: "InternalError", Message: "injected failure"}
			}
			all := f.regions[region]
			start := min(page*f.pageSize, len(all))
			end := min(start+f.pageSize, len(all))
			items = slices.Clone(all[start:end])
			more = end < len(all)
			return nil
		})
		if err != nil {
			return err
		}
		if len(items) > 0 {
			if err := emit(ctx, items); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

func (f *fakeCloud) TestConnection(ctx context.Context) error { return f.testErr }

// edit changes the cloud under its lock.
func (f *fakeCloud) edit(fn func(regions map[string][]inventory.Asset)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.regions)
}

// countingStore counts the writes that reach a Store.
type countingStore struct {
	inventory.Store
	upsertCalls atomic.Int64
	rowsWritten atomic.Int64
	markCalls   atomic.Int64
}

func (c *countingStore) UpsertAssets(ctx context.Context, assets []inventory.Asset) error {
	c.upsertCalls.Add(1)
	c.rowsWritten.Add(int64(len(assets)))
	return c.Store.UpsertAssets(ctx, assets)
}

func (c *countingStore) MarkDeleted(ctx context.Context, s inventory.Scope, ids []string, at time.Time) (int, error) {
	c.markCalls.Add(1)
	n, err := c.Store.MarkDeleted(ctx, s, ids, at)
	c.rowsWritten.Add(int64(n))
	return n, err
}
