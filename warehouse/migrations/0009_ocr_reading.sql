-- Which reading of a scanned cell loaded: first, agreed (at another scale) or second (the other scale's).
ALTER TABLE observations ADD COLUMN IF NOT EXISTS ocr_reading VARCHAR;
ALTER TABLE county_observations ADD COLUMN IF NOT EXISTS ocr_reading VARCHAR;
