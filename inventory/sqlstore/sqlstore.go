// Package sqlstore is an inventory.Store on SQL: SQLite through
// modernc.org/sqlite (pure Go, the persistent embedded default) and
// PostgreSQL through pgx. Open picks the engine from the DSN and migrates
// the schema.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrationFS embed.FS

// Store is an inventory.Store over a SQL database. It is safe for
// concurrent use. On SQLite all writes go through one connection, so
// writers queue instead of failing with SQLITE_BUSY; reads use a pool.
type Store struct {
	d      dialect
	db     *sql.DB // reads, and writes on PostgreSQL
	writer *sql.DB // writes; the same as db on PostgreSQL and for :memory:
	// driveLimit is the most assets a tag filter may select for a query
	// to start from the tag; defaultDriveLimit unless a test changes it.
	driveLimit int64
	// stmts are the writer's prepared statements by text (SQLite only;
	// see prepareWrites), read-only after Open.
	stmts map[string]*sql.Stmt
	// tagInserts are the tag INSERTs of tagSizes' row counts.
	tagInserts []string
	// group joins concurrent asset writes in one transaction (SQLite
	// only; see groupCommit).
	group *groupCommit
	// borrowed says db belongs to the caller (OpenDB): Close leaves it open.
	borrowed bool
}

var _ inventory.Store = (*Store)(nil)

// dialect holds what differs between the engines.
type dialect struct {
	name        string // "sqlite" or "postgres": the migrations directory
	placeholder func(n int) string
	contains    string // a format with two %s: haystack column, needle placeholder
	isUnique    func(error) bool
	lockMigrate string // statement serializing concurrent migrations; may be empty
	// lockWrite is a statement serializing the transactions that write
	// assets, so each reads the rows it changes before any other writer
	// changes them and the count tables take their updates in one order;
	// empty where writes already go through one connection.
	lockWrite string
	greatest  string // the two-argument maximum function
	// foldTrigrams says whether name_trigram_counts counts the trigrams
	// of names with ASCII letters lower-cased, as pg_trgm indexes them,
	// rather than as they are, as SQLite's case-sensitive trigram
	// tokenizer does.
	foldTrigrams bool
}

var sqliteDialect = dialect{
	name:        "sqlite",
	placeholder: func(int) string { return "?" },
	contains:    "instr(%s, %s) > 0",
	greatest:    "max",
	isUnique: func(err error) bool {
		var e *sqlite.Error
		return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
}

var postgresDialect = dialect{
	name:        "postgres",
	placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	contains:    "strpos(%s, %s) > 0",
	isUnique: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == "23505"
	},
	lockMigrate: "SELECT pg_advisory_xact_lock(7263540918)",
	// Per schema: stores in different schemas of one database write
	// independently.
	lockWrite:    "SELECT pg_advisory_xact_lock(726354091, hashtext(current_schema()))",
	greatest:     "GREATEST",
	foldTrigrams: true,
}

// Open connects to the database dsn names, runs the schema migrations it
// lacks, and returns the Store. The caller must Close it.
//
//   - "postgres://..." or "postgresql://..." (any pgx connection string
//     in URL form; extra parameters such as search_path become session
//     settings) opens PostgreSQL.
//   - "sqlite:///abs/path.db", "sqlite://rel/path.db", a plain file path,
//     or ":memory:" opens SQLite, in WAL mode with a busy timeout and
//     foreign keys on. A ":memory:" database lives as long as the Store.
//
// Errors: a DSN it cannot read matches multicloud.ErrInvalidArgument; a
// database it cannot reach or migrate is returned as is.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var s *Store
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "sqlstore: postgres dsn: %w", err)
		}
		db := stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		s = &Store{d: postgresDialect, db: db, writer: db}
	default:
		var err error
		if s, err = openSQLite(dsn); err != nil {
			return nil, err
		}
	}
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// OpenDB returns a Store over db, a database the caller opened and keeps
// owning (its pool settings apply; Store.Close leaves it open), after
// running the schema migrations it lacks. The engine is told by db's
// driver: modernc.org/sqlite or pgx's database/sql driver
// (github.com/jackc/pgx/v5/stdlib). A SQLite database must have foreign
// keys on for every connection (the DSN's _pragma=foreign_keys(1)) and
// should set a busy timeout and immediate transactions
// (_pragma=busy_timeout(10000)&_txlock=immediate): unlike Open's, its
// writes are not serialized through one connection of the store's own.
//
// Errors: another driver, or SQLite with foreign keys off, matches
// multicloud.ErrInvalidArgument; a database it cannot reach or migrate is
// returned as is.
func OpenDB(ctx context.Context, db *sql.DB) (*Store, error) {
	if db == nil {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "sqlstore: nil database")
	}
	s := &Store{db: db, writer: db, borrowed: true}
	switch db.Driver().(type) {
	case *sqlite.Driver:
		s.d = sqliteDialect
		var on bool
		if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
			return nil, fmt.Errorf("sqlstore: read foreign_keys: %w", err)
		}
		if !on {
			return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "sqlstore: the sqlite database has foreign keys off: open it with _pragma=foreign_keys(1)")
		}
	case *stdlib.Driver:
		s.d = postgresDialect
	default:
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "sqlstore: driver %T is neither modernc.org/sqlite nor pgx's stdlib", db.Driver())
	}
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// init migrates a new Store and readies it; on failure it closes it.
func (s *Store) init(ctx context.Context) error {
	s.driveLimit = defaultDriveLimit
	for _, n := range tagSizes {
		s.tagInserts = append(s.tagInserts, s.tagInsertQuery(n))
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return err
	}
	if s.d.name == "postgres" {
		if err := s.indexNames(ctx); err != nil {
			s.Close()
			return err
		}
	}
	if s.d.name == "sqlite" {
		// Gather planner statistics where they are missing or stale, so
		// a filter on a common value does not pick a needle's index.
		if _, err := s.writer.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
			s.Close()
			return fmt.Errorf("sqlstore: optimize: %w", err)
		}
		if err := s.prepareWrites(ctx); err != nil {
			s.Close()
			return err
		}
		s.group = &groupCommit{}
	}
	return nil
}

