-- Counts of assets per group of exactly-filtered columns, kept by the
-- transactions that write assets: Statistics and the totals of most
-- filters read them instead of counting assets. last_discover is the
-- latest discover_time of a live group (Unix microseconds; the zero
-- time when none), kept exact by recomputing it from assets_group when
-- an asset leaves the group.
CREATE TABLE asset_counts (
	provider      TEXT NOT NULL,
	account       TEXT NOT NULL,
	asset_type    TEXT NOT NULL,
	region        TEXT NOT NULL,
	zone          TEXT NOT NULL,
	status        TEXT NOT NULL,
	deleted       INTEGER NOT NULL,
	n             INTEGER NOT NULL,
	cost          REAL NOT NULL,
	last_discover INTEGER NOT NULL,
	PRIMARY KEY (provider, account, asset_type, region, zone, status, deleted)
) WITHOUT ROWID;
CREATE TABLE asset_tag_counts (
	key        TEXT NOT NULL,
	value      TEXT NOT NULL,
	provider   TEXT NOT NULL,
	account    TEXT NOT NULL,
	asset_type TEXT NOT NULL,
	region     TEXT NOT NULL,
	zone       TEXT NOT NULL,
	status     TEXT NOT NULL,
	deleted    INTEGER NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (key, value, provider, account, asset_type, region, zone, status, deleted)
) WITHOUT ROWID;
INSERT INTO asset_counts (provider, account, asset_type, region, zone, status, deleted, n, cost, last_discover)
SELECT provider, account, asset_type, region, zone, status, 0, COUNT(*), SUM(cost), MAX(discover_time)
FROM assets WHERE deleted_at IS NULL GROUP BY provider, account, asset_type, region, zone, status;
INSERT INTO asset_counts (provider, account, asset_type, region, zone, status, deleted, n, cost, last_discover)
SELECT provider, account, asset_type, region, zone, status, 1, COUNT(*), SUM(cost), MAX(discover_time)
FROM assets WHERE deleted_at IS NOT NULL GROUP BY provider, account, asset_type, region, zone, status;
INSERT INTO asset_tag_counts (key, value, provider, account, asset_type, region, zone, status, deleted, n)
SELECT t.key, t.value, a.provider, a.account, a.asset_type, a.region, a.zone, a.status, a.deleted_at IS NOT NULL, COUNT(*)
FROM asset_tags t JOIN assets a ON a.id = t.asset
GROUP BY t.key, t.value, a.provider, a.account, a.asset_type, a.region, a.zone, a.status, a.deleted_at IS NOT NULL;
-- Statistics no longer scan assets; the latest discover_time of a live
-- group is one probe of assets_group.
DROP INDEX assets_stats;
CREATE INDEX assets_group ON assets (provider, account, asset_type, region, zone, status, discover_time)
	WHERE deleted_at IS NULL;
