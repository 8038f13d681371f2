"""Load: the DuckDB warehouse. Each source file loads in one transaction, all of its rows or none.

The schema and views are SQL files in warehouse/, so the relations live in the DuckDB file itself and any
DuckDB client sees them without cnstat. A new warehouse is made from schema.sql; one made before a change
of it is brought up to date by the numbered migrations in warehouse/migrations/, each applied once and
recorded in schema_migrations. The Warehouse is the only holder of its connection: what export, report
and the firm survey read goes through its methods.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import os
import re
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from cnstat_etl.config import WAREHOUSE_DIR, ocr_review
from cnstat_etl.errors import UserError, naming_the_path
from cnstat_etl.firm_columns import measures
from cnstat_etl.indicators import PROVISIONAL_PREFIX, indicators
from cnstat_etl.load.firms import (CODE_FIELDS, FIRM_TABLES, FirmCounts, FirmDuplicates, FirmFile, stage_sql,
                                   totals_sql)
from cnstat_etl.load.panel import researcher_relations_sql
from cnstat_etl.model import Problem, ProblemKind
from cnstat_etl.text import parse_number

# Loading needs pandas, pyarrow and the harmonise step; reading (`cnstat query`, `problems`) needs none of
# them, and importing them costs a second: the methods that load import them. DuckDB itself is imported
# where a warehouse is opened: an ingest forks its page workers first (0.08 s sooner).
if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from cnstat_etl.load.staging import StagedFile

# Write the v1.0 storage format so that DuckDB 1.x clients (R and Stata users often lag) open the file too.
STORAGE_COMPATIBILITY = "v1.0.0"

# Tables that hold rows of one source file each, keyed by its content hash; replacing a file replaces
# its rows in all of them.
PER_FILE_TABLES = ("observations", "county_observations", "aggregates", "unresolved", "extracted_tables", "problems",
                   "ocr_cells")
# Records handed to DuckDB per frame: memory for one frame, not for a whole book's rows.
INSERT_BATCH = 5_000


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class WarehouseBusy(UserError):
    """Another process holds the warehouse: DuckDB allows one writing process, and no reader beside it."""


def _busy(path: Path, holder: str | None) -> WarehouseBusy:
    process = f" (process {holder})" if holder else ""
    return WarehouseBusy(f"warehouse {path} is in use by another ingest{process}; try again when it has finished")


@contextmanager
def ingest_lock(db_path: Path) -> Iterator[None]:
    """The warehouse kept for one ingest from before its first step to after its last, or WarehouseBusy.

    DuckDB's own lock is held only while a file loads, so that readers get in between files: two ingests
    started at the same moment both passed it and did all the work twice. This lock is a POSIX lock on
    `<warehouse>.lock`, which holds the ingest's pid: held by the process alone (not by the workers it
    forks), and let go by the system when the process ends, however it ends. The file is removed when the
    ingest ends; one that a killed ingest left is taken over."""
    path = Path(f"{db_path}.lock")
    while True:
        with naming_the_path():  # a folder the ingest may not write in
            lock = open(path, "a+", encoding="ascii")
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = _pid_written(lock)
            lock.close()
            if error.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            raise _busy(Path(db_path), holder) from None
        try:
            if os.stat(path).st_ino == os.fstat(lock.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        lock.close()  # locked a file the ingest before this one removed as it ended: lock the new one
    try:
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield
    finally:
        path.unlink(missing_ok=True)  # while still locked: an ingest waiting on this file takes a new one
        lock.close()


def _pid_written(lock) -> str | None:
    """The pid the holder of `lock` writes into it, waiting a moment for an ingest that has just taken it to
    write it (two ingests started at the same moment)."""
    for _ in range(20):
        lock.seek(0)
        holder = lock.read().strip()
        if holder:
            return holder
        time.sleep(0.01)
    return None


def _holder(message: str) -> str | None:
    match = re.search(r"\(PID (\d+)\)", message)
    return match.group(1) if match else None


# How often a waiting connection tries again: an ingest holds the warehouse only while it loads one file.
RETRY_SECONDS = 0.05


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


MIGRATIONS_DIR = WAREHOUSE_DIR / "migrations"


def migrations() -> list[Migration]:
    """warehouse/migrations/NNNN_name.sql in order of their numbers."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        number, _, name = path.stem.partition("_")
        found.append(Migration(int(number), name, path.read_text(encoding="utf-8")))
    return found


