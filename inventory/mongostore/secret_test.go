package mongostore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/mongostore/mongostoretest"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
)

// dataDirVar names the directory of the FerretDB server's SQLite files;
// scripts/test sets it when it starts FerretDB itself.
const dataDirVar = "MULTICLOUD_TEST_FERRETDB_DATA"

// TestSecretNotInDataFiles stores an account through the Service and reads
// every file of the server's data directory: the access key ID, stored in
// plain text, must be found (the files hold the data), the secret must
// not, neither as it is nor in base64.
func TestSecretNotInDataFiles(t *testing.T) {
	dir := os.Getenv(dataDirVar)
	if dir == "" {
		// A real MongoDB's files are not the test's to read.
		t.Skipf("%s is not set: the server's data files are unknown", dataDirVar)
	}
	keyID, forms := storeCanaries(t, mongostoretest.Open(t))
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("data files in %s: got %d (%v), want some", dir, len(files), err)
	}
	var foundKeyID bool
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		foundKeyID = foundKeyID || bytes.Contains(data, []byte(keyID))
		for _, form := range forms {
			if bytes.Contains(data, []byte(form)) {
				t.Errorf("%s holds the account secret", f)
			}
		}
	}
	if !foundKeyID {
		t.Errorf("no file of %s holds the access key ID: the test reads the wrong files", dir)
	}
}

// pgDataVar names the PostgreSQL database FerretDB over PostgreSQL (the
// server of mongostoretest.PGURIVar) keeps its data in; scripts/test sets
// it when it starts that server itself.
const pgDataVar = "MULTICLOUD_TEST_FERRETDB_PG_DSN"

// TestSecretNotInPostgres is TestSecretNotInDataFiles on FerretDB over
// PostgreSQL: it reads, as text, every row of the tables FerretDB keeps
// the store's database in (a PostgreSQL schema of the database's name).
func TestSecretNotInPostgres(t *testing.T) {
	dsn, uri := os.Getenv(pgDataVar), os.Getenv(mongostoretest.PGURIVar)
	if dsn == "" || uri == "" {
		t.Skipf("%s or %s is not set: the server's data is unknown", pgDataVar, mongostoretest.PGURIVar)
	}
	s := mongostoretest.OpenOn(t, uri)
	keyID, forms := storeCanaries(t, s)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to FerretDB's PostgreSQL database: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, s.Database().Name())
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		t.Fatalf("tables of schema %s: got %d (%v), want some", s.Database().Name(), len(tables), err)
	}
	var foundKeyID bool
	for _, tbl := range tables {
		name := pgx.Identifier{s.Database().Name(), tbl}.Sanitize()
		rows, err := conn.Query(ctx, "SELECT t::text FROM "+name+" t")
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		for _, text := range texts {
			foundKeyID = foundKeyID || strings.Contains(text, keyID)
			for _, form := range forms {
				if strings.Contains(text, form) {
					t.Errorf("a row of %s holds the account secret", name)
				}
			}
		}
	}
	if !foundKeyID {
		t.Errorf("no row of schema %s holds the access key ID: the test reads the wrong tables", s.Database().Name())
	}
}

// storeCanaries creates an account with a random access key ID and
// secret through a Service over s, then gives it another secret through
// an update, the other write path. It returns the key ID and the forms
// of the two secrets that must be found nowhere.
func storeCanaries(t *testing.T, s inventory.Store) (keyID string, forms []string) {
	t.Helper()
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	kp, err := inventory.NewAESGCMKeyProvider(key)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := inventory.New(s, inventory.WithKeyProvider(kp), inventory.WithConnector(aliyun.ProviderCode, aliyun.NewConnector()))
	if err != nil {
		t.Fatalf("inventory.New: %v", err)
	}
	var b [12]byte
	rand.Read(b[:])
	keyID = "LTAIkeyid" + base64.RawURLEncoding.EncodeToString(b[:])
	rand.Read(b[:])
	secret := "canary-secret-" + base64.RawURLEncoding.EncodeToString(b[:])
	acct, err := svc.CreateAccount(ctx, inventory.CloudAccount{Name: "grep", Provider: aliyun.ProviderCode,
		AccessKeyID: keyID, AccessKeySecret: multicloud.Secret(secret), Region: "cn-hangzhou"})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	rand.Read(b[:])
	secret2 := "canary-secret-" + base64.RawURLEncoding.EncodeToString(b[:])
	acct.AccessKeySecret = multicloud.Secret(secret2)
	if _, err := svc.UpdateAccount(ctx, acct); err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
	return keyID, []string{secret, secret2, base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.StdEncoding.EncodeToString([]byte(secret2))}
}
