-- Views over the tables, recreated on every ingest. Any DuckDB client sees them.

-- One line per ingested file: what loaded and what did not.
CREATE OR REPLACE VIEW extraction_report AS
SELECT s.source_file, s.status, s.file_format, s.values_loaded,
       (SELECT count(*) FROM extracted_tables t WHERE t.source_file = s.source_file) AS tables,
       (SELECT count(*) FROM unresolved u WHERE u.source_file = s.source_file) AS unresolved_rows,
       (SELECT count(*) FROM problems p WHERE p.source_file = s.source_file AND p.kind = 'unknown_column')
           AS unrecognised_columns,
       (SELECT count(*) FROM problems p WHERE p.source_file = s.source_file AND p.kind = 'skipped_row')
           AS skipped_rows,
       (SELECT count(*) FROM problems p WHERE p.source_file = s.source_file AND p.severity = 'error') AS errors,
       s.loaded_at
FROM sources s;
