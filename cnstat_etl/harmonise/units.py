"""Printed units -> pint quantities -> the indicator's canonical unit, in one place.

The registry is pint's default one plus mappings/units.txt; the words yearbooks print ("万元",
"(10 000 yuan)", "元/人") are read through mappings/unit_words.csv, so a new unit word is a row of data.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

import pint

from cnstat_etl.config import MAPPINGS_DIR, read_mapping_csv
from cnstat_etl.text import fold


class UnknownUnit(ValueError):
    """A printed unit the unit words cannot read; nothing is loaded with a guessed unit."""


class IncompatibleUnit(ValueError):
    """A printed unit that cannot convert to the indicator's canonical unit (万美元 under a yuan column)."""


@functools.lru_cache(maxsize=None)
def registry() -> pint.UnitRegistry:
    ureg = pint.UnitRegistry()
    ureg.load_definitions(str(MAPPINGS_DIR / "units.txt"))
    return ureg


@functools.lru_cache(maxsize=None)
def _unit_words() -> tuple[tuple[str, str, str], ...]:
    rows = [(fold(r["word"]).lower(), r["kind"], r["pint"]) for r in read_mapping_csv("unit_words.csv")]
    # Longest first, so that 美元 wins over 元 and 百分比 over 百.
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


_BRACKETS = "()（）[]【】"
_DIGIT_GROUPS = re.compile(r"^\d[\d ,]*")


def _read_side(text: str, printed: str) -> pint.Quantity:
    ureg = registry()
    quantity = ureg.Quantity(1, "dimensionless")
    rest = text.strip().lower()
    digits = _DIGIT_GROUPS.match(rest)
    if digits:  # "10 000 yuan": a multiplier printed as a number
        quantity *= float(digits.group().replace(" ", "").replace(",", ""))
        rest = rest[digits.end():]
    seen_unit = False
    while rest:
        if rest[0] in " .":
            rest = rest[1:]
            continue
        for word, kind, expression in _unit_words():
            if rest.startswith(word):
                quantity *= ureg(expression)
                seen_unit = seen_unit or kind == "unit"
                rest = rest[len(word):]
                break
        else:
            raise UnknownUnit(f"unknown unit {printed!r} (no unit word for {rest!r})")
    if not seen_unit:
        raise UnknownUnit(f"unknown unit {printed!r} (a magnitude without a unit)")
    return quantity


@functools.lru_cache(maxsize=4096)
def parse_unit(printed: str) -> pint.Quantity:
    """"万元" -> 10000 CNY; "元/人" -> 1 CNY/person; "(10 000 persons)" -> 10000 person."""
    text = fold(printed).strip(_BRACKETS + " ")
    if not text:
        raise UnknownUnit("empty unit")
    numerator, _, denominator = text.partition("/")
    quantity = _read_side(numerator, printed)
    if denominator:
        quantity /= _read_side(denominator, printed)
    return quantity


def is_unit(printed: str) -> bool:
    try:
        parse_unit(printed)
    except UnknownUnit:
        return False
    return True


def to_canonical(value: float, printed_unit: str, canonical_unit: str) -> float:
    """Convert a printed value to the indicator's canonical unit, e.g. 12.5 万元 -> 125000 CNY.

    The product is taken in decimal so that 1234.56 万元 is 12345600 yuan exactly, not 12345600.000000002.
    """
    return float(Decimal(repr(value)) * conversion_factor(printed_unit, canonical_unit))


@functools.lru_cache(maxsize=4096)
def conversion_factor(printed_unit: str, canonical_unit: str) -> Decimal:
    ureg = registry()
    try:
        factor = parse_unit(printed_unit).to(ureg(canonical_unit)).magnitude
    except pint.DimensionalityError as error:
        raise IncompatibleUnit(
            f"{printed_unit!r} does not convert to {canonical_unit} ({error.dim1} vs {error.dim2})"
        ) from None
    return Decimal(repr(float(factor)))


def to_base_unit(value: float, printed_unit: str) -> tuple[float, str]:
    """A value in the unit its printed unit word names, without the magnitude: 12.5 万元 -> (125000, "CNY").

    For a provisional indicator, which has no canonical unit yet. Raises UnknownUnit.
    """
    quantity = parse_unit(printed_unit)
    return float(Decimal(repr(value)) * Decimal(repr(float(quantity.magnitude)))), str(quantity.units)
