package multicloud

import (
	"context"
	"time"
)

// StockStatus is a cloud's answer to "can this zone take this type now",
// in Aliyun's DescribeAvailableResource categories. It is a first pass,
// not a promise: a create can still find no stock.
type StockStatus string

// The stock categories. StockUnknown is a cloud that says a type is
// offered in a zone but not whether it has capacity (AWS's offerings).
const (
	WithStock          StockStatus = "WithStock"          // on sale, in stock
	ClosedWithStock    StockStatus = "ClosedWithStock"    // in stock, closed to new buyers soon; ranked after WithStock
	WithoutStock       StockStatus = "WithoutStock"       // on sale, sold out now
	ClosedWithoutStock StockStatus = "ClosedWithoutStock" // no longer on sale in the zone
	StockUnknown       StockStatus = ""                   // offered; capacity unknown
)

// Price is what one instance of an offering costs per Unit, with where the
// figure comes from and when it was true. The zero Price is unknown: an
// unknown price is never taken for 0.
type Price struct {
	Amount   float64   `json:"amount"`
	Currency string    `json:"currency"`      // ISO 4217, e.g. "CNY", "USD"; "" for an unknown price
	Unit     string    `json:"unit"`          // "hour"
	Source   string    `json:"source"`        // e.g. "catalog", "quote", "DescribePrice", "emulator"
	AsOf     time.Time `json:"asOf,omitzero"` // when the figure was read
}

// Known reports whether p carries a figure.
func (p Price) Known() bool { return p.Currency != "" && p.Amount > 0 }

// Offering is one instance type in one zone for one charge mode, as a
// provider's catalogs, stock and prices know it.
type Offering struct {
	Placement
	// Account is the provider account the offering was read with; it keys
	// the negative cache.
	Account string `json:"account,omitempty"`
	// ZoneID is the stable zone identifier (see StockKey); empty means
	// the zone name.
	ZoneID string `json:"zoneId,omitempty"`
	// AnyAccount says ZoneID names a physical zone whose capacity every
	// account shares (AWS zone IDs): a no-stock blocks it for all
	// accounts (see StockKey).
	AnyAccount bool        `json:"anyAccount,omitempty"`
	ChargeMode ChargeMode  `json:"chargeMode"`
	Type       TypeSpec    `json:"type"`
	Stock      StockStatus `json:"stock"`
	// StockAsOf is when the stock answer was read; an in-stock answer read
	// after a negative-cache block began ends the block. Zero: unknown,
	// which never ends a block.
	StockAsOf time.Time `json:"stockAsOf,omitzero"`
	Price     Price     `json:"price"`
}

// Key returns the negative-cache key of o.
func (o *Offering) Key() StockKey {
	z := o.ZoneID
	if z == "" {
		z = o.Zone
	}
	return StockKey{Provider: o.Provider, Account: o.Account, Region: o.Region, ZoneID: z, InstanceType: o.InstanceType, ChargeMode: o.ChargeMode, AnyAccount: o.AnyAccount}
}

// OfferingGroup is the offerings of one instance type in a region, one per
// zone, each with Type equal to the group's.
type OfferingGroup struct {
	Type   TypeSpec
	Offers []Offering
}

// Offerer is an optional Provider capability: every offering of a region
// for a charge mode, grouped by instance type (so that a decision checks
// each type against a request once), from the provider's cached catalogs,
// stock and prices.
// CheapestScheduler calls it on every decision, so a warm call must not
// reach the network; refreshing (with TTLs, one call for concurrent
// callers) is the provider's business. A charge mode the provider does not
// sell gives no offerings. Implementations must be safe for concurrent use
// and must not modify a returned slice afterwards.
type Offerer interface {
	Offerings(ctx context.Context, region string, mode ChargeMode) ([]OfferingGroup, error)
}

// PlacementObserver is an optional Scheduler capability: the Client tells
// it the outcome of every create attempt at one of its placements (nil on
// success), so that it learns which placements have no stock.
type PlacementObserver interface {
	Observe(req *CreateInstanceRequest, pl Placement, err error)
}

// CachedOfferer is an optional Offerer capability: the offerings of a
// region and charge mode when the provider holds them fresh in memory,
// without any call (false when it does not). A decision reads these
// inline and calls Offerings, concurrently, only for the rest.
type CachedOfferer interface {
	CachedOfferings(region string, mode ChargeMode) ([]OfferingGroup, bool)
}

// ImageChecker is an optional Provider capability: whether the image an
// image key names exists in a region (public images are published per
// region, and a dated build may be missing or retired in one).
// CheapestScheduler rejects the candidates of a region that lacks the
// request's image with RejectImageUnavailable; an error leaves them in, and
// the create says. Implementations read images per region, cache them with
// a TTL and share one read among concurrent callers; they must be safe for
// concurrent use.
type ImageChecker interface {
	ImageAvailable(ctx context.Context, region, key string) (bool, error)
}

// CachedImageChecker is an optional ImageChecker capability: the answer of
// ImageAvailable when the provider holds the region's images fresh in
// memory, without any call (known false when it does not). A decision reads
// these inline and calls ImageAvailable, concurrently, only for the rest.
type CachedImageChecker interface {
	CachedImageAvailable(region, key string) (available, known bool)
}

// TypePricer is an optional Offerer capability for prices that cost a call
// per instance type, such as a spot market's: the offerings of such a
// charge mode may carry unknown prices, and CheapestScheduler asks for the
// prices of just the types that fit a request and have stock somewhere.
// For each type in the returned map, its zones' prices replace the
// offerings' (a zone missing from it has an unknown price); other types
// keep their offerings' prices, and so does every type when the map is
// nil. CachedTypePrices answers without any call, false when some type's
// prices are not held fresh; TypePrices reads what is missing (with TTLs,
// one call for concurrent callers). An error keeps the offerings' prices.
// Implementations must be safe for concurrent use.
type TypePricer interface {
	TypePrices(ctx context.Context, region string, mode ChargeMode, types []string) (map[string]map[string]Price, error)
	CachedTypePrices(region string, mode ChargeMode, types []string) (map[string]map[string]Price, bool)
}

// ChargeModer is an optional Offerer capability: the charge modes the
// provider sells. CheapestScheduler rejects a provider that does not sell
// the request's mode as RejectChargeModeUnsupported without reading its
// offerings; a provider without it is read, and a mode it does not sell
// gives no offerings.
type ChargeModer interface {
	ChargeModes() []ChargeMode
}
