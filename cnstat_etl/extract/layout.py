"""The layout engine: city tables rebuilt from what a page prints, whatever reads the page.

Input is a neutral `PageGeometry`: glyph boxes (a character, or a word an OCR engine boxed) and rule
segments. pdfplumber supplies it today (`pdf.geometry_of`); a PDFium reader or OCR word boxes can
supply the same record and reuse everything here. Output is the `Block` that `tables.TableAssembler`
reads, plus a `TableLayout` saying what was seen (for `--explain` and for the problems).

How a page is read:
- glyphs -> text lines (by baseline) -> phrases (by gaps; a label never swallows a number: a run of
  digits after a name is cut off even when printed close to it, and numbers a space apart are two unless
  the space groups digits in threes); the grouping and cutting run in C (_text_lines.c) where it was built,
  a book having a few hundred thousand glyphs;
- body lines: a label then numbers or missing markers; consecutive ones (with the label-only province
  rows between them) make one table's body;
- columns: vertical rules where they cross the body (values right of the last one a column too: an
  unruled outer edge), else how the body's cells line up (right edges, centres, the gaps between them)
  over all its rows;
- header band: the lines between the title / unit line (or a ruled grid's top rule) and the first body
  row. In a ruled header each box is a header cell heading the columns it spans, whatever its lines;
  otherwise each header piece (phrases stacked on consecutive lines, unit lines like "(万元)" included)
  heads the columns it overlaps, and a piece heading a group (an indicator over 全市 / 市辖区) spreads
  over the columns of the pieces under it. The label header ("城 市 City") may sit anywhere in the band;
- grid rows: the stretches between horizontal rules where vertical rules make cells (a ruled grid) and
  no stretch holds two lines of numbers, otherwise one per text line, a label wrapped around its row's
  values joined to them;
- cells: each phrase in the column its middle lies in; a number reaching across the rule between two value
  columns (or over another column's values) is refused in both, unless the rule runs through a space in it
  (two cells printed close); a number in powers of ten ("1E+08", a spreadsheet's cell too narrow) is refused;
- a page whose table prints no header reuses the columns of the table before it (a continuation).
"""

from __future__ import annotations

import ctypes
import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice, repeat
from operator import itemgetter
from typing import NamedTuple

import numpy

from cnstat_etl.config import layout
from cnstat_etl.extract import compiled
from cnstat_etl.extract.tables import Block, formula_cell, is_continuation, marks_continuation, refused_cell
from cnstat_etl.model import Problem
from cnstat_etl.text import (TEXT_CACHE, balanced, fold, is_missing, matches_prefix, parse_number, split_bilingual,
                             shows_part_of, squash)

# Characters farther apart than this many of their own sizes belong to different cells.
CELL_GAP = 1.5
# A gap wider than this many character sizes inside a cell is printed as a space ("南 京").
WORD_GAP = 0.15
# Digits are never spaced inside one number: a gap this wide (in sizes) between digits ends a cell.
DIGIT_GAP = 0.3
# Characters whose baselines differ by less than this many sizes are on one line.
BASELINE_TOLERANCE = 0.35
# Marks a font may box above the line (the apostrophe of "Qian'an", the hyphen of "Shangri-la"): they join a
# line, but a line's baseline is its first other character's, else a label's raised mark parts it from its
# own name.
RAISED_MARKS = "'\"`^*°‘’“”-–—"
# A character reaching this many of its sizes back over the one before it is printed over it.
OVERPRINT = 0.3
# The same character drawn again less than this share of its width to the side is one character printed
# bold; farther aside it is another text's, printed over this one (two boxes' texts meeting at their edge).
BOLD_OFFSET = 0.1
# Characters printed over each other on baselines farther apart than this share of their smallest size
# are two lines run into each other (a header's second line and the first row), read apart.
BASELINE_STEP = 0.1
# A rule crossing at least this share of a table's width is one of its horizontal rules.
RULE_SHARE = 0.8
# Header lines sit at most this many (largest) character sizes apart; a wider gap ends the band.
HEADER_LEADING = 1.6
# A rule this share of a line's size inside its glyphs' top and bottom runs through it, not over or under it.
RULE_THROUGH = 0.25
# In a ruled grid, a line this share of the body's row pitch (or this many sizes) below the line before
# it in the same ruled stretch is a row of its own, not that cell's next line.
ROW_SHARE = 0.8
ROW_STEP = 1.3
# A label printed this many character sizes right of the flush labels is indented (one blank per size).
INDENT_STEP = 1.0

_DIGITS = frozenset("0123456789０１２３４５６７８９")
# A value's digits never start with a zero and another digit: "000 000" is header text, the tail of a unit
# "(100 000 000 yuan)" wrapped in its box.
_ZERO_LED = re.compile(r"[-−]?[0０][\s,，]*[0-9０-９]")
# ASCII digits, a decimal point between them: a number as most cells print it
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# A number some of whose digits print as letters or a bracket (a font mapping its digits' glyphs to other
# characters: "135OOO", "4414)"): digits first, and most of it digits.
_GARBLED_NUMBER = re.compile(r"[0-9][0-9A-Za-z)]*")
# The number may be negative (ASCII or U+2212 minus); a dash after a digit is a range ("15-64"), not a sign.
_TRAILING_NUMBER = re.compile(r"(?<=[\u3400-\u9fffA-Za-z)）])[-−]?[0-9０-９][0-9０-９,，.．]*\s*$")
# A dash printed right after a Chinese name: the missing marker of the cell after it.
_TRAILING_MARKER = re.compile(r"(?<=[\u3400-\u9fff])(?:—{1,2}|－)$")
# Numbers, or what may be, a space apart, or beside a missing marker no sign is mistaken for (checked first:
# most phrases holding a space are names).
_SPACED_WORD = r"(?:[-−]?[0-9０-９][0-9０-９,，.．]*|[…—－]+)"
_SPACED_NUMBERS = re.compile(f"{_SPACED_WORD}(?: {_SPACED_WORD})+")
# A number in powers of ten: "1E+08", "1.5e-3".
_EXPONENT = re.compile(r"[0-9０-９][eE][+-]?[0-9]")
# Digits a number spaces in groups: one to three, then threes, then maybe decimals ("1 234 567.8").
_SPACE_GROUPED = re.compile(r"[-−]?[0-9０-９]{1,3}(?: [0-9０-９]{3})+(?:[.．][0-9０-９]+)?")
# A sign never stands inside a number: one a space after a number's digits starts the next number.
_NEGATIVE_AFTER_NUMBER = re.compile(r"(?<=[0-9０-９] )[-−][0-9０-９][0-9０-９,，.．]*$")


# ------------------------------------------------------------------------------------- page geometry

# A glyph's box reaches this share of its size below its baseline, whatever its font: the bottom of a
# Chinese font's ideographic em box. (Fonts declare a descent of their own, or none: LibreOffice writes 0,
# and then pdfminer boxes from the baseline while PDFium makes one up from whatever glyphs its subset has;
# a reader's boxes placed by them part one line's fonts by a point and more, and the readers disagree.)
DESCENT = 0.12


class Glyph(NamedTuple):
    """One printed character (or word, from OCR) with its box, in points from the page's top left.

    A named tuple: a long book has a few hundred thousand, and a frozen dataclass costs ~3x to build."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class Segment:
    """A printed rule: horizontal when top == bottom (give or take its width), else vertical."""

    x0: float
    x1: float
    top: float
    bottom: float


class Glyphs(Sequence):
    """A page's glyphs as columns, each glyph one character: what PDFium's reader makes and the C line
    finder reads. As a sequence it is the same `Glyph`s, made when first asked for: a page has a
    thousand, and most are never looked at one by one."""

    __slots__ = ("codes", "x0", "x1", "top", "bottom", "size", "_made")

    def __init__(self, codes, x0, x1, top, bottom, size):
        self.codes = numpy.ascontiguousarray(codes, dtype=numpy.uint32)  # each glyph's character, as a code
        self.x0, self.x1, self.top, self.bottom, self.size = (numpy.ascontiguousarray(column, dtype=numpy.float64)
                                                              for column in (x0, x1, top, bottom, size))
        self._made: list[Glyph] | None = None

    @classmethod
    def empty(cls) -> "Glyphs":
        return cls(*[()] * 6)

    @classmethod
    def of(cls, glyphs: Sequence[Glyph]) -> "Glyphs | None":
        """`glyphs` as columns; None where a glyph's text is not one character (an OCR word, "(cid:12)")."""
        if isinstance(glyphs, Glyphs):
            return glyphs
        texts = list(map(_TEXT, glyphs))
        if any(len(text) != 1 for text in texts):
            return None
        count = len(texts)
        return cls(numpy.fromiter(map(ord, texts), dtype=numpy.uint32, count=count),
                   *(numpy.fromiter(map(column, glyphs), dtype=numpy.float64, count=count)
                     for column in (_X0, _X1, _TOP, _BOTTOM, _SIZE)))

    def take(self, indexes: list[int]) -> list[Glyph]:
        """The glyphs at `indexes`, in that order (made alone: the page's others are not)."""
        if self._made is not None:
            return list(map(self._made.__getitem__, indexes))
        at = numpy.array(indexes, dtype=numpy.intp)
        return _made_glyphs(self.codes[at], self.x0[at], self.x1[at], self.top[at], self.bottom[at], self.size[at])

    def printed(self) -> int:
        """How many glyphs print something (not a blank)."""
        return int(numpy.count_nonzero(~BLANK_CODES[numpy.minimum(self.codes, 0xFFFF)]))

    def _glyphs(self) -> list[Glyph]:
        if self._made is None:
            self._made = _made_glyphs(self.codes, self.x0, self.x1, self.top, self.bottom, self.size)
        return self._made

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, index):
        return self._glyphs()[index]

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __reduce__(self):  # the columns, not the glyphs made from them
        return Glyphs, (self.codes, self.x0, self.x1, self.top, self.bottom, self.size)


def _garbled_number(text: str) -> bool:
    # the pattern first, and a text of digits alone (a plain number) next: the engine asks this of nearly
    # every phrase of a book, and counting digits char by char in Python for each cost more than the rest
    if not _GARBLED_NUMBER.fullmatch(text) or text.isdigit():
        return False
    digits = len(text) - len(text.translate(_NO_ASCII_DIGITS))  # the pattern leaves ASCII only
    return digits >= 3 and 2 * digits >= len(text)


_NO_ASCII_DIGITS = str.maketrans("", "", "0123456789")


def _made_glyphs(codes: numpy.ndarray, *boxes: numpy.ndarray) -> list[Glyph]:
    columns = (list(map(chr, codes.tolist())), *(column.tolist() for column in boxes))
    return list(map(tuple.__new__, repeat(Glyph), zip(*columns)))  # Glyph(*row), built in C


# A glyph whose middle lies this far (points) outside its text's clip is not shown.
CLIP_TOLERANCE = 0.5


@dataclass(frozen=True)
class ClippedCell:
    """A box (a spreadsheet cell printed to PDF) whose text overflows it and is clipped at its edges, with
    all of its text as written, shown or not, in reading order."""

    x0: float
    top: float
    x1: float
    bottom: float
    text: str

    def holds(self, x: float, y: float) -> bool:
        return self.x0 - 1 <= x <= self.x1 + 1 and self.top - 1 <= y <= self.bottom + 1


@dataclass
class PageGeometry:
    """What a reader saw on a page, independent of the reader."""

    number: int
    width: float
    height: float
    glyphs: Sequence[Glyph]  # a list, or a page's `Glyphs` columns: what is shown
    horizontal: list[Segment]
    vertical: list[Segment]
    clipped: list[ClippedCell] = field(default_factory=list)  # PDFium's reader only


# str.isspace() of each character of the BMP, looked up by code (no blank lies beyond it); numpy asks all
# 65,536 at once (0.5 ms, where a loop over chr() cost 5 ms of the start-up of every command that reads a PDF)
BLANK_CODES = numpy.char.isspace(numpy.arange(0x10000, dtype=numpy.uint32).view("U1"))


def printed_count(glyphs: Sequence[Glyph]) -> int:
    """How many of a page's glyphs print something (not a blank)."""
    if isinstance(glyphs, Glyphs):
        return glyphs.printed()
    return sum(1 for text in map(_TEXT, glyphs) if text.strip())


# Glyph fields by position (C-level getters: the engine reads a book's few hundred thousand glyphs often)
_TEXT, _X0, _X1, _TOP, _BOTTOM, _SIZE = map(itemgetter, range(len(Glyph._fields)))
_BASELINE_ORDER = itemgetter(Glyph._fields.index("bottom"), Glyph._fields.index("x0"))


def _single_characters(glyphs: Sequence[Glyph]) -> Sequence[Glyph]:
    """Word boxes (OCR) spread into character boxes of equal width, so one tokeniser serves both."""
    if isinstance(glyphs, Glyphs) or not glyphs or max(map(len, map(_TEXT, glyphs))) <= 1:
        return glyphs  # a text layer's characters (told apart in C: a page has a thousand)
    out = []
    for glyph in glyphs:
        text = glyph.text
        if len(text) <= 1:
            out.append(glyph)
            continue
        step = (glyph.x1 - glyph.x0) / len(text)
        out += [Glyph(ch, glyph.x0 + i * step, glyph.x0 + (i + 1) * step, glyph.top, glyph.bottom, glyph.size)
                for i, ch in enumerate(text)]
    return out


# ------------------------------------------------------------------------------------------- phrases

class _once:
    """A property computed on first use and kept in the instance: `functools.cached_property` without the
    lock Python 3.11 takes on every first use (the engine asks it of ~100k phrases and lines a book)."""

    def __init__(self, function):
        self.function, self.name, self.__doc__ = function, function.__name__, function.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value