// indexNames gives PostgreSQL a pg_trgm index on asset_name, which serves
// the Name filter's LIKE '%...%'. The extension is created in schema
// public when missing (so dropping a store's schema never drops it for
// others); where it cannot be created, for lack of the contrib package or
// of privilege, the store works without the index and the Name filter
// scans. A later Open creates the index once the extension exists.
func (s *Store) indexNames(ctx context.Context) error {
	// Best effort: the lookup below tells whether it exists.
	s.db.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
	var schema string
	err := s.db.QueryRowContext(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'pg_trgm'`).Scan(&schema)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlstore: find pg_trgm: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.d.lockMigrate); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "CREATE INDEX IF NOT EXISTS assets_name_trgm ON assets USING gin (asset_name "+
		pgx.Identifier{schema, "gin_trgm_ops"}.Sanitize()+")"); err != nil {
		return fmt.Errorf("sqlstore: create name index: %w", err)
	}
	return tx.Commit()
}

func openSQLite(dsn string) (*Store, error) {
	path := strings.TrimPrefix(dsn, "sqlite://")
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "sqlstore: sqlite path %q is empty or holds ? or #", path)
	}
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=cache_size(-4096)&_pragma=temp_store(MEMORY)"
	open := func(txlock string, conns int) (*sql.DB, error) {
		c, err := sqlite.NewConnector("file:" + path + "?" + pragmas + "&_pragma=wal_autocheckpoint(4000)&_txlock=" + txlock)
		if err != nil {
			return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "sqlstore: sqlite dsn: %w", err)
		}
		db := sql.OpenDB(c)
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		return db, nil
	}
	if path == ":memory:" {
		// Every connection to :memory: is its own database: keep one.
		db, err := open("immediate", 1)
		if err != nil {
			return nil, err
		}
		db.SetConnMaxLifetime(0)
		return &Store{d: sqliteDialect, db: db, writer: db}, nil
	}
	writer, err := open("immediate", 1)
	if err != nil {
		return nil, err
	}
	reader, err := open("deferred", 4)
	if err != nil {
		writer.Close()
		return nil, err
	}
	return &Store{d: sqliteDialect, db: reader, writer: writer}, nil
}

// Close closes the database connections, first refreshing SQLite's
// planner statistics as SQLite recommends. A database given to OpenDB is
// left open: only the store's prepared statements are closed.
func (s *Store) Close() error {
	if s.d.name == "sqlite" {
		s.writer.Exec("PRAGMA optimize")
	}
	var err error
	for _, st := range s.stmts {
		err = errors.Join(err, st.Close())
	}
	if s.borrowed {
		return err
	}
	err = errors.Join(err, s.db.Close())
	if s.writer != s.db {
		err = errors.Join(err, s.writer.Close())
	}
	return err
}

// Dialect reports the engine: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// DB returns the database handle used for reads, for tests and
// diagnostics. Writing through it bypasses the store's write serialization.
func (s *Store) DB() *sql.DB { return s.db }

// migrate applies, in order and each in its own transaction, the embedded
// migrations (migrations/<dialect>/NNNN_name.sql) that schema_migrations
// does not list.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	dir := "migrations/" + s.d.name
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("sqlstore: migration %s: name must start with a number and _", e.Name())
		}
		body, err := fs.ReadFile(migrationFS, dir+"/"+e.Name())
		if err != nil {
			return err
		}
		if err := s.applyMigration(ctx, version, e.Name(), string(body)); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", e.Name(), err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, version int, name, body string) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.d.lockMigrate != "" {
		if _, err := tx.ExecContext(ctx, s.d.lockMigrate); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = "+s.d.placeholder(1), version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for stmt := range strings.SplitSeq(body, ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%w in %s", err, strings.TrimSpace(stmt))
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ("+
		s.d.placeholder(1)+", "+s.d.placeholder(2)+", "+s.d.placeholder(3)+")", version, name, time.Now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// builder accumulates SQL text and its arguments with the dialect's
// placeholders. Values only ever travel as arguments.
type builder struct {
	d    *dialect
	sb   strings.Builder
	args []any
}

func (b *builder) write(s ...string) {
	for _, x := range s {
		b.sb.WriteString(x)
	}
}

// arg appends v as an argument and returns its placeholder.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return b.d.placeholder(len(b.args))
}

// Times are stored as Unix microseconds (UTC) in both engines, so one
// scanner serves both and ordering is integer ordering.
func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}
