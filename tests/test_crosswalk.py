"""Cross-check the derived names, codes and events against an independent crosswalk.

FIERsity/china-prefecture-crosswalk (shared/real/prefecture_crosswalk_fiersity) names each prefecture-level
entity (keyed by its current code) in every year 2000-2024 and lists 63 change events. Every disagreement
must be either fixed in the derivation or explained in mappings/overrides.csv (scope `crosswalk`): the
explanation names the entity or event and the exact years it covers, so a stale explanation fails too.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cnstat_etl.harmonise import regions

CROSSWALK_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "real" / "prefecture_crosswalk_fiersity"
YEARS = range(2000, 2025)
# Event types of the crosswalk -> lineage kinds that express the same change here.
EVENT_KINDS = {
    "地区改设地级市": {"upgrade", "rename"},
    "盟改设地级市": {"upgrade", "rename"},
    "地级市更名": {"rename"},
    "撤销地级市并分拆辖区": {"split"},
    "撤销地级市并整体并入另一地级市": {"merge"},
    "撤销地区并将辖区划归自治州": {"merge"},
}


def _city_level_period(code: str, year: int):
    """The entity's own unit in `year`; the crosswalk keys municipalities by their 0100 placeholder."""
    if code[2:] == "0100" and code[:2] + "0000" in regions.MUNICIPALITY_CODES:
        code = code[:2] + "0000"
    period = regions.period_in_force(code, year)
    return period if period is not None and period.level in regions.CITY_LEVELS else None


def _reaches(from_code: str, year: int, entity_code: str) -> bool:
    """Whether the unit `from_code` of `year` becomes (part of) the entity at some later list."""
    return any(entity_code in regions.successor_shares(from_code, year, vintage) for vintage in range(year, 2025))


def _city_level_units_named(name: str, year: int) -> list[str]:
    return [p.code for p in regions.region_periods()
            if p.name == name and p.in_force(year) and p.level in regions.CITY_LEVELS]


def name_disagreements() -> dict[str, list[int]]:
    """Entity code -> years whose crosswalk name is not the derived name of the unit that became the entity."""
    found: dict[str, list[int]] = {}
    with open(CROSSWALK_DIR / "prefecture_master_wide_2000_2024.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            entity = row["entity_id"][1:]
            for year in YEARS:
                printed = row[f"name_{year}"].strip() or None
                own = _city_level_period(entity, year)
                if own is not None:
                    agrees = own.name == printed
                elif printed is None:
                    agrees = True
                else:
                    units = _city_level_units_named(printed, year)
                    agrees = len(units) == 1 and _reaches(units[0], year, entity)
                if not agrees:
                    found.setdefault(entity, []).append(year)
    return found


def event_disagreements() -> dict[str, str]:
    """Event id -> what the derived lineage says instead."""
    found: dict[str, str] = {}
    with open(CROSSWALK_DIR / "events_2000_2026.csv", encoding="utf-8-sig", newline="") as handle:
        for event in csv.DictReader(handle):
            year, old, new, kind = int(event["年份"]), event["原单位"], event["新单位"], event["事件类型"]
            if year > 2024:
                continue
            new_codes = set(_city_level_units_named(new, year)) if new else set()
            if kind not in EVENT_KINDS:  # a new prefecture-level unit without a prefecture-level predecessor
                starts = {p.valid_from for c in new_codes for p in regions.periods_of(c) if p.name == new}
                if starts != {year}:
                    found[event["事件ID"]] = f"{new} starts in {sorted(starts)}"
                continue
            old_codes = {p.code for p in regions.region_periods()
                         if p.name == old and p.level == "prefecture" and p.valid_from < year}
            if len(old_codes) != 1:
                found[event["事件ID"]] = f"{old} is not one prefecture before {year}: {sorted(old_codes)}"
                continue
            (old_code,) = old_codes
            ends = {(e.year, e.kind) for e in regions.lineage_edges()
                    if e.from_code == old_code and e.kind in EVENT_KINDS[kind]
                    and (not new_codes or e.to_code in new_codes)}
            if year not in {edge_year for edge_year, _ in ends}:
                found[event["事件ID"]] = f"{old} {old_code} derived {sorted(ends) or 'no such edge'}"
    return found


def explanations() -> dict[tuple[str, str], tuple[str, str]]:
    with open(regions.OVERRIDES_CSV, encoding="utf-8", newline="") as handle:
        return {
            (row["field"], row["key"]): (row["value"], row["reason"])
            for row in csv.DictReader(handle)
            if row["scope"] == "crosswalk"
        }


def _years_text(years: list[int]) -> str:
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ",".join(map(str, years))


@pytest.fixture(scope="module", autouse=True)
def crosswalk_present():
    if not CROSSWALK_DIR.is_dir():
        pytest.skip(f"crosswalk not found at {CROSSWALK_DIR} (shared/real is beside the repository)")


def test_every_name_disagreement_is_explained():
    explained = explanations()
    unexplained = [
        f"{entity} years {_years_text(years)}"
        for entity, years in name_disagreements().items()
        if explained.get(("name", entity), ("",))[0] != _years_text(years)
    ]
    assert unexplained == []


def test_every_event_disagreement_is_explained():
    explained = explanations()
    unexplained = [f"{event_id}: {what}" for event_id, what in event_disagreements().items()
                   if ("event", event_id) not in explained]
    assert unexplained == []


def test_no_explanation_is_stale():
    current = {("name", e) for e in name_disagreements()} | {("event", e) for e in event_disagreements()}
    assert set(explanations()) - current == set()
