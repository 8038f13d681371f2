"""Reading printed cell text: folding widths and padding, numbers, missing markers, bilingual labels."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from cnstat_etl.config import layout

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_START = re.compile(r"[A-Za-z]")
_FOOTNOTE_MARK = re.compile(r"[*＊※①②③④⑤⑥⑦⑧⑨⑩†‡]+|\(\d\)|（\d）|\[\d\]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def plural(count: int, word: str) -> str:
    """"1 problem", "2 problems", "0 problems"."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def as_printed(text: str) -> str:
    """The text as printed with only its whitespace runs (line breaks in a cell) folded to one space."""
    return " ".join((text or "").split())


def fold(text: str) -> str:
    """Full-width to ASCII and compatibility forms folded (NFKC), whitespace runs to one space."""
    text = unicodedata.normalize("NFKC", text or "")
    return " ".join(text.split())


# A yearbook repeats the same few thousand cell texts; the layout engine and the table reader ask about
# each many times. Both functions are pure, so a bounded cache saves most of a long book's text work.
TEXT_CACHE = 1 << 16


@functools.lru_cache(maxsize=TEXT_CACHE)
def squash(text: str) -> str:
    """`fold` with every space removed: "全 省" -> "全省", "城  市" -> "城市".

    Repeated until stable: NFKC can turn a character into a space plus an accent ("´"), and joining
    across the removed space then composes anew.
    """
    text = text or ""
    if text.isascii():
        return "".join(text.split())  # NFKC leaves ASCII as it is
    previous, squashed = text, "".join(unicodedata.normalize("NFKC", text).split())
    if unicodedata.is_normalized("NFKC", squashed):
        return squashed  # (stable: folding it again changes nothing, so the loop is not run)
    while squashed != previous:
        previous, squashed = squashed, "".join(unicodedata.normalize("NFKC", squashed).split())
    return squashed


def balanced(text: str) -> bool:
    """No bracket left open or closed unopened."""
    depth = 0
    for char in text:
        depth += (char in "(（") - (char in ")）")
        if depth < 0:
            return False
    return depth == 0


def shows_part_of(shown: str, text: str) -> bool:
    """`shown`'s characters are among `text`'s, in the same order (blanks aside)."""
    rest = iter(squash(text))
    return all(char in rest for char in squash(shown))


def split_bilingual(text: str) -> tuple[str, str]:
    """Split "南 京 Nanjing" into ("南京", "Nanjing"); Chinese padding spaces are dropped.

    Yearbooks print the Chinese label first and the English after it, on one line or several.
    """
    folded = fold(text)
    match = _LATIN_START.search(folded)
    if match is None or not _CJK.search(folded[: match.start()]):
        chinese, english = (folded, "") if _CJK.search(folded) else ("", folded)
    else:
        chinese, english = folded[: match.start()], folded[match.start():]
    return "".join(chinese.split()), english.strip()


def strip_footnote_marks(text: str) -> str:
    return _FOOTNOTE_MARK.sub("", text)


def is_missing(text: str) -> bool:
    return squash(text) in _missing_markers()


@dataclass(frozen=True)
class ParsedNumber:
    value: float | None  # None: a missing marker
    ok: bool  # False: the text is neither a number nor a missing marker


@functools.lru_cache(maxsize=TEXT_CACHE)
def parse_number(text: str) -> ParsedNumber:
    """Read a printed number: full-width digits, thousands separators, footnote marks beside it."""
    if text.isascii():  # most cells: no folding needed, and no missing marker reads as a number
        plain = "".join(text.split()).replace(",", "")
        if _NUMBER.match(plain):
            return ParsedNumber(float(plain), True)
    if is_missing(text):
        return ParsedNumber(None, True)
    cleaned = strip_footnote_marks(squash(text)).replace(",", "").replace("\u2212", "-")  # U+2212: a minus sign
    if _NUMBER.match(cleaned):
        return ParsedNumber(float(cleaned), True)
    return ParsedNumber(None, False)


def matches_prefix(text: str, prefixes: Sequence[str]) -> bool:
    return squash(text).startswith(_squashed_prefixes(tuple(prefixes)))


@functools.lru_cache(maxsize=None)
def _squashed_prefixes(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """The prefixes squashed, empty ones left out (they would match any text): asked per table row."""
    return tuple(squash(p) for p in prefixes if p)


@functools.lru_cache(maxsize=None)
def _missing_markers() -> frozenset[str]:
    # read at first use, not import: a broken layout.toml is then the command's one-line error
    return frozenset(squash(m) for m in layout().missing_markers)