@dataclass
class Phrase:
    """Characters of one line close enough to be one cell's text."""

    text: str
    x0: float
    x1: float
    size: float
    chars: Sequence[Glyph] = field(default_factory=list, repr=False)

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2

    # A phrase's text never changes once read, and the engine asks these of each phrase many times.
    @_once
    def is_number(self) -> bool:
        return self.is_value and not is_missing(self.text) and not _garbled_number(self.text)

    @_once
    def is_value(self) -> bool:
        """A number or a missing marker: what a value cell prints; or a number printed garbled, a cell no one
        can read, never a label."""
        if _PLAIN_NUMBER.fullmatch(self.text):
            # most cells: digits, which read as a number unless zero-led (and never as a garbled one)
            return not _ZERO_LED.match(self.text)
        return bool(self.text.strip()) and (parse_number(self.text).ok and not _ZERO_LED.match(self.text)
                                            or _garbled_number(self.text))


@dataclass
class Line:
    top: float
    bottom: float
    phrases: list[Phrase]
    size: float
    overprinted: bool = False  # two texts printed over each other on one baseline: no cell can be trusted

    # A line's phrases never change once read, and the engine asks these of each line several times.
    @_once
    def text(self) -> str:
        return " ".join(p.text for p in self.phrases)

    @_once
    def is_title(self) -> bool:
        """Running header, table number, unit line, 续表, a note: never a header or body row."""
        return _is_title_text(self.text)

    @_once
    def is_body(self) -> bool:
        """A label, then value cells, at least one of them a number."""
        phrases = self.phrases
        first_value = next((i for i, p in enumerate(phrases) if p.is_value), None)
        if not first_value:  # None (no value) or 0 (no label)
            return False
        values = phrases[first_value:]
        # "Utilised (10" then "000 000": digit groups inside a bracket the label opens are wrapped header text
        label = "".join(p.text for p in phrases[:first_value])
        if label.count("(") + label.count("（") > label.count(")") + label.count("）"):
            return False
        return all(p.is_value for p in values) and any(p.is_number for p in values) and not self.is_title

    @property
    def x0(self) -> float:
        return self.phrases[0].x0

    @property
    def x1(self) -> float:
        return self.phrases[-1].x1


def _phrases(chars: list[Glyph], overprinted: bool = False) -> list[Phrase] | None:
    """A line's characters (left to right) cut into phrases where a cell's gap parts them; None where a
    character is printed over another (unless the line is already known to be `overprinted`).

    One pass builds each phrase's text as it goes (a space where the gap is wider than a space): a
    book has a few hundred thousand characters."""
    phrases: list[Phrase] = []
    run: list[Glyph] = []
    parts: list[str] = []
    previous = None
    size_most = previous_x1 = 0.0
    for char in chars:
        text, x0, x1, _, _, size = char
        if not text.strip():
            continue  # padding spaces: the gap they leave decides
        if previous is not None:
            gap = x0 - previous_x1
            if gap < 0 and _bolded(previous, char):
                continue  # the same character drawn again a hair to the side: how some PDFs print bold
            if gap < -OVERPRINT * size and not overprinted:
                return None
            if gap > CELL_GAP * size or (gap > DIGIT_GAP * size and text[:1] in _DIGITS
                                         and previous.text[:1] in _DIGITS):
                phrases += _cut_trailing_number(Phrase("".join(parts), run[0].x0, previous_x1, size_most, run))
                run, parts, size_most = [], [], 0.0
            elif gap > WORD_GAP * size:
                parts.append(" ")
        run.append(char)
        parts.append(text)
        size_most = size if size > size_most else size_most
        previous, previous_x1 = char, x1
    if run:
        phrases += _cut_trailing_number(Phrase("".join(parts), run[0].x0, previous_x1, size_most, run))
    return phrases


def _bolded(previous: Glyph, char: Glyph) -> bool:
    """The same character again, a hair to the side (BOLD_OFFSET): one character ("ll" printed tight is two)."""
    return char.text == previous.text and abs(char.x0 - previous.x0) < BOLD_OFFSET * (previous.x1 - previous.x0)


def _phrase_of(chars: list[Glyph]) -> Phrase:
    """One phrase of characters in a row, a space where the gap is wider than a space (built once: linear)."""
    first = chars[0]
    parts = [first.text]
    previous_x1 = first.x1
    for char in islice(chars, 1, None):
        if char.x0 - previous_x1 > WORD_GAP * char.size:
            parts.append(" ")
        parts.append(char.text)
        previous_x1 = char.x1
    return Phrase("".join(parts), first.x0, chars[-1].x1, max(map(_SIZE, chars)), list(chars))


def cut_at(phrase: Phrase, regions: list[tuple[float, float]]) -> list[Phrase]:
    """A header phrase cut where two cells were printed close: after a label header word ("地 区" then
    the next header), or at a gap of half a character or more (wider than a space between words) whose
    two sides are centred over different columns."""
    if " " not in phrase.text:
        # a phrase's text holds a space at each gap wider than a space's: with none there is no cut, and its
        # glyphs need not be taken from the page (half a book's header phrases)
        return [phrase]
    label_words = _label_words()
    chars = list(phrase.chars)  # indexed a few times a glyph: a list, not a phrase's lazy glyphs
    for index in range(1, len(chars)):
        gap = chars[index].x0 - chars[index - 1].x1
        if gap <= WORD_GAP * chars[index].size:
            continue
        left, right = chars[:index], chars[index:]
        after_label = squash("".join(c.text for c in left)) in label_words
        if after_label or (gap >= 0.5 * chars[index].size and _centre_column(left, regions) != _centre_column(
                right, regions)):
            return [_phrase_of(left)] + cut_at(_phrase_of(right), regions)
    return [phrase]


def _centre_column(chars: list[Glyph], regions: list[tuple[float, float]]) -> int:
    centre = (chars[0].x0 + chars[-1].x1) / 2
    column = _region_of(centre, regions)
    return -1 if column is None and centre < regions[0][0] else column if column is not None else len(regions)


def _cut_trailing_number(phrase: Phrase) -> list[Phrase]:
    """"石家庄65421691" printed too close: the name and the number are two cells; so are "34563.6" and the
    negative number a space after it, and numbers a space apart that no number's digit groups make."""
    if " " in phrase.text and len(parts := _spaced_numbers(phrase)) > 1:
        return parts
    if phrase.is_value:
        return [phrase]
    squashed = phrase.text.replace(" ", "")
    marker = _TRAILING_MARKER.search(squashed)
    if marker and len(phrase.chars) > len(marker.group(0)):
        # "山西省本级—": a name never ends in a dash; the cell after it printed too close is a missing value
        cut = len(marker.group(0))
        return [_phrase_of(phrase.chars[:-cut]), _phrase_of(phrase.chars[-cut:])]
    match = _TRAILING_NUMBER.search(squashed) or _NEGATIVE_AFTER_NUMBER.search(phrase.text)
    # A minus sign is not a digit: "Area-1" keeps its one digit, as "Area1" does.
    if not match or not parse_number(match.group(0)).ok or len(match.group(0).strip().lstrip("-−")) < 2:
        return [phrase]
    digits = len(match.group(0).strip())
    if len(phrase.chars) <= digits:
        return [phrase]
    # the head read again: "晋 中 Jinzhong 73779.25 -38628.1" is a name and two numbers
    return _cut_trailing_number(_phrase_of(phrase.chars[:-digits])) + [_phrase_of(phrase.chars[-digits:])]


def _spaced_numbers(phrase: Phrase) -> list[Phrase]:
    """A phrase of numbers a space apart, where the spaces do not group digits in threes ("1 234 567.8"), as
    those numbers: digits are never spaced inside a number, so "60 0.3835265" (two cells printed close, the
    gap narrower than a cell's) is 60 and 0.3835265, not 600.3835265; so are "20,696 91,738" and
    "73.25 0.3619938", and a missing marker and a number ("… 3030254712297139")."""
    if not _SPACED_NUMBERS.fullmatch(phrase.text) or _SPACE_GROUPED.fullmatch(phrase.text):
        return [phrase]
    chars, parts, start = phrase.chars, [], 0
    for word in phrase.text.split(" "):  # a space at each gap wider than a space's: a glyph per other character
        parts.append(_phrase_of(chars[start:start + len(word)]))
        start += len(word)
    numbers = sum(part.is_number for part in parts)
    return parts if numbers and all(part.is_value for part in parts) and numbers + sum(
        is_missing(part.text) for part in parts) == len(parts) else [phrase]


def text_lines(glyphs: Sequence[Glyph]) -> list[Line]:
    """Glyphs grouped into lines by their baseline, top to bottom, each cut into phrases: in C
    (_text_lines.c) where it was built and each glyph is one character, else in Python, the same way."""
    columns = Glyphs.of(glyphs) if _LINES_IN_C else None
    return _with_strays_rejoined(_lines_in_c(columns) if columns is not None else _lines_in_python(list(glyphs)))


# A glyph abuts its neighbour in a run when their boxes meet within this share of its size.
ABUT = 0.05


def _with_strays_rejoined(lines: list[Line]) -> list[Line]:
    """The lines with a line of glyphs each filling a gap of the line next to it rejoined with it: a font
    whose box for a glyph lies off its run's baseline ("一" in "第一产业" drawn from a fallback font) puts
    the glyph on a line of its own, though it abuts the glyphs before and after it in the run."""
    out = list(lines)
    k = 0
    while k < len(out):
        for j in (k + 1, k - 1):
            # (lines a row apart, nearly all, overlap by less than half a glyph: no glyph is looked at)
            if not (0 <= j < len(out) and min(out[k].bottom, out[j].bottom) - max(out[k].top, out[j].top)
                    >= out[k].size / 2):
                continue
            stray = [char for phrase in out[k].phrases for char in phrase.chars]
            if stray and _fill_gaps(stray, out[j]):
                other = out[j]
                chars = sorted([char for phrase in other.phrases for char in phrase.chars] + stray, key=_X0)
                # (into a line of texts drawn over each other, a descender of one of them: "g" of "Regional")
                phrases = _phrases(chars, overprinted=other.overprinted)
                if phrases:
                    out[j] = Line(min(other.top, out[k].top), max(other.bottom, out[k].bottom), phrases,
                                  max(other.size, out[k].size), other.overprinted)
                    del out[k]
                    k -= 1
                    break
        k += 1
    return out


def _fill_gaps(stray: list[Glyph], line: Line) -> bool:
    """Every glyph of `stray` overlaps `line` by half its height and abuts a glyph of it on both sides."""
    chars = [char for phrase in line.phrases for char in phrase.chars]
    return all(min(g.bottom, line.bottom) - max(g.top, line.top) >= g.size / 2
               and any(abs(c.x1 - g.x0) <= ABUT * g.size for c in chars)
               and any(abs(c.x0 - g.x1) <= ABUT * g.size for c in chars) for g in stray)


def _label_run_into_its_neighbour(line: Line) -> Line:
    """An overprinted line of words only, whose Chinese and Latin characters each read cleanly on their own,
    as those two texts: a Chinese name printed on into the English name's box beside it ("广西壮族自治区"
    over "Guangxi"). Where a digit is printed, or either script is printed over itself, the line stays
    overprinted: which cell a number lies in cannot be told."""
    chars = sorted((char for phrase in line.phrases for char in phrase.chars), key=_X0)
    if any(char.text in _DIGITS for char in chars):
        return line
    chinese = [char for char in chars if _is_cjk(char.text)]
    latin = [char for char in chars if not _is_cjk(char.text)]
    if not chinese or not latin:
        return line
    parts = [_phrases(chinese), _phrases(latin)]
    if None in parts:
        return line
    return Line(line.top, line.bottom, sorted(parts[0] + parts[1], key=lambda phrase: phrase.x0), line.size)


def _parted_at_box_edges(line: Line, geometry: PageGeometry) -> Line:
    """An overprinted line of words only whose characters, parted at the box edges crossing it (vertical
    rules, clipped boxes' sides), read cleanly box by box, as those boxes' texts: two boxes' texts spilling
    over the edge between them print over each other there ("支出" over the next box's "出口"). A character
    the edge passes through is placed as `_cut_at_rules` places it. Where a digit is printed the line stays
    overprinted (which cell a number lies in cannot be told), unless every digit lies in a box that clips
    its text: the PDF then says which text that box holds, the unit's "(10 000 USD)" included."""
    # by their middles: a wide glyph printed over a narrow one may start left of it, yet be the next box's
    chars = sorted((char for phrase in line.phrases for char in phrase.chars), key=lambda char: char.x0 + char.x1)
    middle = _middle(line)
    if not all(any(cell.holds((char.x0 + char.x1) / 2, middle) for cell in geometry.clipped)
               for char in chars if char.text in _DIGITS):
        return line
    # a rule along a clipped box's side is that side: the box takes the glyph on it its clip shows
    clipped = _clipped_edges(geometry.clipped, middle)
    edges = sorted(clipped + [(rule.x0, 0) for rule in geometry.vertical if rule.top <= middle <= rule.bottom
                              and not any(abs(rule.x0 - x) <= CLIP_TOLERANCE for x, _ in clipped)])
    for x in (x for x, clip in edges if not clip):
        for k, char in enumerate(chars):
            if char.x0 < x - 0.5 and char.x1 > x + 0.5 and abs(char.x0 + char.x1 - 2 * x) <= 2 * CLIP_TOLERANCE \
                    and not _run_side(chars, k):
                return line  # a glyph either box's, its middle on the edge: which text is which cannot be told
    parts = [_phrases(sorted(piece.chars, key=_X0)) for piece in _cut_at_rules(_phrase_of(chars), edges)]
    if len(parts) < 2 or None in parts:
        return line
    return Line(line.top, line.bottom, [phrase for part in parts for phrase in part], line.size)


