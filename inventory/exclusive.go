package inventory

import (
	"sync"

	"github.com/multicloud-ecs/multicloud"
)

// syncing holds the accounts with a Sync running in this Service.
type syncing struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

// claim marks account id as syncing and returns the function that ends
// the claim, or an error matching multicloud.ErrConflict when a Sync of
// the account is already running in this Service. Two Services over one
// Store do not see each other's claims.
func (s *syncing) claim(id string) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, busy := s.ids[id]; busy {
		return nil, &multicloud.Error{Op: "inventory.Sync", Code: multicloud.CodeConflict,
			Message: "account " + id + " is already being synced"}
	}
	if s.ids == nil {
		s.ids = map[string]struct{}{}
	}
	s.ids[id] = struct{}{}
	return func() {
		s.mu.Lock()
		delete(s.ids, id)
		s.mu.Unlock()
	}, nil
}
