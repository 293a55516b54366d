package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
)

// checkTrigramCounts fails t when s's name_trigram_counts disagree with
// its names.
func checkTrigramCounts(t *testing.T, s *sqlstore.Store, label string) {
	t.Helper()
	diff, err := sqlstore.TrigramCountsDiff(s)
	if err != nil {
		t.Fatalf("%s: TrigramCountsDiff: %v", label, err)
	}
	if diff != "" {
		t.Errorf("%s: name_trigram_counts mismatch (-want +got):\n%s", label, diff)
	}
}

// TestTrigramCounts checks that writes keep name_trigram_counts equal to
// a count of the names' trigrams.
func TestTrigramCounts(t *testing.T) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *sqlstore.Store
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		t.Run(engine.name, func(t *testing.T) {
			s := engine.open(t)
			ctx := context.Background()
			names := []string{"web-0001", "Web-0001", "aaaaaa", "ÉCOLE école", "日本語サーバー日本", "ab", "", `100% _x_ \path\`}
			var assets []inventory.Asset
			for i := range 30 {
				a := inventory.Asset{Provider: "aws", Account: "acct", AssetType: inventory.AssetTypeECS, Region: "r",
					AssetID: fmt.Sprintf("i-%02d", i), AssetName: names[i%len(names)] + fmt.Sprint(i%4)}
				a.Hash = inventory.ContentHash(&a)
				assets = append(assets, a)
			}
			// The same asset twice in one batch: the last one counts.
			dup := assets[0]
			dup.AssetName = "first of two"
			if err := s.UpsertAssets(ctx, append([]inventory.Asset{dup}, assets...)); err != nil {
				t.Fatalf("UpsertAssets: %v", err)
			}
			checkTrigramCounts(t, s, "after insert")
			for i := range assets {
				if i%2 == 0 {
					assets[i].AssetName = names[(i+3)%len(names)]
					assets[i].Hash = inventory.ContentHash(&assets[i])
				}
			}
			if err := s.UpsertAssets(ctx, assets); err != nil {
				t.Fatalf("UpsertAssets(renamed): %v", err)
			}
			if _, err := s.MarkDeleted(ctx, inventory.Scope{Provider: "aws", Account: "acct", AssetType: inventory.AssetTypeECS, Region: "r"},
				[]string{"i-01", "i-02"}, assets[0].CreateTime); err != nil {
				t.Fatalf("MarkDeleted: %v", err)
			}
			checkTrigramCounts(t, s, "after renames")
		})
	}
}