class Warehouse:
    def __init__(self, path: Path, read_only: bool = False, wait: Callable[[str | None], None] | None = None,
                 apply_schema: bool = True, memory_limit: str | None = None):
        """Open the warehouse. Held by another process, it raises WarehouseBusy, or with `wait` calls
        wait(pid of the holder) once and tries again until the holder lets go (an ingest does between files).
        `memory_limit` caps DuckDB's buffers (it spills to disk beyond it): by default 80 % of the machine.
        """
        import duckdb

        self.path = Path(path)
        self._column_cache: dict[str, frozenset[str]] = {}
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, str | bool | int | float | list[str]] = (
            {} if read_only else {"storage_compatibility_version": STORAGE_COMPATIBILITY})
        if memory_limit:
            config["memory_limit"] = memory_limit
        told = False
        while True:
            try:
                self.con = duckdb.connect(str(self.path), read_only=read_only, config=config)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise
                holder = _holder(str(error))
                if wait is None:
                    raise _busy(self.path, holder) from None
                if not told:
                    wait(holder)
                    told = True
                time.sleep(RETRY_SECONDS)
        if not read_only and apply_schema:
            self._migrate()
            self.con.execute((WAREHOUSE_DIR / "views.sql").read_text(encoding="utf-8"))

    def _migrate(self) -> None:
        """Bring the warehouse up to schema.sql, in one transaction: a new one is made from it (and has every
        migration); an older one gets the tables it lacks from it and the migrations it has not had. One
        made before migrations were recorded has had some of them: they are written to be run again."""
        every = migrations()
        applied = self.applied_migrations()
        if applied >= {m.version for m in every}:
            return
        with self.transaction():
            new = not self._has_table("sources")
            self.con.execute((WAREHOUSE_DIR / "schema.sql").read_text(encoding="utf-8"))
            for migration in every:
                if migration.version in applied:
                    continue
                if not new:
                    self.con.execute(migration.sql)
                self.con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                                 [migration.version, migration.name, _now()])

    def applied_migrations(self) -> set[int]:
        """The numbers of the migrations this warehouse has had (none recorded in one made before they were)."""
        if not self._has_table("schema_migrations"):
            return set()
        return {row[0] for row in self.con.execute("SELECT version FROM schema_migrations").fetchall()}

    def _has_table(self, table: str) -> bool:
        return bool(self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                     [table]).fetchone()[0])

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or, on any exception, not at all."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def source_states(self) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        """({source_path: (sha256, status)}, {sha256 loaded: the path it was loaded from})."""
        by_path: dict[str, tuple[str, str]] = {}
        loaded: dict[str, str] = {}
        for path, sha256, status in self.con.execute(
                "SELECT source_path, source_sha256, status FROM sources ORDER BY loaded_at").fetchall():
            by_path[path] = (sha256, status)
            if status == "loaded":
                loaded.setdefault(sha256, path)
        return by_path, loaded

    def harmonised_otherwise(self, fingerprint: str) -> set[str]:
        """Paths of the files loaded (or skipped) under mappings other than `fingerprint`."""
        return {path for (path,) in self.con.execute(
            "SELECT source_path FROM sources WHERE status IN ('loaded', 'skipped') "
            "AND harmonised_with IS DISTINCT FROM ?", [fingerprint]).fetchall()}

    def load_file(self, source_path: str, sha256: str, staged: StagedFile, harmonised_with: str | None = None
                  ) -> None:
        """Load one file read from `source_path` (absolute) with content `sha256`, staged part by part,
        atomically.

        Its rows replace those of the same content loaded before (a re-run) and, once no other path holds
        them, those of the path's earlier content. A file that could not be read leaves an earlier good
        load from the same path in place and only records why it failed.
        """
        keys = {"source_sha256": sha256, "source_path": source_path}
        with self.transaction():
            earlier = self._sha_at(source_path)
            # What an earlier failed read of this path reported; a loaded content's problems stay with it.
            self.con.execute("DELETE FROM problems WHERE source_path = ? AND source_sha256 NOT IN "
                             "(SELECT source_sha256 FROM sources WHERE status <> 'failed')", [source_path])
            if staged.failed:
                self._insert("problems", staged.problems, **keys)
                if self._status_at(source_path) != "loaded":
                    self._set_source(source_path, sha256, staged, "failed", 0, len(staged.problems))
            else:
                for table in PER_FILE_TABLES:
                    self.con.execute(f"DELETE FROM {table} WHERE source_sha256 = ?", [sha256])
                if staged.observations:
                    self.con.execute("INSERT INTO observations BY NAME SELECT * FROM read_parquet(?)",
                                     [staged.observation_files()])
                if staged.county_observations:
                    self.con.execute("INSERT INTO county_observations BY NAME SELECT * FROM read_parquet(?)",
                                     [staged.county_observation_files()])
                self._insert("ocr_cells", staged.ocr_cells, source_sha256=sha256)
                if staged.ocr_cells:  # (values read off a scan, the only ones a jump doubts, each have a cell)
                    self._flag_jumps(sha256)
                self._apply_overrides(sha256)
                self._insert("aggregates", staged.aggregates, source_sha256=sha256)
                self._insert("unresolved", staged.unresolved, source_sha256=sha256)
                self._insert("problems", staged.problems, **keys)
                self._insert("extracted_tables", [
                    {**dataclasses.asdict(t), "source_file": staged.source_file,
                     "pages": ",".join(map(str, t.pages)) or None}
                    for t in staged.tables], source_sha256=sha256)
                self._set_source(source_path, sha256, staged, "skipped" if staged.skipped else "loaded",
                                 staged.observations, len(staged.problems), harmonised_with)
                if earlier and earlier != sha256:
                    self._drop_unreferenced(earlier)

    def _flag_jumps(self, sha256: str) -> None:
        """Doubt an OCR value that jumps by a factor against the same city's undoubted neighbouring years
        (mappings/ocr_review.toml [jumps])."""
        jumps = ocr_review().jumps
        self.con.execute(f"""
            UPDATE observations o SET needs_review = true,
                review_reasons = concat_ws('; ', o.review_reasons, 'jumps against ' || j.years)
            FROM (SELECT o.rowid AS id, string_agg(DISTINCT p.year::VARCHAR || ' ' || p.value_as_printed, ', ')
                             AS years
                  FROM observations o JOIN observations p
                    ON p.region_code = o.region_code AND p.indicator = o.indicator AND p.scope = o.scope
                   AND p.year <> o.year AND abs(p.year - o.year) <= {jumps.years}
                   AND NOT coalesce(p.needs_review, false)
                  WHERE o.source_sha256 = ? AND o.match_kind = 'ocr' AND o.value > 0 AND p.value > 0
                    AND (o.value > {jumps.factor} * p.value OR p.value > {jumps.factor} * o.value)
                  GROUP BY o.rowid) j
            WHERE o.rowid = j.id""", [sha256])

    def store_overrides(self, overrides: list[dict]) -> None:
        """Record corrected cells (source_sha256, page, row, column, value_as_printed) and apply them now."""
        with self.transaction():
            for override in overrides:
                self.con.execute('INSERT OR REPLACE INTO review_overrides VALUES (?, ?, ?, ?, ?, ?)',
                                 [override["source_sha256"], override["page"], override["row"], override["column"],
                                  override["value_as_printed"], _now()])
            for sha256 in {override["source_sha256"] for override in overrides}:
                self._apply_overrides(sha256)

    def _apply_overrides(self, sha256: str) -> None:
        """Put the reviewed values of a file over what was read: they survive every re-ingest of it."""
        rows = self.con.execute("""
            SELECT o.rowid, r.value_as_printed, o.unit_as_printed, o.indicator
            FROM observations o JOIN review_overrides r
              ON r.source_sha256 = o.source_sha256 AND r.page = o.page AND r."row" = o."row"
             AND r."column" = o."column"
            WHERE o.source_sha256 = ?""", [sha256]).fetchall()
        from cnstat_etl.harmonise import in_canonical_unit

        for rowid, printed, unit, indicator in rows:
            number = parse_number(printed)
            value = in_canonical_unit(number.value, unit, indicator) if number.ok else None
            self.con.execute("""UPDATE observations SET value = ?, value_as_printed = ?, match_kind = 'reviewed',
                                needs_review = false, review_reasons = NULL WHERE rowid = ?""",
                             [value, printed, rowid])

    def record_duplicate(self, source_path: str, sha256: str, loaded_from: str) -> None:
        """`source_path` holds the same bytes as the file loaded from `loaded_from`: its rows are not loaded
        again; the path is listed so that the rows stay while either path holds them."""
        with self.transaction():
            earlier = self._sha_at(source_path)
            self.con.execute("DELETE FROM sources WHERE source_path = ?", [source_path])
            self.con.execute(
                "INSERT INTO sources SELECT * REPLACE (? AS source_path, ? AS source_file, 'duplicate' AS status, "
                "? AS loaded_at) FROM sources WHERE source_path = ?",
                [source_path, Path(source_path).name, _now(), loaded_from])
            if earlier and earlier != sha256:
                self._drop_unreferenced(earlier)

    def stage_firms(self, chunks: Iterable[pd.DataFrame], factors: dict[str, float]) -> FirmDuplicates:
        """Stage one firm file's firms, chunk by chunk, in a temporary table of this connection: codes as
        printed text, measures times `factors` (to yuan), each firm numbered by its record in the file.

        A firm id with several records in the file is counted once, by its first record: the later ones
        are kept aside (firm_duplicates once stored) and returned counted. Records without an id are all
        counted: nothing says two of them are one firm.
        """
        columns = ", ".join([f"{f} VARCHAR" for f in CODE_FIELDS] + [f"{m} DOUBLE" for m in measures()])
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE firm_stage ("row" BIGINT, {columns})')
        offset = 0
        for chunk in chunks:
            chunk.insert(0, "row", range(offset + 1, offset + 1 + len(chunk)))
            offset += len(chunk)
            self.con.register("incoming_firms", chunk)
            try:
                self.con.execute(f"INSERT INTO firm_stage {stage_sql(set(chunk.columns), factors)}")
            finally:
                self.con.unregister("incoming_firms")
        self.con.execute("""
            CREATE OR REPLACE TEMP TABLE firm_stage AS
            SELECT *, CASE WHEN firm_id IS NULL THEN "row" ELSE min("row") OVER (PARTITION BY firm_id) END AS first_row
            FROM firm_stage""")
        records, ids, examples = self.con.execute("""
            SELECT count(*), count(DISTINCT firm_id), coalesce(list(DISTINCT firm_id ORDER BY firm_id)[:5], [])
            FROM firm_stage WHERE "row" <> first_row""").fetchone()
        return FirmDuplicates(records, ids, tuple(examples))

    def staged_firm_values(self, field: str) -> list[str | None]:
        """The distinct values printed in a code field of the staged firms."""
        return [row[0] for row in self.con.execute(f"SELECT DISTINCT {field} FROM firm_stage").fetchall()]

    def store_firm_file(self, file: FirmFile, placements: pd.DataFrame, codes: pd.DataFrame,
                        problems: list[Problem]) -> FirmCounts:
        """Store the staged firms of `file` in one transaction: replacing what its path, or another file
        of its survey year, loaded before (one file a year; a `replaced_file` problem is added to
        `problems`), the sums of the firms placed per city, group and measure (firm_totals), the firms
        not placed (firm_unplaced), how each printed code was placed (firm_codes), the records of a firm
        counted once (firm_duplicates), the file (firm_files, sources) and `problems`.

        `placements` places each printed region code (code, city, how, reason); `codes` reads each
        printed registration type or holding status (field, printed, code).
        """
        con = self.con
        with self.transaction():
            con.register("placement_frame", placements)
            con.register("code_frame", codes)
            try:
                con.execute("""
                    CREATE OR REPLACE TEMP TABLE firm_counted AS
                    SELECT s."row", s.firm_id, s.region_code AS code_as_printed, p.city, p.how, p.reason,
                           r.code AS registration_type, h.code AS holding_status, s.* EXCLUDE (
                               "row", first_row, firm_id, region_code, registration_type, holding_status)
                    FROM firm_stage s
                    JOIN (SELECT CAST(code AS VARCHAR) AS code, CAST(city AS VARCHAR) AS city, how, reason
                          FROM placement_frame) p ON p.code IS NOT DISTINCT FROM s.region_code
                    LEFT JOIN (SELECT field, CAST(printed AS VARCHAR) AS printed, CAST(code AS VARCHAR) AS code
                               FROM code_frame) r ON r.field = 'registration_type' AND r.printed = s.registration_type
                    LEFT JOIN (SELECT field, CAST(printed AS VARCHAR) AS printed, CAST(code AS VARCHAR) AS code
                               FROM code_frame) h ON h.field = 'holding_status' AND h.printed = s.holding_status
                    WHERE s."row" = s.first_row""")
            finally:
                con.unregister("placement_frame")
                con.unregister("code_frame")
            replaced = self._replace_firm_file(file)
            problems.extend(Problem(ProblemKind.REPLACED_FILE, f"replaces {name}, the firm file loaded for {file.year}",
                                    Path(file.source_path).name) for name in replaced)
            keys = [file.source_path, file.year]
            con.execute(totals_sql(file.year, set(file.columns)), [file.source_path])
            con.execute("""INSERT INTO firm_unplaced SELECT ?, ?, "row", firm_id, code_as_printed, reason, sales
                           FROM firm_counted WHERE city IS NULL""", keys)
            con.execute("""INSERT INTO firm_codes SELECT ?, ?, code_as_printed, city, how, reason, count(*)
                           FROM firm_counted GROUP BY ALL""", keys)
            con.execute("""INSERT INTO firm_duplicates SELECT ?, ?, "row", firm_id, first_row
                           FROM firm_stage WHERE "row" <> first_row""", keys)
            counts = FirmCounts(*con.execute("""
                SELECT count(*), count(*) FILTER (WHERE city IS NOT NULL), coalesce(sum(sales), 0),
                       coalesce(sum(sales) FILTER (WHERE city IS NOT NULL), 0) FROM firm_counted""").fetchone())
            self._insert("firm_files", [{
                "source_path": file.source_path, "year": file.year, "file_format": file.file_format,
                "firms": counts.firms, "firms_placed": counts.firms_placed, "sales": counts.sales,
                "sales_placed": counts.sales_placed,
                "columns": "; ".join(f"{f}={c}" for f, c in file.columns.items())}])
            self._insert("problems", problems, source_sha256=file.source_sha256, source_path=file.source_path)
            self._insert("sources", [{
                "source_file": Path(file.source_path).name, "source_sha256": file.source_sha256,
                "source_path": file.source_path, "file_format": f"firms-{file.file_format}", "status": "loaded",
                "values_loaded": counts.firms_placed, "problems": len(problems), "loaded_at": _now(),
                "harmonised_with": file.harmonised_with}])
            for table in ("firm_stage", "firm_counted"):
                con.execute(f"DROP TABLE {table}")
        return counts

    def _replace_firm_file(self, file: FirmFile) -> list[str]:
        """Delete what this path, or another file of the same survey year, loaded before: one file a year.
        Returns the other files replaced (their sources rows go too, so a later ingest reads them again)."""
        others = [row[0] for row in self.con.execute(
            "SELECT source_path FROM firm_files WHERE year = ? AND source_path <> ?",
            [file.year, file.source_path]).fetchall()]
        for path in [file.source_path] + others:
            for table in FIRM_TABLES + ("problems", "sources"):
                self.con.execute(f"DELETE FROM {table} WHERE source_path = ?", [path])
        return others

    def _sha_at(self, source_path: str) -> str | None:
        row = self.con.execute("SELECT source_sha256 FROM sources WHERE source_path = ? AND status <> 'failed'",
                               [source_path]).fetchone()
        return row[0] if row else None

    def _status_at(self, source_path: str) -> str | None:
        row = self.con.execute("SELECT status FROM sources WHERE source_path = ?", [source_path]).fetchone()
        return row[0] if row else None

    def _drop_unreferenced(self, sha256: str) -> None:
        """Remove a content's rows once no path lists it; a duplicate path that still does takes over."""
        holders = [row[0] for row in self.con.execute(
            "SELECT source_path FROM sources WHERE source_sha256 = ? ORDER BY loaded_at", [sha256]).fetchall()]
        if holders:
            self.con.execute("UPDATE sources SET status = 'loaded' WHERE source_path = ?", [holders[0]])
            return
        for table in PER_FILE_TABLES:
            self.con.execute(f"DELETE FROM {table} WHERE source_sha256 = ?", [sha256])

    def _set_source(self, source_path: str, sha256: str, staged: StagedFile, status: str, values: int,
                    problems: int, harmonised_with: str | None = None) -> None:
        self.con.execute("DELETE FROM sources WHERE source_path = ?", [source_path])
        self._insert("sources", [{
            "source_file": staged.source_file, "source_sha256": sha256,
            "source_path": source_path, "file_format": staged.file_format, "status": status,
            "kind": staged.source_kind,
            "values_loaded": values, "county_values_loaded": staged.county_observations, "problems": problems,
            "loaded_at": _now(), "harmonised_with": harmonised_with,
        }])

    def _insert(self, table: str, records: list | pd.DataFrame, **constants) -> None:
        """Insert records (a DataFrame, or dicts or dataclasses), each with the `constants` columns added.
        A long list goes in INSERT_BATCH records at a time: a book's rows are never one frame."""
        import pyarrow as pa

        from cnstat_etl import arrow

        # a frame exists only where pandas is imported: a load of records need not import it (a third of a second)
        if "pandas" in sys.modules and isinstance(records, sys.modules["pandas"].DataFrame):
            self._insert_arrow(table, pa.Table.from_pandas(records, preserve_index=False), constants)
            return
        for start in range(0, len(records), INSERT_BATCH):
            batch = records[start:start + INSERT_BATCH]
            if dataclasses.is_dataclass(batch[0]):
                # as Arrow, column by column: no dict per record (asdict deep-copies each one), and DuckDB
                # reads Arrow's strings as they are, where it converts a DataFrame's one by one
                self._insert_arrow(table, arrow.table(batch, type(batch[0])), constants)
            else:
                self._insert_arrow(table, arrow.dict_table(batch), constants)

    def _insert_arrow(self, table: str, rows: pa.Table, constants: dict) -> None:
        from cnstat_etl import arrow

        if not len(rows):
            return
        columns = self._columns(table)
        for name, value in constants.items():
            rows = rows.drop_columns([name]) if name in rows.column_names else rows
            column = [value] * len(rows)
            rows = rows.append_column(name, arrow.array(column, arrow.inferred_type(column)))
        rows = rows.select([c for c in rows.column_names if c in columns])
        self.con.register("incoming", rows)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
        finally:
            self.con.unregister("incoming")

    def reference_is(self, digest: str) -> bool:
        """Whether the reference tables were last made from `digest`."""
        return self.con.execute("SELECT digest FROM reference_made_from").fetchall() == [(digest,)]

    def refresh_reference(self, digest: str, tables: Callable[[], dict[str, pd.DataFrame]]) -> bool:
        """Refill the reference tables (regions, lineage, indicators, exchange_rates) with `tables()` and
        (re)create panel, analysis_city and period_means for the indicators, in one transaction, unless
        they were last made from `digest`. True when they were refilled."""
        if self.reference_is(digest):
            return False
        with self.transaction():
            for table, frame in tables().items():
                self.con.execute(f"DELETE FROM {table}")
                self._insert(table, frame)
            self.create_researcher_relations()
            self.con.execute("DELETE FROM reference_made_from")
            self.con.execute("INSERT INTO reference_made_from VALUES (?)", [digest])
        return True

    def create_researcher_relations(self) -> None:
        """(Re)create panel, analysis_city and period_means for the indicators now in the warehouse."""
        ids = [row[0] for row in self.con.execute("SELECT id FROM indicators ORDER BY id").fetchall()]
        self.con.execute(researcher_relations_sql(ids))

    def vintage(self) -> int | None:
        return self._setting("vintage")

    def check_vintage(self, vintage: int) -> None:
        """Raise UserError, naming the valid range, for a vintage the code history does not cover."""
        first, last = (self._setting("first_vintage"), self._setting("last_vintage"))
        if first is None:
            raise UserError(f"{self.path} has no harmonisation onto every vintage yet: run `cnstat ingest`")
        if not first <= vintage <= last:
            raise UserError(f"vintage {vintage} is outside the code history {first}-{last}")

    def _setting(self, key: str) -> int | None:
        row = self.con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return int(row[0]) if row else None

    def unharmonised_years(self, vintages: range, county: bool = False) -> list[int]:
        """Data years in observations or firm_totals (with `county`, in county_observations) whose units
        are not yet mapped onto every one of `vintages`."""
        held, mapping = (("SELECT year FROM county_observations", "county_harmonisation") if county else
                         ("SELECT year FROM observations UNION SELECT year FROM firm_totals", "harmonisation"))
        return [row[0] for row in self.con.execute(
            f"SELECT DISTINCT o.year FROM ({held}) o, "
            "range(?, ?) v(vintage) WHERE NOT EXISTS "
            f"(SELECT 1 FROM {mapping} h WHERE h.year = o.year AND h.vintage = v.vintage) ORDER BY ALL",
            [vintages.start, vintages.stop]).fetchall()]

    def store_harmonisation(self, vintage: int, years: list[int], rows: dict[str, list], vintages: range,
                            county_years: Iterable[int] = (), county_rows: dict[str, list] | None = None) -> None:
        """Record the current vintage, the vintages the history allows, and the mapping of `years` (of the
        county panel's `county_years`) onto all of them, given as columns (`rows`, `county_rows`: a column's
        name to its values); harmonised_code follows the current vintage.

        Under the vintage it had, a row keeps its code unless its year was mapped again: only the rows
        with none (those just loaded, and those the mapping places nowhere) and those of `years` are set,
        not a whole warehouse's at each ingest."""
        from cnstat_etl import arrow

        kept = self.vintage() == vintage
        with self.transaction():
            self.con.execute("INSERT OR REPLACE INTO settings VALUES ('vintage', ?), ('first_vintage', ?), "
                             "('last_vintage', ?)", [str(vintage), str(vintages.start), str(vintages.stop - 1)])
            for mapping, observations, mapped_years, mapped in (
                    ("harmonisation", "observations", years, rows),
                    ("county_harmonisation", "county_observations", county_years, county_rows or {})):
                self.con.execute(f"DELETE FROM {mapping} WHERE list_contains(?, year)", [list(mapped_years)])
                self._insert_arrow(mapping, arrow.columns_table(mapped), {})
                self.con.execute(f"""
                    UPDATE {observations} o SET harmonised_code = (
                        SELECT CASE WHEN count(*) = 1 THEN min(h.harmonised_code) END FROM {mapping} h
                        WHERE h.region_code = o.region_code AND h.year = o.year AND h.vintage = ?)
                    WHERE NOT ? OR o.harmonised_code IS NULL OR list_contains(?, o.year)""",
                                 [vintage, kept, list(mapped_years)])

    def _columns(self, table: str) -> frozenset[str]:
        """The columns of a table or view that exists (asking of one that does not is an error, which aborts
        the transaction it is asked in)."""
        if table not in self._column_cache:
            # its own listing: the information_schema view binds every view of the warehouse to list one
            # table's columns, a fifth of a load's time in an ingest's tail
            self._column_cache[table] = frozenset(row[0] for row in self.con.execute(
                "SELECT name FROM pragma_table_info(?)", [table]).fetchall())
        return self._column_cache[table]

    def problems(self, file: str | None = None, kind: str | None = None) -> list[Problem]:
        """Problems recorded by the ingests, and the rows left unresolved (kind unresolved_row), located by the
        full path read; `file` is a name, a path or the end of one."""
        # an unresolved row's values did not load: it is an error of its file, with the reason and candidates
        sql = ('WITH listed AS (SELECT kind, message, source_file, source_path, page, sheet, "row", "column", '
               "severity FROM problems UNION ALL SELECT 'unresolved_row', 'row ''' || printed_name || '''' || coalesce("
               "' (under ' || province_context || ')', '') || ' not placed: ' || reason || CASE WHEN candidates "
               "<> '' THEN '; candidates: ' || candidates ELSE '' END || '; its values are not loaded', "
               "u.source_file, s.source_path, page, sheet, \"row\", NULL, 'error' FROM unresolved u "
               "LEFT JOIN sources s ON s.source_sha256 = u.source_sha256 AND s.status <> 'duplicate') "
               'SELECT kind, message, coalesce(source_path, source_file), page, sheet, "row", "column", severity '
               "FROM listed WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR source_file = ? OR source_path = ? "
               "OR ends_with(source_path, '/' || ?)) ORDER BY ALL")
        path = str(Path(file).absolute()) if file else None
        rows = self.con.execute(sql, [kind, kind, file, file, path, file]).fetchall()
        return [Problem(*row) for row in rows]

    # --- reading, for export, report and validate ---------------------------------------------------

    def query(self, sql: str, parameters: list | None = None) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of a query."""
        cursor = self.con.execute(sql, parameters)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return columns, cursor.fetchall()

    def rows(self, sql: str, parameters: list | None = None) -> list[tuple]:
        return self.con.execute(sql, parameters).fetchall()

    def row(self, sql: str, parameters: list | None = None) -> tuple | None:
        """The first row of a query, None when it has none."""
        return self.con.execute(sql, parameters).fetchone()

    def frame(self, sql: str, parameters: list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, parameters).df()

    def columns_of(self, sql: str) -> list[str]:
        """The names of the columns a query gives, without running it."""
        return [row[0] for row in self.con.execute(f"DESCRIBE {sql}").fetchall()]

    def has_column(self, table: str, column: str) -> bool:
        return self._has_table(table) and column in self._columns(table)

    def copy_to(self, sql: str, path: Path, options: str) -> None:
        """Write what a query gives to `path` with DuckDB's COPY `options` (a format and its settings)."""
        quoted = str(path).replace("'", "''")
        self.con.execute(f"COPY ({sql}) TO '{quoted}' ({options})")