def _drawn_apart(line: Line, geometry: PageGeometry) -> list[Line] | None:
    """A header line printed over itself as the texts drawn over each other, each its own line at that
    height, or None where they cannot be told apart. A box's text is drawn in one run, left to right, and
    two stacked boxes whose wrapped texts overflow their short boxes (a merged header cell over its English
    copy) draw theirs over each other: a character drawn back over the one drawn before it starts another
    run. Each run must read cleanly on its own. Only for header lines: units' digits there are text, and
    the box they belong to is the box the header reading gives both runs."""
    drawn = {glyph: index for index, glyph in enumerate(geometry.glyphs)}
    chars = sorted((char for phrase in line.phrases for char in phrase.chars), key=lambda char: drawn.get(char, -1))
    if any(char not in drawn for char in chars):
        return None
    runs: list[list[Glyph]] = [[chars[0]]]
    for char in islice(chars, 1, None):
        previous = runs[-1][-1]
        if char.x0 < previous.x1 - OVERPRINT * char.size:
            runs.append([])
        runs[-1].append(char)
    parts = [_phrases(sorted(run, key=_X0)) for run in runs]
    if len(runs) < 2 or any(not part for part in parts):
        return None
    return [Line(min(map(_TOP, run)), max(map(_BOTTOM, run)), part, max(map(_SIZE, run)))
            for run, part in zip(runs, parts)]


def _is_cjk(text: str) -> bool:
    return "\u3000" <= text <= "\u9fff" or "\uff00" <= text <= "\uffef"


def _lines_in_python(glyphs: list[Glyph]) -> list[Line]:
    groups: list[list[Glyph]] = []
    baseline, raised = 0.0, False  # the bottom of the current line's first glyph; whether a raised mark's
    for glyph in sorted(glyphs, key=_BASELINE_ORDER):
        if groups and (abs(baseline - glyph.bottom) <= BASELINE_TOLERANCE * glyph.size
                       or _chained(glyph, groups[-1])):
            groups[-1].append(glyph)
            if raised and glyph.text not in RAISED_MARKS:
                baseline, raised = glyph.bottom, False
        else:
            groups.append([glyph])
            baseline, raised = glyph.bottom, glyph.text in RAISED_MARKS
    lines = []
    for group in groups:
        lines += _lines_of(group)
    return lines


def _chained(glyph: Glyph, group: list[Glyph]) -> bool:
    """The glyph abuts one of the group's on about its baseline: a run whose baseline drifts down past the
    group's first bottom (城镇常住人口 from 125.00 to 124.34 pt, a line above at 122.4 taking its upper half)
    stays one run."""
    return any(abs(other.bottom - glyph.bottom) <= BASELINE_TOLERANCE * glyph.size
               and (abs(other.x1 - glyph.x0) <= ABUT * glyph.size or abs(glyph.x1 - other.x0) <= ABUT * glyph.size)
               for other in group)


def _lines_of(group: list[Glyph]) -> list[Line]:
    """A group of characters on about one baseline as its line; where characters print over each other
    (a header's second line run into the first row), the group parted at the widest step between its
    baselines, each part again; characters printed over each other on one baseline, a line `overprinted`."""
    group.sort(key=_X0)
    phrases = _phrases(group)
    if phrases is None:
        bottoms = sorted({glyph.bottom for glyph in group})
        step, cut = max((b - a, b) for a, b in zip(bottoms, bottoms[1:])) if len(bottoms) > 1 else (0.0, 0.0)
        if step > BASELINE_STEP * min(map(_SIZE, group)):
            return [line for part in ([g for g in group if g.bottom < cut], [g for g in group if g.bottom >= cut])
                    for line in _lines_of(part)]
        return [_label_run_into_its_neighbour(Line(min(map(_TOP, group)), max(map(_BOTTOM, group)),
                                                   _phrases(group, overprinted=True), max(map(_SIZE, group)),
                                                   overprinted=True))]
    if not phrases:
        return []
    return [Line(min(map(_TOP, group)), max(map(_BOTTOM, group)), phrases, max(map(_SIZE, group)))]


def _compiled_lines() -> ctypes.CDLL | None:
    library = compiled.library("_text_lines")
    if library is not None:
        library.text_lines.argtypes = [ctypes.c_int] + [ctypes.c_void_p] * 17
        library.text_lines.restype = ctypes.c_int
    return library


_LINES_IN_C = _compiled_lines()
# what _text_lines.c is told, in the order it reads them
_RULES = numpy.array([BASELINE_TOLERANCE, CELL_GAP, WORD_GAP, DIGIT_GAP, OVERPRINT, BASELINE_STEP, BOLD_OFFSET,
                      ABUT], dtype=numpy.float64)
_BLANK_FLAG, _DIGIT_FLAG, _RAISED_FLAG = 1, 2, 4
# each BMP code's flags, looked up per glyph (no digit, blank or raised mark lies beyond the BMP): two
# numpy.isin per page cost more than the page's one lookup
_CODE_FLAGS = (BLANK_CODES * _BLANK_FLAG).astype(numpy.uint8)
_CODE_FLAGS[sorted(map(ord, _DIGITS))] |= _DIGIT_FLAG
_CODE_FLAGS[sorted(map(ord, RAISED_MARKS))] |= _RAISED_FLAG


class _PhraseGlyphs(Sequence):
    """A phrase's glyphs, taken from the page's columns only when asked for (a header cut between
    columns, a number printed close to a name): most phrases never are."""

    __slots__ = ("_page", "_at", "_taken")

    def __init__(self, page: Glyphs, at: list[int]):
        self._page, self._at, self._taken = page, at, None

    def __len__(self) -> int:
        return len(self._at)

    def __getitem__(self, index):
        return self._glyphs()[index]

    def __iter__(self):  # (Sequence's would ask __getitem__ one glyph at a time)
        return iter(self._glyphs())

    def _glyphs(self) -> list[Glyph]:
        if self._taken is None:
            self._taken = self._page.take(self._at)
        return self._taken


def _lines_in_c(glyphs: Glyphs) -> list[Line]:
    """`_lines_in_python`, the same lines, with the grouping and cutting done by _text_lines.c."""
    count = len(glyphs)
    if not count:
        return []
    flags = _CODE_FLAGS[numpy.minimum(glyphs.codes, 0xFFFF)]
    order = numpy.empty(count, dtype=numpy.int32)
    text = numpy.empty(2 * count, dtype=numpy.uint32)
    phrase_glyphs = numpy.empty(2 * count, dtype=numpy.int32)
    phrase_text = numpy.empty(2 * count, dtype=numpy.int32)
    phrase_box = numpy.empty(3 * count, dtype=numpy.float64)
    line_phrases = numpy.empty(2 * count, dtype=numpy.int32)
    line_box = numpy.empty(3 * count, dtype=numpy.float64)
    overprinted = numpy.empty(count, dtype=numpy.uint8)
    phrase_count = ctypes.c_int()
    arrays = (glyphs.codes, flags, glyphs.x0, glyphs.x1, glyphs.top, glyphs.bottom, glyphs.size, _RULES, order,
              text, phrase_glyphs, phrase_text, phrase_box, line_phrases, line_box, overprinted)
    lines = _LINES_IN_C.text_lines(count, *(array.ctypes.data for array in arrays), ctypes.addressof(phrase_count))
    if lines < 0:
        raise MemoryError("no memory to cut a page into lines")
    phrases = phrase_count.value
    if not lines:
        return []
    at = order.tolist()
    texts = phrase_text[:2 * phrases].tolist()
    page_text = text[:texts[-1]].tobytes().decode("utf-32-le", "surrogatepass")
    spans, boxes = phrase_glyphs[:2 * phrases].tolist(), phrase_box[:3 * phrases].tolist()
    # (each phrase's fields zipped from the arrays' strided slices: no index arithmetic per phrase)
    cut = [_cut_trailing_number(Phrase(page_text[start:end], x0, x1, size, _PhraseGlyphs(glyphs, at[first:last])))
           for start, end, x0, x1, size, first, last in zip(texts[::2], texts[1::2], boxes[::3], boxes[1::3],
                                                            boxes[2::3], spans[::2], spans[1::2])]
    line_spans, line_boxes = line_phrases[:2 * lines].tolist(), line_box[:3 * lines].tolist()
    read = [Line(top, bottom, [piece for pieces in cut[first:last] for piece in pieces], size,
                 overprinted=bool(printed_over))
            for top, bottom, size, first, last, printed_over in zip(
                line_boxes[::3], line_boxes[1::3], line_boxes[2::3], line_spans[::2], line_spans[1::2],
                overprinted[:lines].tolist())]
    return [_label_run_into_its_neighbour(line) if line.overprinted else line for line in read]


# ------------------------------------------------------------------------------------------- columns

@dataclass
class Column:
    """A value column: the stretch of the page its cells print in."""

    left: float
    right: float


@functools.lru_cache(maxsize=TEXT_CACHE)
def _is_title_text(text: str) -> bool:
    folded = fold(text)
    at_start, anywhere = _title_patterns()
    if any(pattern.match(folded) for pattern in at_start) or matches_prefix(text, layout().footnote_prefixes):
        return True
    return any(pattern.search(folded) for pattern in anywhere) or marks_continuation(text)


@functools.lru_cache(maxsize=None)
def _title_patterns() -> tuple[tuple[re.Pattern, ...], tuple[re.Pattern, ...]]:
    """What starts a title line (a table number, a unit line) and what it holds anywhere (an edition),
    compiled once: every line of a book is asked."""
    config = layout()
    return ((config.table_number_pattern, config.unit_line_pattern),
            tuple(edition.pattern for edition in config.editions))


def _value_phrases(line: Line, label_right: float) -> list[Phrase]:
    return [p for p in line.phrases if p.x0 >= label_right and p.is_value]


def _cluster_columns(lines: list[Line], label_right: float) -> list[Column] | None:
    """Value columns from how the cells line up over all body lines; None when no split fits every line."""
    cells = [(index, p) for index, line in enumerate(lines) for p in _value_phrases(line, label_right)]
    # Start from shared right edges (numbers print right-aligned), then merge clusters whose extents
    # overlap (centred or left-aligned cells) as long as no line puts two cells into one cluster.
    clusters: list[list[tuple[int, Phrase]]] = []
    for cell in sorted(cells, key=lambda c: c[1].x1):
        if clusters and abs(clusters[-1][-1][1].x1 - cell[1].x1) <= 1.5:
            clusters[-1].append(cell)
        else:
            clusters.append([cell])
    merged = True
    while merged:
        merged = False
        clusters.sort(key=lambda c: min(p.x0 for _, p in c))
        for i in range(len(clusters) - 1):
            a, b = clusters[i], clusters[i + 1]
            if min(p.x0 for _, p in b) <= max(p.x1 for _, p in a):
                if {index for index, _ in a} & {index for index, _ in b}:
                    continue
                clusters[i:i + 2] = [a + b]
                merged = True
                break
    clusters = _fold_marker_clusters(clusters)
    columns = [Column(min(p.x0 for _, p in c), max(p.x1 for _, p in c)) for c in clusters]
    for cluster in clusters:
        rows = [index for index, _ in cluster]
        if len(rows) != len(set(rows)):
            return None
    for a, b in zip(columns, columns[1:]):
        if b.left <= a.right:
            return _without_overruns(clusters)
    return columns


# At most this share of a column's cells may run left over the column before it for the rest to be a column.
OVERRUN_SHARE = 0.25


def _without_overruns(clusters: list[list[tuple[int, Phrase]]]) -> list[Column] | None:
    """The columns where a few of a column's cells run left over the values of the column before it (a
    number too wide for its cell, or two cells' numbers run together: "84832.96419420360416"), those cells
    left out: the grid refuses them (`_parted_at_edges`). None where that does not part the columns."""
    clusters = sorted(clusters, key=lambda cluster: max(p.x1 for _, p in cluster))
    kept = [clusters[0]]
    for cluster in clusters[1:]:
        before = max(p.x1 for _, p in kept[-1])
        clear = [cell for cell in cluster if cell[1].x0 > before]
        if not clear or len(cluster) - len(clear) > OVERRUN_SHARE * len(cluster):
            return None
        kept.append(clear)
    columns = [Column(min(p.x0 for _, p in c), max(p.x1 for _, p in c)) for c in kept]
    return columns if all(b.left > a.right for a, b in zip(columns, columns[1:])) else None


def _fold_marker_clusters(clusters: list[list[tuple[int, Phrase]]]) -> list[list[tuple[int, Phrase]]]:
    """A cluster of missing markers only ("—" centred where numbers print right-aligned) joins the nearest
    cluster beside it that has no cell on the same lines; a column of markers on every line stays."""
    clusters = sorted(clusters, key=lambda c: min(p.x0 for _, p in c))
    index = 0
    while index < len(clusters):
        cluster = clusters[index]
        if any(p.is_number for _, p in cluster) or len(clusters) == 1:
            index += 1
            continue
        rows = {i for i, _ in cluster}
        left, right = min(p.x0 for _, p in cluster), max(p.x1 for _, p in cluster)
        candidates = []
        for neighbour in (index - 1, index + 1):
            if 0 <= neighbour < len(clusters) and not rows & {i for i, _ in clusters[neighbour]}:
                other = clusters[neighbour]
                distance = max(min(p.x0 for _, p in other) - right, left - max(p.x1 for _, p in other))
                candidates.append((distance, neighbour))
        if not candidates:
            index += 1
            continue
        _, neighbour = min(candidates)
        clusters[neighbour] = clusters[neighbour] + cluster
        del clusters[index]
        index = max(0, index - 1)
    return clusters


