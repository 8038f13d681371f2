-- The warehouse's tables as they are now: a new warehouse is made from this file, an older one is
-- brought up to it by the numbered migrations in migrations/ (cnstat_etl.load.warehouse says how).
-- A change here is also a new migration, so that warehouses made before it get it too.
-- `observations` is the public interface researchers write SQL against: keep its column names.

-- The migrations in migrations/ this warehouse has (one row each, by number): each is applied once. A new
-- warehouse, made from this file, has them all.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,  -- the number its file name starts with
    name        VARCHAR NOT NULL,     -- the rest of the file name
    applied_at  TIMESTAMP NOT NULL
);

-- One row per ingested path. A file is its content (source_sha256) at its full path (source_path): two
-- files of one name both load, the same bytes at two paths load once (the second is a `duplicate`), and
-- new bytes at a path replace that path's earlier rows. Rows of the per-file tables carry the content hash.
CREATE TABLE IF NOT EXISTS sources (
    source_file     VARCHAR NOT NULL,   -- file name as ingested
    source_sha256   VARCHAR NOT NULL,   -- content hash: re-ingesting the same bytes is a no-op
    source_path     VARCHAR NOT NULL,   -- absolute path as ingested: the file's identity with the hash
    file_format     VARCHAR NOT NULL,   -- pdf / xlsx / xls / html / csv
    status          VARCHAR NOT NULL,   -- loaded / duplicate (the same bytes loaded from another path) / failed /
                                        -- skipped (not a statistical table: a code list)
    values_loaded   INTEGER NOT NULL,
    problems        INTEGER NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    -- What the source is: yearbook / nbs / census / researcher_panel (code_list for a skipped one). The
    -- panel prefers them in that order (views.sql observations_preferred).
    kind            VARCHAR,
    -- The digest of mappings/ a file was harmonised under (config.mappings_fingerprint); another one means
    -- the next ingest of the file harmonises it again, from the cache of extracted tables.
    harmonised_with VARCHAR,
    county_values_loaded INTEGER        -- county values (values_loaded counts the prefecture panel's)
);

CREATE TABLE IF NOT EXISTS observations (
    region_code      VARCHAR NOT NULL,  -- 6-digit GB/T 2260 code in force in the data year
    harmonised_code  VARCHAR,           -- the code of the same unit in the target vintage; NULL if it split
    region_name      VARCHAR NOT NULL,  -- as printed, padding removed
    province_code    VARCHAR,
    year             INTEGER NOT NULL,  -- data year (not edition year)
    indicator        VARCHAR NOT NULL,  -- id in mappings/indicators.csv
    scope            VARCHAR NOT NULL,  -- city_total (全市 / whole prefecture) or urban_districts (市辖区)
    value            DOUBLE,            -- in base units (yuan, not 万元); NULL where the source prints none
    unit             VARCHAR NOT NULL,  -- CNY, USD, person, CNY/person, percent ...
    value_as_printed VARCHAR NOT NULL,
    unit_as_printed  VARCHAR,
    source_file      VARCHAR NOT NULL,
    source_sha256    VARCHAR NOT NULL,
    page             INTEGER,           -- 1-based PDF page; NULL for spreadsheets
    sheet            VARCHAR,
    table_title      VARCHAR NOT NULL,
    row_label        VARCHAR NOT NULL,  -- the row's label as printed
    column_label     VARCHAR NOT NULL,  -- the column's header path as printed, joined with " / "
    match_kind       VARCHAR NOT NULL,  -- how the printed name was placed: exact, short_name, alias, pinyin, fuzzy
    "row"            INTEGER NOT NULL,  -- 1-based row in the page's table or the sheet
    "column"         INTEGER NOT NULL,  -- 1-based column
    edition          INTEGER,           -- the yearbook edition, where the file or the catalogue says it
    -- Values read off scans (match_kind 'ocr'): a value a check doubts loads with needs_review = true and
    -- its reasons; the panel's views leave it out unless settings.include_needs_review = 'true'.
    needs_review     BOOLEAN DEFAULT false,
    ocr_confidence   DOUBLE,            -- lowest over the cell's words
    review_reasons   VARCHAR,           -- "; "-separated
    -- which reading of a scanned cell loaded: first (as read), agreed (a read at another scale agreed
    -- surely), second (the read at another scale, which the table's checks confirmed over the first)
    ocr_reading      VARCHAR
);

-- Values of county-level units (县, 县级市, 市辖区, 旗 ...) and of governments' own level (长沙市本级): the
-- county panel's, kept apart so that the prefecture panel holds what the yearbook prints for a prefecture
-- and no county value is ever summed into it. Its columns are observations' (a column added to
-- observations is added here too), after unit_kind: county, or own_level (region_code is then the code of
-- the government whose own level the row is).
CREATE TABLE IF NOT EXISTS county_observations AS SELECT ''::VARCHAR AS unit_kind, * FROM observations LIMIT 0;

-- Where each value read off a scan sits on its page (points from the top left): the review crop.
CREATE TABLE IF NOT EXISTS ocr_cells (
    source_file    VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    page           INTEGER NOT NULL,
    "row"          INTEGER NOT NULL,
    "column"       INTEGER NOT NULL,
    x0             DOUBLE NOT NULL,
    top            DOUBLE NOT NULL,
    x1             DOUBLE NOT NULL,
    bottom         DOUBLE NOT NULL
);

-- Values a researcher corrected (`cnstat review apply`), keyed by the file's content so that they
-- survive re-ingesting it; applied to every load of that file (match_kind 'reviewed').
CREATE TABLE IF NOT EXISTS review_overrides (
    source_sha256     VARCHAR NOT NULL,
    page              INTEGER NOT NULL,
    "row"             INTEGER NOT NULL,
    "column"          INTEGER NOT NULL,
    value_as_printed  VARCHAR NOT NULL,  -- the corrected cell text, in the unit printed
    reviewed_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (source_sha256, page, "row", "column")
);

-- Rows whose place could not be decided, for review: never guessed, never silently dropped.
CREATE TABLE IF NOT EXISTS unresolved (
    source_file      VARCHAR NOT NULL,
    page             INTEGER,
    sheet            VARCHAR,
    "row"            INTEGER NOT NULL,
    printed_name     VARCHAR NOT NULL,
    province_context VARCHAR,
    year             INTEGER,
    reason           VARCHAR NOT NULL,
    candidates       VARCHAR NOT NULL,
    source_sha256    VARCHAR
);

-- The per-file extraction report: tables found and what could not be read.
CREATE TABLE IF NOT EXISTS extracted_tables (
    source_file           VARCHAR NOT NULL,
    table_number          VARCHAR,
    table_title           VARCHAR NOT NULL,
    year                  INTEGER,
    pages                 VARCHAR,
    sheet                 VARCHAR,
    "values"              INTEGER NOT NULL,
    columns_recognised    INTEGER NOT NULL,
    columns_unrecognised  INTEGER NOT NULL,
    source_sha256         VARCHAR,
    -- Where the table's data year came from (title / edition / catalogue / path: <the part> / option /
    -- column / descriptor); NULL in warehouses loaded before it was kept.
    year_from             VARCHAR
);

