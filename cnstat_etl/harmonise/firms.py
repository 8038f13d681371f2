"""Firm-survey harmonisation: a firm's county-level code of its year -> the city-level unit in force that
year; registration type and holding status as printed (110, 110.0, 国有企业) -> their codes; measures in
the map's unit -> yuan (pint); and the region-code and registration-type columns no known name places,
recognised by their content.

A firm is placed on the prefecture (or one of the four municipalities) its code belonged to in the survey
year. A code already retired that year is followed through its successors; it is placed only when all of
them lie in one city. Anything else is not placed and says why: never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnstat_etl.firm_columns import code_names
from cnstat_etl.harmonise.regions import (CITY_LEVELS, MUNICIPALITY_CODES, city_level_unit, period_in_force,
                                          periods_of, successor_shares)
from cnstat_etl.harmonise.units import conversion_factor
from cnstat_etl.text import squash

_DIGITS = re.compile(r"^\d+$")
_FLOAT_TAIL = re.compile(r"\.0+$")  # a code kept as a float by Stata and written out as text
# Printed region codes: the county's six digits, or with the township's three (and the village's three).
REGION_CODE_LENGTHS = (6, 9, 12)
# Share of a column's non-blank sampled values that must read as the field's codes for the column to be
# taken for it: firms on invalid codes are a few percent at most.
RECOGNISED_SHARE = 0.9
SAMPLE_ROWS = 2000
RECOGNISABLE_FIELDS = ("region_code", "registration_type")  # never a measure: a money column is not guessed


@dataclass(frozen=True)
class Placement:
    region_code: str | None  # the city-level unit in force in the year; None when not placed
    how: str  # in_force / urban_districts / successor / unplaced
    reason: str = ""  # why a firm was placed through a successor, or why it was not placed


def _plain(printed: object) -> str | None:
    """The printed text without spaces and without a float's ".0"; None when blank."""
    if printed is None:
        return None
    text = _FLOAT_TAIL.sub("", "".join(str(printed).split()))
    return text or None


def normalise_code(printed: object) -> str | None:
    """The 6-digit county code as text: "320102", 320102.0, "320102.0", "320 102" -> "320102"; a 9- or
    12-digit (township, village) code -> its county; anything else unchanged, for `place_code` to refuse
    with the text as printed."""
    # plain digits, most codes of most files, need no cleaning: a file may print a code per firm
    text = printed if isinstance(printed, str) and printed.isascii() and printed.isdigit() else _plain(printed)
    if text and len(text) in REGION_CODE_LENGTHS and _DIGITS.match(text):
        return text[:6]
    return text


def field_code(field: str, printed: object) -> str | None:
    """A registration type or holding status as its code: printed as the code ("310", 310.0) or as a
    name mappings/firm_code_names.csv lists (中外合资经营企业 -> "310"); None when it is neither."""
    text = _plain(printed)
    if text is None:
        return None
    names = code_names()[field]
    if _DIGITS.match(text) and len(text) == len(next(iter(names.values()))):
        return text
    return names.get(squash(text))


def _city_in_year(code: str, year: int) -> str | None:
    """The city-level unit a unit in force in `year` belongs to, or None (a county directly under a province)."""
    if code in MUNICIPALITY_CODES or code[:2] + "0000" in MUNICIPALITY_CODES:
        return code[:2] + "0000"
    period = period_in_force(code, year)
    if period.level in CITY_LEVELS:
        return code
    parent = city_level_unit(code, year)
    return parent if parent != code else None


