"""The indicator dictionary (mappings/indicators.csv) and its header variants (mappings/header_variants.csv).

A header is matched on its Chinese words with spaces, parenthesised parts (units, "当年价格") and the
"#" / "其中" component marks removed, so "#科学支出", "科学支出（万元）" and "科 学 支 出" all read as 科学支出.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from cnstat_etl.config import layout, read_mapping_csv
from cnstat_etl.errors import MappingError
from cnstat_etl.text import TEXT_CACHE, fold, split_bilingual

_PARENTHESISED = re.compile(r"\([^()]*\)")
# What is left of a bracket a wrapped header opened on one line and closed on the next, each line read into a
# header row of its own ("Gross Regional Product (" over "Current Prices) (100 000 000 yuan)"): the closed
# bracket's start, and the open one's rest, both a bracket's text (a qualifier, a unit), not the name.
_UNOPENED = re.compile(r"^[^()]*\)")
_UNCLOSED = re.compile(r"\([^()]*$")


@dataclass(frozen=True)
class Indicator:
    id: str
    name_zh: str
    name_en: str
    canonical_unit: str
    additive: bool
    plausible_min: float  # a prefecture-level value outside this range is flagged (a unit slip?)
    plausible_max: float
    implied_per: str  # yearbooks print per-capita units without their "/人": 人均GDP（元）means 元/人
    # The other currency some editions print it in (对外经济贸易: 万美元 until the 2010s, 万元 since): a value
    # printed in it is kept in it and the panel converts it at the year's rate.
    also_printed_in: str

    def plausible(self, value: float) -> bool:
        return self.plausible_min <= value <= self.plausible_max


@dataclass(frozen=True)
class HeaderVariant:
    indicator: str
    first_year: int | None
    last_year: int | None

    def applies_to(self, year: int | None) -> bool:
        if year is None:
            return True
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )


@functools.lru_cache(maxsize=TEXT_CACHE)
def header_key(text: str) -> str:
    """The part of a header cell that names an indicator: "#科学支出（万元） Science" -> "科学支出".
    (Cached: a book repeats its header cells on every page, and each is asked several times a page.)"""
    folded = fold(text)
    previous = None
    while previous != folded:  # nested brackets: "(当年价格(万元))"
        previous, folded = folded, _PARENTHESISED.sub("", folded)
    folded = _UNCLOSED.sub("", _UNOPENED.sub("", folded))
    chinese, english = split_bilingual(folded)
    key = chinese or " ".join(english.split())
    return layout().component_marks.sub("", key)


@functools.lru_cache(maxsize=None)
def indicators() -> dict[str, Indicator]:
    return {
        row["id"]: Indicator(
            id=row["id"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            canonical_unit=row["canonical_unit"],
            additive=row["additive"].strip().lower() == "true",
            plausible_min=float(row["plausible_min"]),
            plausible_max=float(row["plausible_max"]),
            implied_per=row.get("implied_per") or "",
            also_printed_in=row.get("also_printed_in") or "",
        )
        for row in read_mapping_csv("indicators.csv")
    }


@functools.lru_cache(maxsize=None)
def _variants() -> dict[str, tuple[HeaderVariant, ...]]:
    known = indicators()
    table: dict[str, list[HeaderVariant]] = {}
    for row in read_mapping_csv("header_variants.csv"):
        if row["indicator"] not in known:
            raise MappingError(f"mappings/header_variants.csv names unknown indicator {row['indicator']!r}")
        variant = HeaderVariant(
            indicator=row["indicator"],
            first_year=int(row["first_year"]) if row["first_year"] else None,
            last_year=int(row["last_year"]) if row["last_year"] else None,
        )
        table.setdefault(header_key(row["header"]), []).append(variant)
    return {key: tuple(variants) for key, variants in table.items()}


def match_header(text: str, year: int | None) -> str | None:
    """The indicator id a header cell names in that data year, or None."""
    for variant in _variants().get(header_key(text), ()):
        if variant.applies_to(year):
            return variant.indicator
    return None


# A numeric column naming no indicator still loads, under this prefix and its normalised header, so
# nothing printed is dropped; `cnstat indicators --unknown` lists them for curation into the dictionary.
PROVISIONAL_PREFIX = "provisional:"


def provisional_id(header_parts: list[str]) -> str:
    """"provisional:年末单位从业人员/第一产业" from the header path's parts (scope words already left out)."""
    keys = [header_key(part) for part in header_parts]
    return PROVISIONAL_PREFIX + "/".join(dict.fromkeys(k for k in keys if k))


def is_provisional(indicator: str) -> bool:
    return indicator.startswith(PROVISIONAL_PREFIX)