def _split_regions(columns: list[Column], left: float, right: float) -> list[tuple[float, float]]:
    """Each column's territory: halfway to its neighbours, the first from `left`, the last to `right`."""
    bounds = [left] + [(a.right + b.left) / 2 for a, b in zip(columns, columns[1:])] + [right]
    return list(zip(bounds, bounds[1:]))


def _rule_columns(vertical: list[Segment], top: float, bottom: float) -> list[float]:
    """x of the vertical rules crossing the stretch from top to bottom, left to right, one per rule."""
    xs = sorted(s.x0 for s in vertical if s.top <= top + 2 and s.bottom >= bottom - 2)
    out: list[float] = []
    for x in xs:
        if not out or x - out[-1] > 2:
            out.append(x)
    return out


def _region_of(x: float, regions: list[tuple[float, float]]) -> int | None:
    for i, (left, right) in enumerate(regions):  # (a loop, not next() over a generator: asked per cell)
        if left <= x < right:
            return i
    return None


# ------------------------------------------------------------------------------------------- header

@dataclass
class HeaderPiece:
    """Phrases stacked on consecutive header lines around one centre ("地区生产总值" over "(万元)")."""

    phrases: list[tuple[int, Phrase]]  # (line index in the band, phrase)
    columns: set[int] = field(default_factory=set)  # value columns it heads (0-based)

    @property
    def first_line(self) -> int:
        return self.phrases[0][0]

    @property
    def last_line(self) -> int:
        return self.phrases[-1][0]

    @property
    def x0(self) -> float:
        return min(p.x0 for _, p in self.phrases)

    @property
    def x1(self) -> float:
        return max(p.x1 for _, p in self.phrases)

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def text(self) -> str:
        return " ".join(p.text for _, p in self.phrases)


def _stack(band: list[Line], separated: set[int]) -> list[HeaderPiece]:
    """Stack each phrase onto the piece of the line above centred over it, unless a rule parts them.

    `separated` holds the indexes of lines with a horizontal rule just above them.
    """
    pieces: list[HeaderPiece] = []
    for index, line in enumerate(band):
        for phrase in line.phrases:
            above = None
            if index not in separated:
                above = next((piece for piece in pieces if piece.last_line == index - 1
                              and abs(piece.phrases[-1][1].centre - phrase.centre) <= phrase.size
                              and piece.phrases[-1][1].x0 < phrase.x1 and phrase.x0 < piece.phrases[-1][1].x1),
                             None)
            if above:
                above.phrases.append((index, phrase))
            else:
                pieces.append(HeaderPiece([(index, phrase)]))
    return pieces


def _assign_header(pieces: list[HeaderPiece], regions: list[tuple[float, float]], label_right: float,
                   ) -> tuple[list[HeaderPiece], list[HeaderPiece], set[int]]:
    """Give each piece the value columns it heads; return (label pieces, value pieces, ambiguous columns).

    A piece with pieces under it, inside its territory (halfway to the pieces printed beside it), is a
    group header: it heads their columns, however narrow its text. Any other piece is a leaf and heads
    the one column its centre falls in. Two pieces beside each other over one column make it ambiguous.
    """
    label_pieces = [p for p in pieces if p.centre < regions[0][0] and p.x1 <= label_right]
    value_pieces = [p for p in pieces if p not in label_pieces]
    low_end, high_end = regions[0][0], regions[-1][1]

    def beside(piece: HeaderPiece) -> list[HeaderPiece]:
        return [o for o in value_pieces if o is not piece
                and not (o.first_line > piece.last_line or piece.first_line > o.last_line)]

    def territory(piece: HeaderPiece) -> tuple[float, float]:
        low, high = low_end, high_end
        for other in beside(piece):
            middle = (other.centre + piece.centre) / 2
            if other.centre < piece.centre:
                low = max(low, middle)
            else:
                high = min(high, middle)
        return low, high

    for piece in value_pieces:
        low, high = territory(piece)
        under = [o for o in value_pieces if o.first_line > piece.last_line and low <= o.centre <= high]
        if under:
            piece.columns = {c for o in under for c in [_region_of(o.centre, regions)] if c is not None}
        else:
            column = _region_of(piece.centre, regions)
            piece.columns = {column} if column is not None else set()
    # Two pieces side by side never head one column, leaves or group headers: where they do, the body
    # made one column of two (a one-row page leaving one of them blank).
    ambiguous = set()
    for piece in value_pieces:
        for other in beside(piece):
            ambiguous |= piece.columns & other.columns
    return label_pieces, value_pieces, ambiguous


def _boxed_header(band: list[Line], horizontal: list[Segment], vertical: list[Segment],
                  regions: list[tuple[float, float]], left: float, right: float, label_right: float,
                  ) -> tuple[list[HeaderPiece], list[HeaderPiece], set[int]] | None:
    """A ruled header read by its boxes: the phrases inside one box, on however many lines, are one header
    cell, heading the columns whose middles the box spans; a box ending where the label column does is the
    label column's (a box right of it heading none is a column the body did not part off, blank on the page).
    None where a box heads no column and is no label's (a rule the page did not print where the text
    says one is): the header is then read by alignment."""
    def row_at(x: float, middle: float) -> tuple[float, float, list[float]]:
        """The rules over and under `middle` at x (a box's lines may reach over them, clipped there), and
        the vertical rules crossing `middle` there, less those starting at the rule under it or ending at the
        one over it: they part the row of boxes beside, which the line's middle may lie within a point of."""
        over = [s.top for s in horizontal if s.x0 <= x <= s.x1]
        top = max((y for y in over if y <= middle), default=-1.0)
        bottom = min((y for y in over if y >= middle), default=-1.0)
        return top, bottom, [s.x0 for s in vertical if s.top <= middle <= s.bottom and left - 2 <= s.x0 <= right + 2
                             and not (bottom >= 0 and s.top >= bottom - 2) and not (top >= 0 and s.bottom <= top + 2)]

    def upper_box_runs(line: Line, at: float) -> list[Phrase]:
        """The line's phrases with those a rule of the row its middle lies in runs through or between joined,
        where its top lies in one box of the row over that: maybe one box's wrapped text hanging over the rule
        under it (read as one phrase, then cut at the rules, as below)."""
        runs: list[Phrase] = []
        for phrase in line.phrases:
            last = runs[-1] if runs else None
            top, _, upper = row_at(phrase.centre, at)
            lower_top, _, lower = row_at(phrase.centre, _middle(line))
            if last is not None and last.chars and phrase.chars and top != lower_top \
                    and row_at(last.centre, at)[0] == top and not any(last.x0 < x < phrase.x1 for x in upper) \
                    and any(last.x0 < x < phrase.x1 for x in lower):
                runs[-1] = _phrase_of(list(last.chars) + list(phrase.chars))
            else:
                runs.append(phrase)
        return runs

    boxes: dict[tuple, HeaderPiece] = {}
    for index, line in enumerate(band):
        middle = _middle(line)
        for phrase in upper_box_runs(line, min(line.top + line.size / 4, middle)):
            pieces = _cut_at_rules(phrase, row_at(phrase.centre, middle)[2])
            # a rule that would cut a bracket's text in two ("（100" | "000 000 yuan）") but starts below the
            # line's top, in the row of boxes under the one the line starts in: the text is that box's above,
            # wrapped down over the rule that parts the boxes below it
            at = min(line.top + line.size / 4, middle)
            if len(pieces) == 1 or all(balanced(piece.text) for piece in pieces) \
                    or row_at(phrase.centre, at)[0] == row_at(phrase.centre, middle)[0] \
                    or len(_cut_at_rules(phrase, row_at(phrase.centre, at)[2])) > 1:
                at = middle
            for phrase_in_box in (pieces if at == middle else [phrase]):
                x = phrase_in_box.centre
                top, bottom, crossing = row_at(x, at)
                box = (round(max((v for v in crossing if v < x), default=left)),
                       round(min((v for v in crossing if v > x), default=right)), round(top), round(bottom))
                boxes.setdefault(box, HeaderPiece([])).phrases.append((index, phrase_in_box))
    # Text both in a box and in a narrower one within it on the same rules is one box's, printed where the
    # rule between the narrow box and its neighbour was drawn only part of the way up (a merged box left
    # open to the empty box over its neighbour): it is the narrow box's, whose middle Excel centres it on;
    # read as the wide box's, its unit would head the neighbour's column, which prints none.
    for (box_left, box_right, top, bottom), piece in list(boxes.items()):
        narrower = [other for (other_left, other_right, other_top, other_bottom), other in boxes.items()
                    if (other_top, other_bottom) == (top, bottom) and box_left <= other_left
                    and other_right <= box_right and (other_left, other_right) != (box_left, box_right)]
        if len(narrower) > 1:
            return None
        if narrower:
            narrower[0].phrases += piece.phrases
            del boxes[(box_left, box_right, top, bottom)]
    label_pieces, value_pieces = [], []
    for (box_left, box_right, _, _), piece in boxes.items():
        piece.phrases = _reading_order(piece.phrases, band)
        piece.columns = {i for i, (a, b) in enumerate(regions) if box_left <= (a + b) / 2 <= box_right}
        if piece.columns:
            value_pieces.append(piece)
        elif box_right <= label_right:
            label_pieces.append(piece)
        else:
            return None
    return label_pieces, value_pieces, set()


def _reading_order(phrases: list[tuple[int, Phrase]], band: list[Line]) -> list[tuple[int, Phrase]]:
    """A box's phrases by their lines' baselines, those on one baseline left to right: a line's glyphs
    whose baselines drift (a CJK font's, 城镇常住人口 sinking a little from 城 to 口) may be found as two
    lines, the right half's first when it joins a line above."""
    rows: list[list[tuple[int, Phrase]]] = []
    for item in sorted(phrases, key=lambda item: band[item[0]].bottom):
        line = band[item[0]]
        if rows and line.bottom - band[rows[-1][0][0]].bottom <= BASELINE_TOLERANCE * line.size:
            rows[-1].append(item)
        else:
            rows.append([item])
    return [item for row in rows for item in sorted(row, key=lambda item: item[1].x0)]


def _cut_at_rules(phrase: Phrase, rules: list[float] | list[tuple[float, int]]) -> list[Phrase]:
    """A phrase cut at each of `rules` (x of box edges) printed in a gap between its characters: two boxes'
    texts printed close on both sides of the edge between them are two cells (text running over it is not).
    Two glyphs printed over each other, one of them wholly on its side of the edge, are two boxes' texts
    each filling its box. A glyph the edge passes through (a box's text spilling a little past it) is the
    box's its middle lies in: a box clips its text there, and shows a glyph whose middle it holds. Where the
    middle is too near the edge to tell, it goes with the text it runs on from; where that cannot be told
    either and the rule is given as (x, clip), the edge of a box that clips its text on the edge's right
    (clip 1), left (-1) or both sides (2), the glyph is the clipping box's (where both clip, by its centre)."""
    chars = list(phrase.chars)
    for rule in rules:
        x, clip = rule if isinstance(rule, tuple) else (rule, 0)
        cut = sum(1 for char in chars if (char.x0 + char.x1) / 2 < x)
        crossed = [k for k in (cut - 1, cut) if 0 <= k < len(chars) and chars[k].x0 < x - 0.5 and chars[k].x1 > x + 0.5]
        side = 0
        if crossed:
            middle = (chars[crossed[0]].x0 + chars[crossed[0]].x1) / 2
            side = -1 if middle < x - CLIP_TOLERANCE else 1 if middle > x + CLIP_TOLERANCE else \
                _run_side(chars, crossed[0])
            if not side and clip:
                side = clip if clip != 2 else 1 if middle > x else -1
        if side:
            cut = crossed[0] + (side < 0)
        if not 0 < cut < len(chars):
            continue
        before, after = chars[cut - 1], chars[cut]
        if side or (before.x1 <= x + 0.5 and after.x0 >= x - 0.5) or (
                before.x1 > after.x0 and (before.x1 <= x + 0.5 or after.x0 >= x - 0.5)):
            return [_phrase_of(chars[:cut])] + _cut_at_rules(_phrase_of(chars[cut:]), rules)
    return [phrase]


def _run_side(chars: Sequence[Glyph], k: int) -> int:
    """Whether chars[k] runs on from the text on its left (-1) or right (1), 0 where that cannot be told:
    a run's glyphs abut, a glyph printed over its neighbour is another text's, and the first or last glyph
    of a phrase runs on from the rest of it (spaced "市 辖 区" parted by script from the "City" it overlaps)."""
    gaps = [chars[k].x0 - chars[k - 1].x1 if k > 0 else None,
            chars[k + 1].x0 - chars[k].x1 if k + 1 < len(chars) else None]
    tolerance = 0.02 * chars[k].size  # a run's glyph boxes meet to rounding
    over = [gap is not None and gap < -tolerance for gap in gaps]
    if over[0] != over[1]:
        return 1 if over[0] else -1
    abut = [gap is not None and abs(gap) <= tolerance for gap in gaps]
    if abut[0] != abut[1]:
        return -1 if abut[0] else 1
    if (gaps[0] is None) != (gaps[1] is None):
        return 1 if gaps[0] is None else -1
    return 0


def _middle(line: Line) -> float:
    return (line.top + line.bottom) / 2


# ------------------------------------------------------------------------------------------- tables

