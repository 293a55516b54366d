package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// accountConfig is AccountConfig as the config column stores it, with the
// interval in nanoseconds so no precision is lost.
type accountConfig struct {
	EnableAutoSync      bool     `json:"enable_auto_sync"`
	SyncIntervalNanos   int64    `json:"sync_interval_ns"`
	SupportedRegions    []string `json:"supported_regions"`
	SupportedAssetTypes []string `json:"supported_asset_types"`
}

const accountColumns = `id, name, provider, environment, access_key_id, secret_ciphertext, secret_key_id, region,
	description, config, status, last_sync_time, last_sync_status, last_sync_error, last_test_time, last_test_ok,
	last_test_error, create_time, update_time`

// accountArgs returns the values of accountColumns, in order. The
// plaintext AccessKeySecret is not among them.
func accountArgs(a *inventory.StoredAccount) ([]any, error) {
	cfg, err := json.Marshal(accountConfig{a.Config.EnableAutoSync, int64(a.Config.SyncInterval),
		a.Config.SupportedRegions, a.Config.SupportedAssetTypes})
	if err != nil {
		return nil, err
	}
	ct := a.SecretCiphertext
	if ct == nil {
		ct = []byte{}
	}
	return []any{a.ID, a.Name, a.Provider, a.Environment, a.AccessKeyID, ct, a.SecretKeyID, a.Region,
		a.Description, string(cfg), a.Status, nullMicros(a.LastSyncTime), a.LastSyncStatus, a.LastSyncError,
		nullMicros(a.LastTestTime), a.LastTestOK, a.LastTestError, toMicros(a.CreateTime), toMicros(a.UpdateTime)}, nil
}

func scanAccount(row interface{ Scan(...any) error }) (*inventory.StoredAccount, error) {
	var (
		a                  inventory.StoredAccount
		cfg                string
		lastSync, lastTest sql.NullInt64
		created, updated   int64
	)
	if err := row.Scan(&a.ID, &a.Name, &a.Provider, &a.Environment, &a.AccessKeyID, &a.SecretCiphertext,
		&a.SecretKeyID, &a.Region, &a.Description, &cfg, &a.Status, &lastSync, &a.LastSyncStatus, &a.LastSyncError,
		&lastTest, &a.LastTestOK, &a.LastTestError, &created, &updated); err != nil {
		return nil, err
	}
	var c accountConfig
	if err := json.Unmarshal([]byte(cfg), &c); err != nil {
		return nil, fmt.Errorf("sqlstore: account %s config: %w", a.ID, err)
	}
	a.Config = inventory.AccountConfig{EnableAutoSync: c.EnableAutoSync, SyncInterval: time.Duration(c.SyncIntervalNanos),
		SupportedRegions: c.SupportedRegions, SupportedAssetTypes: c.SupportedAssetTypes}
	a.LastSyncTime, a.LastTestTime = fromNullMicros(lastSync), fromNullMicros(lastTest)
	a.CreateTime, a.UpdateTime = fromMicros(created), fromMicros(updated)
	return &a, nil
}

func (s *Store) classify(err error, id string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return multicloud.Errorf(multicloud.CodeNotFound, "account %q not found", id)
	case s.d.isUnique(err):
		return multicloud.Errorf(multicloud.CodeAlreadyExists, "account %q or its name already exists", id)
	}
	return err
}

// CreateAccount implements inventory.Store.
func (s *Store) CreateAccount(ctx context.Context, a *inventory.StoredAccount) error {
	args, err := accountArgs(a)
	if err != nil {
		return err
	}
	b := builder{d: &s.d}
	b.write("INSERT INTO accounts (", accountColumns, ") VALUES (")
	for i, v := range args {
		if i > 0 {
			b.write(", ")
		}
		b.write(b.arg(v))
	}
	b.write(")")
	_, err = s.writer.ExecContext(ctx, b.sb.String(), b.args...)
	return s.classify(err, a.ID)
}

// GetAccount implements inventory.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (*inventory.StoredAccount, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts WHERE id = "+s.d.placeholder(1), id))
	return a, s.classify(err, id)
}

// ListAccounts implements inventory.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]inventory.StoredAccount, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+accountColumns+" FROM accounts ORDER BY name, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inventory.StoredAccount
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// UpdateAccount implements inventory.Store.
func (s *Store) UpdateAccount(ctx context.Context, a *inventory.StoredAccount) error {
	args, err := accountArgs(a)
	if err != nil {
		return err
	}
	b := builder{d: &s.d}
	b.write("UPDATE accounts SET ")
	cols := []string{"name", "provider", "environment", "access_key_id", "secret_ciphertext", "secret_key_id", "region",
		"description", "config", "status", "last_sync_time", "last_sync_status", "last_sync_error", "last_test_time",
		"last_test_ok", "last_test_error", "create_time", "update_time"}
	for i, c := range cols {
		if i > 0 {
			b.write(", ")
		}
		b.write(c, " = ", b.arg(args[i+1]))
	}
	b.write(" WHERE id = ", b.arg(a.ID))
	res, err := s.writer.ExecContext(ctx, b.sb.String(), b.args...)
	if err != nil {
		return s.classify(err, a.ID)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return s.classify(sql.ErrNoRows, a.ID)
	}
	return nil
}

// DeleteAccount implements inventory.Store.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	res, err := s.writer.ExecContext(ctx, "DELETE FROM accounts WHERE id = "+s.d.placeholder(1), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return s.classify(sql.ErrNoRows, id)
	}
	return nil
}
