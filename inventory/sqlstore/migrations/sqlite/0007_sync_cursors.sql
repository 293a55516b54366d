-- Where each scope's change feed was last read (inventory.SyncCursor).
CREATE TABLE sync_cursors (
	provider   TEXT NOT NULL,
	account    TEXT NOT NULL,
	region     TEXT NOT NULL,
	asset_type TEXT NOT NULL,
	feed_time  BIGINT NOT NULL,
	full_time  BIGINT NOT NULL,
	PRIMARY KEY (provider, account, region, asset_type)
);
