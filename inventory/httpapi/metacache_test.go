package httpapi

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud/inventory"
)

func TestMetaCache(t *testing.T) {
	var c metaCache
	for i := range maxMetaCache + 10 {
		a := inventory.Asset{ID: int64(i + 1), AssetID: fmt.Sprintf("i-%d", i), AssetType: inventory.AssetTypeECS}
		if err := a.SetMetadata(inventory.ECSMetadata{InstanceID: a.AssetID, InstanceType: "ecs.g6.large",
			PublicIP: []string{fmt.Sprintf("47.0.%d.%d", i/250, i%250)}, IOOptimized: i%2 == 0}); err != nil {
			t.Fatal(err)
		}
		a.Hash = inventory.ContentHash(&a)
		want := NewAsset(&a)
		for pass := range 2 { // converted, then from the cache
			if diff := cmp.Diff(want, c.asset(&a)); diff != "" {
				t.Fatalf("asset %d, pass %d (-want +got):\n%s", i, pass, diff)
			}
		}
		if len(c.m) > maxMetaCache {
			t.Fatalf("cache holds %d entries, want at most %d", len(c.m), maxMetaCache)
		}
	}
}
