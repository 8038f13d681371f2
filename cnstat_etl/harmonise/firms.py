"""Firm-survey harmonisation: a firm's county-level code of its year -> the city-level unit in force that
year; measures in the map's unit -> yuan (pint).

A firm is placed on the prefecture (or one of the four municipalities) its code belonged to in the survey
year. A code already retired that year is followed through its successors; it is placed only when all of
them lie in one city. Anything else is not placed and says why: never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnstat_etl.harmonise.regions import (CITY_LEVELS, MUNICIPALITY_CODES, city_level_unit, period_in_force,
                                          periods_of, successor_shares)
from cnstat_etl.harmonise.units import conversion_factor

_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Placement:
    region_code: str | None  # the city-level unit in force in the year; None when not placed
    how: str  # in_force / urban_districts / successor / unplaced
    reason: str = ""  # why a firm was placed through a successor, or why it was not placed


def normalise_code(printed: object) -> str | None:
    """The 6-digit code as text: "320102", 320102.0 -> "320102"; a 12-digit (township) code -> its county;
    anything else unchanged, for `place_code` to refuse with the text as printed."""
    if printed is None:
        return None
    text = str(printed).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if len(text) == 12 and _DIGITS.match(text):
        return text[:6]
    return text or None


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


def yuan_factors(units: dict[str, str]) -> dict[str, float]:
    """Multiplier to yuan for each measure's unit (千元 -> 1000). Raises UnknownUnit / IncompatibleUnit."""
    return {measure: float(conversion_factor(unit, "CNY")) for measure, unit in units.items()}
