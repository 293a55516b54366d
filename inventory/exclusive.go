package inventory

import (
	"slices"
	"strings"
	"sync"

	"github.com/multicloud-ecs/multicloud"
)

// syncing holds the accounts with a Sync running in this Service, and for
// each the regions it covers: a Sync of named regions (as a job layer runs
// one region at a time) excludes only Syncs that overlap it.
type syncing struct {
	mu       sync.Mutex
	accounts map[string]*accountClaims
}

type accountClaims struct {
	whole   int            // running Syncs of every region
	regions map[string]int // running Syncs per named region
}

// claim marks account id as syncing in regions (every region when empty)
// and returns the function that ends the claim, or an error matching
// multicloud.ErrConflict when a running Sync of the account covers any of
// them. Two Services over one Store do not see each other's claims.
func (s *syncing) claim(id string, regions []string) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.accounts[id]
	if c != nil {
		busy := c.whole > 0 || len(regions) == 0 && len(c.regions) > 0
		var overlap []string
		for _, r := range regions {
			if c.regions[r] > 0 {
				overlap = append(overlap, r)
			}
		}
		if busy || len(overlap) > 0 {
			msg := "account " + id + " is already being synced"
			if len(overlap) > 0 && c.whole == 0 {
				slices.Sort(overlap)
				msg += " in " + strings.Join(overlap, ", ")
			}
			return nil, &multicloud.Error{Op: "inventory.Sync", Code: multicloud.CodeConflict, Message: msg}
		}
	}
	if c == nil {
		if s.accounts == nil {
			s.accounts = map[string]*accountClaims{}
		}
		c = &accountClaims{regions: map[string]int{}}
		s.accounts[id] = c
	}
	regions = slices.Compact(slices.Sorted(slices.Values(regions)))
	if len(regions) == 0 {
		c.whole++
	}
	for _, r := range regions {
		c.regions[r]++
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(regions) == 0 {
			c.whole--
		}
		for _, r := range regions {
			if c.regions[r]--; c.regions[r] == 0 {
				delete(c.regions, r)
			}
		}
		if c.whole == 0 && len(c.regions) == 0 {
			delete(s.accounts, id)
		}
	}, nil
}
