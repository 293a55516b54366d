package mongostore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

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
	s := mongostoretest.Open(t)
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
	keyID := "LTAIkeyid" + base64.RawURLEncoding.EncodeToString(b[:])
	rand.Read(b[:])
	secret := "canary-secret-" + base64.RawURLEncoding.EncodeToString(b[:])
	acct, err := svc.CreateAccount(ctx, inventory.CloudAccount{Name: "grep", Provider: aliyun.ProviderCode,
		AccessKeyID: keyID, AccessKeySecret: multicloud.Secret(secret), Region: "cn-hangzhou"})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	// A new secret through an update, the other write path.
	rand.Read(b[:])
	secret2 := "canary-secret-" + base64.RawURLEncoding.EncodeToString(b[:])
	acct.AccessKeySecret = multicloud.Secret(secret2)
	if _, err := svc.UpdateAccount(ctx, acct); err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
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
		for _, form := range []string{secret, secret2, base64.StdEncoding.EncodeToString([]byte(secret)),
			base64.StdEncoding.EncodeToString([]byte(secret2))} {
			if bytes.Contains(data, []byte(form)) {
				t.Errorf("%s holds the account secret", f)
			}
		}
	}
	if !foundKeyID {
		t.Errorf("no file of %s holds the access key ID: the test reads the wrong files", dir)
	}
}
