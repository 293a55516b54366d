-- How many asset names hold each trigram (each run of three characters,
-- ASCII letters lower-cased as pg_trgm indexes them), kept by the
-- transactions that write assets: the Name filter searches the pg_trgm
-- index for the needle's rarest trigrams only.
CREATE TABLE name_trigram_counts (trgm TEXT PRIMARY KEY, n BIGINT NOT NULL);
INSERT INTO name_trigram_counts (trgm, n)
SELECT t.trgm, COUNT(*) FROM assets a CROSS JOIN LATERAL (
	SELECT DISTINCT substr(translate(a.asset_name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), i, 3) AS trgm
	FROM generate_series(1, char_length(a.asset_name) - 2) AS i) t
GROUP BY t.trgm;
