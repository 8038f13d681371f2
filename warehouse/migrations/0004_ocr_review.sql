-- Values read off scans: a value a check doubts is kept for review, with the recogniser's confidence and why.
ALTER TABLE observations ADD COLUMN IF NOT EXISTS needs_review BOOLEAN DEFAULT false;
ALTER TABLE observations ADD COLUMN IF NOT EXISTS ocr_confidence DOUBLE;
ALTER TABLE observations ADD COLUMN IF NOT EXISTS review_reasons VARCHAR;
ALTER TABLE county_observations ADD COLUMN IF NOT EXISTS needs_review BOOLEAN DEFAULT false;
ALTER TABLE county_observations ADD COLUMN IF NOT EXISTS ocr_confidence DOUBLE;
ALTER TABLE county_observations ADD COLUMN IF NOT EXISTS review_reasons VARCHAR;
