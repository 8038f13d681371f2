"""Load: the DuckDB warehouse. Each source file loads in one transaction, all of its rows or none.

The schema and views are SQL files in warehouse/, applied on every connection, so the relations live in
the DuckDB file itself and any DuckDB client sees them without cnstat.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from cnstat_etl.config import WAREHOUSE_DIR
from cnstat_etl.harmonise import HarmonisedFile, in_canonical_unit
from cnstat_etl.load.panel import researcher_relations_sql
from cnstat_etl.model import ExtractResult
from cnstat_etl.text import parse_number

# Write the v1.0 storage format so that DuckDB 1.x clients (R and Stata users often lag) open the file too.
STORAGE_COMPATIBILITY = "v1.0.0"

# Tables that hold rows of one source file each; replacing a file replaces its rows in all of them.
PER_FILE_TABLES = ("observations", "aggregates", "unresolved", "extracted_tables", "problems", "sources",
                   "ocr_cells")
# An OCR value this many times above or below the same city's value in a neighbouring year is doubted
# (a digit dropped or doubled by the recogniser); neighbouring means at most JUMP_YEARS years apart.
JUMP_FACTOR, JUMP_YEARS = 5, 2


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse: DuckDB allows one writing process, and no reader beside it."""


def _holder(message: str) -> str:
    match = re.search(r"\(PID (\d+)\)", message)
    return f" (process {match.group(1)})" if match else ""


