// Package mongostore is an inventory.Store on MongoDB through the official
// Go driver (go.mongodb.org/mongo-driver/v2). Open connects from a
// mongodb:// URI; New works over a *mongo.Client the caller already has.
// Both create the collections and indexes the store lacks.
//
// The store needs no multi-document transaction, so it runs on a
// standalone server and on servers that speak the MongoDB wire protocol
// without them (it is tested on FerretDB over SQLite):
//
//   - an asset is one document in "assets" whose _id is its identity
//     (provider, account, asset type, asset ID) and whose id, the
//     asset's ID, comes from a block of IDs the store claimed by
//     inserting a unique _id (see IDBlockSize), safe for writers in many
//     processes: UpsertAssets is one single-document write per asset, on
//     _id;
//   - MarkDeleted is one update of the scope's live documents by _id;
//   - Statistics and query totals are aggregations and counts over the
//     documents themselves, exact whatever writers ran before them, since
//     no counter is kept apart from the assets;
//   - tags are stored as the asset JSON has them, an array of {key,
//     value} documents, and beside them as tag_pairs ("key=value") and
//     tag_keys, multikey-indexed arrays: a tag filter is an equality
//     match on one indexed array element;
//   - name search is a $regex of the quoted needle, which MongoDB runs
//     over the asset_name index's keys.
//
// The tests run on FerretDB 1.24, over SQLite and over PostgreSQL. Over
// SQLite it serves only an _id equality from SQLite (and reads the whole
// table for it): every other filter, sort and aggregation decodes the
// whole collection there (see BENCHMARKS.md). Over PostgreSQL it sends
// equality filters on top-level fields to PostgreSQL; sorts, ranges,
// $in and aggregations it still computes on what PostgreSQL returns. It
// lacks the $max accumulator and computes only the first accumulator of
// a $group. Over SQLite the store reads with PlanScans (see Plan), which
// shares and saves scans; over PostgreSQL with PlanPushdown; MongoDB gets
// PlanIndexes.
//
// Fields are named as in the asset and account JSON of the asset-sync
// design (asset_id, asset_name, deleted_at, ...). Times are BSON dates,
// which hold milliseconds: a time is stored truncated to the millisecond.
// Metadata is kept as its JSON text, byte for byte, so an asset reads back
// with the bytes its content hash covered.
package mongostore

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// DefaultDatabase is the database a Store uses when neither the URI's path
// nor Options.Database names one.
const DefaultDatabase = "multicloud"

// Collection names.
const (
	AssetsCollection     = "assets"
	AccountsCollection   = "accounts"
	CountersCollection   = "counters"          // claims of asset ID blocks (see IDBlockSize)
	MigrationsCollection = "schema_migrations" // the versions applied, one document each
)

// Options configure Open and New.
type Options struct {
	// Database is the database holding the collections. Empty means the
	// URI's path (for Open), else DefaultDatabase.
	Database string
	// ConnectTimeout bounds Open's first ping of the server; zero means
	// 10 seconds.
	ConnectTimeout time.Duration
	// Plan chooses how reads use the server; PlanAuto (empty) asks the
	// server (see detectPlan).
	Plan Plan
}

// Plan is how the store reads: what it leaves to the server's indexes.
// Both plans read and write the same documents; a database may be used
// under either.
type Plan string

const (
	// PlanAuto asks the server (buildInfo, and on FerretDB 1.x explain)
	// and picks PlanIndexes on any server but FerretDB 1.x, PlanPushdown
	// on a FerretDB 1.x that pushes equality filters down to its backend
	// (its PostgreSQL handler), PlanScans on one that does not (its
	// SQLite handler).
	PlanAuto Plan = ""
	// PlanIndexes is for MongoDB: ScopeStates, filters, sorts, counts
	// and the $group of Statistics run on the server over its indexes.
	PlanIndexes Plan = "indexes"
	// PlanPushdown is for a server that runs equality filters but not
	// aggregations, as FerretDB 1.24 over PostgreSQL does: it sends an
	// equality on a top-level field to PostgreSQL, which selects the
	// rows, but computes a $group itself, only its first accumulator,
	// and has no $max. Reads are as under PlanIndexes but for
	// Statistics, which is one scan of a few fields of the matching
	// assets, folded in the store, instead of up to four.
	PlanPushdown Plan = "pushdown"
	// PlanScans is for a server that reads the whole collection for
	// every query, as FerretDB 1.24 over SQLite does (its _id lookups
	// too: the SQL it sends does not match the expression of its _id
	// index). It makes fewer reads: the ScopeStates calls of one
	// account and asset type that a sync makes at once share one scan
	// of that account's assets, and Statistics is one scan of a few
	// fields. Writes and QueryAssets are as under PlanIndexes.
	PlanScans Plan = "scans"
)

// Store is an inventory.Store over a MongoDB database. It is safe for
// concurrent use.
type Store struct {
	client   *mongo.Client
	owned    bool // Close disconnects client: Open created it
	db       *mongo.Database
	assets   *mongo.Collection
	accounts *mongo.Collection
	counters *mongo.Collection
	ids      idBlocks // asset ID allocation (see IDBlockSize)
	plan     Plan     // PlanIndexes, PlanPushdown or PlanScans
	scans    scopeScans
	writeMu  sync.Mutex // see lockWrites
}

var _ inventory.Store = (*Store)(nil)

