// Command ecs-sync runs the inventory's ECS flow end to end and prints
// each step: create a cloud account with its secret sealed, test the
// connection, discover one region, sync every region, query, and
// summarize.
//
// With ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET (the asset-sync
// design's names) or ALIBABA_CLOUD_ACCESS_KEY_ID and
// ALIBABA_CLOUD_ACCESS_KEY_SECRET (the SDK's) set it reads real Aliyun
// (Describe calls only; nothing is created) into the store MULTICLOUD_DSN
// names: a SQLite file path, sqlite://path or
// postgres://... or mongodb://... (MONGO_URI selects MongoDB when
// MULTICLOUD_DSN is unset), default ecs-sync.db in the working directory.
// ALIBABA_CLOUD_REGION_ID is the account's home region (default
// cn-hangzhou) and the region discovered alone; ALIBABA_CLOUD_REGIONS
// (comma-separated) limits the sync, which otherwise covers every region.
// Without credentials it runs against an in-process aliyuntest emulator
// seeded with a few hundred instances in four regions, into a SQLite file
// in a temporary directory (or MULTICLOUD_DSN). It says which.
//
// MULTICLOUD_SECRET_KEY, the base64 of 32 bytes, is the AES-256 key that
// seals account secrets in the store; without it the run generates a
// random key, which it does not print, so a stored account is re-keyed on
// the next run.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// accountName is the name of the account the run creates, or updates
// when an earlier run left it in the store.
const accountName = "ecs-sync"

func main() {
	if err := run(context.Background()); err != nil {
		log.SetFlags(0)
		log.Fatal("ecs-sync: ", err)
	}
}

// setup is where a run reads from and writes to.
type setup struct {
	dsn         string
	connector   inventory.Connector
	account     inventory.CloudAccount
	region      string // the region discovered alone
	emulator    *aliyuntest.Server
	cleanup     func()
	description string
}

func run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()

	su, err := newSetup()
	if err != nil {
		return err
	}
	defer su.cleanup()
	fmt.Println(su.description)

	keys, err := keyProvider()
	if err != nil {
		return err
	}
	store, where, closeStore, err := openStore(ctx, su.dsn)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer closeStore()
	fmt.Printf("store: %s\n", where)

	svc, err := inventory.New(store,
		inventory.WithKeyProvider(keys),
		inventory.WithConnector(aliyun.ProviderCode, su.connector),
		inventory.WithConcurrency(4))
	if err != nil {
		return err
	}

	step("1. create the cloud account")
	acct, err := saveAccount(ctx, svc, su.account)
	if err != nil {
		return err
	}
	printJSON(acct)

	step("2. test the connection")
	res, err := svc.TestConnection(ctx, acct.ID)
	if err != nil {
		return err
	}
	if !res.OK {
		return fmt.Errorf("connection failed (%s): %s", res.ErrorKind, res.Error)
	}
	fmt.Printf("   ok in %v\n", res.Latency.Round(time.Millisecond))

	target := inventory.SyncTarget{AccountID: acct.ID}
	step("3. discover " + su.region + " (listed, not saved)")
	found, err := svc.Discover(ctx, target, su.region, inventory.AssetTypeECS)
	if err != nil {
		return err
	}
	fmt.Printf("   %d ECS instances\n", len(found))
	for _, a := range found[:min(3, len(found))] {
		fmt.Printf("   %s  %-12s %-10s %s\n", a.AssetID, a.AssetName, a.Status, a.Zone)
	}

	step("4. sync every region")
	rep, err := svc.Sync(ctx, target, inventory.SyncOptions{})
	if rep == nil {
		return err
	}
	printReport(rep)
	if err != nil {
		fmt.Printf("   sync incomplete: %v\n", err)
	}

	if su.emulator != nil {
		step("4b. stop 5 and release 3 instances behind the inventory's back, then sync again")
		ids := su.emulator.InstanceIDs(su.region)
		for _, id := range ids[:5] {
			if err := su.emulator.SetInstanceStatus(id, "Stopped"); err != nil {
				return err
			}
		}
		for _, id := range ids[5:8] {
			if err := su.emulator.RemoveInstance(id); err != nil {
				return err
			}
		}
		if rep, err = svc.Sync(ctx, target, inventory.SyncOptions{}); err != nil {
			return err
		}
		printReport(rep)
	}

	step("5. query")
	if err := queries(ctx, svc, acct.ID, su.region); err != nil {
		return err
	}

	step("6. statistics")
	stats, err := svc.Statistics(ctx, inventory.StatsFilter{Provider: aliyun.ProviderCode, Account: acct.ID})
	if err != nil {
		return err
	}
	printJSON(stats)
	return nil
}

