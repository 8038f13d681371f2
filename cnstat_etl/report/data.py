"""What `cnstat report` shows, read from the warehouse with SQL: coverage, panel balance, sources and
their problems, unresolved names, conflicts, validate findings and year-on-year jumps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from cnstat_etl.load.panel import analysis_variables
from cnstat_etl.load.places import city_periods
from cnstat_etl.load.validate import CheckResult
from cnstat_etl.load.warehouse import Warehouse

# A heatmap cell's state, strongest last: a cell that holds a value and is in conflict shows the conflict.
STATES = ("not_in_force", "missing", "present", "conflict", "needs_review")
NOT_IN_FORCE, MISSING, PRESENT, CONFLICT, NEEDS_REVIEW = range(len(STATES))
# OCR'd values a check doubts carry observations.needs_review (older warehouses may lack the column).
NEEDS_REVIEW_COLUMN = "needs_review"


@dataclass(frozen=True)
class Unit:
    code: str
    name_zh: str
    name_en: str | None
    province_code: str
    province_zh: str
    province_en: str | None


@dataclass(frozen=True)
class Coverage:
    """One heatmap: the state of every (unit, year) cell of one indicator and scope."""

    indicator: str
    scope: str
    name_zh: str
    name_en: str
    states: np.ndarray  # units x years, indexes into STATES

    @property
    def label(self) -> str:
        """The id, with the Chinese name where the id is not already it (a provisional indicator's is)."""
        return self.indicator if self.name_zh in self.indicator else f"{self.indicator} {self.name_zh}"

    def counts(self) -> dict[str, int]:
        return {state: int((self.states == index).sum()) for index, state in enumerate(STATES)}

    def share_with_value(self) -> np.ndarray:
        """Per year, the share of units in force that have a value (present, in conflict or to review)."""
        in_force = (self.states != NOT_IN_FORCE).sum(axis=0)
        with_value = (self.states >= PRESENT).sum(axis=0)
        return np.divide(with_value, in_force, out=np.zeros(len(in_force)), where=in_force > 0)


@dataclass(frozen=True)
class CoverageReport:
    years: list[int]
    units: list[Unit]  # heatmap rows: prefecture-level units in force in any of the years, by province
    panels: list[Coverage]
    needs_review_tracked: bool
    values_elsewhere: int  # values on units that are not prefecture-level (not in the heatmaps)


def observed_years(warehouse: Warehouse) -> tuple[int, int] | None:
    first, last = warehouse.row("SELECT min(year), max(year) FROM observations")
    return None if first is None else (first, last)


def units_in_span(warehouse: Warehouse, first: int, last: int) -> tuple[list[Unit], np.ndarray]:
    """Prefecture-level units in force in any year of the span, grouped by province, and a units x years
    mask of the years each was in force (valid_from inclusive, valid_to exclusive)."""
    rows = city_periods(warehouse, first, last)
    units = [Unit(code, name, name_en, province, province_zh or province, province_en)
             for code, name, name_en, province, province_zh, province_en, _ in rows]
    in_force = np.zeros((len(rows), last - first + 1), dtype=bool)
    for index, row in enumerate(rows):
        for valid_from, valid_to in row[-1]:
            start = max(valid_from, first) - first
            stop = (last + 1 if valid_to is None else min(valid_to, last + 1)) - first
            in_force[index, start:stop] = True
    return units, in_force


def coverage(warehouse: Warehouse, first: int, last: int, indicators: list[str]) -> CoverageReport:
    """The state of every (unit, year) cell for each indicator and scope with values in the span."""
    units, in_force = units_in_span(warehouse, first, last)
    # the state shows once some value is doubted (read off a scan); a text-only warehouse has none
    tracked = warehouse.has_column("observations", NEEDS_REVIEW_COLUMN) and bool(warehouse.row(
        f"SELECT bool_or(coalesce({NEEDS_REVIEW_COLUMN}, false)) FROM observations")[0])
    review = f"bool_or(coalesce({NEEDS_REVIEW_COLUMN}, false))" if tracked else "false"
    # A cell no source printed a value for keeps its blank state (-1 here): missing, or not in force.
    cells = warehouse.frame(f"""
        WITH cells AS (
            SELECT indicator, scope, region_code, year, count(value) > 0 AS has_value, {review} AS needs_review
            FROM observations WHERE year BETWEEN ? AND ? AND list_contains(?, indicator) GROUP BY ALL)
        SELECT c.indicator, c.scope, c.region_code, c.year,
               CASE WHEN c.needs_review THEN {NEEDS_REVIEW} WHEN k.region_code IS NOT NULL THEN {CONFLICT}
                    WHEN c.has_value THEN {PRESENT} ELSE -1 END AS state
        FROM cells c LEFT JOIN conflicts k USING (indicator, scope, region_code, year)""",
                            [first, last, indicators])
    names = {row[0]: row[1:] for row in warehouse.rows("SELECT id, name_zh, name_en FROM indicators")}
    blank = np.where(in_force, MISSING, NOT_IN_FORCE).astype(np.int8)
    cells["unit_row"] = cells["region_code"].map({unit.code: index for index, unit in enumerate(units)})
    elsewhere = int(cells["unit_row"].isna().sum())
    cells = cells.dropna(subset=["unit_row"])
    states: dict[tuple[str, str], np.ndarray] = {}
    for (indicator, scope), group in cells.groupby(["indicator", "scope"]):
        grid = blank.copy()
        printed = group[group["state"] >= 0]
        grid[printed["unit_row"].to_numpy(int), printed["year"].to_numpy(int) - first] = printed["state"].to_numpy()
        states[(indicator, scope)] = grid
    order = {indicator: index for index, indicator in enumerate(indicators)}
    panels = []
    for (indicator, scope), grid in sorted(states.items(), key=lambda item: (order[item[0][0]], item[0][1])):
        name_zh, name_en = names.get(indicator, (indicator, indicator))
        panels.append(Coverage(indicator, scope, name_zh, name_en, grid))
    return CoverageReport(list(range(first, last + 1)), units, panels, tracked, elsewhere)


@dataclass(frozen=True)
class PeriodBalance:
    first: int
    last: int
    cities: int  # cities with any year in the span
    complete: int  # cities with a mean of every variable
    per_variable: dict[str, int]


@dataclass(frozen=True)
class Balance:
    """How many cities of analysis_city have every analysis variable, per year and per period mean."""

    variables: list[str]
    years: list[int]
    cities: list[int]
    complete: list[int]
    per_variable: dict[str, list[int]]
    periods: list[PeriodBalance]

    @property
    def without_values(self) -> list[str]:
        """The variables no city has in any year (no source for them loaded): while there are any, no city is
        complete, and only the per-variable counts tell how complete the panel is."""
        return [v for v in self.variables if not any(self.per_variable[v])]


def panel_balance(warehouse: Warehouse, vintage: int, first: int, last: int,
                  periods: list[tuple[int, int]]) -> Balance:
    variables = [v["name"] for v in analysis_variables()]
    spans = [(first, last)] + periods
    frame = warehouse.frame(f"SELECT harmonised_code, year, {', '.join(variables)} "
                            f"FROM analysis_city_at({int(vintage)}) WHERE year BETWEEN ? AND ?",
                            [min(s[0] for s in spans), max(s[1] for s in spans)])
    has = frame[variables].notna()
    has["complete"] = has.all(axis=1)
    has["harmonised_code"], has["year"] = frame["harmonised_code"], frame["year"]
    years = list(range(first, last + 1))
    by_year = has.groupby("year").agg({**{v: "sum" for v in variables}, "complete": "sum", "harmonised_code": "size"})
    by_year = by_year.reindex(years, fill_value=0)
    balances = []
    for span_first, span_last in periods:  # a city has a mean of a variable when any year of the span has it
        means = has[has["year"].between(span_first, span_last)].groupby("harmonised_code")[variables].any()
        balances.append(PeriodBalance(span_first, span_last, len(means), int(means.all(axis=1).sum()),
                                      {v: int(means[v].sum()) for v in variables}))
    return Balance(variables, years, [int(n) for n in by_year["harmonised_code"]],
                   [int(n) for n in by_year["complete"]],
                   {v: [int(n) for n in by_year[v]] for v in variables}, balances)


@dataclass
class SourceFile:
    anchor: str
    source_file: str
    source_path: str
    status: str
    file_format: str
    tables: int
    values: int
    unresolved_rows: int
    problems: int
    errors: int
    listed_problems: list[dict] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # "kind ×count", most first


def sources(warehouse: Warehouse, max_problems: int) -> list[SourceFile]:
    """One row per ingested path, with its problems (at most `max_problems` listed; the count is complete)."""
    problem_counts = dict(warehouse.rows("SELECT source_path, count(*) FROM file_problems GROUP BY ALL"))
    files = [SourceFile(f"source-{index}", name, path, status, file_format, tables, values, unresolved,
                        problem_counts.get(path, 0), errors)
             for index, (name, path, status, file_format, tables, values, unresolved, errors) in enumerate(
                 warehouse.rows("SELECT source_file, source_path, status, file_format, tables, values_loaded, "
                                "unresolved_rows, errors FROM extraction_report ORDER BY source_file, source_path"))]
    by_path = {f.source_path: f for f in files}
    for path, kind, count in warehouse.rows("SELECT source_path, kind, count(*) AS n FROM file_problems GROUP BY ALL "
                                            "ORDER BY source_path, n DESC, kind"):
        if path in by_path:
            by_path[path].kinds.append(f"{kind} ×{count}")
    columns, rows = warehouse.query("""
        SELECT source_path, kind, severity, message, page, sheet, "row", "column" FROM (
            SELECT *, row_number() OVER (PARTITION BY source_path
                                         ORDER BY severity, page, sheet, "row", "column", kind) AS listed
            FROM file_problems)
        WHERE listed <= ? ORDER BY source_path, listed""", [max_problems])
    for row in rows:
        if row[0] in by_path:
            by_path[row[0]].listed_problems.append(dict(zip(columns, row)))
    return files


@dataclass(frozen=True)
class ConflictCell:
    region_code: str
    region_name: str
    year: int
    indicator: str
    scope: str
    printings: list[dict]  # one per observation: value, as printed, and where


def conflicts(warehouse: Warehouse, first: int, last: int, indicators: list[str]) -> list[ConflictCell]:
    columns, rows = warehouse.query("""
        SELECT c.region_code, c.year, c.indicator, c.scope, o.region_name, o.value, o.unit, o.value_as_printed,
               o.unit_as_printed, o.source_file, o.page, o.sheet, o."row", o."column", o.table_title, o.edition
        FROM conflicts c JOIN observations o USING (region_code, year, indicator, scope)
        WHERE o.value IS NOT NULL AND c.year BETWEEN ? AND ? AND list_contains(?, c.indicator)
        ORDER BY c.indicator, c.region_code, c.year, c.scope, o.source_file, o.sheet, o.page, o."row", o."column" """,
        [first, last, indicators])
    cells: dict[tuple, ConflictCell] = {}
    for row in rows:
        key = row[:4]
        if key not in cells:
            cells[key] = ConflictCell(row[0], row[4], row[1], row[2], row[3], [])
        cells[key].printings.append(dict(zip(columns[5:], row[5:])))
    return list(cells.values())


@dataclass(frozen=True)
class Series:
    """A region's series of one indicator that jumps more than tenfold in some year."""

    region_code: str
    region_name: str
    indicator: str
    scope: str
    years: list[int]
    values: list[float]
    jumps: list[dict]  # the check's rows for this series


def jump_series(warehouse: Warehouse, check: CheckResult) -> list[Series]:
    """The whole preferred series of every (region, indicator, scope) in the jump check's rows."""
    jumps = [dict(zip(check.columns, row)) for row in check.rows]
    keys = sorted({(j["region_code"], j["indicator"], j["scope"]) for j in jumps})
    if not keys:
        return []
    points = warehouse.rows("""
        SELECT region_code, indicator, scope, list(year ORDER BY year), list(value ORDER BY year),
               any_value(region_name)
        FROM observations_preferred
        WHERE value IS NOT NULL AND list_contains(?, [region_code, indicator, scope])
        GROUP BY ALL""", [[list(k) for k in keys]])
    by_key = {tuple(p[:3]): p[3:] for p in points}
    found = []
    for key in keys:
        if key in by_key:
            years, values, name = by_key[key]
            region_code, indicator, scope = key
            found.append(Series(region_code, name, indicator, scope, years, values,
                                [j for j in jumps if (j["region_code"], j["indicator"], j["scope"]) == key]))
    return found
