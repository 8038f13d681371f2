"""`cnstat report` build time on a synthetic warehouse: 300 cities x 30 years x 20 indicators (target < 10 s).

The warehouse is made with the real schema and reference tables (Warehouse, reference_tables, the
harmonisation of the ingest) and filled straight through DuckDB: each city-year-indicator cell present
with probability 0.85, plus a second source that disagrees on some cells (conflicts), unit slips (jumps),
unresolved rows and problems, so every section of the report has rows to draw.
Run: `.venv/bin/python bench/report_speed.py [CITIES YEARS INDICATORS]`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from cnstat_etl.harmonise import harmonisation_rows, reference_tables
from cnstat_etl.harmonise.regions import history_years
from cnstat_etl.load.warehouse import Warehouse
from cnstat_etl.report import build_report

FIRST_YEAR = 1990
SEED = 16


def synthetic_warehouse(db: Path, cities: int, years: int, indicators: int) -> None:
    last_year = FIRST_YEAR + years - 1
    with Warehouse(db) as warehouse:
        warehouse.refresh_reference("bench", reference_tables)
        extra = indicators - warehouse.row("SELECT count(*) FROM indicators")[0]
        warehouse.rows("""
            INSERT INTO indicators SELECT 'synthetic_' || i, '合成指标' || i, 'Synthetic ' || i, 'CNY', true, 1, 1e15,
                                          NULL, 'bench only', NULL FROM range(?) t(i)""", [max(extra, 0)])
        warehouse.create_researcher_relations()
        warehouse.rows(f"SELECT setseed({SEED / 100})")
        warehouse.rows("""
            CREATE TEMP TABLE bench_cities AS  -- the first CITIES prefecture-level units in force in each year
            SELECT code, name, province_code, year FROM (
                SELECT r.code, r.name, r.province_code, y.year,
                       row_number() OVER (PARTITION BY y.year ORDER BY r.code) AS rank
                FROM regions r, range(?, ?) y(year)
                WHERE r.level IN ('prefecture', 'municipality') AND r.valid_from <= y.year
                  AND (r.valid_to IS NULL OR r.valid_to > y.year))
            WHERE rank <= ?""", [FIRST_YEAR, last_year + 1, cities])
        warehouse.rows("""
            INSERT INTO sources BY NAME
            SELECT 'bench_' || s || '.xlsx' AS source_file, 'sha' || s AS source_sha256, '/bench/' || s AS source_path,
                   'xlsx' AS file_format, 'loaded' AS status, 0 AS values_loaded, 0 AS problems,
                   TIMESTAMP '2026-01-01' + INTERVAL (s) MINUTE AS loaded_at
            FROM range(2) t(s)""")
        observation = """
            INSERT INTO observations BY NAME
            SELECT c.code AS region_code, c.code AS harmonised_code, c.name AS region_name, c.province_code,
                   c.year, i.id AS indicator, 'city_total' AS scope, {value} AS value, 'CNY' AS unit,
                   '1' AS value_as_printed, '万元' AS unit_as_printed, 'bench_{source}.xlsx' AS source_file,
                   'sha{source}' AS source_sha256, 'Sheet1' AS sheet, 'table' AS table_title, c.name AS row_label,
                   i.id AS column_label, 'exact' AS match_kind, 1 AS "row", 1 AS "column"
            FROM bench_cities c, (SELECT id FROM indicators ORDER BY id LIMIT ?) i
            WHERE random() < {share}"""
        warehouse.rows(observation.format(
            value="1e8 * (1 + random()) * CASE WHEN random() < 0.001 THEN 10000 ELSE 1 END", source=0, share=0.85),
            [indicators])
        warehouse.rows(observation.format(value="1e8 * (1 + random())", source=1, share=0.002),
                       [indicators])
        warehouse.rows("""
            INSERT INTO unresolved BY NAME
            SELECT 'bench_0.xlsx' AS source_file, 'sha0' AS source_sha256, 'Sheet1' AS sheet, i AS "row",
                   '虚构市' || (i % 25) AS printed_name, 2000 AS year, 'unknown name' AS reason, '' AS candidates
            FROM range(100) t(i)""")
        warehouse.rows("""
            INSERT INTO problems BY NAME
            SELECT 'bench_' || (i % 2) || '.xlsx' AS source_file, 'sha' || (i % 2) AS source_sha256,
                   '/bench/' || (i % 2) AS source_path, 'skipped_row' AS kind, 'warning' AS severity,
                   'a note line' AS message, 'Sheet1' AS sheet, i AS "row"
            FROM range(500) t(i)""")
        vintages = history_years()  # as the ingest does: every data year onto every vintage of the history
        years = warehouse.unharmonised_years(vintages)
        warehouse.store_harmonisation(vintages[-1], years, harmonisation_rows(years, vintages), vintages)


def main(cities: int, years: int, indicators: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        start = time.perf_counter()
        synthetic_warehouse(db, cities, years, indicators)
        with Warehouse(db, read_only=True) as warehouse:
            values = warehouse.query("SELECT count(*) FROM observations")[1][0][0]
        print(f"synthetic warehouse: {cities} cities x {years} years x {indicators} indicators, {values} values "
              f"({time.perf_counter() - start:.1f} s to build)")
        start, cpu_start = time.perf_counter(), time.process_time()
        written = build_report(db, Path(tmp) / "report")
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        size = sum(p.stat().st_size for p in written) / 1e6
        # CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns.
        print(f"report: {len(written) - 1} figures, {size:.1f} MB written, {seconds:.2f} s wall, "
              f"{cpu_seconds:.2f} s CPU (target < 10 s; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main(*([int(a) for a in sys.argv[1:4]] or [300, 30, 20]))
