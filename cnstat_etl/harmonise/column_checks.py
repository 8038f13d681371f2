"""Checks that hold for any table, run on every column of every file: a column that fails one is refused.

A header read wrong puts a whole column under the wrong indicator, scope or unit (GDP in 亿元 read as GDP
per capita, 全市 and 市辖区 swapped). Such a column breaks what the indicators must obey: its values are
implausible for the indicator, its 市辖区 stands above its 全市, its parts do not add up to their whole
(`mappings/identities.csv`). One cell that breaks a rule is the yearbook's own (a printed value is as
printed); most cells of a column breaking it is a misread column, and no value of it is loaded.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from cnstat_etl.config import read_mapping_csv
from cnstat_etl.errors import MappingError
from cnstat_etl.harmonise.units import in_unit_at_rate
from cnstat_etl.indicators import indicators
from cnstat_etl.model import Aggregate, Observation, Problem
from cnstat_etl.text import parse_number

# A column fails a check when more than this share of the cells it can be checked on break it, and at
# least MIN_BROKEN do: one or two rows breaking a rule are as likely the yearbook's own as a misreading.
FAIL_SHARE = 0.5
MIN_BROKEN = 3
# 市辖区 may stand this much above 全市 before it counts as above it: both are rounded as printed.
SCOPE_TOLERANCE = 0.005


@dataclass(frozen=True)
class Identity:
    """`whole` = sum of `parts` (a number, such as 100, or an indicator), or `whole` = parts[0] / parts[1]."""

    whole: str
    relation: str  # sum / ratio
    parts: tuple[str, ...]
    tolerance: float  # relative
    description: str

    @functools.cached_property  # asked for every row of a book: the whole is parsed once
    def indicators(self) -> tuple[str, ...]:
        return self.parts if _is_number(self.whole) else (self.whole, *self.parts)

    def holds(self, values: dict[str, float]) -> bool:
        whole = float(self.whole) if _is_number(self.whole) else values[self.whole]
        if self.relation == "sum":
            return abs(sum(values[p] for p in self.parts) - whole) <= self.tolerance * max(abs(whole), 1e-9)
        numerator, denominator = (values[p] for p in self.parts)
        if not denominator or not numerator or not whole:
            return True  # nothing to compare
        ratio = whole / (numerator / denominator)
        return 1 / (1 + self.tolerance) <= ratio <= 1 + self.tolerance


def _is_number(text: str) -> bool:
    return parse_number(text).ok


@functools.lru_cache(maxsize=None)
def identities() -> tuple[Identity, ...]:
    known = indicators()
    found = []
    for row in read_mapping_csv("identities.csv"):
        identity = Identity(row["whole"], row["relation"], tuple(row["parts"].split()), float(row["tolerance"]),
                            row["description"])
        unknown = [i for i in identity.indicators if i not in known]
        ratio_of_two = len(identity.parts) == 2 and not _is_number(identity.whole)
        if unknown or identity.relation not in ("sum", "ratio") or (identity.relation == "ratio" and not ratio_of_two):
            raise MappingError(f"mappings/identities.csv: bad row {row} (unknown indicators {unknown})")
        found.append(identity)
    return tuple(found)


def _column(o: Observation) -> tuple:
    """A column of one page or sheet of one table: what one header reading gave."""
    return (o.source_file, o.table_title, o.year, o.page, o.sheet, o.column)


def _row(o: Observation) -> tuple:
    return (o.source_file, o.table_title, o.year, o.page, o.sheet, o.row)


class _Tally:
    """How many checked cells of each column broke a check, with an example of one that did."""

    def __init__(self):
        self.checked: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.broken: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.example: dict[tuple, dict[str, str]] = defaultdict(dict)

    def count(self, columns: tuple[tuple, ...], rule: str, broken: bool, example: Callable[..., str], *cells) -> None:
        """`example(*cells)` words the cells, asked only of broken ones: a book's cells nearly all pass, and
        wording each (its numbers formatted) costs more than checking it."""
        for column in columns:
            self.checked[column][rule] += 1
            if broken:
                self.broken[column][rule] += 1
                if rule not in self.example[column]:
                    self.example[column][rule] = example(*cells)

    def failures(self, column: tuple) -> list[str]:
        return [f"{rule}: {self.broken[column][rule]} of {checked} cells break it (e.g. "
                f"{self.example[column][rule]})"
                for rule, checked in self.checked[column].items()
                if self.broken[column][rule] > FAIL_SHARE * checked and self.broken[column][rule] >= MIN_BROKEN]


def refuse_failing_columns(observations: list[Observation], aggregates: list[Aggregate]
                           ) -> tuple[list[Observation], list[Aggregate], list[Problem]]:
    """The observations and total rows less those of columns that fail a check, and a problem for each
    column refused."""
    known = indicators()
    tally = _Tally()
    for o in observations:
        indicator = known.get(o.indicator)
        canonical = None if not indicator or o.value is None else \
            in_unit_at_rate(o.value, o.unit, indicator.canonical_unit, o.year)
        if canonical is not None:
            tally.count((_column(o),), "plausible magnitude", not indicator.plausible(canonical),
                        _outside_range, o, canonical, indicator)
    cells: dict[tuple, dict[tuple[str, str], Observation]] = defaultdict(dict)
    for o in observations:
        if o.value is not None:
            cells[_row(o)][(o.indicator, o.scope)] = o
    for row in cells.values():
        _check_scopes(row, tally)
        _check_identities(row, tally)
    refused: dict[tuple, list[str]] = {}
    for column in tally.checked:
        failures = tally.failures(column)
        if failures:
            refused[column] = failures
    if not refused:
        return observations, aggregates, []
    problems, kept = [], []
    refused_meanings: set[tuple] = set()  # a total row has no column: its table, page, indicator and scope
    for o in observations:
        column = _column(o)
        meaning = (*column[:-1], o.indicator, o.scope)
        if column not in refused:
            kept.append(o)
        elif meaning not in refused_meanings:
            refused_meanings.add(meaning)
            problems.append(Problem(
                "column_check_failed", f"table {o.table_title!r}, column {o.column_label!r} read as {o.indicator} "
                f"({o.scope}): {'; '.join(refused[column])}; a misread header? The column is not loaded",
                o.source_file, o.page, o.sheet, None, o.column, "error"))
    totals = [a for a in aggregates
              if (a.source_file, a.table_title, a.year, a.page, a.sheet, a.indicator, a.scope) not in refused_meanings]
    return kept, totals, problems


def _check_scopes(row: dict[tuple[str, str], Observation], tally: _Tally) -> None:
    """全市 >= 市辖区: the urban districts are part of the whole city, for an additive indicator."""
    known = indicators()
    for (indicator_id, scope), districts in row.items():
        whole = row.get((indicator_id, "city_total"))
        indicator = known.get(indicator_id)
        if (scope != "urban_districts" or whole is None or not (indicator and indicator.additive)
                or districts.unit != whole.unit):
            continue
        above = districts.value > whole.value * (1 + SCOPE_TOLERANCE) and districts.value - whole.value > 1e-9
        tally.count((_column(districts), _column(whole)), "市辖区 not above 全市", above, _districts_above, districts,
                    whole)


def _check_identities(row: dict[tuple[str, str], Observation], tally: _Tally) -> None:
    printed = {indicator for indicator, _scope in row}
    # a book's row prints one or two indicators: most identities are passed over at once
    possible = [identity for identity in identities() if printed.issuperset(identity.indicators)]
    for scope in {scope for _indicator, scope in row}:
        for identity in possible:
            members = [row.get((i, scope)) for i in identity.indicators]
            if None in members or (identity.relation == "sum" and len({m.unit for m in members}) > 1):
                continue  # parts in two currencies are not added
            values = {m.indicator: m.value for m in members}
            tally.count(tuple(_column(m) for m in members), identity.description,
                        not identity.holds(values), _members, members)


def _outside_range(o: Observation, canonical: float, indicator) -> str:
    return (f"{o.row_label} {o.value_as_printed} {o.unit_as_printed or ''} is {canonical:g} "
            f"{indicator.canonical_unit}, outside {indicator.plausible_min:g}–{indicator.plausible_max:g}")


def _districts_above(districts: Observation, whole: Observation) -> str:
    return f"{districts.row_label} 市辖区 {districts.value_as_printed} > 全市 {whole.value_as_printed}"


def _members(members: list[Observation]) -> str:
    return f"{members[0].row_label}: " + ", ".join(f"{m.indicator} {m.value_as_printed}" for m in members)
