"""Harmonise: place every extracted value (region code in its year, today's code) and put it in base units.

Input is one file's `ExtractResult`; output is the rows the warehouse loads for that file. Rows whose
place cannot be decided go to `unresolved`, values whose unit cannot be read become problems: nothing
is guessed and nothing is dropped without a record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnstat_etl.harmonise.resolver import RegionResolver
from cnstat_etl.harmonise.units import IncompatibleUnit, UnknownUnit, to_canonical
from cnstat_etl.indicators import indicators
from cnstat_etl.model import ExtractedValue, ExtractResult, Observation, Problem, Unresolved


@dataclass
class HarmonisedFile:
    observations: list[Observation] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _problem(kind: str, message: str, value: ExtractedValue, severity: str = "warning") -> Problem:
    where = value.provenance
    return Problem(kind, message, where.source_file, where.page, where.sheet, where.row, where.column, severity)


def harmonise(result: ExtractResult, resolver: RegionResolver | None = None,
              vintage: int | None = None) -> HarmonisedFile:
    resolver = resolver or RegionResolver.default()
    out = HarmonisedFile()
    rows_reported: set[tuple] = set()
    for value in result.values:
        where = value.provenance
        row_key = (where.page, where.sheet, where.row)
        year = value.table.year
        place = resolver.resolve(value.region_name, year=year, province=value.province_context)
        if place.code is None:
            if row_key not in rows_reported:
                rows_reported.add(row_key)
                out.unresolved.append(Unresolved(
                    where.source_file, where.page, where.sheet, where.row, value.row_label,
                    value.province_context, year, place.reason or "unknown name",
                    "; ".join(f"{code} {name}" for code, name in place.candidates)))
            continue
        if place.level == "county":
            if row_key not in rows_reported:
                rows_reported.add(row_key)
                out.problems.append(_problem(
                    "county_row", f"{value.row_label!r} is county-level ({place.code} {place.name}); "
                    "the panel holds prefecture-level units", value))
            continue
        indicator = indicators()[value.indicator]
        if value.value is None:
            base_value = None
        elif value.unit_as_printed is None:
            out.problems.append(_problem(
                "missing_unit", f"column {value.column_label!r} ({value.indicator}) prints no unit and the "
                "table has no unit line; not loaded", value, "error"))
            continue
        else:
            try:
                base_value = to_canonical(value.value, value.unit_as_printed, indicator.canonical_unit)
            except (UnknownUnit, IncompatibleUnit) as error:
                out.problems.append(_problem("bad_unit", f"column {value.column_label!r}: {error}", value,
                                             "error"))
                continue
        targets = resolver.harmonised_targets(place.code, year, vintage)
        out.observations.append(Observation(
            region_code=place.code,
            # A unit that split has no single successor: the harmonised view allocates it by weight.
            harmonised_code=targets[0][0] if len(targets) == 1 else None,
            region_name=value.region_name,
            province_code=place.province_code,
            year=year,
            indicator=value.indicator,
            scope=value.scope,
            value=base_value,
            unit=indicator.canonical_unit,
            value_as_printed=value.value_as_printed,
            unit_as_printed=value.unit_as_printed,
            source_file=where.source_file,
            source_sha256=where.source_sha256,
            page=where.page,
            sheet=where.sheet,
            table_title=value.table.table_title,
            row_label=value.row_label,
            column_label=value.column_label,
            match_kind=place.match_kind,
            row=where.row,
            column=where.column,
        ))
    return out