def place_code(printed: str | None, year: int) -> Placement:
    code = normalise_code(printed)
    if code is None:
        return Placement(None, "unplaced", "no region code")
    if len(code) != 6 or not _DIGITS.match(code):
        return Placement(None, "unplaced", f"invalid region code {code!r}: not 6 digits")
    periods = periods_of(code)
    if not periods and code.endswith("01") and period_in_force(code[:4] + "00", year):
        # GB/T 2260 gives xxxx01 to a prefecture's 市辖区 (its urban districts taken together); the history
        # does not list these codes, but the standard says whose they are.
        return Placement(_city_in_year(code[:4] + "00", year), "urban_districts",
                         f"{code} is 市辖区 of {code[:4]}00")
    if not periods:
        return Placement(None, "unplaced", f"{code} is not in the GB/T 2260 code history")
    if code.endswith("0000") and code not in MUNICIPALITY_CODES:
        return Placement(None, "unplaced", f"{code} is a province, not a city")
    if period_in_force(code, year):
        city = _city_in_year(code, year)
        if city is None:
            return Placement(None, "unplaced", f"{code} is a county-level unit directly under its province "
                                               f"in {year}, in no prefecture")
        return Placement(city, "in_force")
    earlier = [p for p in periods if p.valid_to is not None and p.valid_to <= year]
    if not earlier:
        return Placement(None, "unplaced", f"{code} is not in force until {periods[0].valid_from}")
    last = earlier[-1]
    successors = successor_shares(code, last.valid_to - 1, vintage=year)
    cities = {_city_in_year(s, year) for s in successors}
    if not cities or None in cities:
        return Placement(None, "unplaced", f"{code} was retired in {last.valid_to} and its successors in "
                                           f"{year} are not all in a prefecture")
    if len(cities) > 1:
        return Placement(None, "unplaced", f"{code} was retired in {last.valid_to}; its successors lie in "
                                           f"{len(cities)} cities ({', '.join(sorted(cities))})")
    city = cities.pop()
    return Placement(city, "successor", f"{code} retired in {last.valid_to}, successor "
                                        f"{', '.join(sorted(successors))}")


def place_codes(printed: list[object], year: int) -> list[Placement]:
    """`place_code` of each printed code, each county placed once: a file's 12-digit codes are as many
    as its firms, their counties a few thousand."""
    placed: dict[str | None, Placement] = {}
    found = []
    for value in printed:
        code = normalise_code(value)
        if code not in placed:
            placed[code] = place_code(code, year)
        found.append(placed[code])
    return found


def yuan_factors(units: dict[str, str]) -> dict[str, float]:
    """Multiplier to yuan for each measure's unit (千元 -> 1000). Raises UnknownUnit / IncompatibleUnit."""
    return {measure: float(conversion_factor(unit, "CNY")) for measure, unit in units.items()}


def _is_region_code(printed: str) -> bool:
    text = _plain(printed)
    if not (text and len(text) in REGION_CODE_LENGTHS and _DIGITS.match(text)):
        return False
    return bool(periods_of(text[:6])) or (text[4:6] == "01" and bool(periods_of(text[:4] + "00")))


def _is_registration_type(printed: str) -> bool:
    code = field_code("registration_type", printed)
    return code is not None and code in code_names()["registration_type"].values()


_RECOGNISERS = {"region_code": _is_region_code, "registration_type": _is_registration_type}


@dataclass(frozen=True)
class RecognisedColumn:
    field: str
    column: str
    share: float  # of the column's non-blank sampled values that read as the field's codes
    sampled: int


def recognise_columns(samples: dict[str, list[str | None]], fields: list[str]
                      ) -> tuple[list[RecognisedColumn], dict[str, list[str]]]:
    """Which of the sampled columns hold `fields` (RECOGNISABLE_FIELDS only) by their content: region
    codes of 6, 9 or 12 digits whose first six are in the code history, registration types as the
    three-digit 登记注册类型 codes or their names. A field one column fits is recognised; a field several
    columns fit is not, and comes back with them (field -> columns) to be named by the user."""
    recognised, ambiguous = [], {}
    for field in fields:
        fits = []
        for column, values in samples.items():
            printed = [v for v in values if v is not None]
            share = sum(map(_RECOGNISERS[field], printed)) / len(printed) if printed else 0.0
            if share >= RECOGNISED_SHARE:
                fits.append(RecognisedColumn(field, column, share, len(printed)))
        if len(fits) == 1:
            recognised.append(fits[0])
        elif fits:
            ambiguous[field] = [f.column for f in fits]
    return recognised, ambiguous
