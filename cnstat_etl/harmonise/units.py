"""Printed units -> pint quantities -> the indicator's canonical unit, in one place.

The registry is pint's default one plus mappings/units.txt; the words yearbooks print ("万元",
"(10 000 yuan)", "元/人") are read through mappings/unit_words.csv, so a new unit word is a row of data.
"""

from __future__ import annotations

import functools
import sys
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from cnstat_etl import text, unit_words
from cnstat_etl.config import MAPPINGS_DIR, read_mapping_csv, remembered, user_cache_dir
from cnstat_etl.unit_words import UnitSide, UnknownUnit, read_unit

if TYPE_CHECKING:
    import pint

__all__ = ["IncompatibleUnit", "UnknownUnit", "conversion_factor", "in_unit_at_rate", "parse_unit", "registry",
           "to_canonical"]


class IncompatibleUnit(ValueError):
    """A printed unit that cannot convert to the indicator's canonical unit (万美元 under a yuan column)."""


def _pint():
    """pint, imported with dask hidden: pint imports dask wherever it is installed (the [dask] extra), for
    arrays of quantities cnstat never makes, which costs 0.4 s and jinja2."""
    if "dask" in sys.modules:
        import pint
    else:
        sys.modules["dask"] = None
        try:
            import pint
        finally:
            del sys.modules["dask"]
    return pint


@functools.lru_cache(maxsize=None)
def registry() -> pint.UnitRegistry:
    pint = _pint()

    # pint keeps its parsed definitions in the user cache: a second. It writes them in place, not whole or
    # not at all, and reads them back unchecked, so a run beside another that is writing them (two checkouts
    # share them: they are keyed by content) can read half a file. Any cache pint cannot use: parsed anew.
    try:
        return _with_definitions(pint.UnitRegistry(cache_folder=user_cache_dir() / "pint"))
    except Exception:
        return _with_definitions(pint.UnitRegistry())


def _with_definitions(ureg: pint.UnitRegistry) -> pint.UnitRegistry:
    ureg.load_definitions(str(MAPPINGS_DIR / "units.txt"))
    return ureg


def _quantity(side: UnitSide) -> pint.Quantity:
    ureg = registry()
    quantity = ureg.Quantity(side.multiplier, "dimensionless")
    for expression in side.expressions:
        quantity *= ureg(expression)
    return quantity


@functools.lru_cache(maxsize=4096)
def parse_unit(printed: str) -> pint.Quantity:
    """"万元" -> 10000 CNY; "元/人" -> 1 CNY/person; "(10 000 persons)" -> 10000 person."""
    numerator, denominator = read_unit(printed)
    quantity = _quantity(numerator)
    if denominator:
        quantity /= _quantity(denominator)
    return quantity


def to_canonical(value: float, printed_unit: str, canonical_unit: str) -> float:
    """Convert a printed value to the indicator's canonical unit, e.g. 12.5 万元 -> 125000 CNY.

    The product is taken in decimal so that 1234.56 万元 is 12345600 yuan exactly, not 12345600.000000002.
    """
    return float(Decimal(repr(value)) * conversion_factor(printed_unit, canonical_unit))


@functools.lru_cache(maxsize=4096)
def conversion_factor(printed_unit: str, canonical_unit: str) -> Decimal:
    factor = _remembered(("factor", printed_unit, canonical_unit),
                         lambda: _factor_by_pint(printed_unit, canonical_unit))
    if isinstance(factor, str):
        raise IncompatibleUnit(factor)
    return factor


def _factor_by_pint(printed_unit: str, canonical_unit: str) -> Decimal | str:
    """The factor, or why there is none."""
    pint = _pint()

    ureg = registry()
    try:
        factor = parse_unit(printed_unit).to(ureg(canonical_unit)).magnitude
    except pint.DimensionalityError as error:
        return f"{printed_unit!r} does not convert to {canonical_unit} ({error.dim1} vs {error.dim2})"
    return Decimal(repr(float(factor)))


def _remembered(question: tuple, work):
    """pint's answer, kept in the user cache: importing pint and building the registry take a third of a
    second, and a unit's factor is a pure function of the unit words, the definitions and pint's release.
    An ingest of units met before does not import pint at all. (Errors are not kept: asked again, they
    are raised again.)"""
    inputs = (MAPPINGS_DIR / "units.txt", MAPPINGS_DIR / "unit_words.csv", Path(__file__),
              Path(unit_words.__file__), Path(text.__file__))
    return remembered(f"units-pint{version('pint')}", inputs, question, work)


def to_base_unit(value: float, printed_unit: str) -> tuple[float, str]:
    """A value in the unit its printed unit word names, without the magnitude: 12.5 万元 -> (125000, "CNY").

    For a provisional indicator, which has no canonical unit yet. Raises UnknownUnit.
    """
    base = _base_unit(printed_unit)
    if isinstance(base, str):
        raise UnknownUnit(base)
    magnitude, unit = base
    return float(Decimal(repr(value)) * magnitude), unit


@functools.lru_cache(maxsize=4096)
def _base_unit(printed_unit: str) -> tuple[Decimal, str] | str:
    """The printed unit's magnitude and its unit's name, or why it is unknown: worked out once per unit word
    (pint formats a unit slowly, and a provisional column repeats an unknown word in every cell)."""
    return _remembered(("base", printed_unit), lambda: _base_unit_by_pint(printed_unit))


def _base_unit_by_pint(printed_unit: str) -> tuple[Decimal, str] | str:
    try:
        quantity = parse_unit(printed_unit)
    except UnknownUnit as error:
        return str(error)
    return Decimal(repr(float(quantity.magnitude))), str(quantity.units)


@functools.lru_cache(maxsize=None)
def _cny_per_usd() -> dict[int, float]:
    return {int(row["year"]): float(row["cny_per_usd"]) for row in read_mapping_csv("exchange_rates.csv")}


def in_unit_at_rate(value: float, unit: str, target: str, year: int | None) -> float | None:
    """A value stored in one currency in the other at the year's annual average rate (a value already in
    `target` as it is); None where the year has no rate."""
    if unit == target:
        return value
    rate = _cny_per_usd().get(year) if year is not None else None
    if rate is None or {unit, target} != {"CNY", "USD"}:
        return None
    return value / rate if target == "USD" else value * rate
