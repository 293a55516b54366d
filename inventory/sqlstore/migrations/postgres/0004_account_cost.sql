-- The assets of one account, most expensive first, is a common listing:
-- this partial index yields its pages in order, deep offsets included,
-- without sorting the account's assets.
CREATE INDEX assets_account_cost ON assets (account, cost, id) WHERE deleted_at IS NULL;
