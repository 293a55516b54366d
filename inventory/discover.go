package inventory

import (
	"context"

	"github.com/multicloud-ecs/multicloud"
)

// CallFunc is what the sync engine hands a Discoverer, which must route
// every provider API call through it: call runs the request. CallFunc
// waits on the account's rate limiter, retries errors that
// multicloud.IsRetryable accepts with exponential backoff and jitter
// (bounded attempts, never once ctx is done), and counts calls for the
// SyncReport. api names the operation, e.g. "DescribeInstances". It
// returns call's last error, or ctx's error. It is safe for concurrent
// use.
type CallFunc func(ctx context.Context, api string, call func(ctx context.Context) error) error

// Discoverer lists one account's assets for the sync engine. It maps
// provider data to Assets and nothing else: rate limiting, retries,
// counting, batching and reconciliation belong to the engine.
// Implementations must be safe for concurrent use, as regions are listed
// at once.
type Discoverer interface {
	// Regions lists the regions the account can see.
	Regions(ctx context.Context, call CallFunc) ([]string, error)
	// Discover lists every asset of assetType in region, handing pages
	// (about 100 assets) to emit as they arrive, one emit at a time. It
	// returns only once the listing completed or failed; a non-nil error
	// means the listing is incomplete. It returns emit's error, if any,
	// unchanged. Provider, Account, AssetType and Region of the emitted
	// assets may be left empty: the engine sets them.
	Discover(ctx context.Context, region, assetType string, call CallFunc, emit func(ctx context.Context, page []Asset) error) error
}

// ConnectionTester is an optional interface of a Discoverer: a cheap real
// API call that proves the credentials (DescribeRegions on Alibaba Cloud).
// Service.TestConnection uses Regions when a Discoverer lacks it. Errors
// should be *multicloud.Error with the provider's code.
type ConnectionTester interface {
	TestConnection(ctx context.Context) error
}

// Connector builds the Discoverer of an account, given its decrypted
// secret. A Service holds one per provider code in Options.Connectors.
type Connector func(ctx context.Context, acct CloudAccount, secret multicloud.Secret) (Discoverer, error)

// SyncTarget says what Discover and Sync list: either a stored account
// (AccountID) or a ready Discoverer with the provider code and account
// label to file its assets under.
type SyncTarget struct {
	AccountID string

	Discoverer Discoverer
	Provider   string
	Account    string
}
