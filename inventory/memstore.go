package inventory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// MemStore is a Store in memory: the embedded default, and a reference for
// other stores. Queries scan every asset, which suits tests and small
// inventories. It is safe for concurrent use; its zero value is not
// usable, call NewMemStore.
type MemStore struct {
	MemEventLog // the EventLog of the store

	mu       sync.RWMutex
	accounts map[string]StoredAccount
	assets   map[identity]*Asset
	cursors  map[Scope]SyncCursor
	nextID   int64
}

type identity struct{ provider, account, assetType, assetID string }

func identityOf(a *Asset) identity {
	return identity{a.Provider, a.Account, a.AssetType, a.AssetID}
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{accounts: map[string]StoredAccount{}, assets: map[identity]*Asset{}}
}

var (
	_ Store    = (*MemStore)(nil)
	_ EventLog = (*MemStore)(nil)
)

func cloneAccount(a StoredAccount) StoredAccount {
	a.AccessKeySecret = ""
	a.SecretCiphertext = slices.Clone(a.SecretCiphertext)
	a.Config.SupportedRegions = slices.Clone(a.Config.SupportedRegions)
	a.Config.SupportedAssetTypes = slices.Clone(a.Config.SupportedAssetTypes)
	a.LastSyncTime = cloneTime(a.LastSyncTime)
	a.LastTestTime = cloneTime(a.LastTestTime)
	return a
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func cloneAsset(a *Asset) Asset {
	c := *a
	c.Tags = slices.Clone(a.Tags)
	c.Metadata = slices.Clone(a.Metadata)
	c.DeletedAt = cloneTime(a.DeletedAt)
	return c
}

func (m *MemStore) nameTaken(name, exceptID string) bool {
	for id, a := range m.accounts {
		if a.Name == name && id != exceptID {
			return true
		}
	}
	return false
}

// CreateAccount implements Store.
func (m *MemStore) CreateAccount(_ context.Context, a *StoredAccount) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[a.ID]; ok {
		return multicloud.Errorf(multicloud.CodeAlreadyExists, "account %q already exists", a.ID)
	}
	if m.nameTaken(a.Name, "") {
		return multicloud.Errorf(multicloud.CodeAlreadyExists, "account name %q already exists", a.Name)
	}
	m.accounts[a.ID] = cloneAccount(*a)
	return nil
}

// GetAccount implements Store.
func (m *MemStore) GetAccount(_ context.Context, id string) (*StoredAccount, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	a, ok := m.accounts[id]
	if !ok {
		return nil, multicloud.Errorf(multicloud.CodeNotFound, "account %q not found", id)
	}
	c := cloneAccount(a)
	return &c, nil
}

// ListAccounts implements Store.
func (m *MemStore) ListAccounts(context.Context) ([]StoredAccount, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]StoredAccount, 0, len(m.accounts))
	for _, a := range m.accounts {
		out = append(out, cloneAccount(a))
	}
	slices.SortFunc(out, func(a, b StoredAccount) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// UpdateAccount implements Store.
func (m *MemStore) UpdateAccount(_ context.Context, a *StoredAccount) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[a.ID]; !ok {
		return multicloud.Errorf(multicloud.CodeNotFound, "account %q not found", a.ID)
	}
	if m.nameTaken(a.Name, a.ID) {
		return multicloud.Errorf(multicloud.CodeAlreadyExists, "account name %q already exists", a.Name)
	}
	m.accounts[a.ID] = cloneAccount(*a)
	return nil
}

// DeleteAccount implements Store.
func (m *MemStore) DeleteAccount(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[id]; !ok {
		return multicloud.Errorf(multicloud.CodeNotFound, "account %q not found", id)
	}
	delete(m.accounts, id)
	return nil
}

// ScopeStates implements Store.
func (m *MemStore) ScopeStates(_ context.Context, s Scope) (map[string]AssetState, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]AssetState{}
	for _, a := range m.assets {
		if a.Scope() == s {
			out[a.AssetID] = AssetState{Hash: a.Hash, Deleted: a.DeletedAt != nil, Status: a.Status}
		}
	}
	return out, nil
}

// UpsertAssets implements Store.
func (m *MemStore) UpsertAssets(ctx context.Context, assets []Asset) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range assets {
		c := cloneAsset(&assets[i])
		key := identityOf(&c)
		if old, ok := m.assets[key]; ok {
			c.ID, c.CreateTime = old.ID, old.CreateTime
		} else {
			m.nextID++
			c.ID = m.nextID
		}
		m.assets[key] = &c
	}
	return nil
}

// MarkDeleted implements Store.
func (m *MemStore) MarkDeleted(_ context.Context, s Scope, assetIDs []string, at time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, id := range assetIDs {
		a, ok := m.assets[identity{s.Provider, s.Account, s.AssetType, id}]
		if ok && a.Region == s.Region && a.DeletedAt == nil {
			t := at
			a.DeletedAt = &t
			n++
		}
	}
	return n, nil
}

