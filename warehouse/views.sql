-- Views over the tables, recreated on every ingest. Any DuckDB client sees them.

-- One line per ingested path: what loaded and what did not. A duplicate path reports the rows of the
-- identical file loaded from another path; a failed path reports the problems found reading it.
CREATE OR REPLACE VIEW file_problems AS
SELECT p.* EXCLUDE (source_path), s.source_path
FROM sources s JOIN problems p
  ON CASE WHEN s.status = 'failed' THEN p.source_path = s.source_path
          ELSE p.source_sha256 = s.source_sha256 AND p.source_sha256 <> '' END;

CREATE OR REPLACE VIEW extraction_report AS
SELECT s.source_file, s.source_path, s.status, s.file_format, s.values_loaded,
       (SELECT count(*) FROM extracted_tables t WHERE t.source_sha256 = s.source_sha256) AS tables,
       (SELECT count(*) FROM unresolved u WHERE u.source_sha256 = s.source_sha256) AS unresolved_rows,
       (SELECT count(*) FROM file_problems p WHERE p.source_path = s.source_path AND p.kind = 'unknown_column')
           AS unrecognised_columns,
       (SELECT count(*) FROM file_problems p WHERE p.source_path = s.source_path AND p.kind = 'skipped_row')
           AS skipped_rows,
       (SELECT count(*) FROM file_problems p WHERE p.source_path = s.source_path AND p.severity = 'error') AS errors,
       s.loaded_at
FROM sources s;

-- A value stored in `stored_unit` in its indicator's canonical unit: as it is, or a CNY/USD value converted
-- at the year's annual average rate (mappings/exchange_rates.csv).
CREATE OR REPLACE MACRO in_canonical_unit(value, stored_unit, indicator_id, at_year) AS (
    SELECT CASE WHEN i.canonical_unit IS NULL OR i.canonical_unit = stored_unit THEN value
                WHEN stored_unit = 'CNY' AND i.canonical_unit = 'USD'
                    THEN value / (SELECT cny_per_usd FROM exchange_rates r WHERE r.year = at_year)
                WHEN stored_unit = 'USD' AND i.canonical_unit = 'CNY'
                    THEN value * (SELECT cny_per_usd FROM exchange_rates r WHERE r.year = at_year)
           END
    FROM (SELECT (SELECT canonical_unit FROM indicators WHERE id = indicator_id) AS canonical_unit) i);

-- USD-denominated values also in yuan, at that year's annual average rate (mappings/exchange_rates.csv).
CREATE OR REPLACE VIEW observations_cny AS
SELECT o.*, r.cny_per_usd,
       CASE o.unit WHEN 'CNY' THEN o.value WHEN 'USD' THEN o.value * r.cny_per_usd END AS value_cny
FROM observations o
LEFT JOIN exchange_rates r ON r.year = o.year;

-- How surely a printed name was placed (observations.match_kind), surest first: it orders values that are
-- otherwise equal in the panel's precedence.
CREATE OR REPLACE MACRO placement_rank(match_kind) AS
    CASE match_kind WHEN 'exact' THEN 0 WHEN 'short_name' THEN 1 WHEN 'abbreviation' THEN 2 WHEN 'alias' THEN 3
                    WHEN 'former_name' THEN 4 WHEN 'later_name' THEN 4 WHEN 'pinyin' THEN 5 WHEN 'fuzzy' THEN 6
                    ELSE 7 END;

-- Two printings of one cell disagree when they differ by more than 0.5%: more than a rounding.
CREATE OR REPLACE MACRO disagree(highest, lowest) AS highest - lowest > 0.005 * greatest(abs(highest), abs(lowest));

