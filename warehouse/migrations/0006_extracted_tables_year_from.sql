-- Where each table's data year came from; NULL for the tables loaded before it was kept.
ALTER TABLE extracted_tables ADD COLUMN IF NOT EXISTS year_from VARCHAR;
