package inventory

import (
	"context"
	"time"
)

// DefaultFullSyncEvery is the default of Options.FullSyncEvery.
const DefaultFullSyncEvery = 24 * time.Hour

// ChangeFeed describes a provider's feed of changes (Aliyun ActionTrail,
// AWS CloudTrail): how late and how far back it reports.
type ChangeFeed struct {
	// DeliveryDelay is how long after a change its event may first
	// appear in the feed. Each read starts this much before the end of
	// the previous one, so a late event is not missed; replays are
	// harmless.
	DeliveryDelay time.Duration
	// Retention is how far back the feed reaches: a scope whose cursor
	// is older gets a full sync.
	Retention time.Duration
}

// ChangeLister is an optional capability of a Discoverer: it lists what
// changed in a scope since a time, so that an incremental sync makes a
// few calls instead of listing everything. providers/aliyun implements
// it with ActionTrail, providers/aws with CloudTrail LookupEvents.
type ChangeLister interface {
	// ChangeFeed describes the feed.
	ChangeFeed() ChangeFeed
	// DiscoverChanges finds the assets of assetType in region that the
	// feed reports changed in [since, until), hands those that still
	// exist to emit as whole assets (as Discover does, in pages, one emit
	// at a time), and returns the IDs of those that no longer exist.
	// prior returns the stored assets among the given IDs, for facts
	// the feed does not cover and the discoverer carries over. An error
	// matching multicloud.ErrPermissionDenied means the account may not
	// read the feed, and multicloud.ErrInvalidArgument that the feed
	// does not cover assetType: the engine then runs a full sync of the
	// scope. Every API call goes through call.
	DiscoverChanges(ctx context.Context, region, assetType string, since, until time.Time, call CallFunc,
		prior PriorFunc, emit func(ctx context.Context, page []Asset) error) (deleted []string, err error)
}

// PriorFunc returns the stored assets of the scope whose asset IDs are
// listed (deleted ones included), by asset ID; IDs the store does not
// hold are absent.
type PriorFunc func(ctx context.Context, assetIDs []string) (map[string]Asset, error)

// SyncCursor is where the change feed of one scope was last read.
type SyncCursor struct {
	// FeedTime is the end of the last window read (or the start of the
	// last full sync): every change before it, less the feed's delivery
	// delay, is in the store.
	FeedTime time.Time
	// FullTime is the start of the last full sync of the scope.
	FullTime time.Time
}

// IncrementalStore is an optional capability of a Store that incremental
// syncs need: a cursor per scope and a lookup of assets by ID. The
// Service runs full syncs on stores without it. MemStore and
// inventory/sqlstore implement it. Implementations must be safe for
// concurrent use.
type IncrementalStore interface {
	// SyncCursor returns the scope's cursor; ok is false when there is
	// none.
	SyncCursor(ctx context.Context, s Scope) (c SyncCursor, ok bool, err error)
	// PutSyncCursor stores the scope's cursor, replacing any.
	PutSyncCursor(ctx context.Context, s Scope, c SyncCursor) error
	// AssetsByID returns the stored assets of the scope (deleted ones
	// included) whose asset IDs are listed, in any order; missing IDs
	// are skipped.
	AssetsByID(ctx context.Context, s Scope, assetIDs []string) ([]Asset, error)
}

// Why a scope ran the mode it ran (ScopeReport.Reason).
const (
	ReasonRequested        = "requested"   // SyncFull was asked for
	ReasonChangeFeed       = "change feed" // incremental, from the feed
	ReasonNoChangeFeed     = "discoverer has no change feed"
	ReasonNoCursorStore    = "store keeps no sync cursors"
	ReasonFirstSync        = "no cursor yet"
	ReasonCursorExpired    = "cursor older than the feed's retention"
	ReasonFullDue          = "periodic full sync due"
	ReasonFeedDenied       = "no permission to read the change feed"
	ReasonFeedNotForType   = "change feed does not cover the asset type"
	ReasonRefreshRequested = "refresh requested" // SyncRefresh
)
