// Command asset-server serves the inventory's asset API
// (inventory/httpapi, under /api/v1/cam/) on a SQLite file.
//
// Without Aliyun credentials it runs an in-process Aliyun emulator
// (aliyuntest) seeded with instances in four regions; an account created
// with the emulator's demo key (LTAI5tEmulatorDemoKey, secret
// emulator-demo-secret, accepted by nothing but this emulator) syncs from
// it. With ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET set it talks
// to real Aliyun (Describe calls and DescribePrice only) and stores an
// account named "from-environment" with that key at start.
//
// Flags, each with an environment fallback:
//
//	-addr   ASSET_SERVER_ADDR   listen address (default 127.0.0.1:8080)
//	-db     MULTICLOUD_DSN      SQLite path or postgres:// DSN (default asset-server.db)
//	-token  ASSET_SERVER_TOKEN  the API's bearer token; a random one is printed when unset
//
// MULTICLOUD_SECRET_KEY, the base64 of 32 bytes, seals stored account
// secrets; without it a random key is used, and accounts stored by an
// earlier run cannot be opened (recreate them, or keep the key).
// Syncs, scheduled and requested (the API's async mode included), run as
// River jobs (inventory/syncjobs) in the same database, SQLite or
// PostgreSQL, so a sync accepted with 202 survives a restart: its job
// runs again when the server is back, and GET /sync-jobs/{id} reads it
// from the database.
// SIGINT or SIGTERM stops it: requests drain, running syncs are cancelled
// (and run again at the next start).
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
	"github.com/multicloud-ecs/multicloud/inventory/syncjobs"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"golang.org/x/sync/errgroup"
)

// The emulator's demo access key: a credential of the in-process
// emulator only, written in the README so its curl lines work.
const (
	demoKeyID  = "LTAI5tEmulatorDemoKey"
	demoSecret = "emulator-demo-secret"
)

func main() {
	if err := run(); err != nil {
		log.SetFlags(0)
		log.Fatal("asset-server: ", err)
	}
}

func run() error {
	addr := flag.String("addr", envOr("ASSET_SERVER_ADDR", "127.0.0.1:8080"), "listen address")
	dsn := flag.String("db", envOr("MULTICLOUD_DSN", "asset-server.db"), "SQLite path or postgres:// DSN")
	token := flag.String("token", os.Getenv("ASSET_SERVER_TOKEN"), "bearer token of the API (random when empty)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	if os.Getenv("MONGO_URI") != "" {
		return errors.New("MONGO_URI is set, but this server does not support MongoDB; supported stores: " +
			"SQLite (-db path/to/file.db, the default) and PostgreSQL (-db postgres://...); unset MONGO_URI to run")
	}
	keys, err := keyProvider()
	if err != nil {
		return err
	}
	store, err := sqlstore.Open(ctx, *dsn)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer store.Close()

	cl, err := newCloud()
	if err != nil {
		return err
	}
	defer cl.close()
	fmt.Println(cl.description)

	svc, err := inventory.New(store,
		inventory.WithKeyProvider(keys),
		inventory.WithConnector(aliyun.ProviderCode, cl.connector),
		inventory.WithQuoter(aliyun.ProviderCode, cl.quoter),
		inventory.WithLogger(logger))
	if err != nil {
		return err
	}
	if cl.account != nil {
		acct, err := saveAccount(ctx, svc, *cl.account)
		if err != nil {
			return err
		}
		fmt.Printf("account %q from the environment: %s\n", acct.Name, acct.ID)
	}

	if *token == "" {
		var b [16]byte
		rand.Read(b[:])
		*token = hex.EncodeToString(b[:])
		fmt.Printf("bearer token (random, set ASSET_SERVER_TOKEN to choose one): %s\n", *token)
	}
	queue, err := openQueue(ctx, *dsn, svc, logger)
	if err != nil {
		return fmt.Errorf("open sync jobs: %w", err)
	}
	defer queue.close()
	h, err := httpapi.New(svc, httpapi.WithAuth(httpapi.BearerToken(*token)), httpapi.WithLogger(logger),
		httpapi.WithSyncQueue(queue.SyncQueue))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	fmt.Printf("store: %s at %s\nlistening on http://%s%s/ (OpenAPI at %s/openapi.json)\n",
		store.Dialect(), redactDSN(*dsn), ln.Addr(), httpapi.Prefix, httpapi.Prefix)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		// The job layer runs the auto-sync schedule and every sync.
		if err := queue.run(gctx); !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Close() // cancels running syncs, ends event streams
		return srv.Shutdown(sctx)
	})
	err = g.Wait()
	fmt.Println("stopped")
	return err
}

// queue is the job layer on the store's database.
type queue struct {
	httpapi.SyncQueue
	run   func(context.Context) error
	close func()
}

