-- How many asset names hold each trigram (each case-sensitive run of
-- three characters), kept by the transactions that write assets: the
-- Name filter probes the trigram index for the needle's rarest trigrams
-- only. The counts start from the index's own document counts.
CREATE TABLE name_trigram_counts (trgm TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE temp.asset_name_terms USING fts5vocab(main, asset_names, 'row');
INSERT INTO name_trigram_counts (trgm, n) SELECT term, doc FROM temp.asset_name_terms;
DROP TABLE temp.asset_name_terms;