// Open connects to the server uri names ("mongodb://" or "mongodb+srv://",
// with any option the driver reads), creates the collections and indexes
// the database lacks, and returns the Store. The caller must Close it,
// which disconnects.
//
// Errors: a URI that is not a MongoDB connection string matches
// multicloud.ErrInvalidArgument; a server it cannot reach matches
// multicloud.ErrUnavailable. Neither error carries the URI, which may
// hold a password.
func Open(ctx context.Context, uri string, opts ...func(*Options)) (*Store, error) {
	o := applyOptions(opts)
	if !strings.HasPrefix(uri, "mongodb://") && !strings.HasPrefix(uri, "mongodb+srv://") {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "mongostore: uri is not mongodb:// or mongodb+srv://")
	}
	if o.Database == "" {
		o.Database = uriDatabase(uri)
	}
	copts := clientOptions().ApplyURI(uri)
	if err := copts.Validate(); err != nil {
		// The driver's message may quote the URI; keep only its kind.
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "mongostore: invalid uri")
	}
	client, err := mongo.Connect(copts)
	if err != nil {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "mongostore: invalid uri")
	}
	pctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	err = client.Ping(pctx, readpref.Primary())
	cancel()
	if err != nil {
		client.Disconnect(context.Background())
		return nil, &multicloud.Error{Op: "mongostore.Open", Code: multicloud.CodeUnavailable,
			Message: "mongostore: server unreachable", Err: scrub(err, uri)}
	}
	s, err := newStore(ctx, client, o)
	if err != nil {
		client.Disconnect(context.Background())
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a Store over client, in the database Options.Database names
// (DefaultDatabase when empty), creating the collections and indexes it
// lacks. Close does not disconnect client, which stays the caller's.
// Errors from the server are returned wrapped.
func New(ctx context.Context, client *mongo.Client, opts ...func(*Options)) (*Store, error) {
	if client == nil {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "mongostore: nil client")
	}
	return newStore(ctx, client, applyOptions(opts))
}

func applyOptions(opts []func(*Options)) Options {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	return o
}

// clientOptions are the driver options Open starts from: a pool sized for
// the sync engine's concurrent writers and a bounded server selection.
func clientOptions() *options.ClientOptions {
	return options.Client().SetMaxPoolSize(32).SetServerSelectionTimeout(15 * time.Second)
}

func newStore(ctx context.Context, client *mongo.Client, o Options) (*Store, error) {
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	db := client.Database(o.Database)
	s := &Store{client: client, db: db, assets: db.Collection(AssetsCollection),
		accounts: db.Collection(AccountsCollection), counters: db.Collection(CountersCollection)}
	s.plan = o.Plan
	switch s.plan {
	case PlanIndexes, PlanPushdown, PlanScans, PlanAuto:
	default:
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "mongostore: unknown plan %q", o.Plan)
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if s.plan == PlanAuto {
		// After migrate: the probe explains a query of the assets
		// collection, which FerretDB plans only once it exists.
		var err error
		if s.plan, err = detectPlan(ctx, db); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// detectPlan picks PlanIndexes on any server but FerretDB 1.x, which
// names its version in buildInfo. FerretDB 1.x serves a filter from its
// backend only where it pushes the filter down into the SQL it sends:
// over PostgreSQL an equality on a top-level field, over SQLite none but
// an _id equality (and that one without its index). explain says which
// (its filterPushdown, a FerretDB extension): PlanPushdown where an
// equality on account is pushed down, PlanScans where it is not.
func detectPlan(ctx context.Context, db *mongo.Database) (Plan, error) {
	var info struct {
		FerretDB string `bson:"ferretdbVersion"`
	}
	if err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return "", wrap("build info", err)
	}
	if !strings.HasPrefix(info.FerretDB, "v1.") && !strings.HasPrefix(info.FerretDB, "1.") {
		return PlanIndexes, nil
	}
	var ex struct {
		FilterPushdown bool `bson:"filterPushdown"`
	}
	err := db.RunCommand(ctx, bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: AssetsCollection},
		{Key: "filter", Value: bson.D{{Key: "account", Value: ""}}}}}}).Decode(&ex)
	if err != nil {
		return "", wrap("explain", err)
	}
	if ex.FilterPushdown {
		return PlanPushdown, nil
	}
	return PlanScans, nil
}

// Plan returns the plan the store reads with (never PlanAuto).
func (s *Store) Plan() Plan { return s.plan }

// uriDatabase returns the database of a connection string's path, or "".
func uriDatabase(uri string) string {
	rest := uri[strings.Index(uri, "://")+3:]
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	_, path, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	if p, err := url.PathUnescape(path); err == nil {
		return p
	}
	return ""
}

// scrub returns err with the URI and its password, should the driver's
// message quote them, removed.
func scrub(err error, uri string) error {
	msg := err.Error()
	if u, perr := url.Parse(uri); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "****")
		}
	}
	msg = strings.ReplaceAll(msg, uri, "<uri>")
	return errors.New(msg)
}

// Close disconnects the client when Open created it; a Store from New
// leaves the caller's client connected.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	return s.client.Disconnect(context.Background())
}

// Database returns the database the store keeps its collections in, for
// tests and diagnostics. Writing through it bypasses the store.
func (s *Store) Database() *mongo.Database { return s.db }

// wrap gives a driver error the store's operation name, and a matching
// code where one fits: a cancelled context is multicloud.ErrCanceled and
// still matches its context error.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	code := multicloud.CodeUnknown
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		code = multicloud.CodeCanceled
	case mongo.IsNetworkError(err) || mongo.IsTimeout(err):
		code = multicloud.CodeUnavailable
	}
	return &multicloud.Error{Op: "mongostore." + op, Code: code, Message: "mongostore: " + op, Err: err}
}

// idFilter selects one document by _id.
func idFilter(id any) bson.D { return bson.D{{Key: "_id", Value: id}} }
