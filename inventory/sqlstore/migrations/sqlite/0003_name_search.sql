-- A trigram index over asset_name serves the Name filter, a substring
-- match, which no B-tree index can. It reads the names from assets
-- (external content); triggers keep it in step with every write.
CREATE VIRTUAL TABLE asset_names USING fts5(asset_name, content = 'assets', content_rowid = 'id',
	tokenize = 'trigram case_sensitive 1', detail = none);
INSERT INTO asset_names (asset_names) VALUES ('rebuild');
CREATE TRIGGER asset_names_insert AFTER INSERT ON assets BEGIN INSERT INTO asset_names (rowid, asset_name) VALUES (new.id, new.asset_name); END;
CREATE TRIGGER asset_names_delete AFTER DELETE ON assets BEGIN INSERT INTO asset_names (asset_names, rowid, asset_name) VALUES ('delete', old.id, old.asset_name); END;
CREATE TRIGGER asset_names_update AFTER UPDATE OF asset_name ON assets WHEN old.asset_name IS NOT new.asset_name BEGIN INSERT INTO asset_names (asset_names, rowid, asset_name) VALUES ('delete', old.id, old.asset_name); INSERT INTO asset_names (rowid, asset_name) VALUES (new.id, new.asset_name); END;
