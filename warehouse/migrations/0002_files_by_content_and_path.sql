-- A file is its content at its full path: the per-file tables carry the content hash, problems the path
-- too, filled from the sources rows (one file per name then).
ALTER TABLE unresolved ADD COLUMN IF NOT EXISTS source_sha256 VARCHAR;
ALTER TABLE extracted_tables ADD COLUMN IF NOT EXISTS source_sha256 VARCHAR;
ALTER TABLE problems ADD COLUMN IF NOT EXISTS source_sha256 VARCHAR;
ALTER TABLE problems ADD COLUMN IF NOT EXISTS source_path VARCHAR;
ALTER TABLE aggregates ADD COLUMN IF NOT EXISTS source_sha256 VARCHAR;
UPDATE unresolved t SET source_sha256 = (SELECT min(s.source_sha256) FROM sources s WHERE s.source_file = t.source_file)
WHERE source_sha256 IS NULL;
UPDATE extracted_tables t SET source_sha256 = (SELECT min(s.source_sha256) FROM sources s WHERE s.source_file = t.source_file)
WHERE source_sha256 IS NULL;
UPDATE aggregates t SET source_sha256 = (SELECT min(s.source_sha256) FROM sources s WHERE s.source_file = t.source_file)
WHERE source_sha256 IS NULL;
UPDATE problems t SET source_sha256 = (SELECT min(s.source_sha256) FROM sources s WHERE s.source_file = t.source_file),
                      source_path = (SELECT min(s.source_path) FROM sources s WHERE s.source_file = t.source_file)
WHERE source_sha256 IS NULL;
