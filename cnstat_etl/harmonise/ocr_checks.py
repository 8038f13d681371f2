"""Checks that catch OCR misreadings, using the redundancy yearbooks print.

A value read off a scan (`match_kind = 'ocr'`) is doubtful when the recogniser was unsure of it, or when
the table contradicts it: a province total that is not the sum of its cities, a 市辖区 value above the
全市 value of an additive indicator, a per-capita value far from total ÷ population. A doubtful value
still loads, marked `needs_review` with its reasons, so a researcher can check it against the page
(`cnstat review export`); the panel leaves it out unless asked to include it. The check against the
same city's other years needs the warehouse and runs at load time (load.warehouse).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable

from cnstat_etl.config import ocr_review
from cnstat_etl.indicators import indicators
from cnstat_etl.model import SURE_READ, Aggregate, Observation

# Below this recognition confidence (the lowest over a cell's words, after extract has read an unsure
# number again) a value is reviewed.
MIN_CONFIDENCE = SURE_READ
# Printed values are rounded: a total may differ from the sum of its rounded parts by this share.
SUM_TOLERANCE = 0.002
# Cities summing to at least this share of their province's printed total are taken for all of them.
COMPLETE_SHARE = 0.9
# A decimal point the recogniser drops leaves this many decimals at most: yearbooks print one or two.
POINT_DIGITS = 2


def review_reasons(observations: list[Observation], aggregates: list[Aggregate], confidences: dict[int, float],
                   seconds: dict[int, tuple[Observation, float]] | None = None) -> list[Observation]:
    """The observations with `needs_review` and `review_reasons` set for the OCR values a check doubts.

    `confidences` maps an observation's index to the recognition confidence of its cell; `seconds` an unsure
    one's to its reading of another text at another scale (extract's), with that reading's confidence. The
    second reading is taken when a check refutes the first and, itself read surely, it passes every check
    and makes no other cell doubtful: never on confidence alone, where two readings of one cell disagree.
    A second that only adds the minus sign the first lacks (extract's, where the scan shows a dash no read
    gave) is taken only where the totals tell that sign was lost: an inequality no longer broken is no
    measure of a sign.
    """
    observations, confidences = list(observations), dict(confidences)
    doubts, signs_lost = _refuted(observations, aggregates)
    for index, (second, confidence) in (seconds or {}).items():
        if index not in doubts or confidence < MIN_CONFIDENCE:
            continue
        first = observations[index]
        if first.value and second.value == -first.value and index not in signs_lost:
            continue
        trial = observations[:index] + [second] + observations[index + 1:]
        again, _ = _refuted(trial, aggregates)
        if index not in again and again.keys() <= doubts.keys():
            observations, doubts, confidences[index] = trial, again, confidence
    reasons: dict[int, list[str]] = defaultdict(list)
    for index, confidence in confidences.items():
        if confidence < MIN_CONFIDENCE:
            reasons[index].append(f"recognition confidence {confidence:.2f} < {MIN_CONFIDENCE}")
    for index, found in doubts.items():
        reasons[index] += found
    for index, found in reasons.items():
        earlier = [observations[index].review_reasons] if observations[index].review_reasons else []  # harmonise's
        observations[index] = dataclasses.replace(observations[index], needs_review=True,
                                                  review_reasons="; ".join(earlier + found))
    return observations


def _refuted(observations: list[Observation], aggregates: list[Aggregate]) -> tuple[dict[int, list[str]], set[int]]:
    """The reasons the table's arithmetic gives to doubt each OCR value, by the observation's index; and the
    values whose lost minus sign the totals tell (`_check_totals`)."""
    reasons: dict[int, list[str]] = defaultdict(list)
    ocr = {i for i, o in enumerate(observations) if o.match_kind == "ocr"}
    signs_lost = _check_totals(observations, aggregates, ocr, reasons)
    by_cell = {(o.source_file, o.region_code, o.year, o.indicator, o.scope): i for i, o in enumerate(observations)}
    _check_scopes(observations, by_cell, ocr, reasons, signs_lost)
    _check_per_capita(observations, by_cell, ocr, reasons)
    return reasons, signs_lost


def _additive(indicator_id: str) -> bool:
    """Whether parts of the indicator sum to the whole; unknown (so unchecked) for a provisional one."""
    known = indicators().get(indicator_id)
    return bool(known and known.additive)


def _check_totals(observations, aggregates, ocr, reasons) -> set[int]:
    """A province's total rows against the sum of that province's cities printed in the same table; the
    values whose lost minus sign the totals tell, by their index.

    A finance office prints two: the province (its own level, 本级, included) and 市县小计, the sum of its
    cities alone. Cities that add up to one of a province's totals are confirmed; the other, larger one is
    no contradiction. Cities that add up once one of them is negative doubt that one alone (`_sign_lost`)."""
    signs_lost: set[int] = set()
    members: dict[tuple, list[int]] = defaultdict(list)
    for i in ocr:
        o = observations[i]
        members[(o.source_file, o.table_title, o.province_code, o.year, o.indicator, o.scope)].append(i)
    totals: dict[tuple, list[Aggregate]] = defaultdict(list)
    for total in aggregates:
        key = (total.source_file, total.table_title, total.province_code, total.year, total.indicator, total.scope)
        if key in members and total.value is not None and _additive(total.indicator):
            totals[key].append(total)
    for key, printed in totals.items():
        parts = members[key]
        summed = sum(observations[i].value or 0 for i in parts)
        if any(abs(summed - total.value) <= abs(total.value) * SUM_TOLERANCE for total in printed):
            continue
        lost = _sign_lost(observations, parts, summed, [total.value for total in printed])
        signs_lost.update(lost)
        point = [] if lost else _point_lost(observations, parts, summed, [total.value for total in printed])
        for total in printed:
            # Over the total is impossible; a little under it is a complete listing that does not add up. Far
            # under it, the table prints only some of the province's cities and the sum says nothing.
            over = summed > total.value * (1 + SUM_TOLERANCE)
            short = COMPLETE_SHARE * total.value <= summed < total.value * (1 - SUM_TOLERANCE)
            if over or short:
                _doubt(lost or point or parts, ocr, reasons, f"the cities sum to {summed:g}, the printed total "
                       f"{total.row_label!r} is {total.value:g}" + (
                           ", a total they make with this value negative" if lost else
                           ", a total they make with a decimal point in this value" if point else ""))
                break
    return signs_lost


def _sign_lost(observations, parts, summed: float, totals: list[float]) -> list[int]:
    """The one part whose value read positive, were it negative, makes the parts add up to one of the printed
    totals: a minus sign the recogniser dropped (a few faint pixels on a low resolution scan, read surely
    without it). The others then add up, so only it is doubted; none, or several that would do, doubt every
    part."""
    return _one_misread(observations, parts, summed, totals, lambda o: [-o.value] if (o.value or 0) > 0 else [])


def _point_lost(observations, parts, summed: float, totals: list[float]) -> list[int]:
    """The one part read with no decimal point that, its last one to POINT_DIGITS digits decimals, makes the
    parts add up to one of the printed totals: a point the recogniser dropped (a pixel or two at 150 dpi,
    "75729.3" read surely as "757293"). As `_sign_lost`: only it is doubted, the others add up."""
    def pointed(o: Observation) -> list[float]:
        if not o.value or "." in o.value_as_printed:
            return []
        digits = sum(ch.isdigit() for ch in o.value_as_printed)
        return [o.value / 10 ** decimals for decimals in range(1, min(POINT_DIGITS, digits - 1) + 1)]
    return _one_misread(observations, parts, summed, totals, pointed)


def _one_misread(observations, parts, summed: float, totals: list[float],
                 readings: Callable[[Observation], list[float]]) -> list[int]:
    """The one part that, read as one of `readings` of it instead, makes the parts add up to one of the
    printed totals; none where no part or several would."""
    found = {i for i in parts for value in readings(observations[i]) for total in totals
             if abs(summed - (observations[i].value or 0) + value - total) <= abs(total) * SUM_TOLERANCE}
    return list(found) if len(found) == 1 else []


def _check_scopes(observations, by_cell, ocr, reasons, signs_lost: set[int]) -> None:
    """全市 >= 市辖区: the urban districts are part of the whole city, for an additive indicator. A 市辖区 value
    whose minus the totals tell was lost is no measure of its 全市, which is doubted only if it is below the
    value negative too."""
    for i in ocr:
        o = observations[i]
        if o.scope != "urban_districts" or o.value is None or not _additive(o.indicator):
            continue
        whole = by_cell.get((o.source_file, o.region_code, o.year, o.indicator, "city_total"))
        if whole is None or observations[whole].value is None:
            continue
        if o.value > observations[whole].value:
            lost = i in signs_lost and -o.value <= observations[whole].value
            _doubt((i,) if lost else (i, whole), ocr, reasons,
                   f"市辖区 {o.value_as_printed} exceeds 全市 {observations[whole].value_as_printed}")


def _check_per_capita(observations, by_cell, ocr, reasons) -> None:
    """A printed per-capita value against the printed total divided by the printed population."""
    check = ocr_review().per_capita  # (mappings/ocr_review.toml)
    for i in ocr:
        o = observations[i]
        if o.indicator not in check.of or not o.value:
            continue
        total_id, population_id = check.of[o.indicator]
        total = by_cell.get((o.source_file, o.region_code, o.year, total_id, o.scope))
        population = by_cell.get((o.source_file, o.region_code, o.year, population_id, o.scope))
        if total is None or population is None or not observations[population].value \
                or not observations[total].value:
            continue
        ratio = o.value / (observations[total].value / observations[population].value)
        if not 1 / check.ratio <= ratio <= check.ratio:
            _doubt((i, total, population), ocr, reasons,
                   f"per capita {o.value:g} is {ratio:.2f} times total ÷ population")


def _doubt(cells, ocr, reasons, reason: str) -> None:
    """Record the reason on those of the cells that were read off a scan (a text layer's value is as printed)."""
    for cell in cells:
        if cell in ocr:
            reasons[cell].append(reason)