// newSetup picks real Aliyun when its credentials are in the environment,
// else an emulator.
func newSetup() (*setup, error) {
	region := envOr("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")
	id, secret := credentials()
	if id != "" && secret != "" {
		su := &setup{
			dsn:       envOr("MULTICLOUD_DSN", "ecs-sync.db"),
			connector: aliyun.NewConnector(),
			region:    region,
			cleanup:   func() {},
			description: "running against real Alibaba Cloud (read-only Describe calls; " +
				"unset ALIYUN_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_ID to use the emulator)",
		}
		su.account = inventory.CloudAccount{Name: accountName, Provider: aliyun.ProviderCode, Environment: "production",
			AccessKeyID: id, AccessKeySecret: multicloud.Secret(secret), Region: region,
			Description: "read by examples/ecs-sync"}
		if rs := os.Getenv("ALIBABA_CLOUD_REGIONS"); rs != "" {
			su.account.Config.SupportedRegions = strings.Split(rs, ",")
		}
		return su, nil
	}

	regions := aliyuntest.DefaultRegions()[:4]
	srv := aliyuntest.NewServer(aliyuntest.WithRegions(regions...))
	n := len(srv.Seed(aliyuntest.SeedSpec{InstancesPerRegion: 80, RandSeed: 42}))
	dir, err := os.MkdirTemp("", "ecs-sync-")
	if err != nil {
		srv.Close()
		return nil, err
	}
	su := &setup{
		dsn:      envOr("MULTICLOUD_DSN", filepath.Join(dir, "ecs-sync.db")),
		emulator: srv,
		region:   regions[0].ID,
		connector: aliyun.NewConnector(func(o *aliyun.Options) {
			o.Endpoint, o.Scheme = srv.Host(), "HTTP"
		}),
		cleanup: func() {
			srv.Close()
			os.RemoveAll(dir)
		},
		description: fmt.Sprintf("running against an in-process Aliyun emulator at %s with %d instances in %d regions "+
			"(set ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET for real Aliyun)", srv.Host(), n, len(regions)),
	}
	su.account = inventory.CloudAccount{Name: accountName, Provider: aliyun.ProviderCode, Environment: "emulator",
		AccessKeyID: aliyuntest.DefaultAccessKeyID, AccessKeySecret: aliyuntest.DefaultAccessKeySecret, Region: su.region,
		Description: "the aliyuntest emulator's account"}
	return su, nil
}

// credentials returns the access key from the design's variables
// (ALIYUN_ACCESS_KEY_ID, ALIYUN_ACCESS_KEY_SECRET), else the SDK's
// (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET).
func credentials() (id, secret string) {
	if id, secret = os.Getenv("ALIYUN_ACCESS_KEY_ID"), os.Getenv("ALIYUN_ACCESS_KEY_SECRET"); id != "" && secret != "" {
		return id, secret
	}
	return os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
}

// keyProvider returns the key that seals account secrets: the one in
// MULTICLOUD_SECRET_KEY, else a random one for this run.
func keyProvider() (*inventory.AESGCMKeyProvider, error) {
	key := make([]byte, 32)
	if v := os.Getenv("MULTICLOUD_SECRET_KEY"); v != "" {
		var err error
		if key, err = base64.StdEncoding.DecodeString(v); err != nil || len(key) != 32 {
			return nil, errors.New("MULTICLOUD_SECRET_KEY must be the base64 of 32 bytes")
		}
		fmt.Println("account secrets are sealed with the key in MULTICLOUD_SECRET_KEY")
	} else {
		rand.Read(key)
		fmt.Println("account secrets are sealed with a random key generated for this run " +
			"(set MULTICLOUD_SECRET_KEY to the base64 of 32 bytes to keep one)")
	}
	return inventory.NewAESGCMKeyProvider(key)
}

