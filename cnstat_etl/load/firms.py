"""Load firm-survey files: stream each year's firms into DuckDB, place them on cities, keep the sums.

Per file, in one transaction: the firms go chunk by chunk into a temporary table (codes as text, measures
in yuan), every distinct region code is placed once (cnstat_etl.harmonise.firms), unplaced firms are listed
in `firm_unplaced` with the reason, and the placed ones are summed per city, firm group and measure into
`firm_totals`. The groups and the shares are data (mappings/firm_definitions.toml); the relations
`firm_aggregates`, `firm_aggregates_at(vintage)` and the firm columns of analysis_city are generated from it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cnstat_etl.config import read_mapping_toml
from cnstat_etl.extract import file_sha256
from cnstat_etl.extract.firms import FirmFileLayout, column_map, iter_chunks, open_firm_file
from cnstat_etl.extract.workbook import UnreadableSource
from cnstat_etl.harmonise import HarmonisedFile
from cnstat_etl.harmonise.firms import place_code, yuan_factors
from cnstat_etl.harmonise.units import IncompatibleUnit, UnknownUnit
from cnstat_etl.load.staging import StagedFile
from cnstat_etl.model import ExtractResult, Problem

if TYPE_CHECKING:  # the warehouse module builds its relations from this one
    from cnstat_etl.load.warehouse import Warehouse

DEFINITIONS = "firm_definitions.toml"
FIRM_TABLES = ("firm_totals", "firm_unplaced", "firm_codes", "firm_files")
TEXT_FIELDS = ("firm_id", "region_code")
NUMERIC_CODE_FIELDS = ("registration_type", "holding_status")  # numeric codes, compared as text ("110")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_CURRENT_VINTAGE = "(SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'vintage')"


@dataclass
class FirmFileResult:
    year: int | None = None
    firms: int = 0
    firms_placed: int = 0
    sales: float = 0.0
    sales_placed: float = 0.0
    failure_reason: str = ""
    problems: list[Problem] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def definitions() -> dict:
    found = read_mapping_toml(DEFINITIONS)
    for name in list(found["groups"]) + [v["name"] for v in found["variables"]]:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"{name!r} in mappings/{DEFINITIONS} is not a plain SQL identifier")
    return found


@functools.lru_cache(maxsize=1)
def measures() -> tuple[str, ...]:
    """Fields the column map gives a unit: the summable measures, all in yuan once loaded."""
    return tuple(sorted({c.field for columns in column_map().values() for c in columns if c.unit}))


def _split(reference: str) -> tuple[str, str]:
    group, _, measure = reference.partition(".")
    if group not in definitions()["groups"] or measure not in measures() + ("firms",):
        raise ValueError(f"{reference!r} in mappings/{DEFINITIONS} is not group.measure")
    return group, measure


def _code_condition(column: str, codes: list[str]) -> str:
    """"2xx" matches any three-digit code starting with 2; other codes match exactly."""
    for code in codes:
        if not re.fullmatch(r"[0-9x]+", code):
            raise ValueError(f"code {code!r} in mappings/{DEFINITIONS} is not digits and x")
    return "(" + " OR ".join(f"{column} LIKE '{code.replace('x', '_')}'" for code in codes) + ")"


def group_condition(group: str, fields: set[str]) -> str | None:
    """SQL over the staged firms selecting the group; None when the file lacks a field the group needs."""
    spec = definitions()["groups"][group]
    conditions = ["TRUE"]
    needs = {"registration_types": "registration_type", "holding_status": "holding_status",
             "sales_over_yuan": "sales"}
    for key, needed in needs.items():
        if key in spec and needed not in fields:
            return None
    if "registration_types" in spec:
        conditions.append(_code_condition("registration_type", spec["registration_types"]))
    if "holding_status" in spec:
        conditions.append(_code_condition("holding_status", spec["holding_status"]))
    if "sales_over_yuan" in spec:
        conditions.append(f"sales > {float(spec['sales_over_yuan'])!r}")
    if "within" in spec:
        parent = group_condition(spec["within"], fields)
        if parent is None:
            return None
        conditions.append(parent)
    return " AND ".join(conditions)


# --- loading one file ------------------------------------------------------------------------------

def _stage_sql(layout: FirmFileLayout, factors: dict[str, float]) -> str:
    columns = ['"row"']
    for name in TEXT_FIELDS:
        columns.append(f"NULLIF(trim(CAST({name} AS VARCHAR)), '') AS {name}")
    for name in NUMERIC_CODE_FIELDS:
        columns.append(f"CAST(TRY_CAST(TRY_CAST({name} AS DOUBLE) AS BIGINT) AS VARCHAR) AS {name}"
                       if name in layout.columns else f"CAST(NULL AS VARCHAR) AS {name}")
    for name in measures():
        columns.append(f"TRY_CAST({name} AS DOUBLE) * {factors[name]!r} AS {name}" if name in factors
                       else f"CAST(NULL AS DOUBLE) AS {name}")
    return "SELECT " + ", ".join(columns) + " FROM incoming_firms"


def _stage(warehouse: Warehouse, layout: FirmFileLayout, factors: dict[str, float]) -> None:
    con = warehouse.con
    columns = ", ".join([f"{name} VARCHAR" for name in TEXT_FIELDS + NUMERIC_CODE_FIELDS]
                        + [f"{name} DOUBLE" for name in measures()])
    con.execute(f'CREATE OR REPLACE TEMP TABLE firm_stage ("row" BIGINT, {columns})')
    offset = 0
    sql = _stage_sql(layout, factors)
    for chunk in iter_chunks(layout):
        for name in TEXT_FIELDS + NUMERIC_CODE_FIELDS + measures():
            if name not in chunk.columns:
                chunk[name] = None
        chunk.insert(0, "row", range(offset + 1, offset + 1 + len(chunk)))
        offset += len(chunk)
        con.register("incoming_firms", chunk)
        try:
            con.execute(f"INSERT INTO firm_stage {sql}")
        finally:
            con.unregister("incoming_firms")


def _placements(warehouse: Warehouse, year: int) -> None:
    codes = [row[0] for row in warehouse.con.execute("SELECT DISTINCT region_code FROM firm_stage").fetchall()]
    placed = [place_code(code, year) for code in codes]
    frame = pd.DataFrame({"code": pd.Series(codes, dtype=object),
                          "city": pd.Series([p.region_code for p in placed], dtype=object),
                          "how": pd.Series([p.how for p in placed], dtype=object),
                          "reason": pd.Series([p.reason for p in placed], dtype=object)})
    warehouse.con.register("placement_frame", frame)
    try:
        warehouse.con.execute("CREATE OR REPLACE TEMP TABLE firm_placement AS "
                              "SELECT CAST(code AS VARCHAR) AS code, CAST(city AS VARCHAR) AS city, "
                              "CAST(how AS VARCHAR) AS how, CAST(reason AS VARCHAR) AS reason FROM placement_frame")
    finally:
        warehouse.con.unregister("placement_frame")


def _totals_sql(year: int, fields: set[str]) -> str:
    present = [m for m in measures() if m in fields]
    columns = []
    for group in definitions()["groups"]:
        condition = group_condition(group, fields)
        if condition is None:
            continue
        columns.append(f"CAST(count(*) FILTER (WHERE {condition}) AS DOUBLE) AS \"{group}|firms\"")
        columns += [f"coalesce(sum({m}) FILTER (WHERE {condition}), 0) AS \"{group}|{m}\"" for m in present]
    return f"""
        INSERT INTO firm_totals
        SELECT ?, {year}, region_code, split_part(key, '|', 1), split_part(key, '|', 2), value FROM (
            UNPIVOT (SELECT p.city AS region_code, {', '.join(columns)}
                     FROM firm_stage s JOIN firm_placement p ON p.code IS NOT DISTINCT FROM s.region_code
                     WHERE p.city IS NOT NULL GROUP BY p.city)
            ON COLUMNS(* EXCLUDE (region_code)) INTO NAME key VALUE value)"""


def _replace_rows(warehouse: Warehouse, source_path: str, year: int) -> list[str]:
    """Delete what this path, or another file of the same survey year, loaded before: one file a year.
    Returns the other files replaced (their sources rows go too, so a later ingest reads them again)."""
    others = [row[0] for row in warehouse.con.execute(
        "SELECT source_path FROM firm_files WHERE year = ? AND source_path <> ?", [year, source_path]).fetchall()]
    for path in [source_path] + others:
        for table in FIRM_TABLES + ("problems", "sources"):
            warehouse.con.execute(f"DELETE FROM {table} WHERE source_path = ?", [path])
    return others


def load_firm_file(warehouse: Warehouse, path: Path, source_path: str, sha256: str,
                   year: int | None = None, harmonised_with: str | None = None) -> FirmFileResult:
    """Load one firm file read from `source_path` (absolute, its identity with the content hash `sha256`);
    a file that cannot be read is recorded as failed with a one-line reason. `harmonised_with` is the
    digest of the mappings/ it is placed under (see `Warehouse.harmonised_otherwise`)."""
    path = Path(path)
    result = FirmFileResult()
    try:
        layout = open_firm_file(path, year)
        factors = yuan_factors(layout.units)
        sha256 = sha256 or file_sha256(path)
    except (UnreadableSource, UnknownUnit, IncompatibleUnit, OSError) as error:
        return _failed(warehouse, path, source_path, sha256, result, str(error))
    except Exception as error:  # a reader library choking on a corrupt file: report it, keep going
        return _failed(warehouse, path, source_path, sha256, result, f"{type(error).__name__}: {error}".splitlines()[0])
    result.year = layout.year
    result.problems += [Problem("missing_column", f"no column {m.name!r} ({m.field}) for {layout.year}: "
                                "its sums are not loaded", path.name) for m in layout.absent]
    con = warehouse.con
    try:
        with warehouse.transaction():
            _stage(warehouse, layout, factors)
            _placements(warehouse, layout.year)
            replaced = _replace_rows(warehouse, source_path, layout.year)
            result.problems += [Problem("replaced_file", f"replaces {name}, the firm file loaded for {layout.year}",
                                        path.name) for name in replaced]
            fields = set(layout.columns)
            con.execute(_totals_sql(layout.year, fields), [source_path])
            con.execute(f"""
                INSERT INTO firm_unplaced
                SELECT ?, {layout.year}, s."row", s.firm_id, s.region_code, p.reason, s.sales
                FROM firm_stage s JOIN firm_placement p ON p.code IS NOT DISTINCT FROM s.region_code
                WHERE p.city IS NULL""", [source_path])
            con.execute(f"""
                INSERT INTO firm_codes
                SELECT ?, {layout.year}, p.code, p.city, p.how, p.reason, count(*)
                FROM firm_stage s JOIN firm_placement p ON p.code IS NOT DISTINCT FROM s.region_code
                GROUP BY ALL""", [source_path])
            counts = con.execute("""
                SELECT count(*), count(*) FILTER (WHERE p.city IS NOT NULL), coalesce(sum(s.sales), 0),
                       coalesce(sum(s.sales) FILTER (WHERE p.city IS NOT NULL), 0),
                       count(*) FILTER (WHERE s.registration_type IS NULL)
                FROM firm_stage s JOIN firm_placement p ON p.code IS NOT DISTINCT FROM s.region_code""").fetchall()[0]
            result.firms, result.firms_placed, result.sales, result.sales_placed, untyped = counts
            if untyped:
                result.problems.append(Problem("unreadable_code", f"{untyped} firms have no readable registration "
                                               "type: counted among all firms, in no group", path.name))
            warehouse._insert("firm_files", [{
                "source_path": source_path, "year": layout.year, "file_format": layout.file_format,
                "firms": result.firms, "firms_placed": result.firms_placed, "sales": result.sales,
                "sales_placed": result.sales_placed,
                "columns": "; ".join(f"{f}={c}" for f, c in layout.columns.items())}])
            warehouse._insert("problems", result.problems, source_sha256=sha256, source_path=source_path)
            warehouse._insert("sources", [{
                "source_file": path.name, "source_sha256": sha256, "source_path": source_path,
                "file_format": f"firms-{layout.file_format}", "status": "loaded", "values_loaded": result.firms_placed,
                "problems": len(result.problems), "loaded_at": datetime.now(timezone.utc).replace(tzinfo=None),
                "harmonised_with": harmonised_with}])
            con.execute("DROP TABLE firm_stage")
            con.execute("DROP TABLE firm_placement")
    except Exception as error:
        return _failed(warehouse, path, source_path, sha256, FirmFileResult(year=layout.year),
                       f"{type(error).__name__}: {error}".splitlines()[0])
    return result


def _failed(warehouse: Warehouse, path: Path, source_path: str, sha256: str, result: FirmFileResult,
            reason: str) -> FirmFileResult:
    result.failure_reason = reason
    extracted = ExtractResult(path.name, sha256, "firms")
    extracted.problems.append(Problem("unreadable_file", reason, path.name, severity="error"))
    warehouse.load_file(source_path, sha256, StagedFile.of(extracted, HarmonisedFile()))
    result.problems = extracted.problems
    return result


# --- the relations ---------------------------------------------------------------------------------

def _used_cells() -> list[tuple[str, str]]:
    """(group, measure) pairs the variables use, in order, then every group's firm count."""
    cells: list[tuple[str, str]] = []
    for variable in definitions()["variables"]:
        for reference in (variable["numerator"], variable["denominator"]):
            if _split(reference) not in cells:
                cells.append(_split(reference))
    cells += [(g, "firms") for g in definitions()["groups"] if (g, "firms") not in cells]
    return cells


