"""Printed region name + year (+ province) -> the code in force, never a guess.

Lookups run in tiers, strongest first: official full name, short name (suffix removed), the 州
abbreviation of autonomous prefectures (凉山州) and the 县/旗 one of autonomous counties (城步县), reviewed
aliases (`mappings/aliases.csv`), pinyin, and last a strict fuzzy match that is only tried when the
province is known. A tier that finds several units stops the search: the name is ambiguous and stays
unresolved with every candidate listed.
Within a tier a prefecture-level unit beats county-level namesakes and a province named like its own
city (吉林 -> 吉林市); a province and a prefecture in another province (海南省 / 海南藏族自治州) stay ambiguous.

Lists are states on 31 December, so a name that changed during `year` is still accepted for that year
(match_kind "former_name"/"later_name") when the change was 1:1: yearbooks print the name of the moment.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Iterable

from cnstat_etl.harmonise import regions
from cnstat_etl.harmonise.regions import CITY_LEVELS, RegionPeriod
from cnstat_etl.model import UNREAD

ALIASES_CSV = regions.MAPPINGS_DIR / "aliases.csv"
PROVINCE_LEVELS = ("province", "municipality")
FUZZY_MIN_SCORE = 85.0  # rapidfuzz ratio (0-100); only with a known province
FUZZY_MIN_LEAD = 5.0  # the best unit must beat the runner-up by this much
# A romanised name (no characters printed) may be one letter off; the runner-up must be 3 edits away or more.
PINYIN_FUZZY_MAX_EDITS = 1
PINYIN_FUZZY_MIN_LEAD = 2
PINYIN_FUZZY_MIN_LENGTH = 5

_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# (compiled once: the resolver keys its ~7,000 periods' English names when it is made)
_LATIN_WORD_BREAK = re.compile(r"[\s\-.]+")
_APOSTROPHE = re.compile(r"['’‘`]")
# A number of three or more digits, or with a thousands separator or decimals: a value, never a footnote
# mark ("北京1)") or part of a place's name.
_VALUE_IN_NAME = re.compile(r"\d{3,}|\d[,，]\d{3}|\d[.．]\d")
_LATIN_RUN = re.compile(r"[A-Za-zÀ-ɏ'’‘`\- .]+")
# English/pinyin words that name the kind of unit, not the unit: the key stops at the first of them.
_LATIN_GENERIC_WORDS = frozenset(
    "city prefecture municipality province autonomous region district county league shi diqu meng sheng "
    "zizhizhou zizhiqu sar".split()
)


@dataclass(frozen=True)
class Resolution:
    code: str | None  # 6-digit code in force in `year`, None if unresolved
    name: str | None  # official full name in that year
    province_code: str | None
    level: str | None  # prefecture / county / municipality / province
    match_kind: str  # exact / short_name / abbreviation / alias / pinyin / fuzzy / former_name / later_name / unresolved
    reason: str | None  # None when resolved
    candidates: tuple[tuple[str, str], ...]  # (code, full name) when ambiguous or near misses


@dataclass(frozen=True)
class Alias:
    alias: str
    code: str
    valid_from: int | None
    valid_to: int | None  # exclusive
    note: str

    def valid_in(self, year: int) -> bool:
        return (self.valid_from is None or self.valid_from <= year) and (self.valid_to is None or year < self.valid_to)


def _clip_key(text: str) -> str:
    """"Xi'an", "xi’an" -> "xi'an": an English name as printed, case and blanks aside."""
    return _APOSTROPHE.sub("'", re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", text).lower()))


def latin_key(text: str) -> str:
    """"Ma'anshan", "MAANSHAN", "Ma an shan City", "Lüliang", "Lvliang" -> "maanshan", "luliang"."""
    words = []
    for word in _LATIN_WORD_BREAK.split(unicodedata.normalize("NFKC", text).lower()):
        if word in _LATIN_GENERIC_WORDS:
            break
        words.append(word)
    key = "".join(words)
    key = _APOSTROPHE.sub("", key).replace("ü", "u").replace("v", "u")
    return key


def split_printed(text: str) -> tuple[str, str]:
    """("南京", "Nanjing") from "南 京 Nanjing": full-width folded, padding, marks and footnotes dropped."""
    folded = unicodedata.normalize("NFKC", text or "")
    chinese = "".join(_CJK_CHAR.findall(folded))
    latin = " ".join(run.strip() for run in _LATIN_RUN.findall(folded) if re.search(r"[A-Za-zÀ-ɏ]", run))
    return chinese, latin


@lru_cache(maxsize=1)
def _traditional_to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def chinese_variants(chinese: str) -> list[str]:
    """The text as printed, then in simplified characters when it differs (遼寧 -> 辽宁)."""
    simplified = _traditional_to_simplified().convert(chinese)
    return [chinese] if simplified == chinese else [chinese, simplified]


def load_aliases(path=ALIASES_CSV) -> list[Alias]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            Alias(
                row["alias"].strip(),
                row["code"].strip(),
                int(row["valid_from"]) if row["valid_from"].strip() else None,
                int(row["valid_to"]) if row["valid_to"].strip() else None,
                row["note"].strip(),
            )
            for row in csv.DictReader(handle)
        ]


def _unresolved(reason: str, candidates: Iterable[RegionPeriod] = ()) -> Resolution:
    listed = tuple(dict.fromkeys((p.code, p.name) for p in candidates))
    return Resolution(None, None, None, None, "unresolved", reason, listed)


def _resolved(period: RegionPeriod, match_kind: str) -> Resolution:
    return Resolution(period.code, period.name, period.province_code, period.level, match_kind, None, ())


def _under(period: RegionPeriod, prefecture: str, year: int) -> bool:
    """A county-level unit that belongs to city-level unit `prefecture` in `year`."""
    return period.level == "county" and regions.city_level_unit(period.code, year) == prefecture


def _prefer_city_level(found: list[RegionPeriod]) -> RegionPeriod | None:
    """The one unit meant, if the name allows only one reading; None when it stays ambiguous."""
    if len(found) == 1:
        return found[0]
    cities = [p for p in found if p.level in CITY_LEVELS]
    if len(cities) != 1:
        return None
    city = cities[0]
    outranked = all(
        p.level == "county" or (p.level == "province" and p.code == city.province_code)
        for p in found
        if p is not city
    )
    return city if outranked else None


class RegionResolver:
    def __init__(self, periods: Iterable[RegionPeriod], aliases: Iterable[Alias]):
        self._periods = tuple(periods)
        self._aliases = tuple(aliases)
        self._by_code: dict[str, list[RegionPeriod]] = defaultdict(list)
        self._full: dict[str, list[RegionPeriod]] = defaultdict(list)
        self._short: dict[str, list[RegionPeriod]] = defaultdict(list)
        self._abbreviation: dict[str, list[RegionPeriod]] = defaultdict(list)
        self._pinyin: dict[str, list[RegionPeriod]] = defaultdict(list)
        for period in self._periods:
            self._by_code[period.code].append(period)
            self._full[period.name].append(period)
            self._short[period.short_name].append(period)
            self._pinyin[latin_key(period.name_en)].append(period)
            if period.name.endswith("自治州"):
                for abbreviation in (period.short_name + "州", period.short_name + "自治州"):
                    self._abbreviation[abbreviation].append(period)
            elif period.name.endswith(("自治县", "自治旗")):
                # finance offices print 城步苗族自治县 as 城步县, 莫力达瓦达斡尔族自治旗 as 莫力达瓦旗
                self._abbreviation[period.short_name + period.name[-1]].append(period)
        self._alias_chinese: dict[str, list[Alias]] = defaultdict(list)
        self._alias_latin: dict[str, list[Alias]] = defaultdict(list)
        for alias in self._aliases:
            if _CJK_CHAR.search(alias.alias):
                self._alias_chinese[alias.alias].append(alias)
            else:
                self._alias_latin[latin_key(alias.alias)].append(alias)
        # A file asks the same few hundred questions thousands of times (each city once per table); an
        # answer is a pure function of the question and this resolver's lists, so each is worked out once.
        self._resolutions: dict[tuple[str, int | None, str | None], Resolution] = {}
        self._provinces: dict[str, str | None] = {}
        self._cut_provinces: dict[str, str | None] = {}
        self._targets: dict[tuple[str, int, int | None], tuple[tuple[str, float], ...]] = {}

    @classmethod
    def default(cls) -> "RegionResolver":
        return _default_resolver()

    # --- lookups -------------------------------------------------------------------------------

    def _alias_periods(self, aliases: list[Alias], year: int | None) -> list[RegionPeriod]:
        """Periods the aliases point to; with a year, only aliases valid then and the period in force then."""
        found = []
        for alias in aliases:
            if year is not None and not alias.valid_in(year):
                continue
            periods = self._by_code.get(alias.code, [])
            found.extend(p for p in periods if year is None or p.in_force(year))
        return found

    def _tiers(self, chinese: str, latin: str) -> list[tuple[str, list[RegionPeriod], list[Alias]]]:
        """(match kind, periods of any year, aliases) per tier, strongest first."""
        tiers = []
        variants = chinese_variants(chinese) if chinese else []
        for kind, index in (("exact", self._full), ("short_name", self._short), ("abbreviation", self._abbreviation)):
            tiers.append((kind, [p for v in variants for p in index.get(v, [])], []))
        tiers.append(("alias", [], [a for v in variants for a in self._alias_chinese.get(v, [])]))
        if latin:
            key = latin_key(latin)
            tiers.append(("alias", [], self._alias_latin.get(key, [])))
            tiers.append(("pinyin", self._pinyin.get(key, []), []))
        return tiers

    def resolve(self, printed_name: str, *, year: int | None, province: str | None = None,
                prefecture: str | None = None) -> Resolution:
        """With `prefecture` (the code of the city-level unit a row is printed under), only that unit's
        county-level units are candidates: 城关镇's 城关, 东区 and 新华区 repeat across China, not within one."""
        key = (printed_name, year, province, prefecture)
        if key not in self._resolutions:
            self._resolutions[key] = self._resolve(printed_name, year, province, prefecture)
        return self._resolutions[key]

    def _resolve(self, printed_name: str, year: int | None, province: str | None,
                 prefecture: str | None = None) -> Resolution:
        if year is None:
            return _unresolved("no year: the table gives none")
        value = _VALUE_IN_NAME.search(unicodedata.normalize("NFKC", printed_name))
        if value:
            return _unresolved(f"the label prints a number ({value.group(0)}…): a value run into the label "
                               "column, so the row's cells cannot be trusted")
        chinese, latin = split_printed(printed_name)
        if not chinese and not latin:
            return _unresolved("unknown name")
        province_code = self._province_code(province) or (prefecture and prefecture[:2] + "0000")

        def in_province(found: Iterable[RegionPeriod]) -> list[RegionPeriod]:
            return [p for p in found if (province_code is None or p.province_code == province_code)
                    and (prefecture is None or _under(p, prefecture, year))]

        out_of_year: list[tuple[str, RegionPeriod]] = []
        outside_province: list[RegionPeriod] = []
        for kind, periods, aliases in self._tiers(chinese, latin):
            in_force = [p for p in periods if p.in_force(year)] + self._alias_periods(aliases, year)
            in_force = list({p.code: p for p in in_force}.values())
            matched = in_province(in_force)
            outside_province.extend(p for p in in_force if p not in matched)
            if matched:
                chosen = _prefer_city_level(matched)
                if chosen is None:
                    return _unresolved(f"ambiguous: {len(matched)} units named {printed_name.strip()!r} in {year}", matched)
                if kind == "pinyin" and (chinese or UNREAD in printed_name) and any(p.level == "county" for p in matched if p is not chosen):
                    # the Chinese, which tells 阿克苏市 from 阿克苏地区, is printed but names nothing (misread or
                    # unread):
                    # the English alone does not tell the county-level city from the prefecture
                    return _unresolved(f"ambiguous: {latin.strip()!r} names {len(matched)} units in {year} and "
                                       f"the Chinese {chinese or '(unread)'!r} none of them", matched)
                # a county named whole, a city-level unit clipped: a city outranks a county of its name
                longer = [p for p in in_province(self._pinyin_extending(latin, year)) if p.level in CITY_LEVELS] \
                    if kind == "pinyin" and chosen.level == "county" else []
                if longer:
                    return _unresolved(f"ambiguous: {latin.strip()!r} is {chosen.name_en}, or "
                                       f"{', '.join(sorted({p.name_en for p in longer}))} clipped at its box's edge",
                                       [chosen, *longer])
                return _resolved(chosen, kind)
            out_of_year.extend((kind, p) for p in in_province(periods + self._alias_periods(aliases, None)))

        adjacent = self._resolve_adjacent_year(out_of_year, year)
        if adjacent is not None:
            return adjacent
        if province_code is not None and (chinese or latin):
            fuzzy = self._fuzzy(chinese, latin, year, province_code, prefecture)
            if fuzzy is not None:
                return fuzzy
        if outside_province:
            return _unresolved(f"not in {'prefecture ' + prefecture if prefecture else 'province ' + province_code} "
                               f"in {year}", outside_province)
        if out_of_year:
            return _unresolved(f"not in force in {year}", [p for _, p in out_of_year])
        return _unresolved("unknown name")

    def resolve_coded(self, printed_code: str, printed_name: str, *, year: int | None,
                      province: str | None = None) -> Resolution:
        """A row that prints its code beside its name (census, code-keyed panels).

        The code is taken where it is in force in `year` and the name does not place the row elsewhere.
        A code created after `year` (a source that printed today's codes for 2010) is the unit it was then
        when its area stayed whole (毕节市 520500 in 2010 is 毕节地区 522400); otherwise the name decides,
        unless it names a unit of another level (the county-level 毕节市 of 2010 is not the prefecture).
        Code and name placing the row on two different units is left unresolved, never guessed.
        """
        by_name = self.resolve(printed_name, year=year, province=province)
        known = self._by_code.get(printed_code.strip(), [])
        periods = [p for p in known if year is not None and p.in_force(year)]
        if not periods:
            return self._earlier_unit_of_code(known, printed_name, year) or self._unless_other_level(
                by_name, known, printed_code, printed_name, year)
        if by_name.code not in (None, periods[0].code):
            return _unresolved(f"code {printed_code} and name {printed_name!r} name different units in {year}",
                               [periods[0]] + [p for p in self._by_code.get(by_name.code, []) if p.in_force(year)])
        return _resolved(periods[0], "code")

    def _earlier_unit_of_code(self, known: list[RegionPeriod], printed_name: str,
                              year: int | None) -> Resolution | None:
        """The unit in force in `year` whose whole area the code's later unit is, when the printed name is
        that later unit's own; None otherwise."""
        later = sorted((p for p in known if year is not None and p.valid_from > year), key=lambda p: p.valid_from)
        chinese, _latin = split_printed(printed_name)
        if not later or not any(v in (later[0].name, later[0].short_name) for v in chinese_variants(chinese)):
            return None
        earlier = regions.successor_shares(later[0].code, later[0].valid_from, year)
        if len(earlier) != 1:
            return None
        period = regions.period_in_force(next(iter(earlier)), year)
        return _resolved(period, "code_lineage") if period is not None else None

    @staticmethod
    def _unless_other_level(by_name: Resolution, known: list[RegionPeriod], printed_code: str, printed_name: str,
                            year: int | None) -> Resolution:
        if by_name.code is None or not known or any(p.level == by_name.level for p in known):
            return by_name
        return _unresolved(f"code {printed_code} is not in force in {year} and {printed_name!r} then names a "
                           f"{by_name.level}-level unit ({by_name.code} {by_name.name})", known[:1])

    def _resolve_adjacent_year(self, out_of_year: list[tuple[str, RegionPeriod]], year: int) -> Resolution | None:
        """A name that ended or started during `year` (31-December lists) maps 1:1 to the unit of `year`."""
        found: dict[str, tuple[RegionPeriod, str]] = {}
        for _, period in out_of_year:
            if period.valid_to == year:
                targets = regions.successor_shares(period.code, year - 1, year)
                if len(targets) == 1:
                    (code,) = targets
                    target = regions.period_in_force(code, year)
                    if target is not None:
                        found[target.code] = (target, "former_name")
            elif period.valid_from == year + 1:
                same_code = regions.period_in_force(period.code, year)
                sources = [e for e in regions.predecessors(period.code) if e.year == year + 1 and e.weight == 1.0]
                if same_code is not None:
                    found[same_code.code] = (same_code, "later_name")
                elif len(sources) == 1 and (source := regions.period_in_force(sources[0].from_code, year)):
                    found[source.code] = (source, "later_name")
        if len(found) == 1:
            period, kind = next(iter(found.values()))
            return _resolved(period, kind)
        return None

    def _fuzzy(self, chinese: str, latin: str, year: int, province_code: str,
               prefecture: str | None = None) -> Resolution | None:
        """The one unit of the province (of the prefecture, when given), in force in `year`, whose name is
        nearly the printed one; None when none is near enough or another is nearly as near. Never outside
        the province."""
        candidates = [p for p in self._periods if p.province_code == province_code and p.in_force(year)
                      and (prefecture is None or _under(p, prefecture, year))]
        if chinese:
            return self._fuzzy_chinese(chinese, latin, candidates)
        return self._fuzzy_pinyin(latin, candidates)

    def _fuzzy_chinese(self, chinese: str, latin: str, candidates: list[RegionPeriod]) -> Resolution | None:
        from rapidfuzz import fuzz

        scores: dict[str, tuple[float, RegionPeriod]] = {}
        for period in candidates:
            score = max(fuzz.ratio(v, name) for v in chinese_variants(chinese) for name in (period.name, period.short_name))
            if latin:
                score = max(score, fuzz.ratio(latin_key(latin), latin_key(period.name_en)))
            if score > scores.get(period.code, (-1.0, period))[0]:
                scores[period.code] = (score, period)
        ranked = sorted(scores.values(), key=lambda item: -item[0])
        if not ranked or ranked[0][0] < FUZZY_MIN_SCORE:
            return None
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < FUZZY_MIN_LEAD:
            return None
        return _resolved(ranked[0][1], "fuzzy")

    def _fuzzy_pinyin(self, latin: str, candidates: list[RegionPeriod]) -> Resolution | None:
        """A romanised name one letter off (Benggu for Bengbu): accepted only when the key is long enough
        that one edit cannot turn one place into another, and no other unit is within reach."""
        from rapidfuzz.distance import Levenshtein

        key = latin_key(latin)
        if len(key) < PINYIN_FUZZY_MIN_LENGTH:
            return None
        distances: dict[str, tuple[int, RegionPeriod]] = {}
        for period in candidates:
            distance = Levenshtein.distance(key, latin_key(period.name_en))
            if distance < distances.get(period.code, (distance + 1, period))[0]:
                distances[period.code] = (distance, period)
        ranked = sorted(distances.values(), key=lambda item: item[0])
        if not ranked or ranked[0][0] > PINYIN_FUZZY_MAX_EDITS:
            return None
        if len(ranked) > 1 and ranked[1][0] < PINYIN_FUZZY_MAX_EDITS + PINYIN_FUZZY_MIN_LEAD:
            return None
        return _resolved(ranked[0][1], "fuzzy")

    # --- provinces -----------------------------------------------------------------------------

    def _province_code(self, province: str | None) -> str | None:
        if not province or not province.strip():
            return None
        return self.resolve_province(province)

    def resolve_province(self, text: str) -> str | None:
        """"江苏省 Jiangsu", "江苏", "Jiangsu", "内蒙", "Nei Mongol", "320000" -> "320000"; None if unknown or
        ambiguous."""
        if text not in self._provinces:
            self._provinces[text] = self._resolve_province(text)
        return self._provinces[text]

    def resolve_cut_province(self, label: str) -> str | None:
        """A province row whose Chinese name is printed cut short at its box's edge ("广西壮族自治 Guangxi"):
        the province its English names, where its full name starts with what is printed of it; None
        otherwise (a name printed whole is `resolve_province`'s, and no English, no proof)."""
        if label not in self._cut_provinces:  # asked of nearly every row: a book repeats its labels table by table
            self._cut_provinces[label] = self._cut_province(label)
        return self._cut_provinces[label]

    def _cut_province(self, label: str) -> str | None:
        chinese, latin = split_printed(unicodedata.normalize("NFKC", label or "").strip())
        code = self.resolve_province(latin) if chinese and latin else None
        full = [p.name for p in self._by_code.get(code, [])] if code else []
        return code if any(name.startswith(chinese) and name != chinese for name in full) else None

    def _resolve_province(self, text: str) -> str | None:
        stripped = unicodedata.normalize("NFKC", text or "").strip()
        if re.fullmatch(r"\d{2}0000", stripped):
            return stripped if stripped in self._by_code else None
        chinese, latin = split_printed(stripped)
        for _, periods, aliases in self._tiers(chinese, latin):
            codes = {p.code for p in periods + self._alias_periods(aliases, None) if p.level in PROVINCE_LEVELS}
            if len(codes) == 1:
                return codes.pop()
            if codes:
                return None
        return None

    def _pinyin_extending(self, latin: str, year: int) -> list[RegionPeriod]:
        """Units in force whose English name starts with `latin` and goes on: what a clipped English label
        ("Fangcheng" for Fangchenggang) may be, besides the unit it names whole (防城区). A county's name
        clipped ("Huangshi" for Huangshigang) is not asked: the city-level unit named whole is preferred."""
        key = latin_key(latin)
        # the apostrophe kept: "Xi'an" is no clipped "Xianyang"
        printed = _clip_key(latin)
        return [p for other, periods in self._pinyin.items() if other != key and other.startswith(key)
                for p in periods if p.in_force(year) and _clip_key(p.name_en).startswith(printed)]

    def names_of(self, code: str) -> set[str]:
        """The names a unit has had."""
        return {period.name for period in self._by_code.get(code, [])}

    # --- lineage -------------------------------------------------------------------------------

    def harmonised_targets(self, code: str, year: int, vintage: int | None = None) -> list[tuple[str, float]]:
        """Code(s) in force in `vintage` (default: latest list) for unit `code` as it was in `year`;
        weights sum to 1. Empty when the code was not in force in `year`."""
        key = (code, year, vintage)
        if key not in self._targets:
            shares = regions.successor_shares(code, year, vintage)
            self._targets[key] = tuple(sorted(shares.items(), key=lambda item: (-item[1], item[0])))
        return list(self._targets[key])

    def lineage_of(self, code: str) -> dict:
        """Names, periods, predecessors and successors of a code, for `cnstat lineage CODE`."""

        def edge_record(edge, other: str) -> dict:
            names = [p.name for p in self._by_code.get(other, [])
                     if p.in_force(edge.year) or p.valid_to == edge.year]
            return {"code": other, "name": names[-1] if names else None, "year": edge.year,
                    "kind": edge.kind, "weight": edge.weight}

        periods = self._by_code.get(code, [])
        latest = periods[-1] if periods else None
        return {
            "code": code,
            "level": latest.level if latest else None,
            "province_code": latest.province_code if latest else None,
            "periods": [
                {"name": p.name, "short_name": p.short_name, "name_en": p.name_en,
                 "valid_from": p.valid_from, "valid_to": p.valid_to}
                for p in periods
            ],
            "predecessors": [edge_record(e, e.from_code) for e in regions.predecessors(code)],
            "successors": [edge_record(e, e.to_code) for e in regions.successors(code)],
            "harmonised_targets": self.harmonised_targets(code, latest.valid_from) if latest else [],
        }


@lru_cache(maxsize=1)
def _default_resolver() -> RegionResolver:
    return RegionResolver(regions.region_periods(), load_aliases())


def resolve_name(name: str, *, province: str | None = None, year: int | None = None) -> dict:
    """What `cnstat resolve` prints: the resolution, the unit's valid years and its harmonised code(s)."""
    year = year or regions.last_year()
    resolution = RegionResolver.default().resolve(name, year=year, province=province)
    answer = {"query": name, "province": province, "year": year, **asdict(resolution),
              "valid_from": None, "valid_to": None, "harmonised_code": None}
    if resolution.code:
        period = regions.period_in_force(resolution.code, year)
        answer["valid_from"], answer["valid_to"] = period.valid_from, period.valid_to
        answer["harmonised_code"] = ", ".join(
            code if weight == 1 else f"{code} x{weight:g}"
            for code, weight in RegionResolver.default().harmonised_targets(resolution.code, year))
    return answer