@dataclass
class TableLayout:
    """What the engine saw of one table on one page (drawn by --explain, reused by continuations)."""

    left: float
    right: float
    label_right: float  # the label column ends here; value columns follow
    regions: list[tuple[float, float]]  # value columns' territories, left to right
    header_top: float | None  # None: no header printed (a continuation)
    header_bottom: float | None
    body_top: float
    bottom: float
    column_headers: list[str]  # the header path each value column got, joined with " / "
    row_tops: list[float]  # top of each grid row, header rows first
    ruled_rows: bool  # grid rows are the stretches between rules
    flush: float  # x where unindented labels start
    indent_size: float  # the character size indentation is counted in
    label_levels: list[float]  # x where labels of each indentation start (a continued page's snap to them)
    # False: the rows print values only, their labels on another page (a wide table printed a block of
    # columns at a time): `pdf.labelled_blocks` gives them the labels, where it can prove which they are
    labels_printed: bool = True
    # False: the rows print labels only, the page the label column alone (see `_labels_only`)
    values_printed: bool = True
    # how far below the body the page provably prints nothing in its columns (None: not past the body): a
    # page of values printing a wide table's block of columns leaves the labelled rows there blank
    blank_to: float | None = None
    # a table's title and header printed at the page's foot with no row under them: the next page's head
    foot: PageFoot | None = None
    # each value column's values' extent (x0, x1) on the table's pages so far (`_column_extents`)
    extents: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class PageFoot:
    """What a page prints below its last table's body when that is a title and a header with no row under
    them (a spreadsheet printed across pages breaks wherever the page is full, and the table's rows, or
    the rest of its header, come at the next page's head): its glyphs, rules and clipped boxes as printed."""

    glyphs: tuple[Glyph, ...]
    horizontal: tuple[Segment, ...]
    vertical: tuple[Segment, ...]
    clipped: tuple[ClippedCell, ...]
    bottom: float  # its last row's closing rule, or its last line's bottom
    gap: float  # between its last two lines: the space it keeps above the next page's first line
    ruled: bool  # a rule closes its last row


@dataclass
class _Body:
    lines: list[Line]
    label_right: float


def _label_right(lines: list[Line]) -> float:
    """Where the label column ends: at the leftmost value cell printed after a label (or on a line of
    values only: the row of a label wrapped around them)."""
    return min([p.x0 for line in lines for p in (line.phrases if line.phrases[0].is_value else line.phrases[1:])
                if p.is_value])  # (a list: asked per body line, a generator costs more than the minimum)


def _label_boundary(body: list[Line], first_value_left: float) -> float:
    """Halfway between the longest label and the first value column: where the label column's territory ends."""
    label_ends = [p.x1 for line in body for p in line.phrases if p.x1 <= first_value_left and not p.is_value]
    return (max(label_ends) + first_value_left) / 2 if label_ends else first_value_left


def _bodies(lines: list[Line], carried_label_right: float | None = None) -> list[tuple[int, int]]:
    """Stretches of body lines as (first, last) line indexes: body lines and the label-only rows between.

    On a page continuing a table (carried_label_right given), a row printing only missing markers may
    start the body too: the last page of a table can hold nothing else."""
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        if not (lines[index].is_body or (carried_label_right is not None and not spans
                                                  and _only_missing(lines[index], carried_label_right))
                or index and _values_of_wrapped_label(lines[index - 1], lines[index], lines[index].x0)):
            index += 1
            continue
        first = last = index
        label_right = _label_right([lines[index]])
        cursor = index + 1
        while cursor < len(lines):
            line = lines[cursor]
            if line.is_body:
                label_right = min(label_right, _label_right([line]))
            elif not (_is_label_only(line, label_right) or _only_missing(line, label_right)
                      or _values_of_wrapped_label(lines[cursor - 1], line, label_right) or _misread_body(line)) \
                    or not _close(lines[cursor - 1], line):
                break
            last = cursor  # a row printing only blanks or missing markers is a row all the same
            cursor += 1
        # province rows, and rows printing only missing markers, just above the first numbers belong to
        # the body; on a continued page, within the label column of the table it continues (a wide number
        # may start left of that page's province name; a header's unit line, centred over a column its few
        # rows leave blank, starts right of that column's edge); a spaced name printed flush with the labels
        # may end a character past where the tightest numbers start (a header word centred over them may not)
        continuing = carried_label_right is not None and not spans
        labels_end = max(label_right, carried_label_right) if continuing else label_right
        flush = min(line.x0 for line in lines[first:last + 1])

        def within_labels(line: Line) -> bool:
            overrun = line.size if line.x0 <= flush + line.size else 0.0
            return _is_label_only(line, label_right) and line.x1 <= labels_end + overrun \
                and not (continuing and line.x0 >= carried_label_right)

        while first > 0 and (first - 1) not in {i for span in spans for i in range(span[0], span[1] + 1)} \
                and (within_labels(lines[first - 1]) or _only_missing(lines[first - 1], label_right)
                     or first > 1 and _values_of_wrapped_label(lines[first - 2], lines[first - 1], label_right)) \
                and not _is_label_header(lines[first - 1]) \
                and not lines[first - 1].is_title and _close(lines[first - 1], lines[first]):
            first -= 1
        spans.append((first, last))
        index = last + 1
    return spans


def _unlabelled_bodies(lines: list[Line], continuing: bool = False) -> list[tuple[int, int]]:
    """Runs of two or more lines printing values only, a number among them: the rows of a wide table's
    later block of columns, printed on pages of their own without the row labels. Rows printing nothing
    there (a province heading, a city with no value) leave gaps, which do not end the run. A lone such line
    is a run on a page `continuing` such a block (the block's last row, alone on its page; it still has to
    pair with a labelled row, see `pdf.labelled_blocks`), or where it prints two or more numbers close under
    the line above (the block's header: its last page may hold one row); a lone number (a page's) is none."""
    spans: list[tuple[int, int]] = []
    start = None
    for index, line in enumerate(lines + [None]):
        values_only = line is not None and not line.is_title and all(p.is_value for p in line.phrases) \
            and any(p.is_number for p in line.phrases)
        if values_only and start is not None:
            continue
        if start is not None and (index - 1 > start or continuing or start and _close(lines[start - 1], lines[start])
                                  and sum(p.is_number for p in lines[start].phrases) >= 2):
            spans.append((start, index - 1))
        start = index if values_only else None
    return spans


def _values_of_wrapped_label(upper: Line, line: Line, label_right: float) -> bool:
    """A line of values (or missing markers) only, overlapping the label line above it: the row of a label
    wrapped around its values (see `_wrapped_labels`). The label is printed beside the values, never over
    them: a line reaching over their first (a header's wrapped unit hanging low) is no such label."""
    return all(p.is_value for p in line.phrases) and upper.top < line.bottom and line.top < upper.bottom \
        and _is_label_only(upper, label_right) and upper.x1 <= line.phrases[0].x0


def _misread_body(line: Line) -> bool:
    """A label, then value cells and cells of digits with a stray glyph or two among them ("2604G40",
    "143)413": a font's text layer mapping a digit wrongly), a number among them: a body row whose misread
    cells are refused as unreadable, not a line the table ends before, its row dropped unsaid."""
    first_value = next((i for i, p in enumerate(line.phrases) if p.is_value), None)
    if not first_value:
        return False
    values = line.phrases[first_value:]
    return any(p.is_number for p in values) and all(
        p.is_value or _garbled_number(p.text) for p in values)


def _close(upper: Line, lower: Line) -> bool:
    return lower.top - upper.bottom <= 2.5 * max(upper.size, lower.size)


def _in_label_column(x0: float, x1: float, label_right: float, size: float) -> bool:
    """Starts in the label column and ends at most a little past it (a spaced or long name in a tight
    column: other rows' values may start further left than it ends)."""
    return x0 < label_right and x1 <= label_right + 3 * size


def _is_label_only(line: Line, label_right: float) -> bool:
    """A row printing only its label (a province), in the label column; a long line (a note) is no row, nor
    a header's formula row ("A", "B": column letters)."""
    return (_in_label_column(line.x0, line.x1, label_right, line.size) and not line.is_title
            and not any(p.is_value for p in line.phrases) and not all(formula_cell(p.text) for p in line.phrases))


def _only_missing(line: Line, label_right: float) -> bool:
    """A row printing its label, in the label column as a province row's, and only missing markers."""
    first, *rest = line.phrases
    return not first.is_value and bool(rest) and all(is_missing(p.text) for p in rest) \
        and _in_label_column(first.x0, first.x1, label_right, line.size) and not line.is_title


def _is_label_header(line: Line) -> bool:
    return matches_prefix(line.text, layout().label_headers)


def _table_extent(lines: list[Line], horizontal: list[Segment]) -> tuple[float, float]:
    left = min(line.x0 for line in lines)
    right = max(line.x1 for line in lines)
    for rule in horizontal:
        if rule.x0 <= left + 2 and rule.x1 >= right - 2:
            left, right = min(left, rule.x0), max(right, rule.x1)
    return left, right


def _rules_across(horizontal: list[Segment], left: float, right: float) -> list[float]:
    width = right - left
    ys = sorted(s.top for s in horizontal if min(s.x1, right) - max(s.x0, left) >= RULE_SHARE * width)
    out: list[float] = []
    for y in ys:
        if not out or y - out[-1] > 1.5:
            out.append(y)
    return out


def _header_band(lines: list[Line], floor: int, first_body: int, last_body: int, rules: list[float],
                 framing: list[float], grid_tops: list[float], values_only: bool = False,
                 under_groups: Sequence[float] = (), label_right: float = 0.0) -> int:
    """Index of the band's first line: walk up from the body while lines sit close and are no title.

    The band's last line may sit as far above the body as the body's rows sit apart: widely spaced rows
    under a header in smaller type. An English line alone above a rule is the title's, where that rule
    is one of the `framing` ones, drawn over the labels too (the table's top rule): a rule under a
    header's upper level stops at the label column, and the English wrapped above it is the header's.
    Nothing above the top rule of a ruled grid holding the header (`grid_tops`) is its header: a title,
    a unit line; but on a page of values only, a line ruled above too is a group box begun on the page
    before (its left side printed there). A rule across the value columns only (`under_groups`) is the one
    under a group's box, the label column's box reaching down past it. As a rule across all does, it holds
    together the two lines it parts, and a line over the value columns with the next line beneath it (the
    names of the boxes under the group's, the label column's lines beside them skipped): the group's name
    is the header's, however tall its box."""
    rows_apart = max((lower.top - upper.bottom for upper, lower in zip(lines[first_body:last_body],
                                                                       lines[first_body + 1:last_body + 1])),
                     default=0.0)
    # the rule under the header: a line it runs through is the foot of a box's text overflowing the box
    # (a workbook's wrapped cell taller than its row, "(hectare)" under 绿地面积), the header's, not a
    # line under the table's top rule that the title above it ends at
    header_rule = max((y for y in framing if y <= lines[first_body].top + 1), default=None)
    body_left = min(line.x0 for line in lines[first_body:last_body + 1])
    start = first_body
    while start - 1 >= floor:
        line, below = lines[start - 1], lines[start]
        if line.is_title:
            break
        gap = below.top - line.bottom
        # a rule between the two lines' middles: a clipped box's text may reach up over its top rule
        under = below
        if (line.x0 + line.x1) / 2 > label_right:
            under = next((lower for lower in lines[start:first_body] if lower.x0 < line.x1 and line.x0 < lower.x1),
                         below)
        middle, below_middle = _middle(line), _middle(below)
        ruled_between = any(middle <= y <= below_middle for y in rules) \
            or any(middle <= y <= _middle(under) for y in under_groups)
        close = HEADER_LEADING * max(line.size, below.size)
        if gap > (max(close, rows_apart) if start == first_body else close) and not ruled_between:
            break
        if start < first_body and _title_like(line) and any(middle <= y <= below_middle
                                                            and not (y == header_rule and _runs_through(y, below))
                                                            for y in framing):
            break
        top = next((y for y in grid_tops if middle <= y <= below_middle), None)
        if start < first_body and top is not None and not (
                values_only and any(_box_top(lines, start - 1, floor) - line.size <= y <= middle
                                    for y in rules)):
            # (a grid starting right above the body is ruled under its header, not around it); a line the top
            # rule runs through is the head of a box's text overflowing its box, the header's first line
            return start - 1 if _runs_through(top, line) and _set_in(line, body_left) else start
        start -= 1
    return start


def _runs_through(rule: float, line: Line) -> bool:
    return line.top + RULE_THROUGH * line.size < rule < line.bottom - RULE_THROUGH * line.size


def _set_in(line: Line, body_left: float) -> bool:
    """A line set in from the table's left edge that is no unit line nor English title: where the grid's top
    rule runs through it, the head of a box's text overflowing its box (绿地面积 over its "(公顷)"), the
    header's; a title or unit line starts at the table's edge or ends at it (unit lines are told by words)."""
    return line.x0 > body_left + line.size and not _title_like(line) \
        and not layout().unit_line_pattern.match(fold(line.text))


def _box_top(lines: list[Line], index: int, floor: int) -> float:
    """The top of the stack of close lines ending at lines[index]: a box's text wrapped onto lines below
    its first, that box's rule above the first."""
    while index > floor and not lines[index - 1].is_title \
            and lines[index].top - lines[index - 1].bottom <= HEADER_LEADING * lines[index].size:
        index -= 1
    return lines[index].top


def _grid_tops(rules: list[float], vertical: list[Segment], left: float, right: float) -> list[float]:
    """The rules a ruled grid's vertical rules start at and none crosses: the top of a grid."""
    inside = [s for s in _joined(vertical) if left - 2 <= s.x0 <= right + 2 and s.bottom - s.top > 3]
    return [y for y in rules if any(abs(s.top - y) <= 2 for s in inside)
            and not any(s.top < y - 2 and s.bottom > y + 2 for s in inside)]


