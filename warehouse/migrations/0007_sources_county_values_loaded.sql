-- County values per ingested file (values_loaded counts the prefecture panel's).
ALTER TABLE sources ADD COLUMN IF NOT EXISTS county_values_loaded INTEGER;