// saveAccount creates a, or updates the account of the same name that an
// earlier run stored, sealing the secret with this run's key.
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
			fmt.Printf("   account %q exists (%s): updated with this run's key and secret\n", a.Name, a.ID)
			return svc.UpdateAccount(ctx, a)
		}
	}
	return inventory.CloudAccount{}, fmt.Errorf("account %q exists but is not listed", a.Name)
}

// queries runs the example queries against the account's assets.
func queries(ctx context.Context, svc *inventory.Service, account, region string) error {
	base := inventory.Filter{Provider: aliyun.ProviderCode, Account: account, AssetType: inventory.AssetTypeECS}

	f := base
	f.Region, f.Status, f.Limit = region, "Running", 3
	res, err := svc.Query(ctx, f)
	if err != nil {
		return err
	}
	fmt.Printf("   region=%s status=Running: %d, newest %d:\n", region, res.Total, len(res.Assets))
	printAssets(res.Assets)
	if len(res.Assets) == 0 {
		return nil
	}
	sample := res.Assets[0]

	if len(sample.Tags) > 0 {
		tag := sample.Tags[len(sample.Tags)-1]
		f = base
		f.Tags, f.Limit = []inventory.Tag{tag}, 1
		if res, err = svc.Query(ctx, f); err != nil {
			return err
		}
		fmt.Printf("   tag %s=%s: %d\n", tag.Key, tag.Value, res.Total)
	}

	name := sample.AssetName
	if r := []rune(name); len(r) > 6 {
		name = string(r[:6])
	}
	f = base
	f.Name, f.Limit = name, 1
	if res, err = svc.Query(ctx, f); err != nil {
		return err
	}
	fmt.Printf("   name contains %q: %d\n", name, res.Total)

	f = base
	f.Sort, f.Limit = "asset_name", 4
	for page := 1; page <= 2; page++ {
		f.Offset = (page - 1) * f.Limit
		if res, err = svc.Query(ctx, f); err != nil {
			return err
		}
		fmt.Printf("   by name, page %d (limit %d, offset %d of %d):\n", page, res.Limit, res.Offset, res.Total)
		printAssets(res.Assets)
	}

	fmt.Println("   one asset as the API returns it:")
	printJSON(sample)
	return nil
}

func printReport(r *inventory.SyncReport) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "   region\tadded\tupdated\tunchanged\tdeleted\tpages\tapi calls\ttime\t")
	for _, s := range r.Scopes {
		fmt.Fprintf(w, "   %s\t%d\t%d\t%d\t%d\t%d\t%d\t%v\t", s.Region, s.Added, s.Updated, s.Unchanged, s.Deleted,
			s.Pages, s.APICalls, s.Duration.Round(time.Millisecond))
		if s.Failed {
			fmt.Fprintf(w, " failed: %s", s.Error)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "   total\t%d\t%d\t%d\t%d\t\t%d\t%v\t\n", r.Added, r.Updated, r.Unchanged, r.Deleted, r.APICalls,
		r.Duration.Round(time.Millisecond))
	w.Flush()
}

func printAssets(as []inventory.Asset) {
	for _, a := range as {
		fmt.Printf("     %s  %-12s %-8s %-14s %s\n", a.AssetID, a.AssetName, a.Status, a.Region, a.Zone)
	}
}

func printJSON(v any) {
	b, err := json.MarshalIndent(v, "   ", "  ")
	if err != nil {
		fmt.Printf("   %v\n", err)
		return
	}
	fmt.Printf("   %s\n", b)
}

func step(s string) { fmt.Println(s) }

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
