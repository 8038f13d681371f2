-- The yearbook edition of each value, where the file or the catalogue says it.
ALTER TABLE observations ADD COLUMN IF NOT EXISTS edition INTEGER;
ALTER TABLE county_observations ADD COLUMN IF NOT EXISTS edition INTEGER;