def open_to_read(db_path: Path, wait: Callable[[str | None], None] | None = None) -> Warehouse:
    """The warehouse for a command that reads it whole (validate, report): opened for writing where it may
    be, so that one made by an older cnstat gets the relations read; read-only where the file may not be
    written (a shared copy), with the relations it has."""
    import duckdb

    try:
        return Warehouse(db_path, wait=wait)
    except duckdb.IOException:  # not a lock (Warehouse waits, or raises WarehouseBusy): no write access
        return Warehouse(db_path, read_only=True, wait=wait)


def provisional_indicators(db_path: Path, wait=None) -> tuple[list[str], list[tuple]]:
    """Provisional indicators in the warehouse, most values first: what to curate into the dictionary."""
    with Warehouse(db_path, read_only=True, wait=wait) as warehouse:
        return warehouse.query(f"""
            SELECT indicator, unit, count(*) AS "values", count(DISTINCT source_file) AS files,
                   string_agg(DISTINCT source_file, '; ' ORDER BY source_file) AS sources,
                   any_value(column_label) AS example_header
            FROM observations WHERE starts_with(indicator, '{PROVISIONAL_PREFIX}')
            GROUP BY indicator, unit ORDER BY "values" DESC, indicator""")


def dictionary_rows() -> tuple[list[str], list[tuple]]:
    """The indicator dictionary (mappings/indicators.csv) as rows."""
    columns = ["id", "name_zh", "name_en", "canonical_unit", "additive"]
    return columns, [(i.id, i.name_zh, i.name_en, i.canonical_unit, i.additive) for i in indicators().values()]