CREATE TABLE IF NOT EXISTS problems (
    source_file  VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,  -- unknown_column, skipped_row, garbled_text, unreadable_file, ...
    severity     VARCHAR NOT NULL,  -- warning (the rest loaded) / error (the file, table or value did not)
    message      VARCHAR NOT NULL,
    page         INTEGER,
    sheet        VARCHAR,
    "row"        INTEGER,
    "column"     INTEGER,
    source_sha256 VARCHAR,          -- the content the problem was found in ('' when it could not be read)
    source_path   VARCHAR           -- the path it was read from
);

-- How each (region_code, year) present in observations maps onto the target vintage's units.
-- Filled by the ingest for the pairs it loads; weights of one (region_code, year, vintage) sum to 1.
CREATE TABLE IF NOT EXISTS harmonisation (
    region_code      VARCHAR NOT NULL,
    year             INTEGER NOT NULL,
    vintage          INTEGER NOT NULL,
    harmonised_code  VARCHAR NOT NULL,
    weight           DOUBLE NOT NULL
);

-- The same for every county-level unit in force in each year county_observations holds.
CREATE TABLE IF NOT EXISTS county_harmonisation AS FROM harmonisation LIMIT 0;

-- Warehouse settings: `vintage` is the year whose units the harmonised views use.
CREATE TABLE IF NOT EXISTS settings (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

-- The digest of what the reference tables and the researcher relations were last made from
-- (pipeline.reference_digest): an ingest refills them only when it changes.
CREATE TABLE IF NOT EXISTS reference_made_from (
    digest VARCHAR NOT NULL
);

-- Reference tables, refilled from mappings/ by an ingest when they changed, so SQL can join them.
CREATE TABLE IF NOT EXISTS indicators (
    id              VARCHAR PRIMARY KEY,
    name_zh         VARCHAR NOT NULL,
    name_en         VARCHAR NOT NULL,
    canonical_unit  VARCHAR NOT NULL,
    additive        BOOLEAN NOT NULL,
    plausible_min   DOUBLE NOT NULL,
    plausible_max   DOUBLE NOT NULL,
    implied_per     VARCHAR,          -- a per-capita unit printed without its "/人"
    description     VARCHAR,
    -- the other currency an indicator is also printed in (its values are stored in it, converted in the panel)
    also_printed_in VARCHAR
);

CREATE TABLE IF NOT EXISTS exchange_rates (
    year         INTEGER PRIMARY KEY,
    cny_per_usd  DOUBLE NOT NULL,  -- annual average, yuan per US dollar
    source       VARCHAR NOT NULL
);

-- Every province-, prefecture- and county-level unit 1981-2024 and its names (derived from the
-- vendored GB/T 2260 history). valid_to is exclusive; NULL while in force.
CREATE TABLE IF NOT EXISTS regions (
    code           VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    short_name     VARCHAR NOT NULL,
    name_en        VARCHAR,
    level          VARCHAR NOT NULL,  -- province / municipality / prefecture / county
    province_code  VARCHAR NOT NULL,
    valid_from     INTEGER NOT NULL,
    valid_to       INTEGER
);

-- Where each ended unit went: rename, upgrade, merge, split, transfer, with the share that went.
CREATE TABLE IF NOT EXISTS lineage (
    from_code  VARCHAR NOT NULL,
    to_code    VARCHAR NOT NULL,
    year       INTEGER NOT NULL,
    kind       VARCHAR NOT NULL,
    weight     DOUBLE,            -- NULL for a partial transfer whose share is not known
    level      VARCHAR NOT NULL
);

-- Total rows a table prints (全 省, province subtotals): not loaded as places, kept to check sums.
CREATE TABLE IF NOT EXISTS aggregates (
    source_file    VARCHAR NOT NULL,
    page           INTEGER,
    sheet          VARCHAR,
    "row"          INTEGER NOT NULL,
    row_label      VARCHAR NOT NULL,
    province_code  VARCHAR,          -- the province the total is for; NULL for 全国 and unplaced totals
    table_title    VARCHAR NOT NULL,
    year           INTEGER NOT NULL,
    indicator      VARCHAR NOT NULL,
    scope          VARCHAR NOT NULL,
    value          DOUBLE,
    source_sha256  VARCHAR
);

-- Firm survey (中国工业企业数据库), filled by Warehouse.store_firm_file; one file a survey year.
-- Sums of the firms placed on each city-level unit in force that year, per firm group and measure
-- (groups: mappings/firm_definitions.toml; measures in yuan; measure `firms` is the count of firms).
CREATE TABLE IF NOT EXISTS firm_totals (
    source_path  VARCHAR NOT NULL,   -- the firm file, as sources.source_path
    year         INTEGER NOT NULL,
    region_code  VARCHAR NOT NULL,   -- prefecture or municipality in force in the survey year
    firm_group   VARCHAR NOT NULL,
    measure      VARCHAR NOT NULL,   -- sales / exports / assets / output (yuan) / firms (count)
    value        DOUBLE NOT NULL
);

-- Firms that could not be placed on a city, with the reason: counted, never silently dropped.
CREATE TABLE IF NOT EXISTS firm_unplaced (
    source_path       VARCHAR NOT NULL,
    year              INTEGER NOT NULL,
    "row"             BIGINT NOT NULL,   -- 1-based record number in the file (header not counted)
    firm_id           VARCHAR,
    code_as_printed   VARCHAR,
    reason            VARCHAR NOT NULL,
    sales             DOUBLE             -- yuan
);

-- A firm id printed on several records of one file: the firm is counted once, by its first record in
-- the file; the later records are listed here and counted nowhere else. Records without an id all count.
CREATE TABLE IF NOT EXISTS firm_duplicates (
    source_path  VARCHAR NOT NULL,
    year         INTEGER NOT NULL,
    "row"        BIGINT NOT NULL,    -- the record not counted, 1-based as in firm_unplaced
    firm_id      VARCHAR NOT NULL,
    first_row    BIGINT NOT NULL     -- the record the firm is counted by
);

-- How each region code printed in a firm file was placed (in_force, urban_districts, successor, unplaced).
CREATE TABLE IF NOT EXISTS firm_codes (
    source_path      VARCHAR NOT NULL,
    year             INTEGER NOT NULL,
    code_as_printed  VARCHAR,
    region_code      VARCHAR,          -- the city it was placed on; NULL when not placed
    how              VARCHAR NOT NULL,
    reason           VARCHAR NOT NULL,
    firms            BIGINT NOT NULL
);

-- One row per loaded firm file: how many firms, and how much of their sales, were placed.
CREATE TABLE IF NOT EXISTS firm_files (
    source_path   VARCHAR NOT NULL,
    year          INTEGER NOT NULL,
    file_format   VARCHAR NOT NULL,
    firms         BIGINT NOT NULL,
    firms_placed  BIGINT NOT NULL,
    sales         DOUBLE NOT NULL,
    sales_placed  DOUBLE NOT NULL,
    "columns"     VARCHAR NOT NULL      -- field=column as found in the file
);