def _joined(vertical: list[Segment]) -> list[Segment]:
    """Vertical rules drawn in pieces (one per grid row, parted at a double rule) joined where they touch."""
    out: list[Segment] = []
    for rule in sorted(vertical, key=lambda s: (round(s.x0), s.top)):
        last = out[-1] if out else None
        if last and abs(last.x0 - rule.x0) <= 0.5 and rule.top <= last.bottom + 2:
            out[-1] = Segment(last.x0, last.x1, last.top, max(last.bottom, rule.bottom))
        else:
            out.append(rule)
    return out


def _with_clipped_text(lines: list[Line], clipped: list[ClippedCell]) -> list[Line]:
    """The lines with the text a box clips read whole: the first phrase shown in the box stands for all of
    its text, and the box's other phrases go (they are part of it). A line left with no phrase goes. A line
    of boxes' texts only is where those boxes are: what a box clips of its glyphs is not printed (a line
    whose glyphs reach up over the grid's top rule, clipped there, is the grid's), and its text is all of
    the box's. A box showing none of its text where nothing else prints (a header row too short for its
    boxes' wrapped lines, each drawn above or below it) prints its text where the box is."""
    if not clipped:
        return lines
    lines = _with_hidden_boxes(lines, clipped)
    lines = [_cut_at_box_edges(line, clipped) for line in lines]
    replaced: dict[int, Phrase | None] = {}
    boxes: dict[int, ClippedCell] = {}
    for cell in clipped:
        # a phrase whose characters are not the box's text's, in its order, is another cell's, printed across
        # its edge (a header box's line under a title's box, both on one row of the sheet): a box shows a
        # part of its text
        inside = [phrase for line in lines for phrase in line.phrases
                  if cell.holds(phrase.centre, _middle(line)) and shows_part_of(phrase.text, cell.text)]
        # a clip round numbers on many lines is the page's edge cutting a column (a box begun on the page
        # before), not a box's text: its lines are read as printed
        if sum(phrase.is_number for phrase in inside) > 1:
            continue
        if inside:
            first = inside[0]
            replaced[id(first)] = Phrase(cell.text, first.x0, first.x1, first.size)
            replaced.update((id(other), None) for other in inside[1:])
            boxes.update((id(phrase), cell) for phrase in inside)
    out = []
    for line in lines:
        phrases = [replaced.get(id(p), p) for p in line.phrases]
        if any(id(p) in replaced for p in line.phrases):
            phrases = [p for p in phrases if p is not None]
            top, bottom = line.top, line.bottom
            if all(id(p) in boxes for p in line.phrases):
                top = max(boxes[id(p)].top for p in line.phrases)
                bottom = min(boxes[id(p)].bottom for p in line.phrases)
                top, bottom = (top, bottom) if top < bottom else (line.top, line.bottom)
            # boxes' texts of one row of boxes, their lines wrapped apart in each, are one line where the boxes are
            row = next((i for i, other in enumerate(out) if abs(other.top - top) < CLIP_TOLERANCE
                        and abs(other.bottom - bottom) < CLIP_TOLERANCE and not any(
                            a.x0 < b.x1 and b.x0 < a.x1 for a in other.phrases for b in phrases)), None)
            if phrases and row is not None:
                other = out[row]
                out[row] = Line(top, bottom, sorted(other.phrases + phrases, key=lambda p: p.x0), other.size,
                                other.overprinted or line.overprinted)
            elif phrases:
                out.append(Line(top, bottom, phrases, line.size, line.overprinted))
        else:
            out.append(line)
    return out


