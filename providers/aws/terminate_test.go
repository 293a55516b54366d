package aws_test

import (
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// TestShuttingDownIsDeleted checks that an instance in EC2's shutting-down
// state, which follows TerminateInstances and ends in terminated (EC2 User
// Guide, instance lifecycle: "preparing to be terminated"), reads as
// deleted, as a deletion in progress does on the other faces: Get is
// ErrNotFound, List and GetBatch leave it out, a List by Stopping does not
// find it, and Wait for Deleted ends.
func TestShuttingDownIsDeleted(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv)
	c := newClient(t, nil, p)
	ctx := testCtx(t)
	ins, err := c.CreateInstance(ctx, request("t", "u-term"))
	if err != nil || len(ins) != 1 {
		t.Fatalf("CreateInstance: %d instances, %v", len(ins), err)
	}
	ref := ins[0].Ref()
	// A transition longer than the test: the instance stays shutting-down.
	srv.Cloud().SetTransitionDelay(time.Hour)
	if err := c.Delete(ctx, ref, multicloud.Force()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := srv.Cloud().Instances(region); len(got) != 1 || got[0].ID != ref.ID {
		t.Fatalf("the emulator holds %v, want the one instance, shutting down", got)
	}
	if _, err := c.Get(ctx, ref); multicloud.CodeOf(err) != multicloud.CodeNotFound {
		t.Errorf("Get of a shutting-down instance: %v, want NOT_FOUND", err)
	}
	batch, err := p.GetBatch(ctx, region, []string{ref.ID})
	if err != nil || len(batch) != 0 {
		t.Errorf("GetBatch of a shutting-down instance: %v, %v; want none", batch, err)
	}
	for _, st := range []multicloud.Status{"", multicloud.StatusStopping} {
		page, err := p.List(ctx, multicloud.ListQuery{Region: region, Status: st})
		if err != nil || len(page.Instances) != 0 {
			t.Errorf("List status %q: %v, %v; want no instance", st, page, err)
		}
	}
	in, err := c.Wait(ctx, ref, multicloud.StatusDeleted, 5*time.Second)
	if err != nil || in.Status != multicloud.StatusDeleted {
		t.Errorf("Wait for Deleted: %v, %v", in, err)
	}
}
