"""Harmonise: place every extracted value (region code in its year, today's code) and put it in base units.

Input is one file's `ExtractResult`; output is the rows the warehouse loads for that file. Rows whose
place cannot be decided go to `unresolved`, values whose unit cannot be read become problems: nothing
is guessed and nothing is dropped without a record.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from cnstat_etl.config import MAPPINGS_DIR, derived_once, layout, read_mapping_csv
from cnstat_etl.harmonise import regions, resolver as resolver_module
from cnstat_etl.harmonise.column_checks import refuse_failing_columns
from cnstat_etl.harmonise.ocr_checks import review_reasons
from cnstat_etl.harmonise.regions import lineage_table, regions_table, units_in_force
from cnstat_etl.harmonise.resolver import RegionResolver, Resolution, split_printed
from cnstat_etl.harmonise.rows import RowRole, row_roles
from cnstat_etl.harmonise.units import IncompatibleUnit, UnknownUnit, in_unit_at_rate, to_base_unit, to_canonical
from cnstat_etl.indicators import indicators, is_provisional
from cnstat_etl.model import (Aggregate, CountyObservation, ExtractedValue, ExtractResult, Observation, Problem,
                              Unresolved)
from cnstat_etl.text import parse_number

if TYPE_CHECKING:  # the reference tables are frames; harmonising a file needs no pandas
    import pandas


@dataclass
class HarmonisedFile:
    observations: list[Observation] = field(default_factory=list)
    # county-level units and governments' own levels: the county panel's, never the prefecture panel's
    county_observations: list[CountyObservation] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# Row kinds that are no place: their values are not a column's evidence of its unit.
_NOT_PLACES = ("total", "subtotal", "heading")

# The county panel's units: county-level ones, and the governments whose own level (本级) a row is.
COUNTY_PANEL_LEVELS = ("county", "prefecture", "municipality", "province")


# The columns of the warehouse's `harmonisation` table.
HARMONISATION_COLUMNS = ("region_code", "year", "vintage", "harmonised_code", "weight")


def harmonisation_rows(years: Iterable[int], vintages: Iterable[int],
                       levels: tuple[str, ...] = regions.CITY_LEVELS) -> dict[str, list]:
    """Rows of the warehouse's `harmonisation` table, as columns (HARMONISATION_COLUMNS): every city-level
    unit in force in each year, onto each vintage's units.

    All units, not only those a source printed, so the harmonised view can tell a complete sum from
    one that lacks a part (芜湖 missing from a table that has 巢湖). A year's rows depend only on the code
    history: derived once per change of it (a quarter of a second a year), then read back. As columns, not
    a record per row: a year's 12,000 rows are read back and handed to DuckDB as they are, in the ingest's
    tail, where nothing else runs.
    """
    vintages = tuple(vintages)
    inputs = regions.DERIVED_FROM + (Path(resolver_module.__file__), Path(__file__))
    # the prefecture panel's stored copies keep their names
    named = "" if levels == regions.CITY_LEVELS else "-" + "-".join(levels)
    columns: dict[str, list] = {name: [] for name in HARMONISATION_COLUMNS}
    for year in years:
        derived = derived_once(f"harmonisation-{year}-{min(vintages)}-{max(vintages)}-{len(vintages)}{named}",
                               inputs, lambda: _harmonisation_of(year, vintages, levels))
        for name in HARMONISATION_COLUMNS:
            columns[name] += derived[name]
    return columns


def _harmonisation_of(year: int, vintages: tuple[int, ...], levels: tuple[str, ...]) -> dict[str, list]:
    resolver = RegionResolver.default()
    rows = [(code, year, vintage, target, weight) for vintage in vintages
            for code in sorted(units_in_force(year, levels))
            for target, weight in resolver.harmonised_targets(code, year, vintage)]
    return {name: [row[i] for row in rows] for i, name in enumerate(HARMONISATION_COLUMNS)}


def reference_tables() -> dict[str, pandas.DataFrame]:
    """The mappings as tables for the warehouse, so SQL can join them."""
    import pandas

    return {
        "regions": regions_table(),
        "lineage": lineage_table(),
        "indicators": pandas.read_csv(MAPPINGS_DIR / "indicators.csv"),
        "exchange_rates": pandas.read_csv(MAPPINGS_DIR / "exchange_rates.csv"),
    }


def _problem(kind: str, message: str, value: ExtractedValue, severity: str = "warning") -> Problem:
    where = value.provenance
    return Problem(kind, message, where.source_file, where.page, where.sheet, where.row, where.column, severity)


def _column_problem(kind: str, message: str, value: ExtractedValue) -> Problem:
    """An error about a whole column: reported once, at the column, not once per cell."""
    where = value.provenance
    return Problem(kind, f"table {value.table.table_title!r}, column {value.column_label!r}: {message}; "
                   "the column is not loaded", where.source_file, where.page, where.sheet, None, where.column,
                   "error")


def base_value(value: ExtractedValue) -> tuple[float | None, str]:
    """The value and the unit it is stored in: the indicator's canonical unit, or the other currency the
    dictionary says it is also printed in. Raises UnknownUnit / IncompatibleUnit."""
    if is_provisional(value.indicator):
        return provisional_value(value)
    indicator = indicators()[value.indicator]
    try:
        return in_canonical_unit(value.value, value.unit_as_printed, value.indicator), indicator.canonical_unit
    except IncompatibleUnit:
        if not indicator.also_printed_in:
            raise
        return (None if value.value is None else to_canonical(value.value, value.unit_as_printed,
                                                              indicator.also_printed_in)), indicator.also_printed_in


def in_canonical_unit(number: float | None, unit_as_printed: str | None, indicator_id: str) -> float | None:
    """A number printed in `unit_as_printed` in the indicator's canonical unit. Raises UnknownUnit /
    IncompatibleUnit."""
    if number is None:
        return None
    indicator = indicators()[indicator_id]
    if unit_as_printed is None:
        raise UnknownUnit(f"no unit printed in the header or a unit line; {indicator_id} is in "
                          f"{indicator.canonical_unit}")
    unit = unit_as_printed
    if indicator.implied_per and "/" not in unit:
        unit = f"{unit}/{indicator.implied_per}"
    return to_canonical(number, unit, indicator.canonical_unit)


@functools.lru_cache(maxsize=None)
def _printed_units() -> dict[str, tuple[str, ...]]:
    """mappings/unprinted_units.csv: an indicator -> the units yearbooks print it in."""
    return {row["indicator"]: tuple(row["units"].split()) for row in read_mapping_csv("unprinted_units.csv")}


def unprinted_units(values: Iterable[ExtractedValue]) -> dict[tuple, tuple[str | None, str]]:
    """For each column printing no unit: the unit to read it in (None: it is refused), and why.

    A table may print no unit anywhere (CCSY 2021's 2-1 常住人口). The column is read in the one unit of
    mappings/unprinted_units.csv for its indicator under which every number it prints is plausible (a
    city's 常住人口 of 2189 is 2189 万人, not 2189 persons), and refused where no unit or more than one is.
    """
    columns: dict[tuple, list[ExtractedValue]] = defaultdict(list)
    for value in values:
        if value.unit_as_printed is None and value.value is not None and not is_provisional(value.indicator):
            columns[_column_key(value)].append(value)
    return {key: _unprinted_unit(column) for key, column in columns.items()}


def _unprinted_unit(column: list[ExtractedValue]) -> tuple[str | None, str]:
    indicator = indicators()[column[0].indicator]
    missing = f"no unit printed in the header or a unit line; {indicator.id} is in {indicator.canonical_unit}"
    candidates = _printed_units().get(indicator.id)
    if not candidates:
        return None, f"{missing}, and mappings/unprinted_units.csv gives no unit it is printed in"
    implausible = {unit: sum(not indicator.plausible(in_canonical_unit(v.value, unit, indicator.id)) for v in column)
                   for unit in candidates}
    fitting = [unit for unit, broken in implausible.items() if not broken]
    others = "; ".join(f"in {unit}, {broken} of {len(column)} would not be" for unit, broken in implausible.items()
                       if unit not in fitting[:1])
    if len(fitting) != 1:
        return None, (f"{missing}, and {' and '.join(fitting) or 'none'} of the units it is printed in "
                      f"({' '.join(candidates)}) make every value plausible: the unit cannot be told")
    return fitting[0], (f"no unit printed; read in {fitting[0]}, the one unit {indicator.id} is printed in "
                        f"(mappings/unprinted_units.csv) under which all {len(column)} values are plausible "
                        f"({indicator.plausible_min:g}–{indicator.plausible_max:g} {indicator.canonical_unit}); "
                        f"{others}")


def _column_key(value: ExtractedValue) -> tuple:
    return (value.table.table_title, value.provenance.sheet, value.provenance.column)


def provisional_value(value: ExtractedValue) -> tuple[float | None, str]:
    """A provisional indicator's value and unit: in the base unit where the unit word is known, else as
    printed, under the printed unit (or "unknown")."""
    printed = value.unit_as_printed
    if printed:
        try:
            converted, unit = to_base_unit(value.value if value.value is not None else 0.0, printed)
            return (converted if value.value is not None else None), unit
        except UnknownUnit:
            return value.value, printed
    return value.value, "unknown"


def roles_of(result: ExtractResult, resolver: RegionResolver | None = None) -> tuple[list[RowRole], list[Problem]]:
    """What each of the file's rows is (see harmonise.rows), with the problems that reports."""
    table_years = {result.rows[value.body_row].table: value.table.year for value in result.values}
    return row_roles(result.rows, table_years, result.source_file, resolver)


def harmonise(result: ExtractResult, resolver: RegionResolver | None = None) -> HarmonisedFile:
    resolver = resolver or RegionResolver.default()
    out = HarmonisedFile()
    roles, out.problems = roles_of(result, resolver)
    rows_reported: set[tuple[int, int | None]] = set()
    columns_failed: set[tuple] = set()
    columns_told: set[tuple] = set()
    totals: list[tuple[ExtractedValue, RowRole]] = []
    confidences: dict[int, float] = {}
    seconds: dict[int, tuple[Observation, float]] = {}
    county_observations: list[CountyObservation] = []
    county_confidences: dict[int, float] = {}
    county_seconds: dict[int, tuple[Observation, float]] = {}
    unprinted = unprinted_units(v for v in result.values if roles[v.body_row].kind not in _NOT_PLACES)
    for value in result.values:
        role = roles[value.body_row]
        column_key = _column_key(value)
        printed_unit = value.unit_as_printed
        if printed_unit is None and column_key in unprinted and unprinted[column_key][0]:
            value = replace(value, unit_as_printed=unprinted[column_key][0])
        if role.kind in ("total", "subtotal"):
            totals.append((value, role))
            continue
        if role.kind == "heading":
            continue
        where = value.provenance
        row_key = (value.body_row, value.table.year)  # a series row spans years
        if column_key in columns_failed:
            continue
        if printed_unit is None and column_key in unprinted and column_key not in columns_told:
            columns_told.add(column_key)  # said once, at the column
            unit, why = unprinted[column_key]
            if unit is None:
                columns_failed.add(column_key)
                out.problems.append(_column_problem("bad_unit", why, value))
                continue
            out.problems.append(Problem("unit_not_printed", f"table {value.table.table_title!r}, column "
                                        f"{value.column_label!r}: {why}", where.source_file, where.page,
                                        where.sheet, None, where.column))
        year = value.table.year
        place = _place(value, role, resolver)
        if place.code is None:
            if row_key not in rows_reported:
                rows_reported.add(row_key)
                out.unresolved.append(Unresolved(
                    where.source_file, where.page, where.sheet, where.row, value.row_label,
                    role.province, year, place.reason or "unknown name",
                    "; ".join(f"{code} {name}" for code, name in place.candidates)))
            continue
        unit_kind = "own_level" if role.kind == "own_level" else (
            "county" if place.level == "county" else "prefecture")
        indicator = indicators().get(value.indicator)
        try:
            converted, unit = base_value(value)
        except (UnknownUnit, IncompatibleUnit) as error:
            columns_failed.add(column_key)
            out.problems.append(_column_problem("bad_unit", str(error), value))
            continue
        canonical = converted if not indicator or converted is None else \
            in_unit_at_rate(converted, unit, indicator.canonical_unit, year)
        if indicator and canonical is not None and not indicator.plausible(canonical):
            out.problems.append(_problem(
                "implausible_value", f"{value.indicator} = {canonical:g} {indicator.canonical_unit} "
                f"(printed {value.value_as_printed} {value.unit_as_printed or ''}) is outside the plausible "
                f"range {indicator.plausible_min:g}–{indicator.plausible_max:g}: a unit slip?", value))
        observation = Observation(
            region_code=place.code,
            harmonised_code=None,  # the warehouse's vintage's: Warehouse.store_harmonisation sets it
            region_name=value.region_name,
            province_code=place.province_code,
            year=year,
            indicator=value.indicator,
            scope=value.scope,
            value=converted,
            unit=unit,
            value_as_printed=value.value_as_printed,
            unit_as_printed=printed_unit,
            source_file=where.source_file,
            source_sha256=where.source_sha256,
            page=where.page,
            sheet=where.sheet,
            table_title=value.table.table_title,
            row_label=value.row_label,
            column_label=value.column_label,
            # A value read off a scan says so whatever the place matched by: its digits are the doubt.
            match_kind="ocr" if value.ocr else place.match_kind,
            row=where.row,
            column=where.column,
            edition=value.table.edition,
            ocr_confidence=value.ocr.confidence if value.ocr else None,
            ocr_reading=value.ocr.reading if value.ocr else None,
        )
        misread = _english_names_another(value, place, role, resolver) if value.ocr else None
        if misread:
            observation = replace(observation, needs_review=True, review_reasons=misread)
        second = _second_reading(value, observation)
        if unit_kind != "prefecture":
            if value.ocr:
                county_confidences[len(county_observations)] = value.ocr.confidence
            if second:
                county_seconds[len(county_observations)] = second
            county_observations.append(CountyObservation(unit_kind, observation))
            continue
        out.observations.append(observation)
        if value.ocr:
            confidences[len(out.observations) - 1] = value.ocr.confidence
        if second:
            seconds[len(out.observations) - 1] = second
    out.aggregates = _aggregates(totals, out.observations, resolver)
    if confidences:
        out.observations = review_reasons(out.observations, out.aggregates, confidences, seconds)
    if county_confidences:
        # a county's value read off a scan is as doubtful as a prefecture's (the province totals aside)
        reviewed = review_reasons([c.observation for c in county_observations], [], county_confidences,
                                  county_seconds)
        county_observations = [replace(c, observation=o) for c, o in zip(county_observations, reviewed)]
    out.observations, out.aggregates, refused = refuse_failing_columns(out.observations, out.aggregates)
    # A county column is held to the same checks; the province totals are the prefectures' to check.
    kept, _, county_refused = refuse_failing_columns([c.observation for c in county_observations], [])
    kept_ids = {id(o) for o in kept}
    out.county_observations = [c for c in county_observations if id(c.observation) in kept_ids]
    out.problems += refused + county_refused
    return out


def _second_reading(value: ExtractedValue, observation: Observation) -> tuple[Observation, float] | None:
    """The observation as the cell's other reading at another scale gives it (extract's, of an unsure
    number), with that reading's confidence; None when there is none, or it reads no number in range where
    the first reading does (out of range both, the range tells neither: the checks may)."""
    second = value.ocr.second if value.ocr else None
    parsed = parse_number(second) if second else None
    if not parsed or not parsed.ok or parsed.value is None:
        return None
    try:
        converted, unit = base_value(replace(value, value=parsed.value, value_as_printed=second))
    except (UnknownUnit, IncompatibleUnit):
        return None
    indicator = indicators().get(value.indicator)

    def plausible(amount: float | None) -> bool:
        return amount is None or not indicator or indicator.plausible(
            in_unit_at_rate(amount, unit, indicator.canonical_unit, value.table.year))

    if not plausible(converted) and plausible(observation.value):
        return None
    return replace(observation, value=converted, value_as_printed=second, ocr_confidence=value.ocr.second_confidence,
                   ocr_reading="second"), value.ocr.second_confidence


def _place(value: ExtractedValue, role: RowRole, resolver: RegionResolver) -> Resolution:
    """Where a row's value goes: a 本级 row on the government it names, a row printed under its prefecture
    on one of that prefecture's county-level units, any other on what its code or name places it on. A
    county-level unit is placed only with a context that makes its name unique (the prefecture above it,
    the province, a printed code), never on its name alone: 东区, 城关 and 新华区 repeat across China."""
    year = value.table.year
    if role.kind == "own_level":
        return resolver.resolve(_government_named(value.region_name), year=year, province=role.province)
    if role.kind == "county":
        parent = resolver.resolve(role.parent, year=year, province=role.province) if role.parent else None
        prefecture = parent.code if parent and parent.level != "county" else None
        place = _resolve_name(resolver, value, province=role.province, prefecture=prefecture)
        if place.code and place.level != "county":
            return Resolution(None, None, None, None, "unresolved", f"printed under {role.parent!r} but names "
                              f"the {place.level}-level {place.name}", ((place.code, place.name),))
        return place
    if value.region_code:
        return resolver.resolve_coded(value.region_code, value.region_name, year=year, province=role.province)
    place = _resolve_name(resolver, value, province=role.province)
    if place.level == "county" and not role.province:
        return Resolution(None, None, None, None, "unresolved", "a county-level name with no province or "
                          "prefecture printed above it", ((place.code, place.name),))
    return place


def _resolve_name(resolver: RegionResolver, value: ExtractedValue, **context) -> Resolution:
    """The row's place by its Chinese name; where that name is in no year's code history at all (a misprint:
    理春市 for 珲春市), by the English name its row label prints beside it ("理春市 Hunchun"), spelt exactly
    as the code history's pinyin or an alias: a name near another's (Xintai, Xingtai) is never enough."""
    place = resolver.resolve(value.region_name, year=value.table.year, **context)
    if place.code is not None or place.reason != "unknown name":
        return place
    english = split_printed(value.row_label)[1]
    if not english:
        return place
    # with the misread Chinese beside it: a pinyin naming a city and its county-level namesake ("同克苏市
    # Akesu": 阿克苏地区 or 阿克苏市) is then ambiguous, not the city
    by_english = resolver.resolve(f"{value.region_name} {english}", year=value.table.year, **context)
    if by_english.code is None:
        return by_english if by_english.reason.startswith("ambiguous") else place
    return by_english if by_english.match_kind in ("pinyin", "alias") else place


def _english_names_another(value: ExtractedValue, place: Resolution, role: RowRole,
                           resolver: RegionResolver) -> str | None:
    """Why a row read off a scan is doubtful: the English name its label prints is another place's pinyin
    or alias ("深州市 Luanzhou": 滦州 read as 深州), or None. An English name that names no place (itself
    misread) says nothing."""
    english = split_printed(value.row_label)[1]
    if not english or role.kind == "own_level":
        return None
    other = resolver.resolve(english, year=value.table.year, province=role.province)
    if other.code is None or other.code == place.code or other.match_kind not in ("pinyin", "alias"):
        return None
    return f"the label reads {value.region_name}, its English {english!r} names {other.name}"


def _government_named(name: str) -> str:
    """"长沙市本级" -> "长沙市": the government whose own level the row is (parsers/layout.toml)."""
    for suffix in layout().own_level_suffixes:
        name = name.removesuffix(suffix)
    return name


def _aggregates(totals: list[tuple[ExtractedValue, RowRole]], observations: list[Observation],
                resolver: RegionResolver) -> list[Aggregate]:
    """Total rows in base units, each tied to the province it totals where that can be told: the
    province it names or sits under, else the one province all places of its table belong to."""
    provinces_by_table: dict[str, set[str]] = {}
    for observation in observations:
        provinces_by_table.setdefault(observation.table_title, set()).add(observation.province_code)
    aggregates = []
    for value, role in totals:
        try:
            converted, _unit = base_value(value)
        except (UnknownUnit, IncompatibleUnit):
            continue  # the column's error is reported with its places' values
        if role.province:
            province = resolver.resolve_province(role.province)
        else:
            only = provinces_by_table.get(value.table.table_title, set())
            province = next(iter(only)) if len(only) == 1 else None
        where = value.provenance
        aggregates.append(Aggregate(where.source_file, where.page, where.sheet, where.row, value.row_label,
                                    province, value.table.table_title, value.table.year, value.indicator,
                                    value.scope, converted))
    return aggregates
