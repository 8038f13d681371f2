"""A printed unit read into its words ("万元" -> 万 × 元), from mappings/unit_words.csv.

Both steps need this: extract, to tell a unit in a header's brackets ("（万元）") from other bracketed
words ("当年价格"); harmonise, to turn the words into a pint quantity. This module knows the words only,
not pint, so extract can use it without importing harmonise.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from cnstat_etl.config import read_mapping_csv
from cnstat_etl.text import fold


class UnknownUnit(ValueError):
    """A printed unit the unit words cannot read; nothing is loaded with a guessed unit."""


@dataclass(frozen=True)
class UnitSide:
    """One side of a unit ("10 000 yuan", "人"): a printed multiplier and the pint expressions of its words."""

    multiplier: float
    expressions: tuple[str, ...]


@functools.lru_cache(maxsize=None)
def _unit_words() -> tuple[tuple[str, str, str], ...]:
    rows = [(fold(r["word"]).lower(), r["kind"], r["pint"]) for r in read_mapping_csv("unit_words.csv")]
    # Longest first, so that 美元 wins over 元 and 百分比 over 百.
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


_BRACKETS = "()（）[]【】"
_DIGIT_GROUPS = re.compile(r"^\d[\d ,]*")


def _read_side(text: str, printed: str) -> UnitSide:
    multiplier = 1.0
    rest = text.strip().lower()
    digits = _DIGIT_GROUPS.match(rest)
    if digits:  # "10 000 yuan": a multiplier printed as a number
        multiplier = float(digits.group().replace(" ", "").replace(",", ""))
        rest = rest[digits.end():]
    expressions: list[str] = []
    seen_unit = False
    while rest:
        if rest[0] in " .":
            rest = rest[1:]
            continue
        for word, kind, expression in _unit_words():
            if rest.startswith(word):
                expressions.append(expression)
                seen_unit = seen_unit or kind == "unit"
                rest = rest[len(word):]
                break
        else:
            raise UnknownUnit(f"unknown unit {printed!r} (no unit word for {rest!r})")
    if not seen_unit:
        raise UnknownUnit(f"unknown unit {printed!r} (a magnitude without a unit)")
    return UnitSide(multiplier, tuple(expressions))


@functools.lru_cache(maxsize=4096)
def read_unit(printed: str) -> tuple[UnitSide, UnitSide | None]:
    """"万元" -> (万 元, None); "元/人" -> (元, 人). Raises UnknownUnit."""
    text = fold(printed).strip(_BRACKETS + " ")
    if not text:
        raise UnknownUnit("empty unit")
    numerator, _, denominator = text.partition("/")
    return _read_side(numerator, printed), (_read_side(denominator, printed) if denominator else None)


def is_unit(printed: str) -> bool:
    try:
        read_unit(printed)
    except UnknownUnit:
        return False
    return True
