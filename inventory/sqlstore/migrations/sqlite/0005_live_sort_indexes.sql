-- Live assets of an account's region, and of a region, newest first (the
-- default sort): the page is the index's first entries, whatever else
-- (tags, zone, status) the query then checks per asset.
CREATE INDEX assets_account_region_live ON assets (account, region, create_time, id) WHERE deleted_at IS NULL;
CREATE INDEX assets_region_live ON assets (region, create_time, id) WHERE deleted_at IS NULL;
