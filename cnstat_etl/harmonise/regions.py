"""Region code history and lineage, derived by code from the vendored GB/T 2260 history.

Everything is computed on first use (and cached) from `mappings/admin_codes/` (yescallop/areacodes
`result.csv` for names, periods and county successors; xiangyuecn pinyin for current English names) and
`mappings/overrides.csv` (reviewed corrections), so nothing a data file says is typed by hand.

Periods: a list year is the state on 31 December; `valid_from` is inclusive, `valid_to` exclusive.
A unit is "in force in year Y" when valid_from <= Y < valid_to.

Lineage (one edge per from-unit, target and effective year; `year` = first list year of the new state):
- rename: the same code continues with a new name (weight 1).
- upgrade: a retired code's whole area goes to one new code that has no other source and keeps the same
  parent (地区 -> 市 with a new code, 县 -> 县级市), or a county-level city becomes prefecture-level (儋州 2015).
- merge: a retired code's whole area goes to one unit that also has other sources or existed before.
- split: a retired code's area goes to several units.
- transfer: part of a continuing unit moves to another unit, or a whole unit moves to another parent
  under a new code (county to another prefecture, prefecture to another province).
Weights: a county's successors come straight from the history and share it equally (the history gives
no areas). A prefecture row names no successor, so its weight towards each target is the share of its
county-level children (those in force in its last year) that went to that target's prefecture-level unit
(successor code -> code[:4] + "00", or the municipality, or the county itself when it is directly under a
province); a child with several successors counts equally towards each. A prefecture without county
children in the history (海口 1988, 东川 1998) uses the successors its own row names. Partial area transfers
(`CODE[YYYY]` in the history) have no known share and carry weight None.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cnstat_etl.config import MAPPINGS_DIR, derived_once
from cnstat_etl.errors import MappingError

if TYPE_CHECKING:  # the tables for the warehouse are frames; placing a row needs no pandas
    import pandas as pd

ADMIN_CODES_DIR = MAPPINGS_DIR / "admin_codes"
CODE_HISTORY_CSV = ADMIN_CODES_DIR / "yescallop_areacodes" / "result.csv"
YEARLY_LISTS_DIR = ADMIN_CODES_DIR / "yescallop_areacodes" / "data"
CURRENT_PINYIN_CSV = ADMIN_CODES_DIR / "xiangyuecn_pinyin" / "ok_data_level3.csv"
OVERRIDES_CSV = MAPPINGS_DIR / "overrides.csv"

# Province-level units that research panels keep as single cities beside the prefectures.
MUNICIPALITY_CODES = frozenset({"110000", "120000", "310000", "500000"})
CITY_LEVELS = ("municipality", "prefecture")
_LEVEL_BY_HISTORY = {"省级": "province", "地级": "prefecture", "县级": "county"}

# The 55 officially recognised minority nationalities: autonomous-unit names embed them before 自治州/县/旗/区.
_ETHNIC_GROUPS = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
_AUTONOMOUS_SUFFIX = re.compile(r"自治(州|县|旗|区)$")
# Longest first so 地区 wins over 区; a suffix is kept when stripping it would leave a one-character stem
# (和县, 郊区, 矿区 are names in their own right). 林区 is left out: it would cut 万柏林区 to 万柏.
_PLAIN_SUFFIXES = ("特别行政区", "行政区", "地区", "特区", "新区", "矿区", "省", "市", "盟", "县", "区", "旗")
_UMLAUT_SYLLABLES = {"lv": "lü", "lve": "lüe", "nv": "nü", "nve": "nüe"}


@dataclass(frozen=True)
class RegionPeriod:
    """One unit under one name for one unbroken run of years."""

    code: str
    name: str
    short_name: str
    name_en: str
    level: str  # province / municipality / prefecture / county
    province_code: str
    valid_from: int  # inclusive
    valid_to: int | None  # exclusive; None while in force

    def in_force(self, year: int) -> bool:
        return self.valid_from <= year and (self.valid_to is None or year < self.valid_to)


@dataclass(frozen=True)
class LineageEdge:
    from_code: str
    to_code: str
    year: int  # first year (31 December list) of the new state
    kind: str  # rename / upgrade / merge / split / transfer
    weight: float | None  # share of the from-unit going to to_code; None when unknown (partial transfer)
    level: str  # level of the from-unit


@dataclass(frozen=True)
class _HistoryRow:
    code: str
    name: str
    level: str
    start: int
    end: int | None
    successors_at_end: tuple[str, ...]
    partial_transfers: tuple[tuple[str, int], ...]


def short_name(full_name: str) -> str:
    """Name without its administrative suffix: 阿坝藏族羌族自治州 -> 阿坝, 达川地区 -> 达川, 和县 -> 和县."""
    autonomous = _AUTONOMOUS_SUFFIX.search(full_name)
    if autonomous:
        stem = full_name[: autonomous.start()]
        return _strip_ethnic_groups(stem)
    for suffix in _PLAIN_SUFFIXES:
        if full_name.endswith(suffix) and len(full_name) - len(suffix) >= 2:
            return full_name[: -len(suffix)]
    return full_name


def _strip_ethnic_groups(stem: str) -> str:
    """Drop trailing nationality names (海西蒙古族藏族 -> 海西), never down to nothing (鄂伦春 stays,
    鄂温克族 -> 鄂温克)."""
    if stem.endswith("族") and stem[:-1] in _ETHNIC_GROUPS:
        return stem[:-1]
    stripped = True
    while stripped:
        stripped = False
        for group in _ETHNIC_GROUPS:
            for ending in (group + "族", group if len(group) >= 2 else None):
                if ending and stem.endswith(ending) and len(stem) - len(ending) >= 2:
                    stem = stem[: -len(ending)]
                    stripped = True
                    break
            if stripped:
                break
    return stem


def romanise(syllables: list[str]) -> str:
    """Join pinyin syllables the way place names are written: "Ma'anshan", "Xi'an", "Lüliang"."""
    spelled = [_UMLAUT_SYLLABLES.get(s, s) for s in syllables if s]
    joined = "".join(
        ("'" + syllable) if index and syllable[0] in "aoe" else syllable
        for index, syllable in enumerate(spelled)
    )
    return joined[:1].upper() + joined[1:]


@lru_cache(maxsize=1)
def _current_pinyin() -> tuple[dict[tuple[str, str], tuple[str, str]], dict[str, Counter], dict[str, str]]:
    """From the xiangyuecn list: (code, full name) -> (short name, pinyin), pinyin by short name, and the
    reading of every character that is read one way in all current names (长 -> chang, 朝 -> chao)."""
    by_code_name: dict[tuple[str, str], tuple[str, str]] = {}
    by_short_name: dict[str, Counter] = defaultdict(Counter)
    readings: dict[str, set[str]] = defaultdict(set)
    with open(CURRENT_PINYIN_CSV, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            syllables = row["pinyin"].split()
            by_code_name[(row["ext_id"][:6], row["ext_name"])] = (row["name"], row["pinyin"])
            by_short_name[row["name"]][row["pinyin"]] += 1
            if len(syllables) == len(row["name"]):
                for char, syllable in zip(row["name"], syllables):
                    readings[char].add(syllable)
    unambiguous = {char: next(iter(found)) for char, found in readings.items() if len(found) == 1}
    return by_code_name, dict(by_short_name), unambiguous


def _pinyin_syllables(code: str, name: str, short: str) -> list[str]:
    """Current names take the xiangyuecn reading; others pypinyin, corrected by the current readings."""
    by_code_name, by_short_name, unambiguous = _current_pinyin()
    listed = by_code_name.get((code, name))
    if listed and listed[0] == short:
        return listed[1].split()
    if short in by_short_name:
        return by_short_name[short].most_common(1)[0][0].split()
    from pypinyin import Style, lazy_pinyin

    guessed = lazy_pinyin(short, style=Style.NORMAL)
    if len(guessed) != len(short):
        return guessed
    return [unambiguous.get(char, syllable) for char, syllable in zip(short, guessed)]


def _parse_successors(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    at_end, partial = [], []
    for item in filter(None, text.split(";")):
        match = re.fullmatch(r"(\d{6})(?:\[(\d{4})\])?", item.strip())
        if match is None:
            raise MappingError(f"unreadable successor {item!r} in {CODE_HISTORY_CSV}")
        code, year = match.groups()
        if year:
            partial.append((code, int(year)))
        else:
            at_end.append(code)
    return tuple(at_end), tuple(partial)


@lru_cache(maxsize=1)
def _history_rows() -> tuple[_HistoryRow, ...]:
    rows = []
    with open(CODE_HISTORY_CSV, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["代码"]
            level = _LEVEL_BY_HISTORY[row["级别"]]
            if code in MUNICIPALITY_CODES:
                level = "municipality"
            at_end, partial = _parse_successors(row["新代码"])
            end = row["变更/弃用时间"]
            rows.append(
                _HistoryRow(code, row["名称"], level, int(row["启用时间"]), int(end) if end else None, at_end, partial)
            )
    return tuple(sorted(rows, key=lambda r: (r.code, r.start)))


# What the periods and lineage are derived from: the history, the pinyin list, the reviewed corrections and
# this code (and pypinyin's readings: its version goes in the name of the stored copy).
DERIVED_FROM = (CODE_HISTORY_CSV, CURRENT_PINYIN_CSV, OVERRIDES_CSV, Path(__file__))


def _derived(name: str, derive):
    from importlib.metadata import version

    return derived_once(f"{name}-pypinyin{version('pypinyin')}", DERIVED_FROM, derive)


@lru_cache(maxsize=1)
def region_periods() -> tuple[RegionPeriod, ...]:
    """One period per (code, name, unbroken run); history rows that differ only by parent name are joined.
    Derived once per change of what it is derived from (seconds of pinyin), then read back."""
    return _derived("region_periods", _derive_region_periods)


def _derive_region_periods() -> tuple[RegionPeriod, ...]:
    periods: list[RegionPeriod] = []
    for row in _history_rows():
        previous = periods[-1] if periods else None
        if previous and previous.code == row.code and previous.name == row.name and previous.valid_to == row.start:
            periods[-1] = replace(previous, valid_to=row.end)
            continue
        short = short_name(row.name)
        periods.append(
            RegionPeriod(
                code=row.code,
                name=row.name,
                short_name=short,
                name_en=romanise(_pinyin_syllables(row.code, row.name, short)),
                level=row.level,
                province_code=row.code[:2] + "0000",
                valid_from=row.start,
                valid_to=row.end,
            )
        )
    return tuple(periods)


@lru_cache(maxsize=1)
def _periods_by_code() -> dict[str, tuple[RegionPeriod, ...]]:
    grouped: dict[str, list[RegionPeriod]] = defaultdict(list)
    for period in region_periods():
        grouped[period.code].append(period)
    return {code: tuple(found) for code, found in grouped.items()}


def periods_of(code: str) -> tuple[RegionPeriod, ...]:
    """All names and periods of one code, oldest first (a reused code shows a gap)."""
    return _periods_by_code().get(code, ())


def period_in_force(code: str, year: int) -> RegionPeriod | None:
    return next((p for p in periods_of(code) if p.in_force(year)), None)


@lru_cache(maxsize=1)
def first_year() -> int:
    return min(p.valid_from for p in region_periods())


@lru_cache(maxsize=1)
def last_year() -> int:
    """Latest list year of the history (the year before the last change, or the newest start)."""
    ends = [p.valid_to - 1 for p in region_periods() if p.valid_to is not None]
    return max(ends + [p.valid_from for p in region_periods()])


def history_years() -> range:
    """Every year of the code history: the vintages the harmonised relations can be put on."""
    return range(first_year(), last_year() + 1)


@lru_cache(maxsize=None)
def units_in_force(year: int, levels: tuple[str, ...] = CITY_LEVELS) -> frozenset[str]:
    return frozenset(p.code for p in region_periods() if p.level in levels and p.in_force(year))


def prefectures_in_force(year: int, *, include_municipalities: bool = False) -> set[str]:
    """Prefecture-level codes (xxxx00) in force on 31 December of `year`; optionally with the 4 municipalities."""
    levels = CITY_LEVELS if include_municipalities else ("prefecture",)
    return set(units_in_force(year, levels))


def regions_table() -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame([p.__dict__ for p in region_periods()])
    frame["valid_to"] = frame["valid_to"].astype("Int64")
    return frame


def city_level_unit(code: str, year: int) -> str:
    """The prefecture-level unit a county-level code belongs to in `year` (itself when directly under a
    province, e.g. 429004 仙桃市)."""
    prefecture = code[:4] + "00"
    if prefecture != code[:2] + "0000" and period_in_force(prefecture, year):
        return prefecture
    if code[:2] + "0000" in MUNICIPALITY_CODES:
        return code[:2] + "0000"
    return code


def _continues(code: str, year: int) -> bool:
    return period_in_force(code, year) is not None


def _county_edges() -> list[tuple[str, str, int, Fraction | None, str]]:
    """(from, to, year, share, level) straight from the successors the history gives for county-level rows."""
    edges = []
    for row in _history_rows():
        if row.level != "county":
            continue
        edges.extend((row.code, target, year, None, row.level) for target, year in row.partial_transfers)
        if row.end is None or _continues(row.code, row.end):
            edges.extend((row.code, t, row.end, None, row.level) for t in row.successors_at_end if t != row.code)
            continue
        for target in row.successors_at_end:
            edges.append((row.code, target, row.end, Fraction(1, len(row.successors_at_end)), row.level))
    return edges


def _prefecture_edges() -> list[tuple[str, str, int, Fraction | None, str]]:
    """Prefecture-level edges from where each prefecture's county children went (see module docstring)."""
    children_by_prefix: dict[str, list[_HistoryRow]] = defaultdict(list)
    leaving: dict[tuple[str, int], list[_HistoryRow]] = defaultdict(list)
    for row in _history_rows():
        if row.level == "county":
            children_by_prefix[row.code[:4]].append(row)
            if row.end is not None and row.successors_at_end and not _continues(row.code, row.end):
                leaving[(row.code[:4], row.end)].append(row)
    edges = []
    handled: set[tuple[str, int]] = set()
    for (prefix, end), children_leaving in leaving.items():
        prefecture = period_in_force(prefix + "00", end - 1)
        if prefecture is None or prefecture.level != "prefecture":
            continue
        in_force = [c for c in children_by_prefix[prefix] if c.start <= end - 1 and (c.end is None or c.end > end - 1)]
        shares: Counter[str] = Counter()
        for child in children_leaving:
            for successor in child.successors_at_end:
                target = city_level_unit(successor, end)
                if target != prefecture.code:
                    shares[target] += Fraction(1, len(child.successors_at_end) * len(in_force))
        if _continues(prefecture.code, end):
            edges.extend((prefecture.code, t, end, share, prefecture.level) for t, share in shares.items())
        elif shares:
            handled.add((prefecture.code, end))
            total = sum(shares.values())
            edges.extend((prefecture.code, t, end, share / total, prefecture.level) for t, share in shares.items())
    for period in region_periods():
        end = period.valid_to
        if period.level != "prefecture" or end is None or _continues(period.code, end) or (period.code, end) in handled:
            continue
        named = _history_row_ending(period.code, end).successors_at_end
        edges.extend((period.code, city_level_unit(s, end), end, Fraction(1, len(named)), period.level) for s in named)
    return edges


