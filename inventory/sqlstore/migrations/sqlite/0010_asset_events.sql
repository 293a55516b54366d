-- The durable log of the sync's change events. AUTOINCREMENT never
-- reuses an ID, so a reader resuming after an ID cannot miss a later row.
CREATE TABLE asset_events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	type TEXT NOT NULL,
	provider TEXT NOT NULL,
	account TEXT NOT NULL,
	asset_type TEXT NOT NULL,
	region TEXT NOT NULL,
	asset_id TEXT NOT NULL,
	asset_name TEXT NOT NULL,
	old_status TEXT NOT NULL,
	new_status TEXT NOT NULL,
	time BIGINT NOT NULL
);