-- Every value that competes for one cell (region_code, year, indicator, scope), in the order the panel
-- prefers them: yearbooks over NBS database exports and census tables, which win over researcher panels;
-- among yearbooks the latest edition (a later yearbook revises an earlier year); sources of unknown edition
-- come after, the one loaded last first. Values equal in that precedence (one book printing a city in two
-- tables, two files of one edition) are ordered by how the printed name was placed (exact first), then
-- by where they were printed, so that the choice never depends on the order rows were loaded in. Where
-- the first value's equals disagree by more than 0.5% (the `conflicts` threshold) the cell is refused: no
-- value is better than a coin toss between two printings; `conflicts` lists them.
-- A value a check doubts (needs_review) is left out unless the researcher opts in:
-- INSERT OR REPLACE INTO settings VALUES ('include_needs_review', 'true').
CREATE OR REPLACE VIEW cell_candidates AS
WITH candidates AS (
    SELECT o.*,
           CASE coalesce(s.kind, 'yearbook') WHEN 'yearbook' THEN 0 WHEN 'nbs' THEN 1 WHEN 'census' THEN 1 ELSE 2 END
               AS kind_rank,
           -- the load time decides only between sources of unknown edition
           CASE WHEN o.edition IS NULL THEN s.loaded_at END AS unknown_edition_loaded_at
    FROM observations o
    JOIN (SELECT source_sha256, max(loaded_at) AS loaded_at, any_value(kind) AS kind FROM sources GROUP BY source_sha256) s
      USING (source_sha256)
    WHERE NOT coalesce(o.needs_review, false)
       OR coalesce((SELECT value = 'true' FROM settings WHERE key = 'include_needs_review'), false)
)
-- equals_disagree: the values equal to this one in precedence and printed in its unit differ by more than
-- 0.5% (the conflicts view compares within a unit too: 出口 in 万元 and in USD are not a disagreement)
SELECT * EXCLUDE (kind_rank, unknown_edition_loaded_at),
       row_number() OVER (PARTITION BY region_code, year, indicator, scope
                          ORDER BY kind_rank, edition DESC NULLS LAST, unknown_edition_loaded_at DESC NULLS LAST,
                                   placement_rank(match_kind),
                                   source_file, source_sha256, sheet NULLS FIRST, page NULLS FIRST, table_title,
                                   "row", "column", value_as_printed) AS preference,
       coalesce(disagree(max(value) OVER equals, min(value) OVER equals), false) AS equals_disagree
FROM candidates
WINDOW equals AS (PARTITION BY region_code, year, indicator, scope, unit, kind_rank, edition, unknown_edition_loaded_at);

