// Package mongostoretest opens mongostore.Stores for tests on the server
// MULTICLOUD_TEST_MONGO_URI names (scripts/test starts FerretDB over
// SQLite and sets it; a real MongoDB runs the same tests), each in a
// database of its own, and on the second server
// MULTICLOUD_TEST_MONGO_PG_URI may name (scripts/test starts FerretDB
// over PostgreSQL there), for the tests that run on each server.
package mongostoretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/multicloud-ecs/multicloud/inventory/mongostore"
)

// URIVar is the environment variable holding the test server's URI.
const URIVar = "MULTICLOUD_TEST_MONGO_URI"

// PGURIVar is the environment variable holding the URI of a second test
// server, FerretDB over PostgreSQL under scripts/test. Unset, the tests
// that run on each server run on URIVar's alone; under CI=true it must
// be set.
const PGURIVar = "MULTICLOUD_TEST_MONGO_PG_URI"

// Server is a test server: a name for subtests and its URI.
type Server struct{ Name, URI string }

// Servers returns URIVar's server, named "mongo", and PGURIVar's when it
// is set, named "ferretdb-pg". It skips the test when URIVar is unset,
// and fails it under CI=true when either is.
func Servers(t testing.TB) []Server {
	t.Helper()
	out := []Server{{"mongo", URI(t)}}
	if uri := os.Getenv(PGURIVar); uri != "" {
		out = append(out, Server{"ferretdb-pg", uri})
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set (scripts/test starts FerretDB over PostgreSQL and sets it)", PGURIVar)
	}
	return out
}

// URI returns the test server's URI. It skips the test when URIVar is
// unset, unless CI=true, where that fails it.
func URI(t testing.TB) string {
	t.Helper()
	uri := os.Getenv(URIVar)
	if uri == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set (scripts/test starts FerretDB and sets it)", URIVar)
		}
		t.Skipf("%s is not set (scripts/test starts FerretDB and sets it)", URIVar)
	}
	return uri
}

// Open returns a Store in a fresh database of the test server, whose
// collections are dropped, and the Store closed, when the test ends. opts
// edit the Options after the database is set. An unreachable server skips
// the test, or fails it under CI=true.
func Open(t testing.TB, opts ...func(*mongostore.Options)) *mongostore.Store {
	t.Helper()
	return OpenOn(t, URI(t), opts...)
}

// OpenOn is Open on the server at uri.
func OpenOn(t testing.TB, uri string, opts ...func(*mongostore.Options)) *mongostore.Store {
	t.Helper()
	db := NewDatabaseName()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := mongostore.Open(ctx, uri, append([]func(*mongostore.Options){func(o *mongostore.Options) { o.Database = db }}, opts...)...)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mongostore.Open: %v", err)
		}
		t.Skipf("mongostore.Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// The collections, not the database: FerretDB over SQLite
		// removes a dropped database's file, which its background
		// tasks may still be reading, and it has crashed on that.
		names, err := s.Database().ListCollectionNames(ctx, bson.D{})
		if err != nil {
			t.Errorf("list collections of %s: %v", db, err)
		}
		for _, n := range names {
			if err := s.Database().Collection(n).Drop(ctx); err != nil {
				t.Errorf("drop collection %s.%s: %v", db, n, err)
			}
		}
		s.Close()
	})
	return s
}

// NewDatabaseName returns a database name no other test uses.
func NewDatabaseName() string {
	var b [6]byte
	rand.Read(b[:])
	return "mctest_" + hex.EncodeToString(b[:])
}
