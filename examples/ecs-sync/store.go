package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/mongostore"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
)

// openStore opens the store dsn names: mongodb:// or mongodb+srv:// opens
// MongoDB (inventory/mongostore), anything else SQLite or PostgreSQL
// (inventory/sqlstore). MONGO_URI, the asset-sync design's variable,
// selects MongoDB when MULTICLOUD_DSN is unset. It returns the store, a
// description without any password, and the function that closes it.
func openStore(ctx context.Context, dsn string) (inventory.Store, string, func(), error) {
	if uri := os.Getenv("MONGO_URI"); uri != "" && os.Getenv("MULTICLOUD_DSN") == "" {
		dsn = uri
	}
	if strings.HasPrefix(dsn, "mongodb://") || strings.HasPrefix(dsn, "mongodb+srv://") {
		s, err := mongostore.Open(ctx, dsn)
		if err != nil {
			return nil, "", nil, err
		}
		return s, fmt.Sprintf("mongodb at %s, database %s", redactDSN(dsn), s.Database().Name()), func() { s.Close() }, nil
	}
	s, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, "", nil, err
	}
	return s, fmt.Sprintf("%s at %s", s.Dialect(), redactDSN(dsn)), func() { s.Close() }, nil
}