def _cell_name(group: str, measure: str) -> str:
    return f"{measure}_{group}"


def _pivot_and_shares() -> tuple[str, str]:
    pivot = ", ".join(f"sum(value) FILTER (WHERE firm_group = '{g}' AND measure = '{m}') AS {_cell_name(g, m)}"
                      for g, m in _used_cells())
    shares = ", ".join(f"{_cell_name(*_split(v['numerator']))} / NULLIF({_cell_name(*_split(v['denominator']))}, 0)"
                       f" AS {v['name']}" for v in definitions()["variables"])
    return pivot, shares


def firm_relations_sql() -> str:
    pivot, shares = _pivot_and_shares()
    return f"""
CREATE OR REPLACE MACRO firm_aggregates_at(target_vintage) AS TABLE
WITH cells AS (
    SELECT m.harmonised_code, t.year, t.firm_group, t.measure, sum(t.value * m.weight) AS value
    FROM firm_totals t
    JOIN harmonisation m ON m.region_code = t.region_code AND m.year = t.year AND m.vintage = target_vintage
    GROUP BY ALL
), wide AS (
    SELECT harmonised_code, year, {pivot} FROM cells GROUP BY harmonised_code, year
)
SELECT harmonised_code, year, {shares}, wide.* EXCLUDE (harmonised_code, year) FROM wide;

CREATE OR REPLACE VIEW firm_aggregates AS
WITH wide AS (
    SELECT region_code, year, {pivot} FROM firm_totals GROUP BY region_code, year
), single AS (
    SELECT region_code, year, CASE WHEN count(*) = 1 THEN min(harmonised_code) END AS harmonised_code
    FROM harmonisation WHERE vintage = {_CURRENT_VINTAGE} GROUP BY region_code, year
)
SELECT wide.region_code, single.harmonised_code, wide.year, {shares},
       wide.* EXCLUDE (region_code, year)
FROM wide LEFT JOIN single USING (region_code, year);
"""


def analysis_firm_columns() -> list[str]:
    """The firm columns analysis_city carries: every share and the count of firms."""
    return [v["name"] for v in definitions()["variables"]] + [_cell_name("all", "firms")]


def firm_codebook() -> dict[str, tuple[str, str, str, str]]:
    """name -> (label_en, label_zh, unit, definition) for the firm columns of analysis_city."""
    groups = definitions()["groups"]

    def part(reference: str) -> str:
        group, measure = _split(reference)
        return f"{measure} of {groups[group]['label']}"

    book = {v["name"]: (v["label_en"], v["label_zh"], "fraction",
                        f"{part(v['numerator'])} / {part(v['denominator'])} (Annual Survey of Industrial Firms; "
                        f"sums over the city's firms, summed over merged units before dividing; "
                        f"mappings/{DEFINITIONS})") for v in definitions()["variables"]}
    book[_cell_name("all", "firms")] = ("Firms of the industrial firm survey placed on the city",
                                        "工业企业数据库企业数", "firms",
                                        "count of firm records placed on the city through the code history")
    return book
