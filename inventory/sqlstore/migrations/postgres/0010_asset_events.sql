-- The durable log of the sync's change events. Appends hold an advisory
-- lock until they commit, so IDs become visible in order.
CREATE TABLE asset_events (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
