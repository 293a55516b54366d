package inventory

import (
	"errors"
	"testing"

	"github.com/multicloud-ecs/multicloud"
)

// TestClaimRegions: Syncs of one account conflict when their regions
// overlap (no regions means every region) and run side by side when they
// are disjoint, as a job layer's region jobs do.
func TestClaimRegions(t *testing.T) {
	tests := []struct {
		name          string
		held, claimed []string
		conflict      bool
	}{
		{"whole, then whole", nil, nil, true},
		{"whole, then a region", nil, []string{"r1"}, true},
		{"a region, then whole", []string{"r1"}, nil, true},
		{"same region", []string{"r1"}, []string{"r1"}, true},
		{"overlapping regions", []string{"r1", "r2"}, []string{"r2", "r3"}, true},
		{"disjoint regions", []string{"r1"}, []string{"r2"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s syncing
			release, err := s.claim("acct", tc.held)
			if err != nil {
				t.Fatalf("first claim: %v", err)
			}
			second, err := s.claim("acct", tc.claimed)
			if got := errors.Is(err, multicloud.ErrConflict); got != tc.conflict {
				t.Fatalf("second claim: got %v, want conflict %v", err, tc.conflict)
			}
			if _, err := s.claim("other", tc.held); err != nil {
				t.Errorf("claim of another account: got %v, want none", err)
			}
			if second != nil {
				second()
			}
			release()
			again, err := s.claim("acct", tc.claimed)
			if err != nil {
				t.Fatalf("claim after release: got %v, want none", err)
			}
			again()
			if len(s.accounts) != 1 { // "other" is still held
				t.Errorf("got %d accounts held after releases, want 1", len(s.accounts))
			}
		})
	}
}