// openQueue opens the sync jobs on dsn's database: a pgx pool for
// PostgreSQL, or a connection of its own to the SQLite file (River's
// SQLite driver wants one connection at a time).
func openQueue(ctx context.Context, dsn string, svc *inventory.Service, logger *slog.Logger) (*queue, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, err
		}
		cfg.MaxConns = max(cfg.MaxConns, syncjobs.DefaultWorkers+4)
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, err
		}
		j, err := syncjobs.NewPostgres(ctx, pool, svc, syncjobs.WithLogger(logger))
		if err != nil {
			pool.Close()
			return nil, err
		}
		return &queue{SyncQueue: j, run: j.Run, close: pool.Close}, nil
	}
	path := "file:" + strings.TrimPrefix(dsn, "sqlite://")
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	j, err := syncjobs.NewSQLite(ctx, db, svc, syncjobs.WithLogger(logger))
	if err != nil {
		db.Close()
		return nil, err
	}
	return &queue{SyncQueue: j, run: j.Run, close: func() { db.Close() }}, nil
}

// cloud is where accounts are read from: the emulator or real Aliyun.
type cloud struct {
	connector   inventory.Connector
	quoter      inventory.Quoter
	account     *inventory.CloudAccount // stored at start, when set
	description string
	close       func()
}

func newCloud() (*cloud, error) {
	id, secret := os.Getenv("ALIYUN_ACCESS_KEY_ID"), os.Getenv("ALIYUN_ACCESS_KEY_SECRET")
	if id != "" && secret != "" {
		region := envOr("ALIYUN_REGION", "cn-hangzhou")
		p, err := aliyun.New(func(o *aliyun.Options) {
			o.AccessKeyID, o.AccessKeySecret, o.Regions = id, multicloud.Secret(secret), []string{region}
		})
		if err != nil {
			return nil, err
		}
		return &cloud{connector: aliyun.NewConnector(), quoter: p, close: func() {},
			account: &inventory.CloudAccount{Name: "from-environment", Provider: aliyun.ProviderCode, Environment: "production",
				AccessKeyID: id, AccessKeySecret: multicloud.Secret(secret), Region: region,
				Description: "from ALIYUN_ACCESS_KEY_ID"},
			description: "cloud: real Alibaba Cloud (read-only Describe calls; unset ALIYUN_ACCESS_KEY_ID for the emulator)"}, nil
	}
	regions := aliyuntest.DefaultRegions()[:4] // cn-hangzhou, cn-shanghai, cn-beijing, cn-shenzhen
	srv := aliyuntest.NewServer(aliyuntest.WithRegions(regions...), aliyuntest.WithAccessKey(demoKeyID, demoSecret))
	n := len(srv.Seed(aliyuntest.SeedSpec{InstancesPerRegion: 25, RandSeed: 7}))
	emulated := func(o *aliyun.Options) { o.Endpoint, o.Scheme = srv.Host(), "HTTP" }
	p, err := aliyun.New(emulated, func(o *aliyun.Options) {
		o.AccessKeyID, o.AccessKeySecret, o.Regions = demoKeyID, demoSecret, []string{regions[0].ID}
	})
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &cloud{connector: aliyun.NewConnector(emulated), quoter: p, close: srv.Close,
		description: fmt.Sprintf("cloud: an in-process Aliyun emulator at %s with %d instances in %d regions "+
			"(set ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET for real Aliyun)", srv.Host(), n, len(regions))}, nil
}

// saveAccount creates a, or updates the account of the same name.
func saveAccount(ctx context.Context, svc *inventory.Service, a inventory.CloudAccount) (inventory.CloudAccount, error) {
	created, err := svc.CreateAccount(ctx, a)
	if !errors.Is(err, multicloud.ErrAlreadyExists) {
		return created, err
	}
	all, err := svc.ListAccounts(ctx)
	if err != nil {
		return inventory.CloudAccount{}, err
	}
	for _, old := range all {
		if old.Name == a.Name {
			a.ID = old.ID
			return svc.UpdateAccount(ctx, a)
		}
	}
	return inventory.CloudAccount{}, fmt.Errorf("account %q exists but is not listed", a.Name)
}

// keyProvider returns the key in MULTICLOUD_SECRET_KEY, else a random one.
func keyProvider() (*inventory.AESGCMKeyProvider, error) {
	key := make([]byte, 32)
	if v := os.Getenv("MULTICLOUD_SECRET_KEY"); v != "" {
		var err error
		if key, err = base64.StdEncoding.DecodeString(v); err != nil || len(key) != 32 {
			return nil, errors.New("MULTICLOUD_SECRET_KEY must be the base64 of 32 bytes")
		}
	} else {
		rand.Read(key)
		fmt.Println("account secrets are sealed with a random key for this run (set MULTICLOUD_SECRET_KEY to keep one)")
	}
	return inventory.NewAESGCMKeyProvider(key)
}

// redactDSN hides a password in a URL-form DSN.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
