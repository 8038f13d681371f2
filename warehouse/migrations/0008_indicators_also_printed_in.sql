-- The other currency an indicator is also printed in.
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS also_printed_in VARCHAR;