def _history_row_ending(code: str, end: int) -> _HistoryRow:
    return next(row for row in _history_rows() if row.code == code and row.end == end)


def _kind(from_code: str, to_code: str, year: int, whole_targets: dict, sources: dict, level: str) -> str:
    if len(whole_targets[(from_code, year)]) > 1:
        return "split"
    target_period = period_in_force(to_code, year)
    is_new = target_period is not None and target_period.valid_from == year
    if is_new and sources[(to_code, year)] == {from_code}:
        if level == "county" and target_period.level in CITY_LEVELS:
            return "upgrade"  # county-level city made prefecture-level (儋州 2015)
        parent_digits = 4 if level == "county" else 2
        return "upgrade" if from_code[:parent_digits] == to_code[:parent_digits] else "transfer"
    return "merge"


@lru_cache(maxsize=1)
def _overrides() -> dict[tuple[str, str, int], dict[str, str]]:
    """Reviewed corrections to derived lineage edges (scope `lineage`, key `FROM>TO@YEAR`, field kind or
    weight), keyed (from_code, to_code, year)."""
    corrections: dict[tuple[str, str, int], dict[str, str]] = defaultdict(dict)
    with open(OVERRIDES_CSV, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["scope"] == "lineage":
                match = re.fullmatch(r"(\d{6})>(\d{6})@(\d{4})", row["key"])
                if match is None:
                    raise MappingError(f"lineage override key {row['key']!r} is not FROM>TO@YEAR in {OVERRIDES_CSV}")
                from_code, to_code, year = match.groups()
                corrections[(from_code, to_code, int(year))][row["field"]] = row["value"]
    return dict(corrections)


@lru_cache(maxsize=1)
def lineage_edges() -> tuple[LineageEdge, ...]:
    """Every lineage edge, oldest first; derived once per change of what it is derived from, then read back."""
    return _derived("lineage_edges", _derive_lineage_edges)


def _derive_lineage_edges() -> tuple[LineageEdge, ...]:
    edges: list[LineageEdge] = []
    for code, periods in _periods_by_code().items():
        for before, after in zip(periods, periods[1:]):
            if before.valid_to == after.valid_from and before.name != after.name:
                edges.append(LineageEdge(code, code, after.valid_from, "rename", 1.0, before.level))
    raw = _county_edges() + _prefecture_edges()
    whole = [(f, t, y, s, lv) for f, t, y, s, lv in raw if s is not None and not _continues(f, y)]
    whole_targets: dict[tuple[str, int], set[str]] = defaultdict(set)
    sources: dict[tuple[str, int], set[str]] = defaultdict(set)
    for from_code, to_code, year, _, _ in whole:
        whole_targets[(from_code, year)].add(to_code)
        sources[(to_code, year)].add(from_code)
    for from_code, to_code, year, share, level in raw:
        is_whole = share is not None and not _continues(from_code, year)
        kind = _kind(from_code, to_code, year, whole_targets, sources, level) if is_whole else "transfer"
        edges.append(LineageEdge(from_code, to_code, year, kind, None if share is None else float(share), level))
    edges = [_corrected(edge) for edge in edges]
    return tuple(sorted(edges, key=lambda e: (e.year, e.from_code, e.to_code)))


def _corrected(edge: LineageEdge) -> LineageEdge:
    correction = _overrides().get((edge.from_code, edge.to_code, edge.year), {})
    weight = correction.get("weight")
    return replace(
        edge,
        kind=correction.get("kind", edge.kind),
        weight=float(weight) if weight is not None else edge.weight,
    )


def lineage_table() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([e.__dict__ for e in lineage_edges()])


@lru_cache(maxsize=1)
def _successions() -> dict[tuple[str, int], tuple[LineageEdge, ...]]:
    """Edges that end a unit (everything but renames and partial transfers), keyed (from_code, year)."""
    grouped: dict[tuple[str, int], list[LineageEdge]] = defaultdict(list)
    for edge in lineage_edges():
        if edge.kind != "rename" and edge.weight is not None and not _continues(edge.from_code, edge.year):
            grouped[(edge.from_code, edge.year)].append(edge)
    return {key: tuple(found) for key, found in grouped.items()}


def successor_shares(code: str, year: int, vintage: int | None = None) -> dict[str, float]:
    """Codes in force in `vintage` (default: the latest list) that unit `code`, as it was in `year`, became,
    with the share of it each received. Empty when the unit was not in force in `year` or its trail is lost.
    A vintage before `year` goes back instead (see `_earlier_unit`)."""
    vintage = last_year() if vintage is None else vintage
    if vintage < year:
        return _earlier_unit(code, year, vintage)
    shares: dict[str, float] = defaultdict(float)
    pending = [(code, year, 1.0)]
    while pending:
        current, at_year, weight = pending.pop()
        period = period_in_force(current, at_year)
        if period is None:
            continue
        runs_to = _end_of_unbroken_run(current, period)
        if runs_to is None or runs_to > vintage:
            shares[current] += weight
            continue
        for edge in _successions().get((current, runs_to), ()):
            pending.append((edge.to_code, runs_to, weight * edge.weight))
    return dict(shares)


def _earlier_unit(code: str, year: int, vintage: int) -> dict[str, float]:
    """The unit in force in `vintage` that unit `code`, as it was in `year`, was: only where the area
    stayed whole in between (the same code, renames, or a 1:1 upgrade), with nothing merged in or
    transferred out. Otherwise empty: a later unit's value is never put on an earlier unit's area."""
    current, at_year = code, year
    while True:
        period = period_in_force(current, at_year)
        if period is None:
            return {}
        start = _start_of_unbroken_run(current, period)
        window = (max(start, vintage), at_year)
        changes = [e for e in _edges_of(current) if e.from_code != e.to_code and window[0] < e.year <= window[1]]
        if changes:
            return {}
        if start <= vintage:
            return {current: 1.0}
        incoming = [e for e in _edges_of(current) if e.to_code == current != e.from_code and e.year == start]
        if len(incoming) != 1 or incoming[0].weight != 1.0 or incoming[0].kind not in ("upgrade", "rename"):
            return {}
        current, at_year = incoming[0].from_code, start - 1


@lru_cache(maxsize=1)
def _edges_by_code() -> dict[str, tuple[LineageEdge, ...]]:
    touching: dict[str, list[LineageEdge]] = defaultdict(list)
    for edge in lineage_edges():
        touching[edge.from_code].append(edge)
        if edge.to_code != edge.from_code:
            touching[edge.to_code].append(edge)
    return {code: tuple(edges) for code, edges in touching.items()}


def _edges_of(code: str) -> tuple[LineageEdge, ...]:
    return _edges_by_code().get(code, ())


def _start_of_unbroken_run(code: str, period: RegionPeriod) -> int:
    """Where the code starts being in force, looking past renames (same code, no gap)."""
    start = period.valid_from
    while (earlier := period_in_force(code, start - 1)) is not None:
        start = earlier.valid_from
    return start


def _end_of_unbroken_run(code: str, period: RegionPeriod) -> int | None:
    """Where the code stops being in force, looking past renames (same code, no gap)."""
    end = period.valid_to
    while end is not None:
        following = period_in_force(code, end)
        if following is None:
            return end
        end = following.valid_to
    return None


def predecessors(code: str) -> list[LineageEdge]:
    return [e for e in lineage_edges() if e.to_code == code and e.from_code != code]


def successors(code: str) -> list[LineageEdge]:
    return [e for e in lineage_edges() if e.from_code == code and e.to_code != code]


def yearly_list(year: int) -> dict[str, str]:
    """The history's own 31-December list for `year`: code -> name (used to check the derivation)."""
    listed = {}
    with open(YEARLY_LISTS_DIR / f"{year}.txt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                code, name = line.split(maxsplit=1)
                listed[code] = name.strip()
    return listed
