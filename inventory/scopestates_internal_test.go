package inventory

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScopeStates: the compact states answer as the map they come from,
// for hashes ContentHash makes and for any other string a store holds.
func TestScopeStates(t *testing.T) {
	hex := ContentHash(&Asset{AssetID: "a"})
	upper := strings.ToUpper(hex)
	stored := map[string]AssetState{
		"i-b": {Hash: hex, Status: "Running"},
		"i-a": {Hash: "v1:short", Status: "Stopped"},
		"i-c": {Hash: upper, Status: "Running", Deleted: true},
		"i-d": {Hash: hex, Status: ""},
		"":    {Hash: "", Status: "Running"},
	}
	s, err := newScopeStates(stored)
	if err != nil {
		t.Fatalf("newScopeStates: %v", err)
	}
	if len(s.statuses) != 3 {
		t.Errorf("statuses: got %q, want 3 distinct", s.statuses)
	}
	for id, want := range stored {
		i, ok := s.find(id)
		if !ok {
			t.Fatalf("find(%q): not found", id)
		}
		if got := s.state(i); got.Status != want.Status || got.Deleted != want.Deleted {
			t.Errorf("state(%q): got %+v, want %+v", id, got, want)
		}
		for _, h := range []string{hex, upper, "v1:short", "", hex[:63] + "0"} {
			if got := s.sameHash(i, h); got != (h == want.Hash) {
				t.Errorf("sameHash(%q, %.10q): got %v, want %v", id, h, got, h == want.Hash)
			}
		}
	}
	if _, ok := s.find("i-e"); ok {
		t.Errorf("find(i-e): found, want not")
	}

	// See i-b twice, a new asset twice: the repeats are duplicates.
	for _, c := range []struct {
		id  string
		dup bool
	}{{"i-b", false}, {"i-new", false}, {"i-b", true}, {"i-new", true}, {"i-c", false}} {
		i, known := s.find(c.id)
		if got := s.see(c.id, i, known); got != c.dup {
			t.Errorf("see(%q): dup %v, want %v", c.id, got, c.dup)
		}
	}
	if s.seen != 3 {
		t.Errorf("seen: got %d, want 3", s.seen)
	}
	// Unseen and live: i-a, i-d and "" (i-c is deleted).
	if diff := cmp.Diff([]string{"", "i-a", "i-d"}, s.unseenLive()); diff != "" {
		t.Errorf("unseenLive (-want +got):\n%s", diff)
	}
}