def _with_hidden_boxes(lines: list[Line], clipped: list[ClippedCell]) -> list[Line]:
    """The lines with a phrase of each box's text where the box shows none of it and no other text prints
    over it: on the line at its height, else on a line of its own."""
    if not lines:
        return lines
    size = sorted(line.size for line in lines)[len(lines) // 2]
    for cell in clipped:
        if not cell.text.strip() or any(cell.top <= _middle(line) <= cell.bottom and p.x0 < cell.x1 and cell.x0 < p.x1
                                         for line in lines for p in line.phrases):
            continue
        at = next((i for i, line in enumerate(lines) if cell.top <= _middle(line) <= cell.bottom), None)
        if at is None:
            at = bisect_left([line.top for line in lines], cell.top)
            lines = lines[:at] + [Line(cell.top, cell.bottom, [], min(size, cell.bottom - cell.top))] + lines[at:]
        line = lines[at]
        phrases = sorted(line.phrases + [Phrase(cell.text, cell.x0, cell.x1, line.size)], key=lambda p: p.x0)
        lines = lines[:at] + [Line(line.top, line.bottom, phrases, line.size, line.overprinted)] + lines[at + 1:]
    return lines


def _cut_at_box_edges(line: Line, clipped: list[ClippedCell]) -> Line:
    """The line with its phrases cut at the edges of the clipped boxes it crosses: two boxes' texts, each
    clipped at the edge they share, print close enough to read as one phrase."""
    edges = _clipped_edges(clipped, _middle(line))
    if not edges:
        return line
    phrases = [piece for phrase in line.phrases for piece in _cut_at_rules(phrase, edges)]
    return line if len(phrases) == len(line.phrases) else Line(line.top, line.bottom, phrases, line.size,
                                                                line.overprinted)


def _clipped_edges(clipped: list[ClippedCell], middle: float) -> list[tuple[float, int]]:
    """The sides of the clipped boxes a line's `middle` crosses, left to right, each as (x, the side it clips
    on) for `_cut_at_rules`: 1 a box's left side, -1 its right, 2 both (two boxes meeting there)."""
    row = [cell for cell in clipped if cell.top <= middle <= cell.bottom]
    lefts, rights = {cell.x0 for cell in row}, {cell.x1 for cell in row}
    return [(x, 2 if x in lefts and x in rights else 1 if x in lefts else -1) for x in sorted(lefts | rights)]


def _title_like(line: Line) -> bool:
    """One phrase, all Latin: the English title under the Chinese one, above the table's top rule."""
    return len(line.phrases) == 1 and line.text.isascii() and not _is_label_header(line)


def read_page(geometry: PageGeometry, carried: TableLayout | None, source: str,
              ) -> tuple[list[tuple[Block, TableLayout]], TableLayout | None, list[Problem]]:
    """Every table on the page as (block, layout), top to bottom; the last layout, for the next page."""
    foot = carried.foot if carried else None
    carried = replace(carried, foot=None) if foot else carried
    lines = _page_lines(geometry)
    if foot and lines and (under := _under_foot(geometry, foot, lines[0])):
        geometry = under
        lines = _page_lines(geometry)
    problems: list[Problem] = []
    found: list[tuple[Block, TableLayout]] = []
    floor = 0
    lines_floor = float("-inf")  # (a foot carried from the page before lies above the page's top)
    spans = _bodies(lines, carried.label_right if carried else None) or _unlabelled_bodies(
        lines, continuing=carried is not None and not carried.labels_printed)
    if not spans and (labels := _labels_only(lines, carried, geometry.number)):
        return [labels], labels[1], problems
    for first, last in spans:
        body = lines[first:last + 1]
        numbered = [line for line in body if line.is_body]
        # the values of a label wrapped around them count: a wide number there may start left of every
        # labelled row's first value, and read as the row's label it leaves the label's halves two rows
        label_right = _label_right(numbered + [line for line in body if line.phrases[0].is_value]
                                   if numbered else body)
        # rules above the title (a running header's) are the page's, not the table's
        ceiling = max([lines_floor] + [line.bottom for line in lines[floor:first] if line.is_title])
        horizontal = [rule for rule in geometry.horizontal if rule.top > ceiling]
        left, right = _table_extent(body, horizontal)
        rules = _rules_across(horizontal, left, right)
        # a page of values only prints no label column for a table's top rule to be drawn over
        framing = _rules_across(horizontal, left, label_right) if numbered else []
        band_start = _header_band(lines, floor, first, last, rules, framing,
                                  _grid_tops(rules, geometry.vertical, left, right), values_only=not numbered,
                                  under_groups=_rules_across(horizontal, label_right, right) if numbered else [],
                                  label_right=label_right)
        band = lines[band_start:first]
        left = min([left] + [line.x0 for line in band])
        right = max([right] + [line.x1 for line in band])
        # a line above the band's first line by their middles, though its box may reach past that line's top
        # (a unit line printed right above a ruled header, in a font with tall line boxes)
        banded = {id(line) for line in band}
        band_middle = _middle((band or body)[0])
        title_lines = [line.text for line in lines
                       if lines_floor <= line.top and _middle(line) < band_middle
                       and id(line) not in banded and not matches_prefix(line.text, layout().footnote_prefixes)]
        continued = carried is not None and (not band or is_continuation(title_lines))
        if any(line.overprinted for line in band):
            parted = [_drawn_apart(line, geometry) if line.overprinted else [line] for line in band]
            band = band if None in parted else [part for lines_of_one in parted for part in lines_of_one]
        overprinted = next((line for line in band + body if line.overprinted), None)
        if overprinted:
            problems.append(Problem("overprinted_text", f"table at y={body[0].top:.0f}: characters are printed "
                                    f"over each other at y={overprinted.top:.0f} ({overprinted.text!r}), so "
                                    "no cell of that line can be read with confidence", source,
                                    page=geometry.number))
            floor = last + 1
            continue
        # (gridlines are drawn a cell at a time, the border round them whole: joined, they part the columns)
        columns = _columns(body, label_right, _joined(geometry.vertical), band)
        # A continued page prints the columns of the table before it; where its few rows leave a column
        # blank (or print no header at all), those columns are the ones to read it by.
        fitted = _fit_carried(body, label_right, carried) if continued and (
            not band or columns is None or len(columns) < len(carried.regions)) else None
        if fitted:
            label_right, regions = fitted
        elif not band:
            why = "continues no table read before it (give the page range from the table's first page)" \
                if carried is None else "its columns do not line up with the table before it"
            problems.append(Problem("no_header", f"a table at y={body[0].top:.0f} prints no header and {why}",
                                    source, page=geometry.number))
            floor = last + 1
            continue
        elif columns is None:
            problems.append(Problem("unreadable_table", f"table at y={body[0].top:.0f}: its cells do not line up "
                                    "in columns (a row puts two cells where another prints one)", source,
                                    page=geometry.number))
            floor = last + 1
            continue
        else:
            label_right = min(label_right, columns[0].left)
            # a page of values prints no label column: its first column's header may reach left of its
            # right-aligned numbers, to the table's edge
            regions = _split_regions(columns, _label_boundary(body, columns[0].left) if numbered else left,
                                     right + 1)
        # indentation is measured from the flush labels of the table so far: a continued page may print
        # only indented cities
        carried_indent = (carried.flush, carried.indent_size, carried.label_levels) if continued else None
        block, table = _grid(geometry, band, body, label_right, regions, left, right, rules, carried_indent,
                             carried.extents if fitted else [])
        table.blank_to = _blank_below(geometry, body[-1].bottom, lines[last + 1:], left, right)
        block.lines_above = title_lines
        found.append((block, table))
        floor = last + 1
        lines_floor = body[-1].bottom
        carried = table
    if found and (foot := _foot(geometry, lines, spans[-1][1])):
        carried = replace(carried, foot=foot)
    return found, carried, problems


def _page_lines(geometry: PageGeometry) -> list[Line]:
    return _with_clipped_text([_parted_at_box_edges(line, geometry) if line.overprinted else line
                               for line in text_lines(_single_characters(geometry.glyphs))], geometry.clipped)


def _foot(geometry: PageGeometry, lines: list[Line], last_row: int) -> PageFoot | None:
    """The page below its last table's last row (`lines[last_row]`) as a `PageFoot`, where that is a title
    (not a note) and then header lines, to the page's end; None where a note follows the header, or a line
    prints values only (a page number, a row of years: not a header known to be cut off)."""
    notes = layout().footnote_prefixes
    tail = lines[last_row + 1:]
    start = next((i for i, line in enumerate(tail) if line.is_title and not matches_prefix(line.text, notes)), None)
    if start is None:
        return None
    lines = tail[start:]
    header = next((i for i, line in enumerate(lines) if not line.is_title), None)
    if header is None or any(line.is_title for line in lines[header:]) \
            or any(all(p.is_value for p in line.phrases) for line in lines):
        return None
    top, bottom, size = lines[0].top, lines[-1].bottom, lines[0].size
    # the rules of the rows the foot prints in: the one over its title's row, the one closing its last
    horizontal = tuple(rule for rule in geometry.horizontal if top - size <= rule.top <= bottom + size)
    low = min([top] + [rule.top for rule in horizontal])
    high = max([bottom] + [rule.bottom for rule in horizontal])
    vertical = tuple(Segment(rule.x0, rule.x1, max(rule.top, low), min(rule.bottom, high))
                     for rule in geometry.vertical if min(rule.bottom, high) - max(rule.top, low) >= 1)
    return PageFoot(tuple(glyph for glyph in geometry.glyphs if glyph.top + glyph.bottom > 2 * top),
                    horizontal, vertical,
                    tuple(cell for cell in geometry.clipped if cell.top >= low - 1 and cell.bottom <= high + 1),
                    high, max(0.0, lines[-1].top - lines[-2].bottom) if len(lines) > 1 else 0.0,
                    ruled=high > bottom)


def _under_foot(geometry: PageGeometry, foot: PageFoot, first: Line) -> PageGeometry | None:
    """The page with the foot of the page before printed above its first line, as one page would print
    them: a ruled foot's closing rule on the rule the page opens with (a grid's cells go on across the
    break), else the foot's own line gap above the first line."""
    opening = [rule.top for rule in geometry.horizontal if rule.top <= _middle(first)]
    head = min(opening + [first.top])
    shift = head - (0.0 if foot.ruled and opening else foot.gap) - foot.bottom
    moved = [Glyph(g.text, g.x0, g.x1, g.top + shift, g.bottom + shift, g.size) for g in foot.glyphs]
    glyphs = geometry.glyphs
    if isinstance(glyphs, Glyphs):
        above = Glyphs.of(moved)
        if above is None:
            return None
        glyphs = Glyphs(*(numpy.concatenate([getattr(above, name), getattr(glyphs, name)])
                          for name in ("codes", "x0", "x1", "top", "bottom", "size")))
    else:
        glyphs = moved + list(glyphs)
    return PageGeometry(
        geometry.number, geometry.width, geometry.height, glyphs,
        [Segment(r.x0, r.x1, r.top + shift, r.bottom + shift) for r in foot.horizontal] + geometry.horizontal,
        [Segment(r.x0, r.x1, r.top + shift, r.bottom + shift) for r in foot.vertical] + geometry.vertical,
        [ClippedCell(c.x0, c.top + shift, c.x1, c.bottom + shift, c.text) for c in foot.clipped] + geometry.clipped)


def _blank_below(geometry: PageGeometry, body_bottom: float, below: list[Line], left: float, right: float,
                 ) -> float | None:
    """How far down below the body the page provably prints nothing in the body's columns (a wide table's
    block of columns printing nothing for its last rows): to the first text printed there, or the page's
    foot; where a grid rules the body's last row, no further than its vertical rules run, for a grid ending
    with the body ends the rows printed on this page. None where that is not past the body."""
    end = min([line.top for line in below if line.x0 < right and left < line.x1], default=geometry.height)
    through = [s for s in _joined(geometry.vertical)
               if left - 2 <= s.x0 <= right + 2 and s.top < body_bottom < s.bottom]
    if len(through) >= 2:
        end = min([end] + [s.bottom for s in through])
    return end if end > body_bottom + 1 else None


def _labels_only(lines: list[Line], carried: TableLayout | None, number: int) -> tuple[Block, TableLayout] | None:
    """A wide table's label column printed on pages of its own, its values on the pages after (an office
    prints a sheet too wide for the paper a block of columns at a time, and a wide label column may fill
    the first block): the label header ("城 市 City") and under it two or more lines printing a label each,
    no number on the page; on a page continuing such a page, its lines of labels. Its rows are read as
    labels only: `pdf.labelled_blocks` gives them to the rows of values printed at their heights."""
    if any(p.is_number for line in lines for p in line.phrases):
        return None
    header = next((i for i, line in enumerate(lines) if _is_label_header(line)), None)
    if header is None and (carried is None or carried.values_printed):
        return None
    first = header + 1 if header is not None else 0
    while header is not None and first < len(lines) and _is_label_header(lines[first]):
        first += 1  # the label header's English line ("City") under the Chinese one
    last = first
    while last < len(lines) and not lines[last].is_title and not any(p.is_value for p in lines[last].phrases) \
            and not all(formula_cell(p.text) for p in lines[last].phrases) \
            and (last == first or _close(lines[last - 1], lines[last])):
        last += 1
    body, band = lines[first:last], lines[header:first] if header is not None else []
    if len(body) < 2 or last < len(lines) and not matches_prefix(lines[last].text, layout()["footnote_prefixes"]):
        return None
    continued = (carried.flush, carried.indent_size, carried.label_levels) if header is None else None
    flush = min(line.x0 for line in body) if continued is None else continued[0]
    indent_size = sorted(line.size for line in body)[len(body) // 2] if continued is None else continued[1]
    starts = _label_starts(body, indent_size, continued[2] if continued else [])
    cells = [[line.text] for line in band] + [
        [_indented(starts[id(line)], flush, indent_size) + " ".join(p.text for p in line.phrases)] for line in body]
    left, right = min(line.x0 for line in band + body), max(line.x1 for line in band + body)
    table = TableLayout(left, right, right, [], band[0].top if band else None, band[-1].bottom if band else None,
                        body[0].top, body[-1].bottom, [], [line.top for line in band + body], False, flush,
                        indent_size, sorted(set(starts.values()) | set(continued[2] if continued else [])),
                        values_printed=False)
    block = Block([line.text for line in lines[:header or 0]], cells, list(range(1, len(cells) + 1)), [1], page=number)
    return block, table


def _columns(body: list[Line], label_right: float, vertical: list[Segment], band: list[Line]) -> list[Column] | None:
    # the label column is the ruled one the labels print in; every column right of it holds values, even
    # one this page leaves blank
    # (a body of wrapped labels only has its labels on lines of their own; one printing no label, none)
    labels = [line.phrases[0] for line in body if line.is_body] \
        or [line.phrases[0] for line in body if not line.phrases[0].is_value]
    label_end = min([label_right] + [label.x1 for label in labels]) if labels else float("-inf")
    # a label may run on past its column's rule (indented, or its values set tight after it); every label
    # starts left of that rule
    labels_start = max((label.x0 for label in labels), default=float("-inf"))
    values_right = max((p.x1 for line in body for p in line.phrases if p.is_value and p.x0 >= label_end), default=0.0)
    ruled = _ruled_columns(vertical, body[0].top, body[-1].bottom, label_right, label_end, labels_start, values_right)
    if ruled:
        return ruled
    # a header ruled into columns over a body that is not: its rules part the columns where every value
    # printed falls between two of them (a first page of one row may leave a column blank)
    ruled = band and _ruled_columns(vertical, band[-1].top, band[-1].bottom, label_right, label_end, labels_start,
                                    values_right)
    if ruled and all(any(c.left <= p.x0 and p.x1 <= c.right for c in ruled)
                     for line in body for p in line.phrases if p.is_value and p.x0 >= label_end):
        return ruled
    columns = _cluster_columns(body, label_right)
    labels_end = max((p.x1 for line in body for p in line.phrases if p.x0 < label_right and not p.is_value),
                     default=label_right)
    header_rules = [s.x0 for s in vertical if band and s.top <= _middle(band[-1]) <= s.bottom]
    return columns and _with_blank_header_columns(columns, band, labels_end, header_rules)


def _ruled_columns(vertical: list[Segment], top: float, bottom: float, label_right: float, label_end: float,
                   labels_start: float, values_right: float) -> list[Column] | None:
    """The value columns parted by vertical rules crossing top..bottom, where a rule also parts off the
    labels; None where there are none. The labels' column ends at the first rule where the shortest label
    ends, or at the first right of where every label starts (a label running on past it). Values printed
    right of the last rule are a column of their own where rules part value columns before it: a grid whose
    outer edge is left unruled (a rule only after the labels parts no value columns: a sheet printed with
    borders round its label column alone)."""
    xs = _rule_columns(vertical, top, bottom)
    edge = min([label_end - 2] + [x for x in xs if x > labels_start][:1])
    columns = [Column(a + 1, b - 1) for a, b in zip(xs, xs[1:]) if a >= edge]
    if columns and values_right > xs[-1] + 2 and xs[-1] >= edge:
        columns.append(Column(xs[-1] + 1, values_right))
    return columns if columns and xs[0] < label_right else None


def _with_blank_header_columns(columns: list[Column], band: list[Line], labels_end: float,
                               header_rules: Sequence[float] = ()) -> list[Column]:
    """The body's columns plus one per lowest header piece that heads none of them: a column every row of
    the page leaves blank (a one-row first page) still has its header, and the others keep theirs.

    The lowest pieces head the columns one each, in order (`_in_order`); only a piece no column took,
    clear of every column, becomes a blank column, so a header printed off its right-aligned numbers
    stays theirs.
    Pieces centred right of where the labels end are matched ("Total City" centred over the first column
    may start left of its narrower numbers, and that column may be the blank one). A blank column left of
    every number must sit under a spanning header that also heads a printed column ("全市" beside its
    "市辖区"), or right of the label column's own header: else it may be that header, misread ("市、地州"
    off a scan). Pieces left over one above the other are a header not understood: none of them is added. In a header
    ruled into boxes (`header_rules`, the rules crossing its last line's middle), a piece no rule parts from the
    printed column beside it is in that column's box: its header printed off its numbers, not a blank column.
    """
    stacked = _stack(band, set())
    label_header_end = min((p.x1 for p in stacked if _names_label_column(p.text)), default=float("inf"))
    pieces = [p for p in stacked if p.centre > labels_end and not _names_label_column(p.text)
              and not formula_cell(p.text)]  # a column letter centred off its right-aligned numbers
    parent_of = {id(p): _parent(p, pieces) for p in pieces}
    parents = {id(parent) for parent in parent_of.values() if parent is not None}
    leaves = sorted((p for p in pieces if id(p) not in parents), key=lambda p: p.centre)
    if len(leaves) <= len(columns):
        return columns
    chosen = _in_order(columns, leaves)
    spanning = {id(parent_of[id(leaves[index])]) for index in chosen if parent_of[id(leaves[index])] is not None}
    # (a piece whose bracket opens and does not close is part of a text parted in the line, "(10" of "(10 000
    # yuan)" set with a wide space: no header of its own)
    blank = [Column(p.x0, p.x1) for index, p in enumerate(leaves) if index not in chosen and p.x0 > labels_end
             and balanced(p.text) and not any(p.x0 <= c.right and c.left <= p.x1 for c in columns)
             and not (header_rules and _boxed_with_a_column(p, columns, header_rules))
             and (p.x1 > columns[0].left or id(parent_of[id(p)]) in spanning or p.x0 > label_header_end)]
    # two left over one above the other: a header not understood (a parent taken for a leaf), so neither
    clear = [c for c in blank if not any(o is not c and o.left <= c.right and c.left <= o.right for o in blank)]
    return sorted(columns + clear, key=lambda c: c.left)


def _boxed_with_a_column(piece: HeaderPiece, columns: list[Column], rules: Sequence[float]) -> bool:
    """The header's rules part each printed column from the next, and none stands between the piece and the
    nearest printed column on one side of it."""
    if not all(any(a.right - 1 <= x <= b.left + 1 for x in rules) for a, b in zip(columns, columns[1:])):
        return False
    left = max((c for c in columns if c.right <= piece.x0), key=lambda c: c.right, default=None)
    right = min((c for c in columns if c.left >= piece.x1), key=lambda c: c.left, default=None)
    return any(column is not None and not any(min(column.right, piece.x1) - 1 <= x <= max(column.left, piece.x0) + 1
                                              for x in rules)
               for column in (left, right))


def _names_label_column(text: str) -> bool:
    """A header naming the label column as a whole ("城 市 City", "城市名称", "Region"), not an indicator
    that starts with the same word ("地区生产总值")."""
    words = _label_words()
    chinese, english = split_bilingual(text)
    return bool(chinese or english) and (not chinese or chinese in words) and (not english or squash(english) in words)


@functools.lru_cache(maxsize=None)
def _label_words() -> frozenset[str]:
    """The label column's header words (parsers/layout.toml), squashed."""
    return frozenset(squash(word) for word in layout().label_headers)


def _parent(piece: HeaderPiece, pieces: list[HeaderPiece]) -> HeaderPiece | None:
    """The piece a header piece sits under: of those ending above it, the one over it, else the one whose
    centre is nearest its own (a spanning header narrower than the gap between its two children)."""
    above = [p for p in pieces if p.last_line < piece.first_line]
    over = [p for p in above if p.x0 < piece.x1 and piece.x0 < p.x1]
    return max(over, key=lambda p: p.last_line) if over else \
        min(above, key=lambda p: abs(p.centre - piece.centre), default=None)


def _in_order(columns: list[Column], leaves: list[HeaderPiece]) -> set[int]:
    """The leaves that head the columns: one each, in the same left-to-right order, as near the columns'
    centres as that allows. Order decides where nearness misleads: a short number right-aligned in a wide
    column can sit nearer the next column's header than its own."""
    centres = [(c.left + c.right) / 2 for c in columns]
    inf = float("inf")
    # cost[i][j]: the first i columns headed by leaves among the first j
    cost = [[0.0] * (len(leaves) + 1)] + [[inf] * (len(leaves) + 1) for _ in columns]
    for i, centre in enumerate(centres, 1):
        for j in range(i, len(leaves) + 1):
            cost[i][j] = min(cost[i][j - 1], cost[i - 1][j - 1] + abs(leaves[j - 1].centre - centre))
    chosen, j = set(), len(leaves)
    for i in range(len(columns), 0, -1):
        while cost[i][j] == cost[i][j - 1]:
            j -= 1
        chosen.add(j - 1)
        j -= 1
    return chosen


def _fit_carried(body: list[Line], label_right: float, carried: TableLayout,
                 ) -> tuple[float, list[tuple[float, float]]] | None:
    """The carried columns, if every cell printed after a line's label falls in one, no two in the same one
    per line: a number left of them all (a column the table before never read) is no fit. The labels end
    where this page's values start, where that is left of where the table's did (a table's first page of
    one row may print its first value, right-aligned, well inside its column)."""
    for line in body:
        used = [_region_of(p.centre, carried.regions) for p in line.phrases[1:] if p.is_value]
        if None in used or len(used) != len(set(used)):
            return None
    return min(label_right, carried.label_right), carried.regions


def _grid(geometry: PageGeometry, band: list[Line], body: list[Line], label_right: float,
          regions: list[tuple[float, float]], left: float, right: float, rules: list[float],
          carried_indent: tuple[float, float, list[float]] | None, carried_extents: list[tuple[float, float]],
          ) -> tuple[Block, TableLayout]:
    top = (band or body)[0].top
    bottom = body[-1].bottom
    xs = _rule_columns(geometry.vertical, body[0].top, bottom)
    ruled = len(xs) >= 2  # a grid: cells between rules hold several lines
    band_rules = set(i for i, line in enumerate(band) if i and any(band[i - 1].bottom <= y <= line.top for y in rules))
    # header cells printed close together ("地 区" beside a narrow label column's neighbour) part at the
    # label column's edge
    band = [Line(line.top, line.bottom, [piece for phrase in line.phrases
                                         for piece in cut_at(phrase, regions)], line.size)
            for line in band]
    vertical = _joined(geometry.vertical)
    # a header ruled into boxes: rules part its lowest line's cells, and one (the label column's edge) crosses
    # the whole band, from its first line's middle to its last's (a box's text that overflows it upwards,
    # an office printing a wrapped cell too tall for its box centred on it, starts above it). Only that one:
    # a group's box spans the rules between its columns. Lines on top of the band in a box their text is
    # clipped to are boxed without it (a group's box continued from the page before, no label column's
    # edge printed beside it on a page of values).
    unclipped = next((line for line in band if not any(
        cell.top - 1 <= _middle(line) <= cell.bottom + 1 and cell.x0 < line.x1 and line.x0 < cell.x1
        for cell in geometry.clipped)), band[-1] if band else None)
    ruled_band = bool(band) and len(_rule_columns(vertical, _middle(band[-1]), _middle(band[-1]))) >= 2 \
        and bool(_rule_columns(vertical, _middle(unclipped), _middle(band[-1])))
    boxed = ruled_band and _boxed_header(band, geometry.horizontal, vertical, regions, left, right, label_right)
    if boxed:
        label_pieces, value_pieces, ambiguous = boxed
    else:
        pieces = _stack(band, band_rules if ruled or band_rules else set())
        label_pieces, value_pieces, ambiguous = _assign_header(pieces, regions, label_right)

    narrowest = min(right - left for left, right in regions)
    cell_rules = sorted({round(s.top, 1) for s in geometry.horizontal
                         if s.x0 >= left - 2 and s.x1 <= right + 2 and s.x1 - s.x0 >= narrowest / 2})
    band_lines = {id(line) for line in band}

    def rules_above(y: float) -> int:
        return max(0, bisect_right(cell_rules, y) - bisect_left(cell_rules, top - 1))

    def stretch(line: Line) -> int:
        return rules_above(line.top)

    # A grid whose rules part groups of rows, not each row: a stretch between rules holding two lines of
    # numbers is two rows, so the body's rows are its lines.
    numbered = [line for line in body if any(p.is_number for p in line.phrases)]
    ruled_rows = ruled and len({stretch(line) for line in numbered}) == len(numbered)
    wrapped = _wrapped_labels(body, label_right) if not ruled_rows else {}
    rows_in_stretch = _rows_in_stretches(body, stretch, numbered) if ruled_rows else {}

    def row_key(line: Line) -> tuple:
        """Grid row of a line: where vertical rules make cells, the count of rules above it (and the row
        within that stretch); else the line (the values' line, for a label wrapped around them)."""
        if id(line) in band_lines:
            # a header line by its middle: a box's text may reach up over its top rule
            return ("ruled", rules_above(_middle(line))) if ruled_band else ("line", id(line))
        if ruled_rows:
            return ("ruled", stretch(line), rows_in_stretch[id(line)])
        return ("line", id(wrapped.get(id(line), line)))

    all_lines = band + body
    keys: list = []
    first_row: dict[tuple, int] = {}  # a key's first grid row
    row_of = {}
    for line in all_lines:
        key = row_key(line)
        if not keys or keys[-1] != key:
            keys.append(key)
            first_row.setdefault(key, len(keys) - 1)
        row_of[id(line)] = first_row[key]
    width = 1 + len(regions)
    cells = [[""] * width for _ in keys]
    for piece in label_pieces:
        row = row_of[id(band[piece.first_line])]
        cells[row][0] = f"{cells[row][0]} {piece.text}".strip()
    for piece in value_pieces:
        row = row_of[id(band[piece.first_line])]
        for column in sorted(piece.columns - ambiguous):
            text = cells[row][column + 1]
            cells[row][column + 1] = f"{text} {piece.text}".strip() if text else piece.text
    flush = min([line.x0 for line in body if id(line) not in wrapped]
                + ([carried_indent[0]] if carried_indent else []))
    indent_size = carried_indent[1] if carried_indent else sorted(line.size for line in body)[len(body) // 2]
    label_starts = _label_starts(body, indent_size, carried_indent[2] if carried_indent else [])
    # the edges between value columns, and the rules printed there: a value reaching over one is refused, or
    # parted where a rule runs through a gap in it (`_parted_at_edges`)
    edges = [high for _, high in regions[:-1]]
    extents = _column_extents(body, regions, edges, carried_extents)
    between_values = [rule for rule in vertical if label_right < rule.x0 < right - 1]
    for line in body:
        row = cells[row_of[id(line)]]
        phrases = line.phrases
        if any(phrase.is_value and (_over_edge(phrase, edges) or _EXPONENT.search(phrase.text)) for phrase in phrases):
            middle = _middle(line)
            rules_through = [rule.x0 for rule in between_values if rule.top <= middle <= rule.bottom]
            phrases = [piece for phrase in phrases for piece in (
                [_rounded_off(phrase)] if phrase.is_number and _EXPONENT.search(phrase.text)
                else _parted_at_edges(phrase, rules_through, edges, regions, extents)
                if phrase.is_value and phrase.chars and _over_edge(phrase, edges) else [phrase])]
        for phrase in phrases:
            if isinstance(phrase, _AcrossColumns):
                # every column it reaches into is refused: which of them its digits are cannot be told
                for column, (low, high) in enumerate(regions):
                    if low < phrase.x1 and phrase.x0 < high:
                        _add_to_cell(row, column + 1, phrase.text)
                continue
            centre = phrase.centre
            # a number after the label that lies in a value column is a value, even where it reaches left
            # of where the table's values began so far (a wider number on a continued page)
            column = _region_of(centre, regions) if centre >= label_right or (
                phrase.is_value and phrase is not phrases[0]) else None
            if centre < label_right and column is None:
                if not row[0]:
                    row[0] = _indented(label_starts[id(line)], flush, indent_size)
                row[0] = f"{row[0]} {phrase.text}" if row[0].strip() else row[0] + phrase.text
                continue
            if column is None:
                continue
            _add_to_cell(row, column + 1, phrase.text)
    headers = []
    for column in range(len(regions)):
        path = [p.text for p in sorted(value_pieces, key=lambda p: p.first_line) if column in p.columns]
        headers.append(" / ".join(path))
    row_tops = []
    for line in all_lines:
        if len(row_tops) <= row_of[id(line)]:
            row_tops.append(line.top)
    table = TableLayout(left, right, label_right, regions,
                        band[0].top if band else None, band[-1].bottom if band else None,
                        body[0].top, bottom, headers, row_tops, ruled_rows, flush, indent_size,
                        sorted(set(label_starts.values()) | set(carried_indent[2] if carried_indent else [])),
                        labels_printed=not all(line.phrases[0].is_value for line in body), extents=extents)
    block = Block([], cells, list(range(1, len(cells) + 1)), list(range(1, width + 1)), page=geometry.number)
    return block, table


def _add_to_cell(row: list[str], cell: int, text: str) -> None:
    """Text into a row's cell: two landing in one are kept apart, so that the cell reads as no number and is
    refused, never "20,696 91,738" read as 2069691738."""
    row[cell] = f"{row[cell]} | {text}" if row[cell] else text


def _over_edge(phrase: Phrase, edges: list[float]) -> bool:
    """The phrase reaches over one of the edges between value columns (x, sorted), by more than a glyph's
    overhang."""
    at = bisect_right(edges, phrase.x0 + CLIP_TOLERANCE)
    return at < len(edges) and edges[at] < phrase.x1 - CLIP_TOLERANCE


def _column_extents(body: list[Line], regions: list[tuple[float, float]], edges: list[float],
                    carried: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Each value column's extent: from the leftmost start to the rightmost end of the values printed in it
    (by their middles), those reaching over an edge between columns left out, and of the `carried` extents
    of the table's pages before."""
    extents = list(carried) if len(carried) == len(regions) else [(float("inf"), float("-inf"))] * len(regions)
    for line in body:
        for phrase in line.phrases:
            if phrase.is_value and not _over_edge(phrase, edges) \
                    and (column := _region_of(phrase.centre, regions)) is not None:
                x0, x1 = extents[column]
                extents[column] = (min(x0, phrase.x0), max(x1, phrase.x1))
    return extents


def _rounded_off(phrase: Phrase) -> Phrase:
    """A number printed in powers of ten ("1E+08"), as its cell refused: a spreadsheet shows a number too wide
    for its cell so, its digits rounded off (100113700 printed as 1E+08); a table printed to be read never
    does."""
    return Phrase(refused_cell(phrase.text, "is printed in powers of ten, as a spreadsheet shows a number too "
                               "wide for its cell: its digits are rounded off"), phrase.x0, phrase.x1, phrase.size)


class _AcrossColumns(Phrase):
    """A value printed across the edge between two value columns: its columns' cells are refused, saying so."""


def _across(phrase: Phrase, edge: str) -> _AcrossColumns:
    return _AcrossColumns(refused_cell(phrase.text, f"is printed across the {edge} between two columns: which column's "
                                    "number its digits are cannot be told"), phrase.x0, phrase.x1, phrase.size)


def _parted_at_edges(phrase: Phrase, rules: list[float], edges: list[float], regions: list[tuple[float, float]],
                     extents: list[tuple[float, float]]) -> list[Phrase]:
    """A value phrase reaching over the edges between value columns (x, sorted) or the rules printed between
    them: parted where a rule runs through a gap as wide as a space between its glyphs (two cells printed
    close, "60" | "0.3835265"); else one text runs on across it (a number too wide for its cell overflowing
    into its neighbour's, "2008104880500", or two cells' numbers printed close as one run), and which column
    its digits are cannot be told: it comes back as an `_AcrossColumns`. Over an edge no rule is printed on (the
    middle of the gap between two columns' values) a number is its column's where it reaches over no other
    column's values (`extents`): a wider number on a continued page; digits a space apart are parted
    already (`_spaced_numbers`)."""
    low, high = phrase.x0 + CLIP_TOLERANCE, phrase.x1 - CLIP_TOLERANCE
    crossed = [x for x in rules if low < x < high]
    at = bisect_right(edges, low)
    if any(not any(abs(x - rule) <= 1 for rule in crossed) for x in edges[at:] if x < high):
        own = _region_of(phrase.centre, regions)
        if any(low < x1 and x0 < high for column, (x0, x1) in enumerate(extents) if column != own):
            return [_across(phrase, "edge")]
    chars, parts, start = list(phrase.chars), [], 0
    for x in sorted(crossed):
        cut = next((k for k in range(start + 1, len(chars)) if chars[k - 1].x1 <= x <= chars[k].x0
                    and chars[k].x0 - chars[k - 1].x1 > WORD_GAP * chars[k].size), None)
        if cut is None:
            return [_across(phrase, "rule")]
        parts.append(_phrase_of(chars[start:cut]))
        start = cut
    return parts + [_phrase_of(chars[start:])]


def _rows_in_stretches(body: list[Line], stretch: Callable[[Line], int], numbered: list[Line]) -> dict[int, int]:
    """Each body line's row within its stretch between rules: a line as far below the one before it as
    rows sit apart starts a row (a province's heading under the last city of a group ruled only under
    the group, or a row printing no number); a cell's own lines sit closer. Rows sit apart by most of the
    smallest step between two rows of numbers, or by ROW_STEP sizes, whichever is less."""
    pitch = min((b.bottom - a.bottom for a, b in zip(numbered, numbered[1:])), default=float("inf"))
    rows: dict[int, int] = {}
    previous = None
    for line in body:
        if previous is not None and stretch(previous) == stretch(line):
            apart = line.bottom - previous.bottom >= min(ROW_SHARE * pitch, ROW_STEP * line.size)
            rows[id(line)] = rows[id(previous)] + apart
        else:
            rows[id(line)] = 0
        previous = line
    return rows


def _wrapped_labels(body: list[Line], label_right: float) -> dict[int, Line]:
    """Label lines printed around a line of values that has no label of its own ("前郭尔罗斯蒙古族自" over
    the numbers, "治县" under them), each with that line: a label wrapped in its cell, the row's values
    centred on its height. The lines overlap the values' line, as the rows' lines never do."""
    out: dict[int, Line] = {}
    for line in body:
        if not line.phrases[0].is_value or line.phrases[0].centre < label_right:
            continue
        for other in body:
            if other is not line and other.top < line.bottom and line.top < other.bottom \
                    and _is_label_only(other, label_right):
                out[id(other)] = line
    return out


def _label_starts(body: list[Line], size: float, levels: list[float]) -> dict[int, float]:
    """Where each line's label starts, the starts less than half a character apart taken as one level (the
    first seen: of the table this page continues, else the leftmost): an OCR box's edge wanders by a point
    or two, from line to line and page to page; an indentation is a character or more."""
    levels = list(levels)
    starts: dict[int, float] = {}
    for line in sorted(body, key=lambda line: line.x0):
        level = next((level for level in levels if abs(line.x0 - level) <= size / 2), None)
        if level is None:
            level = line.x0
            levels.append(level)
        starts[id(line)] = level
    return starts


def _indented(start: float, flush: float, size: float) -> str:
    """Blanks standing for how far right of the flush labels a row's label starts, in the table's
    character size (one size for all its rows: an OCR box's height, so its size, varies line to line)."""
    offset = start - flush
    return " " * int(offset / (INDENT_STEP * size) + 0.25) if offset > 0 else ""
