package fake_test

import (
	"context"
	"errors"
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

func TestDiscovererSyncsIntoInventory(t *testing.T) {
	ctx := context.Background()
	cloud := fake.New()
	client := newClient(t, cloud)
	req := gpuRequest("u1", multicloud.WithQuantity(3), multicloud.WithPublicIP(5, multicloud.Traffic))
	insts, err := client.CreateInstance(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := inventory.New(inventory.NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	target := inventory.SyncTarget{Discoverer: cloud.Discoverer(), Provider: "fake", Account: "acct-1"}
	rep, err := svc.Sync(ctx, target, inventory.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Query(ctx, inventory.Filter{Provider: "fake", Region: req.Region})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 3 {
		t.Fatalf("inventory holds %d assets in %s after sync (report %+v), want 3", res.Total, req.Region, rep)
	}
	var md inventory.ECSMetadata
	a := res.Assets[0]
	if err := a.DecodeMetadata(&md); err != nil {
		t.Fatal(err)
	}
	if md.CPU == 0 || md.Memory == 0 || md.VPCID != insts[0].Network.VPCID || md.ChargeType != "PostPaid" || len(md.PublicIP) != 1 {
		t.Errorf("metadata %+v lacks the instance's specs, network or public IP", md)
	}

	// A deleted instance is marked deleted by the next full sync.
	if err := client.Delete(ctx, insts[0].Ref(), multicloud.Force()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sync(ctx, target, inventory.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err = svc.Query(ctx, inventory.Filter{Provider: "fake", Region: req.Region})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 2 {
		t.Errorf("live assets after delete = %d, want 2", res.Total)
	}
}

func TestDiscovererFaultsAndTypes(t *testing.T) {
	ctx := context.Background()
	cloud := fake.New()
	d := cloud.Discoverer()
	direct := func(ctx context.Context, _ string, call func(context.Context) error) error { return call(ctx) }
	err := d.Discover(ctx, "cn-hangzhou", "disk", direct, func(context.Context, []inventory.Asset) error { return nil })
	if !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("Discover(disk) = %v, want ErrInvalidArgument", err)
	}
	cloud.InjectFault(fake.Fault{Action: "List", Class: sim.ClassUnavailable, Count: 1})
	err = d.Discover(ctx, "cn-hangzhou", inventory.AssetTypeECS, direct, func(context.Context, []inventory.Asset) error { return nil })
	if !errors.Is(err, multicloud.ErrUnavailable) {
		t.Errorf("Discover with a List fault = %v, want ErrUnavailable", err)
	}
	regions, err := d.Regions(ctx, direct)
	if err != nil || len(regions) == 0 {
		t.Errorf("Regions = %v, %v; want the fake's regions", regions, err)
	}
}