-- One value per cell: the first of cell_candidates, unless its equals disagree (the cell is refused).
-- A value printed in the other currency its indicator is also printed in (indicators.also_printed_in: 出口
-- in 万元 where the dictionary's unit is USD) is stored as printed and given in the canonical unit at
-- the year's annual average rate; NULL in a year with no rate.
CREATE OR REPLACE VIEW observations_preferred AS
SELECT c.* EXCLUDE (preference, equals_disagree)
           REPLACE (in_canonical_unit(c.value, c.unit, c.indicator, c.year) AS value,
                    coalesce((SELECT canonical_unit FROM indicators i WHERE i.id = c.indicator), c.unit) AS unit)
FROM cell_candidates c WHERE c.preference = 1 AND NOT c.equals_disagree;

-- Values on the units of a target vintage. A rename or upgrade maps 1:1; a merger adds additive
-- indicators into the successor; a dissolved or split unit's additive values are allocated by the
-- lineage weights. A ratio or per-capita indicator is kept only where one whole unit maps onto the
-- target, else NULL: it is never summed. Where a unit that belongs to the target printed no value (or is
-- absent from the source) the value is NULL, not an understated sum; units_reported says how many did.
-- The ingest maps every data year onto every year of the code history (settings first_vintage ..
-- last_vintage); a vintage outside it is an error that names the range.
CREATE OR REPLACE MACRO checked_vintage(target_vintage) AS (
    SELECT CASE WHEN target_vintage BETWEEN first_vintage AND last_vintage THEN target_vintage
                ELSE error('vintage ' || target_vintage || ' is outside the code history ' ||
                           coalesce(first_vintage || '-' || last_vintage, '(not yet mapped: run cnstat ingest)'))
           END
    FROM (SELECT max(CAST(value AS INTEGER)) FILTER (WHERE key = 'first_vintage') AS first_vintage,
                 max(CAST(value AS INTEGER)) FILTER (WHERE key = 'last_vintage') AS last_vintage
          FROM settings)
);

CREATE OR REPLACE MACRO harmonised_at(target_vintage) AS TABLE
WITH checked AS (SELECT checked_vintage(target_vintage) AS vintage),
target_map AS (
    SELECT region_code, year, harmonised_code, weight FROM harmonisation WHERE vintage = (SELECT vintage FROM checked)
),
cells AS (
    SELECT DISTINCT m.harmonised_code, o.year, o.indicator, o.scope, o.unit
    FROM observations_preferred o JOIN target_map m USING (region_code, year)
),
allocated AS (
    SELECT c.*, m.region_code, m.weight, o.value, i.additive
    FROM cells c
    JOIN target_map m ON m.harmonised_code = c.harmonised_code AND m.year = c.year
    JOIN indicators i ON i.id = c.indicator
    LEFT JOIN observations_preferred o
      ON o.region_code = m.region_code AND o.year = c.year AND o.indicator = c.indicator AND o.scope = c.scope
)
SELECT harmonised_code, year, indicator, scope, unit,
       CASE WHEN count(value) < count(*) THEN NULL
            WHEN bool_and(additive) THEN sum(value * weight)
            WHEN count(*) = 1 AND min(weight) = 1 THEN min(value)
       END AS value,
       count(*) AS units_combined,
       count(value) AS units_reported,
       string_agg(region_code || ' x' || round(weight, 4), ', ' ORDER BY region_code) AS allocated_from
FROM allocated
GROUP BY ALL;

-- The same on the warehouse's current vintage (settings.vintage; `cnstat ingest --vintage` sets it).
CREATE OR REPLACE VIEW harmonised_observations AS
FROM harmonised_at((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'vintage'));

-- Cells whose printings disagree by more than 0.5%: a revision, or a reading error to look at. Sources of
-- every kind are compared, so a researcher panel's typo shows up against the yearbook; `kinds` lists them.
-- One file printing a cell twice counts too. `refused`: the disagreeing values are equal in the panel's
-- precedence (cell_candidates), so the panel leaves the cell empty rather than pick one.
CREATE OR REPLACE VIEW conflicts AS
SELECT region_code, year, indicator, scope, count(*) AS sources,
       min(value) AS lowest, max(value) AS highest,
       string_agg(source_file || coalesce(' p' || page, ' ' || sheet, '') || ': ' || value_as_printed, '; '
                  ORDER BY source_file, source_sha256, page, sheet, "row", "column") AS printed,
       string_agg(DISTINCT coalesce(s.kind, 'yearbook'), ', ' ORDER BY coalesce(s.kind, 'yearbook')) AS kinds,
       coalesce(any_value(c.refused), false) AS refused
FROM observations o LEFT JOIN (SELECT source_sha256, any_value(kind) AS kind FROM sources GROUP BY source_sha256) s
  USING (source_sha256)
LEFT JOIN (SELECT region_code, year, indicator, scope, equals_disagree AS refused FROM cell_candidates
           WHERE preference = 1) c
  USING (region_code, year, indicator, scope)
WHERE value IS NOT NULL
GROUP BY region_code, year, indicator, scope, unit  -- a provisional indicator may come in several units
HAVING count(*) > 1 AND disagree(max(value), min(value));

-- The county panel's values on the units of a target vintage: county-level units (and governments' own
-- levels, 本级, kept apart by unit_kind) through the same lineage as the prefectures: a county made a
-- district keeps its values under the district's code, merged counties add up their additive values only
-- where every part printed one, a split county's are allocated by the lineage weights. Nothing here is
-- ever added into a prefecture: a prefecture's value is what the yearbook prints for it (harmonised_at).
CREATE OR REPLACE MACRO county_harmonised_at(target_vintage) AS TABLE
WITH preferred AS (
    SELECT o.* REPLACE (in_canonical_unit(o.value, o.unit, o.indicator, o.year) AS value,
                        coalesce((SELECT canonical_unit FROM indicators i WHERE i.id = o.indicator), o.unit) AS unit)
    FROM county_observations o
    JOIN (SELECT source_sha256, max(loaded_at) AS loaded_at FROM sources GROUP BY source_sha256) s
      USING (source_sha256)
    WHERE NOT coalesce(o.needs_review, false)
    -- cell_candidates' order and refusal, on the county panel's cells
    WINDOW equals AS (PARTITION BY o.unit_kind, o.region_code, o.year, o.indicator, o.scope, o.unit, o.edition,
                                   CASE WHEN o.edition IS NULL THEN s.loaded_at END)
    QUALIFY row_number() OVER (PARTITION BY o.unit_kind, o.region_code, o.year, o.indicator, o.scope
                               ORDER BY o.edition DESC NULLS LAST,
                                        CASE WHEN o.edition IS NULL THEN s.loaded_at END DESC NULLS LAST,
                                        placement_rank(o.match_kind), o.source_file, o.source_sha256,
                                        o.sheet NULLS FIRST, o.page NULLS FIRST, o.table_title, o."row",
                                        o."column", o.value_as_printed) = 1
        AND NOT coalesce(disagree(max(o.value) OVER equals, min(o.value) OVER equals), false)
),
units AS (SELECT * FROM county_harmonisation WHERE vintage = checked_vintage(target_vintage)),
cells AS (
    SELECT DISTINCT o.unit_kind, u.harmonised_code, o.year, o.indicator, o.scope, o.unit
    FROM preferred o JOIN units u USING (region_code, year)
),
parts AS (
    SELECT c.*, u.region_code, u.weight, o.value, i.additive
    FROM cells c
    JOIN units u ON u.harmonised_code = c.harmonised_code AND u.year = c.year
    -- the other county-level units a target takes in; an own level stands for its government alone
    JOIN regions r ON r.code = u.region_code AND r.valid_from <= c.year AND (r.valid_to IS NULL OR r.valid_to > c.year)
                  AND (r.level = 'county') = (c.unit_kind = 'county')
    JOIN indicators i ON i.id = c.indicator
    LEFT JOIN preferred o ON o.unit_kind = c.unit_kind AND o.region_code = u.region_code AND o.year = c.year
                         AND o.indicator = c.indicator AND o.scope = c.scope
)
SELECT unit_kind, harmonised_code, year, indicator, scope, unit,
       CASE WHEN count(value) < count(*) THEN NULL
            WHEN bool_and(additive) THEN sum(value * weight)
            WHEN count(*) = 1 AND min(weight) = 1 THEN min(value)
       END AS value,
       count(*) AS units_combined, count(value) AS units_reported,
       string_agg(region_code || ' x' || round(weight, 4), ', ' ORDER BY region_code) AS allocated_from
