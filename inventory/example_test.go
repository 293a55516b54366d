package inventory_test

import (
	"context"
	"fmt"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// Sync a provider's instances into the in-memory store, then query and
// summarize them.
func ExampleService_Sync() {
	ctx := context.Background()
	svc, err := inventory.New(inventory.NewMemStore(), inventory.WithConcurrency(2))
	if err != nil {
		panic(err)
	}
	cloud := newFakeCloud(2, 150) // two regions of 150 instances
	target := inventory.SyncTarget{Discoverer: cloud, Provider: "fake", Account: "team-a"}

	report, err := svc.Sync(ctx, target, inventory.SyncOptions{})
	if err != nil {
		panic(err)
	}
	for _, s := range report.Scopes {
		fmt.Printf("%s %s: added %d in %d pages\n", s.Region, s.AssetType, s.Added, s.Pages)
	}

	report, _ = svc.Sync(ctx, target, inventory.SyncOptions{})
	fmt.Printf("re-sync: %d unchanged, %d written\n", report.Unchanged, report.Added+report.Updated)

	page, err := svc.Query(ctx, inventory.Filter{Region: "region-01", Status: "Running", Sort: "asset_name", Limit: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println("running in region-01:", page.Total)
	for _, a := range page.Assets {
		var m inventory.ECSMetadata
		a.DecodeMetadata(&m)
		fmt.Println(" ", a.AssetID, a.AssetName, m.InstanceType, m.Memory, "MiB")
	}

	stats, _ := svc.Statistics(ctx, inventory.StatsFilter{})
	fmt.Println("total:", stats.TotalAssets, "by status:", stats.StatusStats)
	// Output:
	// region-00 ecs: added 150 in 2 pages
	// region-01 ecs: added 150 in 2 pages
	// re-sync: 300 unchanged, 0 written
	// running in region-01: 75
	//   i-region-01-00000 web-0 ecs.g7.large 8192 MiB
	//   i-region-01-00010 web-10 ecs.g7.large 8192 MiB
	// total: 300 by status: map[Running:150 Stopped:150]
}
