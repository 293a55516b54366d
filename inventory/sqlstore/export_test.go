package sqlstore

import (
	"context"

	"github.com/google/go-cmp/cmp"
)

// SetDriveLimit sets the most assets a tag filter may select for a query
// to start from the tag; -1 makes every tag an EXISTS probe.
func SetDriveLimit(s *Store, n int64) { s.driveLimit = n }

// TrigramCountsDiff compares name_trigram_counts with a count of the
// trigrams of the stored names, returning "" when they agree.
func TrigramCountsDiff(s *Store) (string, error) {
	ctx := context.Background()
	want := map[string]int64{}
	rows, err := s.db.QueryContext(ctx, "SELECT asset_name FROM assets")
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return "", err
		}
		for _, t := range nameTrigrams(name, s.d.foldTrigrams) {
			want[t]++
		}
	}
	rows.Close()
	got := map[string]int64{}
	rows, err = s.db.QueryContext(ctx, "SELECT trgm, n FROM name_trigram_counts WHERE n <> 0")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return "", err
		}
		got[t] = n
	}
	return cmp.Diff(want, got), rows.Err()
}
