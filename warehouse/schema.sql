-- The warehouse's tables. Applied on every connection (idempotent); views.sql is applied after it.
-- `observations` is the public interface researchers write SQL against: keep its column names.

CREATE TABLE IF NOT EXISTS sources (
    source_file     VARCHAR NOT NULL,   -- file name as ingested; a new file of the same name replaces it
    source_sha256   VARCHAR NOT NULL,   -- content hash: re-ingesting the same bytes is a no-op
    source_path     VARCHAR NOT NULL,
    file_format     VARCHAR NOT NULL,   -- pdf / xlsx / xls / html / csv
    status          VARCHAR NOT NULL,   -- loaded / failed
    values_loaded   INTEGER NOT NULL,
    problems        INTEGER NOT NULL,
    loaded_at       TIMESTAMP NOT NULL
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
    "column"         INTEGER NOT NULL   -- 1-based column
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
    candidates       VARCHAR NOT NULL
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
    columns_unrecognised  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS problems (
    source_file  VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,  -- unknown_column, skipped_row, garbled_text, unreadable_file, ...
    severity     VARCHAR NOT NULL,  -- warning (the rest loaded) / error (the file, table or value did not)
    message      VARCHAR NOT NULL,
    page         INTEGER,
    sheet        VARCHAR,
    "row"        INTEGER,
    "column"     INTEGER
);
