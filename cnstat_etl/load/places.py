"""The places of the warehouse as the code history defines them, for what reads it (the report): the
city-level units in force over a span of years, and, for each name an ingest left unresolved, the
candidates and the alias line that would place it as the resolver would.

Here rather than in report/: the code history's levels and the resolver's thresholds are harmonise's,
and the report reads the warehouse without knowing how names are placed.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

from cnstat_etl.harmonise.regions import CITY_LEVELS
from cnstat_etl.harmonise.resolver import FUZZY_MIN_LEAD, FUZZY_MIN_SCORE, RegionResolver, chinese_variants
from cnstat_etl.load.warehouse import Warehouse


def city_periods(warehouse: Warehouse, first: int, last: int) -> list[tuple]:
    """Prefecture-level units in force in any year of the span, by province then code: (code, latest
    name, latest English name, province code, the province's latest name and English name, the unit's
    [valid_from, valid_to] periods)."""
    return warehouse.rows("""
        WITH provinces AS (
            SELECT code, arg_max(name, valid_from) AS name, arg_max(name_en, valid_from) AS name_en
            FROM regions WHERE level IN ('province', 'municipality') GROUP BY code
        )
        SELECT r.code, arg_max(r.name, r.valid_from), arg_max(r.name_en, r.valid_from), any_value(r.province_code),
               any_value(p.name), any_value(p.name_en), list([r.valid_from, r.valid_to])
        FROM regions r LEFT JOIN provinces p ON p.code = r.province_code
        WHERE list_contains(?, r.level) AND r.valid_from <= ? AND (r.valid_to IS NULL OR r.valid_to > ?)
        GROUP BY r.code ORDER BY any_value(r.province_code), r.code""", [list(CITY_LEVELS), last, first])


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    score: float | None  # rapidfuzz ratio for a near miss; None for a candidate the resolver listed


@dataclass(frozen=True)
class UnresolvedName:
    printed_name: str
    rows: int
    years: list[int]
    reasons: list[str]
    provinces: list[str]
    files: list[str]
    candidates: list[Candidate]
    alias_line: str | None  # a mappings/aliases.csv line, where one candidate is likely


def _listed_candidates(text: str) -> list[Candidate]:
    found = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        code, _, name = item.partition(" ")
        found.append(Candidate(code, name, None))
    return found


class _CityNames:
    """Prefecture-level units of the warehouse's regions table, to check and suggest candidates."""

    def __init__(self, warehouse: Warehouse):
        self.periods = warehouse.rows(
            "SELECT code, name, short_name, province_code, valid_from, valid_to FROM regions "
            "WHERE list_contains(?, level)", [list(CITY_LEVELS)])

    def in_force_all(self, code: str, years: list[int]) -> bool:
        return all(any(c == code and f <= y and (t is None or y < t) for c, _, _, _, f, t in self.periods)
                   for y in years)

    def province_of(self, code: str) -> str | None:
        return next((p for c, _, _, p, _, _ in self.periods if c == code), None)

    def near_misses(self, printed: str, years: list[int], min_score: float) -> list[Candidate]:
        variants = chinese_variants(printed) or [printed]
        best: dict[str, Candidate] = {}
        for code, name, short, _, valid_from, valid_to in self.periods:
            if not all(valid_from <= y and (valid_to is None or y < valid_to) for y in years):
                continue
            score = max(fuzz.ratio(v, n) for v in variants for n in (name, short))
            if score >= min_score and (code not in best or best[code].score < score):
                best[code] = Candidate(code, name, round(score, 1))
        return sorted(best.values(), key=lambda c: (-c.score, c.code))[:3]


def _likely(candidates: list[Candidate], names: _CityNames, years: list[int], province: str | None) -> Candidate | None:
    """The one candidate an alias could point to: in force in every year the name was printed, in the
    printed province, and (for a near miss) scored as the resolver's fuzzy tier would accept."""
    usable = [c for c in candidates if names.in_force_all(c.code, years)
              and (province is None or names.province_of(c.code) == province)]
    if len(usable) == 1 and usable[0].score is None:
        return usable[0]
    scored = [c for c in usable if c.score is not None]
    if scored and scored[0].score >= FUZZY_MIN_SCORE and (
            len(scored) == 1 or scored[0].score - scored[1].score >= FUZZY_MIN_LEAD):
        return scored[0]
    return None


def alias_line(printed_name: str, candidate: Candidate, years: list[int], files: list[str]) -> str:
    """A line for mappings/aliases.csv (alias,code,valid_from,valid_to,note), valid over the years seen."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([
        printed_name, candidate.code, min(years), max(years) + 1,
        f"{printed_name} for {candidate.name} in {', '.join(files)} (suggested by cnstat report; check it)"])
    return buffer.getvalue()


def unresolved_names(warehouse: Warehouse, min_score: float) -> list[UnresolvedName]:
    rows = warehouse.rows("SELECT printed_name, reason, candidates, province_context, year, source_file "
                          "FROM unresolved ORDER BY printed_name, source_file, year")
    if not rows:
        return []
    grouped: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        grouped[row[0].strip()].append(row)
    names = _CityNames(warehouse)
    found = []
    for printed, group in grouped.items():
        years = sorted({r[4] for r in group if r[4] is not None})
        provinces = sorted({r[3] for r in group if r[3]})
        files = sorted({r[5] for r in group})
        candidates = list({c.code: c for r in group for c in _listed_candidates(r[2])}.values())
        if not candidates and years:
            candidates = names.near_misses(printed, years, min_score)
        province = RegionResolver.default().resolve_province(provinces[0]) if len(provinces) == 1 else None
        likely = _likely(candidates, names, years, province) if years and len(provinces) <= 1 else None
        found.append(UnresolvedName(printed, len(group), years, sorted({r[1] for r in group}), provinces, files,
                                    candidates, alias_line(printed, likely, years, files) if likely else None))
    return found
