CREATE TABLE accounts (
	id                TEXT PRIMARY KEY,
	name              TEXT NOT NULL UNIQUE,
	provider          TEXT NOT NULL,
	environment       TEXT NOT NULL,
	access_key_id     TEXT NOT NULL,
	secret_ciphertext BLOB NOT NULL,
	secret_key_id     TEXT NOT NULL,
	region            TEXT NOT NULL,
	description       TEXT NOT NULL,
	config            TEXT NOT NULL,
	status            TEXT NOT NULL,
	last_sync_time    INTEGER,
	last_sync_status  TEXT NOT NULL,
	last_sync_error   TEXT NOT NULL,
	last_test_time    INTEGER,
	last_test_ok      INTEGER NOT NULL,
	last_test_error   TEXT NOT NULL,
	create_time       INTEGER NOT NULL,
	update_time       INTEGER NOT NULL
);
CREATE TABLE assets (
	id            INTEGER PRIMARY KEY,
	provider      TEXT NOT NULL,
	account       TEXT NOT NULL,
	asset_type    TEXT NOT NULL,
	asset_id      TEXT NOT NULL,
	asset_name    TEXT NOT NULL,
	region        TEXT NOT NULL,
	zone          TEXT NOT NULL,
	status        TEXT NOT NULL,
	tags          TEXT NOT NULL,
	cost          REAL NOT NULL,
	content_hash  TEXT NOT NULL,
	create_time   INTEGER NOT NULL,
	update_time   INTEGER NOT NULL,
	discover_time INTEGER NOT NULL,
	deleted_at    INTEGER
);
CREATE UNIQUE INDEX assets_identity ON assets (provider, account, asset_type, asset_id);
-- Filter indexes end in deleted_at and create_time, so counting live
-- assets and ordering a page by the default sort read the index only.
CREATE INDEX assets_scope ON assets (account, region, asset_type, deleted_at, create_time);
CREATE INDEX assets_region ON assets (region, status, deleted_at, create_time);
CREATE INDEX assets_zone ON assets (zone, deleted_at, create_time);
CREATE INDEX assets_status ON assets (status, deleted_at, create_time);
CREATE INDEX assets_type ON assets (asset_type, deleted_at, create_time);
CREATE INDEX assets_name ON assets (asset_name);
CREATE INDEX assets_create_time ON assets (create_time);
CREATE INDEX assets_stats ON assets (provider, asset_type, region, status, deleted_at, cost, discover_time);
CREATE INDEX assets_deleted ON assets (deleted_at) WHERE deleted_at IS NOT NULL;
-- Metadata lives apart so asset rows stay small: filters, sorts and
-- counts touch many rows but only a page needs the metadata.
CREATE TABLE asset_metadata (
	asset    INTEGER PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
	metadata TEXT
);
CREATE TABLE asset_tags (
	asset INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	key   TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (asset, key, value)
) WITHOUT ROWID;
CREATE INDEX asset_tags_kv ON asset_tags (key, value, asset);
