-- The digest of mappings/ a file was harmonised under: another one harmonises it again.
ALTER TABLE sources ADD COLUMN IF NOT EXISTS harmonised_with VARCHAR;
