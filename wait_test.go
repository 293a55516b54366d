package multicloud_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// TestWaitAllBatchesPerRegion waits for instances in two regions of the
// fake: every round is one GetBatch per region, never a Get per instance.
func TestWaitAllBatchesPerRegion(t *testing.T) {
	cloud := &batchRecorder{Provider: fake.New(func(o *fake.Options) { o.TransitionDelay = 20 * time.Millisecond })}
	c, err := multicloud.New(mustRegistry(t, cloud), multicloud.UsePollInterval(5*time.Millisecond),
		multicloud.UseRetryPolicy(fastRetry), multicloud.UseWaitForRunning(false, 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var refs []multicloud.InstanceRef
	for _, pl := range []struct {
		region string
		n      int
	}{{"cn-hangzhou", 3}, {"cn-shanghai", 2}} {
		insts, err := c.CreateInstance(ctx, multicloud.NewCreateInstanceRequest(
			multicloud.WithProvider("fake"), multicloud.WithPlacement(pl.region, ""), multicloud.WithOwner("t1", "u1"),
			multicloud.WithName("batch"), multicloud.WithImage("ubuntu-22.04"), multicloud.WithInstanceType("ecs.g7.large"),
			multicloud.WithQuantity(pl.n)))
		if err != nil {
			t.Fatalf("CreateInstance in %s: %v", pl.region, err)
		}
		for _, in := range insts {
			refs = append(refs, in.Ref())
		}
	}
	missing := multicloud.InstanceRef{Provider: "fake", Region: "cn-hangzhou", ID: "i-gone"}
	cloud.ResetCalls()
	cloud.sizes = nil
	got, err := c.WaitAll(ctx, refs, multicloud.StatusRunning, 5*time.Second)
	if err != nil {
		t.Fatalf("WaitAll: %v", err)
	}
	for i, in := range got {
		if in == nil || in.ID != refs[i].ID || in.Status != multicloud.StatusRunning {
			t.Errorf("instance %d: got %+v, want %s Running", i, in, refs[i].ID)
		}
	}
	if gets := cloud.CallCount("Get"); gets != 0 {
		t.Errorf("Get calls: got %d, want none", gets)
	}
	if len(cloud.sizes) < 2 || cloud.sizes[0] != 3 || cloud.sizes[1] != 2 {
		t.Errorf("IDs per GetBatch call: got %v, want the first round to ask for 3 in one region and 2 in the other", cloud.sizes)
	}

	// A gone instance is ErrNotFound while waiting for Running, and done
	// while waiting for Deleted; the others are unaffected.
	got, err = c.WaitAll(ctx, []multicloud.InstanceRef{refs[0], missing}, multicloud.StatusRunning, time.Second)
	if !errors.Is(err, multicloud.ErrNotFound) || got[0] == nil || got[0].Status != multicloud.StatusRunning {
		t.Errorf("WaitAll with a gone instance: got %v, %v; want the first Running and ErrNotFound", got, err)
	}
	got, err = c.WaitAll(ctx, []multicloud.InstanceRef{missing}, multicloud.StatusDeleted, time.Second)
	if err != nil || got[0].Status != multicloud.StatusDeleted {
		t.Errorf("WaitAll for Deleted of a gone instance: got %v, %v; want Deleted", got, err)
	}
	_, err = c.WaitAll(ctx, []multicloud.InstanceRef{{Provider: "fake", ID: "i-1"}}, multicloud.StatusRunning, time.Second)
	if !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("WaitAll of an incomplete ref: got %v, want ErrInvalidArgument", err)
	}
}

// batchRecorder records how many IDs each GetBatch call asks for.
type batchRecorder struct {
	*fake.Provider
	mu    sync.Mutex
	sizes []int
}

func (b *batchRecorder) GetBatch(ctx context.Context, region string, ids []string) (map[string]*multicloud.Instance, error) {
	b.mu.Lock()
	b.sizes = append(b.sizes, len(ids))
	b.mu.Unlock()
	return b.Provider.GetBatch(ctx, region, ids)
}

// TestWaitAllFallsBackOnGet waits through a provider without GetBatch,
// and reports a timeout per instance naming its state.
func TestWaitAllFallsBackOnGet(t *testing.T) {
	c, p := newMockClient(t, multicloud.UsePollInterval(time.Millisecond))
	p.EXPECT().Get(gomock.Any(), "r", "i-1").Return(&multicloud.Instance{ID: "i-1", Status: multicloud.StatusRunning}, nil).Times(1)
	p.EXPECT().Get(gomock.Any(), "r", "i-2").Return(&multicloud.Instance{ID: "i-2", Status: multicloud.StatusPending}, nil).MinTimes(2)
	refs := []multicloud.InstanceRef{{Provider: "mock", Region: "r", ID: "i-1"}, {Provider: "mock", Region: "r", ID: "i-2"}}
	got, err := c.WaitAll(context.Background(), refs, multicloud.StatusRunning, 30*time.Millisecond)
	if !errors.Is(err, multicloud.ErrWaitTimeout) {
		t.Fatalf("WaitAll: got %v, want ErrWaitTimeout for i-2", err)
	}
	if got[0].Status != multicloud.StatusRunning || got[1].Status != multicloud.StatusPending {
		t.Errorf("states: got %s and %s, want Running and Pending", got[0].Status, got[1].Status)
	}
}