FROM parts
GROUP BY ALL;

-- The prefecture-level unit a county-level unit belongs to in `at_year`: the one its code's first four
-- digits name, or the municipality, or itself when a province governs it directly (仙桃市 429004).
CREATE OR REPLACE MACRO prefecture_of(unit_code, at_year) AS coalesce(
    (SELECT max(r.code) FROM regions r WHERE r.code = substr(unit_code, 1, 4) || '00' AND r.level = 'prefecture'
        AND r.valid_from <= at_year AND (r.valid_to IS NULL OR r.valid_to > at_year)),
    (SELECT max(r.code) FROM regions r WHERE r.code = substr(unit_code, 1, 2) || '0000' AND r.level = 'municipality'),
    unit_code);

-- Each county-level unit in force in a year the county panel holds, with its prefecture that year, and
-- both on the units of `target_vintage`: where a county went and under which prefecture it sits now.
CREATE OR REPLACE MACRO county_prefectures_at(target_vintage) AS TABLE
SELECT l.county_code, c.name AS county_name, l.year, l.prefecture_code, p.name AS prefecture_name,
       hc.harmonised_code AS county_harmonised_code, hc.weight AS county_weight,
       hp.harmonised_code AS prefecture_harmonised_code, hp.weight AS prefecture_weight
FROM (SELECT DISTINCT h.region_code AS county_code, h.year, prefecture_of(h.region_code, h.year) AS prefecture_code
      FROM county_harmonisation h JOIN regions r ON r.code = h.region_code AND r.level = 'county') l
JOIN regions c ON c.code = l.county_code AND c.valid_from <= l.year AND (c.valid_to IS NULL OR c.valid_to > l.year)
JOIN regions p ON p.code = l.prefecture_code AND p.valid_from <= l.year AND (p.valid_to IS NULL OR p.valid_to > l.year)
LEFT JOIN county_harmonisation hc ON hc.region_code = l.county_code AND hc.year = l.year
                                 AND hc.vintage = checked_vintage(target_vintage)
LEFT JOIN county_harmonisation hp ON hp.region_code = l.prefecture_code AND hp.year = l.year
                                 AND hp.vintage = checked_vintage(target_vintage);

CREATE OR REPLACE VIEW county_prefectures AS
FROM county_prefectures_at((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'vintage'));
