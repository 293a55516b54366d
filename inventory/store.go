package inventory

import (
	"context"
	"time"
)

// Store keeps accounts and assets. Implementations must be safe for
// concurrent use; NewMemStore and inventory/sqlstore are the ones this
// module ships, and inventory/storetest checks any of them.
//
// A Store may also implement EventLog, to keep change events durably.
//
// Errors: a missing account matches multicloud.ErrNotFound, a duplicate
// account ID or name multicloud.ErrAlreadyExists, an invalid filter
// multicloud.ErrInvalidArgument.
type Store interface {
	// CreateAccount stores a new account; a.ID must be set and unique.
	CreateAccount(ctx context.Context, a *StoredAccount) error
	// GetAccount returns the account with the given ID.
	GetAccount(ctx context.Context, id string) (*StoredAccount, error)
	// ListAccounts returns every account ordered by name, then ID.
	ListAccounts(ctx context.Context) ([]StoredAccount, error)
	// UpdateAccount replaces the stored account with a.ID.
	UpdateAccount(ctx context.Context, a *StoredAccount) error
	// DeleteAccount removes the account. Its assets stay.
	DeleteAccount(ctx context.Context, id string) error

	// ScopeStates returns, for every stored asset of the scope (deleted
	// ones included), its asset ID mapped to its hash, deleted flag and
	// status. It loads no other column.
	ScopeStates(ctx context.Context, s Scope) (map[string]AssetState, error)
	// UpsertAssets inserts the assets or updates the stored ones with the
	// same identity (provider, account, asset_type, asset_id), all in one
	// transaction. An update keeps the stored ID and CreateTime and
	// replaces every other field, DeletedAt included. When one batch holds
	// an identity twice, the last wins.
	UpsertAssets(ctx context.Context, assets []Asset) error
	// MarkDeleted sets DeletedAt to at on the live assets of the scope
	// whose asset IDs are listed, and returns how many it marked.
	MarkDeleted(ctx context.Context, s Scope, assetIDs []string, at time.Time) (int, error)
	// QueryAssets returns the page of assets f selects (normalized with
	// Filter.Normalize) and the number of assets matching f.
	QueryAssets(ctx context.Context, f Filter) ([]Asset, int, error)
	// Statistics aggregates the live assets f selects, in the store.
	Statistics(ctx context.Context, f StatsFilter) (*Statistics, error)
}
