package inventory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
)

const testSecret = "S3cr3t-Plaintext-Value-9f8e7d6c"

func testKey(t *testing.T) *inventory.AESGCMKeyProvider {
	t.Helper()
	k, err := inventory.NewAESGCMKeyProvider(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// syncBuffer is a concurrency-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeConnector builds cloud's Discoverer for accounts whose secret is
// testSecret, and a Discoverer failing with SignatureDoesNotMatch
// otherwise, as a provider would.
func fakeConnector(cloud *fakeCloud) inventory.Connector {
	return func(ctx context.Context, acct inventory.CloudAccount, secret multicloud.Secret) (inventory.Discoverer, error) {
		if secret.Reveal() != testSecret {
			bad := newFakeCloud(0, 0)
			bad.testErr = &multicloud.Error{Op: "DescribeRegions", Provider: "fake", Code: multicloud.CodePermissionDenied,
				ProviderCode: "SignatureDoesNotMatch"}
			return bad, nil
		}
		return cloud, nil
	}
}

func validAccount() inventory.CloudAccount {
	return inventory.CloudAccount{
		Name: "prod", Provider: "fake", Environment: "production", AccessKeyID: "LTAI5tAbCdEfGh1234",
		AccessKeySecret: testSecret, Region: "region-00",
		Config: inventory.AccountConfig{SyncInterval: time.Hour, SupportedRegions: []string{"region-00", "region-01"}},
	}
}

func TestAccountValidation(t *testing.T) {
	svc := newService(t, inventory.NewMemStore(), inventory.WithKeyProvider(testKey(t)),
		inventory.WithConnector("fake", fakeConnector(newFakeCloud(1, 1))))
	for _, tc := range []struct {
		name string
		edit func(a *inventory.CloudAccount)
		want string // a substring of the error
	}{
		{"missing key id", func(a *inventory.CloudAccount) { a.AccessKeyID = "" }, "access_key_id is required"},
		{"missing secret", func(a *inventory.CloudAccount) { a.AccessKeySecret = "" }, "access_key_secret is required"},
		{"missing name", func(a *inventory.CloudAccount) { a.Name = "" }, "name is required"},
		{"unknown provider", func(a *inventory.CloudAccount) { a.Provider = "azure'; --" }, "is unknown"},
		{"negative interval", func(a *inventory.CloudAccount) { a.Config.SyncInterval = -time.Second }, "negative"},
		{"auto sync without interval", func(a *inventory.CloudAccount) {
			a.Config.EnableAutoSync, a.Config.SyncInterval = true, 0
		}, "sync_interval is required"},
		{"bad status", func(a *inventory.CloudAccount) { a.Status = "zombie" }, "status"},
		{"empty region", func(a *inventory.CloudAccount) { a.Config.SupportedRegions = []string{""} }, "empty region"},
		{"nul in name", func(a *inventory.CloudAccount) { a.Name = "a\x00b" }, "NUL"},
	} {
		a := validAccount()
		tc.edit(&a)
		_, err := svc.CreateAccount(context.Background(), a)
		if !errors.Is(err, multicloud.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrInvalidArgument mentioning %q", tc.name, err, tc.want)
		}
	}
	// Every problem at once.
	_, err := svc.CreateAccount(context.Background(), inventory.CloudAccount{Config: inventory.AccountConfig{SyncInterval: -1}})
	for _, want := range []string{"name", "provider", "access_key_id", "access_key_secret", "negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("empty account: got %v, want it to mention %q", err, want)
		}
	}
}

func TestAccountConfigJSON(t *testing.T) {
	var c inventory.AccountConfig
	in := `{"enable_auto_sync":true,"sync_interval":3600,"supported_regions":["cn-hangzhou"],"supported_asset_types":["ecs"]}`
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	want := inventory.AccountConfig{EnableAutoSync: true, SyncInterval: time.Hour, SupportedRegions: []string{"cn-hangzhou"}, SupportedAssetTypes: []string{"ecs"}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("unmarshal (-want +got):\n%s", diff)
	}
	out, _ := json.Marshal(c)
	if string(out) != in {
		t.Errorf("marshal: got %s, want %s", out, in)
	}
	if err := json.Unmarshal([]byte(`{"sync_interval":99999999999999999}`), &c); err == nil {
		t.Errorf("huge sync_interval: got nil error")
	}
}

// TestSecretNeverExposed runs the account lifecycle on SQLite with debug
// logging and looks for the plaintext secret in every result, the log
// and the database files.
func TestSecretNeverExposed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlstore.Open(ctx, filepath.Join(dir, "inv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cloud := newFakeCloud(2, 10)
	cloud.throttleEvery = 2 // exercise the retry log lines
	svc := newService(t, store, inventory.WithKeyProvider(testKey(t)), inventory.WithLogger(logger),
		inventory.WithConnector("fake", fakeConnector(cloud)))

	created, err := svc.CreateAccount(ctx, validAccount())
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	var seen []any
	seen = append(seen, created)
	got, err := svc.GetAccount(ctx, created.ID)
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if want := multicloud.Secret("****1234"); got.AccessKeySecret != want || got.AccessKeySecret.Reveal() != want.Reveal() {
		t.Errorf("masked secret: got %q, want %q", got.AccessKeySecret.Reveal(), want.Reveal())
	}
	list, err := svc.ListAccounts(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListAccounts: %v, %d accounts", err, len(list))
	}
	// Updating with the mask keeps the secret: sync still authenticates.
	got.Description = "edited"
	upd, err := svc.UpdateAccount(ctx, got)
	if err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
	if _, err := svc.Sync(ctx, inventory.SyncTarget{AccountID: created.ID}, inventory.SyncOptions{}); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	res, err := svc.TestConnection(ctx, created.ID)
	if err != nil || !res.OK {
		t.Fatalf("TestConnection: %+v, %v", res, err)
	}
	seen = append(seen, got, list, upd, res)
	for _, v := range seen {
		for _, s := range []string{fmt.Sprintf("%v %+v %#v", v, v, v), mustJSON(t, v)} {
			if strings.Contains(s, testSecret) {
				t.Errorf("result %T reveals the secret: %s", v, s)
			}
		}
	}
	if strings.Contains(got.AccessKeySecret.Reveal(), testSecret) || strings.Contains(list[0].AccessKeySecret.Reveal(), testSecret) {
		t.Errorf("Reveal of a returned account gives the secret")
	}
	if !strings.Contains(logs.String(), "account created") || !strings.Contains(logs.String(), "retrying api call") {
		t.Errorf("log lacks the expected events:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Errorf("log reveals the secret:\n%s", logs.String())
	}
	store.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(testSecret)) {
			t.Errorf("database file %s holds the plaintext secret", filepath.Base(f))
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUpdateAccountSecret(t *testing.T) {
	ctx := context.Background()
	svc := newService(t, inventory.NewMemStore(), inventory.WithKeyProvider(testKey(t)),
		inventory.WithConnector("fake", fakeConnector(newFakeCloud(1, 1))))
	a, err := svc.CreateAccount(ctx, validAccount())
	if err != nil {
		t.Fatal(err)
	}
	a.AccessKeySecret = "wrong-secret"
	if _, err := svc.UpdateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	res, err := svc.TestConnection(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.ErrorKind != inventory.ErrorSignatureMismatch {
		t.Errorf("after changing the secret: got %+v, want signature_mismatch", res)
	}
	got, _ := svc.GetAccount(ctx, a.ID)
	if got.LastTestTime == nil || got.LastTestOK || got.LastTestError == "" {
		t.Errorf("last test not recorded: %+v", got)
	}
	if _, err := svc.UpdateAccount(ctx, inventory.CloudAccount{ID: "acc-missing"}); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("update missing: got %v, want ErrNotFound", err)
	}
	if err := svc.DeleteAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetAccount(ctx, a.ID); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("get deleted: got %v, want ErrNotFound", err)
	}
}

func TestKeyProvider(t *testing.T) {
	ctx := context.Background()
	if _, err := inventory.NewAESGCMKeyProvider(make([]byte, 16)); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("16-byte key: got %v, want ErrInvalidArgument", err)
	}
	k := testKey(t)
	c1, id, err := k.Encrypt(ctx, []byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	c2, _, _ := k.Encrypt(ctx, []byte(testSecret))
	if bytes.Equal(c1, c2) || bytes.Contains(c1, []byte(testSecret)) {
		t.Errorf("ciphertexts equal or hold the plaintext")
	}
	pt, err := k.Decrypt(ctx, c1, id)
	if err != nil || string(pt) != testSecret {
		t.Errorf("Decrypt: got %q, %v", pt, err)
	}
	c1[len(c1)-1] ^= 1
	if _, err := k.Decrypt(ctx, c1, id); err == nil {
		t.Errorf("Decrypt(tampered): got nil error")
	}
	other, _ := inventory.NewAESGCMKeyProvider(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Decrypt(ctx, c2, id); err == nil || other.KeyID() == id {
		t.Errorf("Decrypt with another key: got %v, key IDs %s and %s", err, other.KeyID(), id)
	}
}

func TestClassifyConnectionError(t *testing.T) {
	pe := func(code multicloud.Code, providerCode string) error {
		return &multicloud.Error{Op: "DescribeRegions", Provider: "aliyun", Code: code, ProviderCode: providerCode}
	}
	for _, tc := range []struct {
		err  error
		want inventory.ConnectionErrorKind
	}{
		{nil, ""},
		{pe(multicloud.CodePermissionDenied, "InvalidAccessKeyId.NotFound"), inventory.ErrorUnknownAccessKey},
		{pe(multicloud.CodePermissionDenied, "SignatureDoesNotMatch"), inventory.ErrorSignatureMismatch},
		{pe(multicloud.CodePermissionDenied, "Forbidden.RAM"), inventory.ErrorPermissionDenied},
		{pe(multicloud.CodePermissionDenied, "SomethingNew"), inventory.ErrorPermissionDenied},
		{pe(multicloud.CodeUnavailable, ""), inventory.ErrorUnreachable},
		{pe(multicloud.CodeThrottled, "Throttling"), inventory.ErrorThrottled},
		{fmt.Errorf("wrapped: %w", pe(multicloud.CodePermissionDenied, "SignatureDoesNotMatch")), inventory.ErrorSignatureMismatch},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, inventory.ErrorUnreachable},
		{context.DeadlineExceeded, inventory.ErrorUnreachable},
		{errors.New("boom"), inventory.ErrorUnknown},
	} {
		if got := inventory.ClassifyConnectionError(tc.err); got != tc.want {
			t.Errorf("ClassifyConnectionError(%v): got %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestRunAutoSync(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud(2, 30)
	svc := newService(t, inventory.NewMemStore(), inventory.WithKeyProvider(testKey(t)),
		inventory.WithConnector("fake", fakeConnector(cloud)),
		func(o *inventory.Options) { o.AutoSyncPoll = 20 * time.Millisecond })
	auto := validAccount()
	auto.Config.EnableAutoSync, auto.Config.SyncInterval = true, 100*time.Millisecond
	a, err := svc.CreateAccount(ctx, auto)
	if err != nil {
		t.Fatal(err)
	}
	manual := validAccount()
	manual.Name = "manual"
	m, err := svc.CreateAccount(ctx, manual)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.RunAutoSync(runCtx) }()

	// The waits are bounded generously so a loaded machine cannot fail
	// them; each waits for the assets and for the sync's recorded end,
	// which is written after the assets.
	deadline := time.Now().Add(60 * time.Second)
	synced := func(total int, after *time.Time) inventory.CloudAccount {
		for {
			acct, _ := svc.GetAccount(ctx, a.ID)
			done := liveTotal(t, svc, inventory.Filter{Account: a.ID}) == total && acct.LastSyncTime != nil &&
				(after == nil || acct.LastSyncTime.After(*after))
			if done || !time.Now().Before(deadline) {
				return acct
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first := synced(60, nil)
	// A change in the cloud shows after the next interval.
	cloud.edit(func(regions map[string][]inventory.Asset) { regions["region-00"] = regions["region-00"][:10] })
	synced(40, first.LastSyncTime)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("RunAutoSync: got %v, want context.Canceled", err)
	}
	if got := liveTotal(t, svc, inventory.Filter{Account: a.ID}); got != 40 {
		t.Errorf("auto-synced account live assets: got %d, want 40", got)
	}
	second, _ := svc.GetAccount(ctx, a.ID)
	if first.LastSyncTime == nil || second.LastSyncTime == nil || !second.LastSyncTime.After(*first.LastSyncTime) ||
		second.LastSyncStatus != "success" {
		t.Errorf("last sync: first %v, then %v %q; want two successful syncs", first.LastSyncTime, second.LastSyncTime, second.LastSyncStatus)
	}
	if got := liveTotal(t, svc, inventory.Filter{Account: m.ID}); got != 0 {
		t.Errorf("account without auto sync has %d assets, want 0", got)
	}
}