// Matches reports whether a satisfies every condition of f, as every
// Store must evaluate it.
func (f *Filter) Matches(a *Asset) bool {
	switch {
	case !f.IncludeDeleted && a.DeletedAt != nil,
		f.Provider != "" && a.Provider != f.Provider,
		f.Account != "" && a.Account != f.Account,
		f.AssetType != "" && a.AssetType != f.AssetType,
		f.Region != "" && a.Region != f.Region,
		f.Zone != "" && a.Zone != f.Zone,
		f.Status != "" && a.Status != f.Status,
		f.Name != "" && !strings.Contains(a.AssetName, f.Name):
		return false
	}
	for _, t := range f.Tags {
		if !slices.Contains(a.Tags, t) {
			return false
		}
	}
	for _, k := range f.TagKeys {
		if !slices.ContainsFunc(a.Tags, func(t Tag) bool { return t.Key == k }) {
			return false
		}
	}
	return true
}

// CompareAssets orders a and b by the sort expression of a normalized
// Filter, then by ID in the same direction.
func CompareAssets(sort string, a, b *Asset) int {
	col, desc, _ := ParseSort(sort)
	var c int
	switch col {
	case "asset_id":
		c = strings.Compare(a.AssetID, b.AssetID)
	case "asset_name":
		c = strings.Compare(a.AssetName, b.AssetName)
	case "asset_type":
		c = strings.Compare(a.AssetType, b.AssetType)
	case "provider":
		c = strings.Compare(a.Provider, b.Provider)
	case "account":
		c = strings.Compare(a.Account, b.Account)
	case "region":
		c = strings.Compare(a.Region, b.Region)
	case "zone":
		c = strings.Compare(a.Zone, b.Zone)
	case "status":
		c = strings.Compare(a.Status, b.Status)
	case "cost":
		c = cmp.Compare(a.Cost, b.Cost)
	case "create_time":
		c = a.CreateTime.Compare(b.CreateTime)
	case "update_time":
		c = a.UpdateTime.Compare(b.UpdateTime)
	case "discover_time":
		c = a.DiscoverTime.Compare(b.DiscoverTime)
	}
	c = cmp.Or(c, cmp.Compare(a.ID, b.ID))
	if desc {
		c = -c
	}
	return c
}

// QueryAssets implements Store.
func (m *MemStore) QueryAssets(_ context.Context, f Filter) ([]Asset, int, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, 0, err
	}
	m.mu.RLock()
	var hits []*Asset
	for _, a := range m.assets {
		if f.Matches(a) {
			hits = append(hits, a)
		}
	}
	slices.SortFunc(hits, func(a, b *Asset) int { return CompareAssets(f.Sort, a, b) })
	total := len(hits)
	out := []Asset{}
	if f.Offset < total {
		end := total
		if f.Limit < total-f.Offset {
			end = f.Offset + f.Limit
		}
		for _, a := range hits[f.Offset:end] {
			out = append(out, cloneAsset(a))
		}
	}
	m.mu.RUnlock()
	return out, total, nil
}

// Statistics implements Store.
func (m *MemStore) Statistics(_ context.Context, f StatsFilter) (*Statistics, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := NewStatistics()
	for _, a := range m.assets {
		if a.DeletedAt != nil || f.Provider != "" && a.Provider != f.Provider ||
			f.Account != "" && a.Account != f.Account || f.AssetType != "" && a.AssetType != f.AssetType {
			continue
		}
		s.AddGroup(a.Provider, a.AssetType, a.Region, a.Status, 1, a.Cost, a.DiscoverTime)
	}
	return s, nil
}

var _ IncrementalStore = (*MemStore)(nil)

// SyncCursor returns the scope's change-feed cursor.
func (m *MemStore) SyncCursor(_ context.Context, s Scope) (SyncCursor, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.cursors[s]
	return c, ok, nil
}

// PutSyncCursor stores the scope's change-feed cursor.
func (m *MemStore) PutSyncCursor(_ context.Context, s Scope, c SyncCursor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cursors == nil {
		m.cursors = map[Scope]SyncCursor{}
	}
	m.cursors[s] = c
	return nil
}

// AssetsByID returns copies of the scope's stored assets with the listed
// asset IDs.
func (m *MemStore) AssetsByID(_ context.Context, s Scope, assetIDs []string) ([]Asset, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Asset, 0, len(assetIDs))
	for _, id := range assetIDs {
		if a, ok := m.assets[identity{s.Provider, s.Account, s.AssetType, id}]; ok && a.Region == s.Region {
			out = append(out, cloneAsset(a))
		}
	}
	return out, nil
}
