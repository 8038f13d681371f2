-- What the source is (yearbook / nbs / census / researcher_panel / code_list): the panel prefers them in order.
ALTER TABLE sources ADD COLUMN IF NOT EXISTS kind VARCHAR;
