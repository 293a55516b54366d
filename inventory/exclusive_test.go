package inventory_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// TestSyncOneAccountAtATime: a second Sync of an account that is syncing
// fails with ErrConflict; once the first ends, the account syncs again.
func TestSyncOneAccountAtATime(t *testing.T) {
	ctx := context.Background()
	key := make([]byte, 32)
	kp, err := inventory.NewAESGCMKeyProvider(key)
	if err != nil {
		t.Fatal(err)
	}
	cloud := newFakeCloud(1, 5)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	blocking := &gatedCloud{fakeCloud: cloud, gate: func() { once.Do(func() { close(started) }); <-release }}
	svc := newService(t, inventory.NewMemStore(), inventory.WithKeyProvider(kp),
		inventory.WithConnector("fake", func(context.Context, inventory.CloudAccount, multicloud.Secret) (inventory.Discoverer, error) {
			return blocking, nil
		}))
	acct, err := svc.CreateAccount(ctx, inventory.CloudAccount{Name: "a", Provider: "fake", AccessKeyID: "k", AccessKeySecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	target := inventory.SyncTarget{AccountID: acct.ID}
	first := make(chan error, 1)
	go func() { _, err := svc.Sync(ctx, target, inventory.SyncOptions{}); first <- err }()
	<-started
	if _, err := svc.Sync(ctx, target, inventory.SyncOptions{}); !errors.Is(err, multicloud.ErrConflict) {
		t.Errorf("second Sync while the first runs: got %v, want ErrConflict", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first Sync: %v", err)
	}
	if _, err := svc.Sync(ctx, target, inventory.SyncOptions{}); err != nil {
		t.Errorf("Sync after the first ended: %v", err)
	}
}

// gatedCloud calls gate before each listing.
type gatedCloud struct {
	*fakeCloud
	gate func()
}

func (g *gatedCloud) Discover(ctx context.Context, region, assetType string, call inventory.CallFunc, emit func(context.Context, []inventory.Asset) error) error {
	g.gate()
	return g.fakeCloud.Discover(ctx, region, assetType, call, emit)
}