class Warehouse:
    def __init__(self, path: Path, read_only: bool = False):
        self.path = Path(path)
        self._column_cache: dict[str, frozenset[str]] = {}
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        config = {} if read_only else {"storage_compatibility_version": STORAGE_COMPATIBILITY}
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            raise WarehouseBusy(f"warehouse {self.path} is in use by another ingest{_holder(str(error))}; "
                                "try again when it has finished") from None
        if not read_only:
            self.con.execute((WAREHOUSE_DIR / "schema.sql").read_text(encoding="utf-8"))
            self.con.execute((WAREHOUSE_DIR / "views.sql").read_text(encoding="utf-8"))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def is_loaded(self, source_file: str, sha256: str) -> bool:
        return self.con.execute(
            "SELECT count(*) FROM sources WHERE source_file = ? AND source_sha256 = ? AND status = 'loaded'",
            [source_file, sha256]).fetchone()[0] > 0

    def load_file(self, source_path: Path, extracted: ExtractResult, harmonised: HarmonisedFile) -> None:
        """Replace everything earlier loaded from a file of this name with this file's rows, atomically.

        A file that could not be read at all leaves an earlier good load of the same name in place and
        only records why it failed.
        """
        name = extracted.source_file
        problems = extracted.problems + harmonised.problems
        self.con.execute("BEGIN TRANSACTION")
        try:
            if extracted.failed:
                self.con.execute("DELETE FROM problems WHERE source_file = ? AND kind = 'unreadable_file'", [name])
                self._insert("problems", problems)
                if not self.con.execute("SELECT count(*) FROM sources WHERE source_file = ? AND status = 'loaded'",
                                        [name]).fetchone()[0]:
                    self.con.execute("DELETE FROM sources WHERE source_file = ?", [name])
                    self._insert_source(source_path, extracted, "failed", 0, len(problems))
            else:
                for table in PER_FILE_TABLES:
                    self.con.execute(f"DELETE FROM {table} WHERE source_file = ?", [name])
                self._insert("observations", harmonised.observations)
                self._insert("ocr_cells", [
                    {"source_file": name, "source_sha256": v.provenance.source_sha256, "page": v.provenance.page,
                     "row": v.provenance.row, "column": v.provenance.column, "x0": v.ocr.x0, "top": v.ocr.top,
                     "x1": v.ocr.x1, "bottom": v.ocr.bottom} for v in extracted.values if v.ocr])
                self._flag_jumps(name)
                self._apply_overrides(extracted.source_sha256)
                self._insert("aggregates", harmonised.aggregates)
                self._insert("unresolved", harmonised.unresolved)
                self._insert("problems", problems)
                self._insert("extracted_tables", [
                    {**dataclasses.asdict(t), "source_file": name, "pages": ",".join(map(str, t.pages)) or None}
                    for t in extracted.tables])
                self._insert_source(source_path, extracted, "loaded", len(harmonised.observations),
                                    len(problems))
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _flag_jumps(self, source_file: str) -> None:
        """Doubt an OCR value that jumps by JUMP_FACTOR against the same city's undoubted neighbouring years."""
        self.con.execute(f"""
            UPDATE observations o SET needs_review = true,
                review_reasons = concat_ws('; ', o.review_reasons, 'jumps against ' || j.years)
            FROM (SELECT o.rowid AS id, string_agg(DISTINCT p.year::VARCHAR || ' ' || p.value_as_printed, ', ')
                             AS years
                  FROM observations o JOIN observations p
                    ON p.region_code = o.region_code AND p.indicator = o.indicator AND p.scope = o.scope
                   AND p.year <> o.year AND abs(p.year - o.year) <= {JUMP_YEARS}
                   AND NOT coalesce(p.needs_review, false)
                  WHERE o.source_file = ? AND o.match_kind = 'ocr' AND o.value > 0 AND p.value > 0
                    AND (o.value > {JUMP_FACTOR} * p.value OR p.value > {JUMP_FACTOR} * o.value)
                  GROUP BY o.rowid) j
            WHERE o.rowid = j.id""", [source_file])

    def store_overrides(self, overrides: list[dict]) -> None:
        """Record corrected cells (source_sha256, page, row, column, value_as_printed) and apply them now."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            now = datetime.now(timezone.utc).replace(tzinfo=None)
            for override in overrides:
                self.con.execute('INSERT OR REPLACE INTO review_overrides VALUES (?, ?, ?, ?, ?, ?)',
                                 [override["source_sha256"], override["page"], override["row"], override["column"],
                                  override["value_as_printed"], now])
            for sha256 in {override["source_sha256"] for override in overrides}:
                self._apply_overrides(sha256)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _apply_overrides(self, sha256: str) -> None:
        """Put the reviewed values of a file over what was read: they survive every re-ingest of it."""
        rows = self.con.execute("""
            SELECT o.rowid, r.value_as_printed, o.unit_as_printed, o.indicator
            FROM observations o JOIN review_overrides r
              ON r.source_sha256 = o.source_sha256 AND r.page = o.page AND r."row" = o."row"
             AND r."column" = o."column"
            WHERE o.source_sha256 = ?""", [sha256]).fetchall()
        for rowid, printed, unit, indicator in rows:
            number = parse_number(printed)
            value = in_canonical_unit(number.value, unit, indicator) if number.ok else None
            self.con.execute("""UPDATE observations SET value = ?, value_as_printed = ?, match_kind = 'reviewed',
                                needs_review = false, review_reasons = NULL WHERE rowid = ?""",
                             [value, printed, rowid])

    def _insert_source(self, path: Path, extracted: ExtractResult, status: str, values: int, problems: int):
        self._insert("sources", [{
            "source_file": extracted.source_file, "source_sha256": extracted.source_sha256,
            "source_path": str(path), "file_format": extracted.file_format, "status": status,
            "values_loaded": values, "problems": problems,
            "loaded_at": datetime.now(timezone.utc).replace(tzinfo=None),
        }])

    def _insert(self, table: str, records: list) -> None:
        if not records:
            return
        rows = [r if isinstance(r, dict) else dataclasses.asdict(r) for r in records]
        frame = pd.DataFrame(rows)
        columns = self._columns(table)
        frame = frame[[c for c in frame.columns if c in columns]]
        self.con.register("incoming", frame)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
        finally:
            self.con.unregister("incoming")

    def replace_table(self, table: str, frame: pd.DataFrame) -> None:
        """Refill a reference table (regions, lineage, indicators, exchange_rates) in one transaction."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"DELETE FROM {table}")
            self._insert(table, frame.to_dict("records"))
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def create_researcher_relations(self) -> None:
        """(Re)create panel, analysis_city and period_means for the indicators now in the warehouse."""
        ids = [row[0] for row in self.con.execute("SELECT id FROM indicators ORDER BY id").fetchall()]
        self.con.execute(researcher_relations_sql(ids))

    def vintage(self) -> int | None:
        row = self.con.execute("SELECT value FROM settings WHERE key = 'vintage'").fetchone()
        return int(row[0]) if row else None

    def unharmonised_years(self, vintage: int) -> list[int]:
        """Data years in observations whose units have no harmonisation to `vintage` yet."""
        return [row[0] for row in self.con.execute(
            "SELECT DISTINCT year FROM observations EXCEPT "
            "SELECT year FROM harmonisation WHERE vintage = ? ORDER BY ALL", [vintage]).fetchall()]

    def add_harmonisation(self, rows: list[dict]) -> None:
        """Mapping rows for another vintage than the current one (an export's); the setting stays."""
        self._insert("harmonisation", rows)

    def store_harmonisation(self, vintage: int, rows: list[dict]) -> None:
        """Record the target vintage and its mapping; observations.harmonised_code follows it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._insert("harmonisation", rows)
            self.con.execute("INSERT OR REPLACE INTO settings VALUES ('vintage', ?)", [str(vintage)])
            self.con.execute("""
                UPDATE observations o SET harmonised_code = (
                    SELECT CASE WHEN count(*) = 1 THEN min(h.harmonised_code) END FROM harmonisation h
                    WHERE h.region_code = o.region_code AND h.year = o.year AND h.vintage = ?)""", [vintage])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _columns(self, table: str) -> frozenset[str]:
        if table not in self._column_cache:
            self._column_cache[table] = frozenset(row[0] for row in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall())
        return self._column_cache[table]

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        cursor = self.con.execute(sql)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return columns, cursor.fetchall()
