"""From a block of cells to values: the part both parsers share.

A PDF page's table and a stretch of a spreadsheet both arrive here as a `Block`: the lines printed above
the table (running header, title, unit line) and a rectangular grid of cell text with merged cells already
spread over the cells they cover. This module finds the header rows, reads each column's header path as
(indicator, scope, unit), walks the body rows (province rows set the context, totals and notes are
skipped with a reason) and emits one `ExtractedValue` per recognised cell.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cnstat_etl.config import layout, read_mapping_csv
from cnstat_etl.text import (
    TEXT_CACHE,
    as_printed,
    balanced,
    fold,
    is_missing,
    matches_prefix,
    parse_number,
    shows_part_of,
    split_bilingual,
    squash,
    strip_footnote_marks,
)
from cnstat_etl.indicators import header_key, is_provisional, match_header, provisional_id
from cnstat_etl.model import (UNREAD, BodyRow, ExtractedValue, ExtractResult, Problem, Provenance, TableContext,
                              TableReport)
from cnstat_etl.unit_words import is_unit

if TYPE_CHECKING:
    from cnstat_etl.extract.series import SeriesTable


@dataclass(frozen=True)
class ExtractOptions:
    """What the command line may tell a parser that the file does not: the data year or the edition."""

    year: int | None = None
    edition: int | None = None
    # The edition the file's path names, and the part of the path that names it (`with_path_evidence`).
    path_edition: tuple[int, str] | None = None
    pages: tuple[int, int] | None = None  # 1-based, inclusive
    pdf_reader: str = "pdfium"  # or "pdfplumber", the slow reference reader (see extract/pdf.py)
    ocr: bool = False  # read pages without a usable text layer by OCR (slow: seconds per page)
    kind: str | None = None  # read every file as this kind (cnstat_etl.source_kinds); None: as each looks


@dataclass
class Block:
    """A table as a parser found it on one page or in one stretch of a sheet."""

    lines_above: list[str]  # running header, title, unit line, in reading order
    cells: list[list[str]]  # rectangular grid, merged cells spread
    rows: list[int]  # 1-based row number of each grid row (within the page's table or the sheet)
    columns: list[int]  # 1-based column number of each grid column
    page: int | None = None
    sheet: str | None = None
    # its body read ahead, where its page was read (`body_facts`); None: read when it is assembled
    facts: BodyFacts | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ColumnMeaning:
    column: int  # index into the block's grid
    label: str  # the header path as printed, joined with " / "
    indicator: str
    scope: str
    unit: str | None
    scope_named: bool = True  # False where no header cell names the scope (the whole city's, unless shown else)


@dataclass
class TableState:
    """What a table carries from one page (or stretch) to its continuation."""

    context: TableContext
    index: int  # the table's position among the file's tables
    label_columns: tuple[int, ...] = (0,)
    meanings: tuple[ColumnMeaning, ...] = ()
    sheet: str | None = None
    pages: list[int] = field(default_factory=list)
    values: int = 0
    # (column, squashed header) of columns naming no indicator; a header repeated on each page counts once
    unrecognised: set[tuple[int, str]] = field(default_factory=set)
    # indicators a header names with their scopes (全市, 市辖区) so far
    scoped_indicators: set[str] = field(default_factory=set)
    # (column, squashed header) of a first column whose group box began on the page before -> its whole path
    begun_before: dict[tuple[int, str], list[str]] = field(default_factory=dict)
    series: SeriesTable | None = None  # the table read as a series or panel (extract/series.py), if it is one


# ---------------------------------------------------------------------------------------------- titles

def table_number(lines: list[str]) -> str | None:
    pattern = layout().table_number_pattern
    for line in lines:
        match = pattern.match(fold(line))
        if match:
            return re.sub(r"\s*[—–\-‐－]+\s*", "-", match.group(1))
    return None


def is_continuation(lines: list[str]) -> bool:
    return any(marker in fold(line) for line in lines for marker in layout().continued_markers)


def marks_continuation(line: str) -> bool:
    """The line itself says 续表 / (续) / continued: stricter than `is_continuation`, which a title such
    as 可持续发展 also meets."""
    squashed = squash(line)
    return squashed.startswith(_squashed_markers()) or squashed in layout().continued_lines


@functools.lru_cache(maxsize=None)
def _squashed_markers() -> tuple[str, ...]:
    """The continued markers squashed once: every line of a book is asked."""
    return tuple(squash(marker) for marker in layout().continued_markers)


def title_of(lines: list[str]) -> str:
    """The Chinese title line: the one with the table number, else the first line that is not a unit line."""
    candidates = [as_printed(line) for line in lines if as_printed(line)]
    number_pattern = layout().table_number_pattern
    for index, line in enumerate(candidates):
        if number_pattern.match(fold(line)):
            if not number_pattern.sub("", fold(line)).strip() and index + 1 < len(candidates):
                return f"{line} {candidates[index + 1]}"  # "表4-1" on a line of its own, the title under it
            return line
    unit_pattern = layout().unit_line_pattern
    for line in candidates:
        if not unit_pattern.match(fold(line)) and not _edition_of([line]):
            return line
    return ""


def unit_line(lines: list[str]) -> str | None:
    """The table's unit: a unit line's (单位：万元), else one in brackets closing the title (3-3 地区生产总值
    （万元）), as some editions print it instead."""
    pattern = layout().unit_line_pattern
    for line in lines:
        match = pattern.match(fold(line))
        if match:
            return match.group("unit")
    title = fold(title_of(lines))
    closing = [match for match in _PARENTHESISED.finditer(title) if match.end() == len(title)]
    return closing[0].group(1).strip() if closing and is_unit(closing[0].group(1)) else None


@dataclass(frozen=True)
class Edition:
    number: int  # the yearbook edition printed: 中国城市统计年鉴—2009 -> 2009
    data_year: int  # the year its tables report, unless a title says otherwise: 2008


def _edition_of(lines: list[str]) -> Edition | None:
    for edition in layout().editions:
        pattern = edition.pattern
        for line in lines:
            match = pattern.search(fold(line))
            if match:
                number = int(match.group("edition"))
                return Edition(number, edition_data_year(number))
    return None


def edition_named_in_path(path: Path) -> tuple[int, str] | None:
    """The edition a file's folders or name say it was taken from, with the part that says so; None where
    no part does, or two parts name different editions."""
    path_patterns = [p.pattern for p in layout().path_editions]
    found: dict[int, str] = {}
    for part in reversed(path.parts):
        printed = _edition_of([part])
        if printed is not None:
            found.setdefault(printed.number, part)
        for pattern in path_patterns:
            match = pattern.search(fold(part))
            if match and match.group("again") in (None, match.group("edition")):
                found.setdefault(int(match.group("edition")), part)
    return next(iter(found.items())) if len(found) == 1 else None


def with_path_evidence(options: ExtractOptions, path: Path) -> ExtractOptions:
    """The options with the edition the file's path names, if any, for a table that prints none."""
    return dataclasses.replace(options, path_edition=edition_named_in_path(path))


def edition_data_year(edition: int) -> int:
    """The year an edition's tables report, unless a title says otherwise (edition 2009 reports 2008)."""
    return edition + layout().data_year_offset


@functools.lru_cache(maxsize=None)
def _catalogued_editions() -> dict[str, int]:
    return {row["sha256"]: int(row["edition"]) for row in read_mapping_csv("source_editions.csv")}


def catalogued_edition(sha256: str) -> int | None:
    """The edition mappings/source_editions.csv records, with its evidence, for a download printing none.

    CNKI's per-table workbooks print no year or edition anywhere (cells, sheet names, document
    properties), so a verified download is recognised by its content hash.
    """
    return _catalogued_editions().get(sha256)


def data_year(lines: list[str], options: ExtractOptions,
              catalogued: int | None = None) -> tuple[int | None, str]:
    """Title year, else edition year, else the catalogued edition, else the edition the path names, else
    the command line."""
    pattern = layout().title_year_pattern
    for line in lines:
        if _edition_of([line]):
            continue  # "中国城市统计年鉴—2009" is an edition, not a data year
        match = pattern.search(fold(line))
        if match:
            return int(match.group("year")), "title"
    printed = _edition_of(lines)
    if printed is not None:
        return printed.data_year, "edition"
    if catalogued is not None:
        return edition_data_year(catalogued), "catalogue"
    if options.path_edition is not None:
        edition, part = options.path_edition
        return edition_data_year(edition), f"path: {part}"
    if options.year is not None:
        return options.year, "option"
    if options.edition is not None:
        return edition_data_year(options.edition), "option"
    return None, "none"


def table_context(lines: list[str], options: ExtractOptions, fallback_lines: list[str] = (),
                  sha256: str = "") -> TableContext:
    every_line = list(lines) + list(fallback_lines)
    catalogued = catalogued_edition(sha256)
    year, year_from = data_year(every_line, options, catalogued)
    printed = _edition_of(every_line)
    path_edition = options.path_edition[0] if options.path_edition else None
    return TableContext(
        table_number=table_number(lines),
        table_title=title_of(lines),
        year=year,
        year_from=year_from,
        unit_line=unit_line(lines),
        edition=printed.number if printed else catalogued or path_edition or options.edition,
    )


# --------------------------------------------------------------------------------------------- headers

def _scope_in(text: str) -> str | None:
    return next(iter(_scopes_in(text)), None)


@functools.lru_cache(maxsize=TEXT_CACHE)
def _scopes_in(text: str) -> tuple[str, ...]:
    """Every scope the text names, in the order of parsers/layout.toml (asked of each header cell per page)."""
    squashed = squash(text).lower()
    return tuple(scope for scope, words in layout().scopes.items()
                 if any(squash(word).lower() in squashed for word in words))


def scope_only(text: str) -> str | None:
    """The scope a header cell names when it names nothing else ("全 市 Total City"), else None."""
    return _scope_in(text) if header_key(text) in _scope_words() else None


@functools.lru_cache(maxsize=None)
def _scope_words() -> frozenset[str]:
    """Header keys that are only a scope ("全市", "市辖区"): not part of a provisional indicator's name."""
    return frozenset(header_key(word) for words in layout().scopes.values() for word in words)


_PARENTHESISED = re.compile(r"[(（]([^()（）]*)[)）]")


def _unit_in(text: str) -> str | None:
    """A unit printed inside a header cell: "地区生产总值（亿元）" -> "亿元"; Chinese before English."""
    for inner in _PARENTHESISED.findall(fold(text)):
        if is_unit(inner):
            return inner.strip()
    return None


# Label columns are the leading ones (find_label_columns): a row's value cells are those after them.

# A value cell a parser saw printed and refuses to read, with why: its text, this mark, the reason (a number
# printed across the rule between two columns). It makes its row a body row as a number does, and is listed
# as an unreadable value with its reason.
REFUSED_MARK = " \u2016 "


def refused_cell(text: str, why: str) -> str:
    return f"{text}{REFUSED_MARK}{why}"


def unreadable_message(cell: str) -> str:
    """Why a cell that reads as neither a number nor a missing marker is not loaded."""
    printed, mark, why = cell.partition(REFUSED_MARK)
    return f"{printed!r} {why}" if mark else f"{cell!r} is neither a number nor a missing marker"


def _row_is_body(row: list[str], label_columns: tuple[int, ...]) -> bool:
    return any(parse_number(cell).ok and not is_missing(cell) or REFUSED_MARK in cell
               for cell in row[len(label_columns):])


def _values_empty(row: list[str], label_columns: tuple[int, ...]) -> bool:
    return all(map(is_missing, row[len(label_columns):]))


def find_header_rows(cells: list[list[str]]) -> int:
    """Rows above the first row holding a number, less the province rows just above it.

    A province row is blank where the first body row holds numbers; it may still print an English name
    beside the Chinese one ("湖南省 | Hunan"), so only those number columns are looked at.
    """
    first_body = next((i for i, row in enumerate(cells) if _row_is_body(row, (0,))), len(cells))
    width = len(cells[0]) if cells else 0
    number_columns = [i for i in range(1, width) if first_body == len(cells) or
                      (parse_number(cells[first_body][i]).ok and not is_missing(cells[first_body][i]))]
    end = first_body
    while end > 0 and squash(cells[end - 1][0]) and all(is_missing(cells[end - 1][i]) for i in number_columns):
        if matches_prefix(cells[end - 1][0], layout().label_headers):
            break
        end -= 1
    return end


def find_label_columns(cells: list[list[str]], header_rows: int) -> tuple[int, ...]:
    """Leading columns whose body cells are names, not numbers ("南 京", then "Nanjing" in CNKI tables)."""
    body = cells[header_rows:]
    label_columns = [0]
    for column in range(1, len(cells[0]) if cells else 0):
        filled = [row[column] for row in body if not is_missing(row[column])]
        if filled and sum(not parse_number(c).ok and REFUSED_MARK not in c for c in filled) > len(filled) / 2:
            label_columns.append(column)
        else:
            break
    return tuple(label_columns)


def header_path(cells: list[list[str]], header_rows: int, column: int) -> list[str]:
    path: list[str] = []
    for row in cells[:header_rows]:
        text = as_printed(row[column])
        if text and (not path or squash(path[-1]) != squash(text)):
            path.append(text)
    return path


# A letter of any script: a header that prints none (a dash, a number) names nothing.
_WORD = re.compile(r"[^\W\d_]")


def read_header(
    state: TableState, cells: list[list[str]], header_rows: int, title_scope: str | None,
    source: str, page: int | None, sheet: str | None, columns: list[int], unit_above: str | None = None,
    label_columns: tuple[int, ...] | None = None,
) -> list[Problem]:
    """Give each value column its (indicator, scope, unit); report the columns that name none.
    `label_columns` are the cells' (`find_label_columns`) where they were found already."""
    problems = []
    meanings = []
    state.label_columns = label_columns or find_label_columns(cells, header_rows)
    for column in range(len(cells[0]) if cells else 0):
        if column in state.label_columns:
            continue
        path = header_path(cells, header_rows, column)
        label = " / ".join(path)
        seen_key = (columns[column], squash(label))  # pages print "全市" and "全 市" alike
        known_unrecognised = seen_key in state.unrecognised
        if not path:
            if any(not is_missing(row[column]) for row in cells[header_rows:]) and not known_unrecognised:
                problems.append(Problem("unknown_column", "column with values has no header",
                                        source, page, sheet, None, columns[column]))
                state.unrecognised.add(seen_key)
            continue
        if UNREAD in label:
            if not known_unrecognised:
                problems.append(Problem("unknown_column", f"header {label!r} holds text a scan's reader could not "
                                        "read surely (shown as \ufffd); the column is not loaded",
                                        source, page, sheet, None, columns[column]))
                state.unrecognised.add(seen_key)
            continue
        scopes = {scope for cell in path for scope in _scopes_in(cell)}
        if len(scopes) > 1:
            # "市辖区 … / 全市 …" over one column: a neighbour's header text read into it; which is its own?
            if not known_unrecognised:
                problems.append(Problem("unknown_column", f"header {label!r} names two scopes, "
                                        f"{' and '.join(sorted(scopes))}; the column is not loaded",
                                        source, page, sheet, None, columns[column]))
                state.unrecognised.add(seen_key)
            continue
        indicator = _named_indicator(path, state.context.year)
        if indicator is None and column == len(state.label_columns):
            # a group box begun on the page before; the same header on the next page of that block is its too
            whole = state.begun_before.get(seen_key) or _box_begun_before(path, state)
            if whole:
                state.begun_before[seen_key] = whole
                path, label = whole, " / ".join(whole)
                indicator = _named_indicator(path, state.context.year)
        if indicator is None:
            # a formula row's letter ("D") is no name: a column it alone heads lost its own header
            indicator = provisional_id([cell for cell in path
                                        if header_key(cell) not in _scope_words() and not formula_cell(cell)])
            run_together = _two_headers_in_one(path, state.context.year)
            cut = not balanced(" ".join(path))
            if not _WORD.search(indicator.removeprefix(provisional_id([]))) or run_together or cut:
                # "全市 Total City" alone, or a "—": the indicator's own header was not read above it; or two
                # headers read as one, over the one column of two that a page left one of blank; or a bracket
                # closed unopened or left open: a scan of a box clipping its text shows only a part of it
                why = (f"reads as two headers side by side, {run_together[0]!r} and {run_together[1]!r}"
                       if run_together else "is cut short (a bracket closed unopened or left open), a box's "
                       "clipped text read in part: it names no indicator whole" if cut
                       else "names no indicator, not even a new one")
                if not known_unrecognised:
                    problems.append(Problem("unknown_column", f"header {label!r} {why}; the column is not loaded",
                                            source, page, sheet, None, columns[column]))
                    state.unrecognised.add(seen_key)
                continue
            if not known_unrecognised:
                problems.append(Problem("unknown_column",
                                        f"header {label!r} names no indicator in mappings/header_variants.csv; "
                                        f"loaded as {indicator!r}", source, page, sheet, None, columns[column]))
                state.unrecognised.add(seen_key)
        named_scope = next((s for s in map(_scope_in, reversed(path)) if s), None)
        if named_scope:
            state.scoped_indicators.add(indicator)
        scope = named_scope or title_scope or "city_total"
        unit = next((u for u in map(_unit_in, reversed(path)) if u), None) or state.context.unit_line or unit_above
        meanings.append(ColumnMeaning(column, label, indicator, scope, unit, named_scope is not None))
    # An indicator the table heads with its scopes (全市, 市辖区) that a column heads with none has lost its
    # scope box (printed on the page before, or apart): that column is not the whole city's by default.
    unscoped = [m for m in meanings if not m.scope_named and not title_scope and m.indicator in state.scoped_indicators]
    problems += [Problem("unknown_column", f"header {m.label!r} names no scope, where the table names {m.indicator}'s "
                         "scopes; the column is not loaded", source, page, sheet, None, columns[m.column])
                 for m in unscoped]
    state.meanings, twins = _without_twins([m for m in meanings if m not in unscoped])
    problems += [Problem("unknown_column", f"header {m.label!r} reads as {m.indicator} ({m.scope}), as another column "
                         "of the table does; which is which cannot be told, so neither is loaded", source, page, sheet,
                         None, columns[m.column]) for m in twins]
    return problems


def _box_begun_before(path: list[str], state: TableState) -> list[str] | None:
    """The whole header path of a block's first value column whose group box began on the page before: its
    group text is the English of the group over the last column read before, or its end ("Urban Household
    Resident Population" cut to "Household Resident Population", the Chinese name left on that page), or a
    part of that group's text with all its Chinese, cut short (the words the page's left edge clipped off
    missing: "Gross Regional Current Prices）"), and it names another scope of that group. None where that
    is not so."""
    scope = next((s for s in map(_scope_in, reversed(path)) if s), None)
    if len(path) < 2 or scope is None or not state.meanings:
        return None
    last = max(state.meanings, key=lambda m: m.column)
    cells = last.label.split(" / ")
    if scope == last.scope or not _scope_in(cells[-1]):
        return None
    if _CHINESE.search(path[0]):
        shown = path[0]
        group = next((i for i, cell in enumerate(cells[:-1])
                      if not balanced(shown) and balanced(cell) and shows_part_of(shown, cell)
                      and _CHINESE.findall(shown) == _CHINESE.findall(cell)), None)
    elif len(path[0].split()) < 2:
        return None
    else:
        tail = squash(path[0]).lower()
        group = next((i for i, cell in enumerate(cells[:-1])
                      if (english := _CHINESE.split(squash(cell))[-1].lower()) and english.endswith(tail)), None)
    return None if group is None else cells[:group + 1] + path[1:]


def _without_twins(meanings: list[ColumnMeaning]) -> tuple[tuple[ColumnMeaning, ...], list[ColumnMeaning]]:
    """The meanings less those two or more columns share: a table prints an indicator and scope once, so a
    second column read as the same has had another header read into it (a wrapped neighbour), or names a
    variant the dictionary folds together (当年价格 and 可比价格)."""
    seen: dict[tuple[str, str], int] = {}
    for m in meanings:
        seen[(m.indicator, m.scope)] = seen.get((m.indicator, m.scope), 0) + 1
    return (tuple(m for m in meanings if seen[(m.indicator, m.scope)] == 1),
            [m for m in meanings if seen[(m.indicator, m.scope)] > 1])


def _named_indicator(path: list[str], year: int | None) -> str | None:
    """The indicator a column's header path names, or None: the deepest header cell naming one ("#科学支出"
    under "支出"), else read run on with the cells above it, nearest first: a name broken over header rows
    a row a line ("年末户" over "籍人口", as a sheet made from a printed page has it), or a part named
    under its whole ("一般债务" under "债务余额" is 债务余额一般债务, not 债务余额); else the same for the
    cell above. A formula cell ("A=B+C", "B") names a column, not an indicator."""
    keys = [key for key in map(header_key, path) if key and key not in _scope_words() and not formula_cell(key)]
    for end in range(len(keys), 0, -1):
        for start in range(end - 1, -1, -1):
            run = "".join(keys[start:end])
            indicator = match_header(run, year) or (year is not None and match_header(
                run.removeprefix(f"{year}年"), year))  # "2019年债务限额" in a table of 2019 is its 债务限额
            if indicator:
                # A header cell below the name that names something else is a part of it ("城镇户籍人口"
                # under "户籍人口"): the column is that part, not the whole.
                return indicator if end == len(keys) or not _names_a_part(keys[end:]) else None
    return None


_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _names_a_part(keys: list[str]) -> bool:
    """Header cells below an indicator's name that name something of their own in Chinese, not a qualifier
    of it (an English line under a name is its translation)."""
    qualifiers = {squash(word) for word in layout().header_qualifiers}
    return any(_CHINESE.search(key) and squash(key) not in qualifiers for key in keys)


@functools.lru_cache(maxsize=TEXT_CACHE)
def formula_cell(text: str) -> bool:
    """A header cell naming its column by a letter or a formula ("A=B+C"): no indicator's name, no row."""
    return bool(layout().formula_cell_pattern.match(text))


def _two_headers_in_one(path: list[str], year: int | None) -> tuple[str, str] | None:
    """Two known headers in one header cell, parted by a space ("地方财政一般预算内收入 地区生产总值"), if any."""
    for cell in path:
        words = cell.split()
        for cut in range(1, len(words)):
            left, right = " ".join(words[:cut]), " ".join(words[cut:])
            if match_header(left, year) and match_header(right, year):
                return left, right
    return None


# ------------------------------------------------------------------------------------------------ body

def _row_label(row: list[str], label_columns: tuple[int, ...]) -> str:
    return as_printed(" ".join(row[:len(label_columns)]))


# A book prints the same row labels in every table: what they name is worked out once per label.
@functools.lru_cache(maxsize=TEXT_CACHE)
def _aggregate(label_zh: str) -> bool:
    return label_zh.startswith(_squashed_words(layout().aggregate_labels)) or label_zh.endswith(
        _squashed_words(layout().aggregate_suffixes))


@functools.lru_cache(maxsize=TEXT_CACHE)
def _own_level(label_zh: str) -> bool:
    return label_zh.endswith(_squashed_words(layout().own_level_suffixes))


@functools.lru_cache(maxsize=None)
def _squashed_words(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(squash(word) for word in words)


@functools.lru_cache(maxsize=TEXT_CACHE)
def _names(label: str) -> tuple[str, str]:
    """The row label's Chinese and English place names, footnote marks and numbering ("（一）") left out."""
    chinese, english = split_bilingual(strip_footnote_marks(label))
    return layout().row_number_pattern.sub("", chinese, count=1), english


def _indentation(cell: str) -> int:
    """Leading blanks of a label as printed: spaces, U+00A0 (`&nbsp;`) or ideographic spaces."""
    return len(cell) - len(cell.lstrip())


@dataclass
class BodyFacts:
    """What reading a block's body finds in the block alone, for given header rows and label columns: its
    rows and its cells' numbers. A page worker works them out for the rows and columns the block itself
    gives, so that the process assembling a book's tables only places the values (`read_body`)."""

    header_rows: int
    label_columns: tuple[int, ...]
    # each row read, in order: (its index in the grid, label, place name, indentation, has values, total,
    # own level), as `BodyRow` has them
    rows: list[tuple[int, str, str, int, bool, bool, bool]]
    # per grid column, down the rows read (empty for a column not read): the number printed (None: a
    # missing marker), the cell as printed (None: as in the grid), and the rows whose cell is neither
    numbers: list[list[float | None]]
    printed: list[list[str | None]]
    unreadable: list[set[int]]


def body_facts(cells: list[list[str]], header_rows: int, label_columns: tuple[int, ...],
               columns: list[int] | None = None) -> BodyFacts:
    """The rows below `header_rows` read, spacer rows and notes under the table left out, and the cells of
    `columns` (default: every column after the label columns) read as numbers."""
    width = len(cells[0]) if cells else 0
    columns = range(len(label_columns), width) if columns is None else columns
    facts = BodyFacts(header_rows, label_columns, [], [[] for _ in range(width)], [[] for _ in range(width)],
                      [set() for _ in range(width)])
    for index in range(header_rows, len(cells)):
        row = cells[index]
        label = _row_label(row, label_columns)
        empty = _values_empty(row, label_columns)
        if not label and empty:
            continue  # spacer row
        if matches_prefix(label, layout().footnote_prefixes):
            continue  # notes under the table
        name_zh, name_en = _names(label)
        position = len(facts.rows)
        facts.rows.append((index, label, name_zh or name_en, _indentation(row[label_columns[0]]), not empty,
                           not label or _aggregate(name_zh), _own_level(name_zh)))
        for column in columns:
            cell = row[column]
            number = parse_number(cell)
            if not number.ok:
                facts.unreadable[column].add(position)
            facts.numbers[column].append(number.value)
            shown = as_printed(cell)
            facts.printed[column].append(None if shown == cell else shown)
    return facts


def with_body_read(block: Block) -> Block:
    """The block with its body read for its own header rows and label columns (see `BodyFacts`)."""
    header_rows = find_header_rows(block.cells)
    block.facts = body_facts(block.cells, header_rows, find_label_columns(block.cells, header_rows))
    return block


def read_body(
    state: TableState, block: Block, start: int, result: ExtractResult,
) -> tuple[list[ExtractedValue], list[Problem]]:
    """Every labelled row as a `BodyRow` (into `result.rows`) and every cell under a known column as a value.

    What a row is (a place, a province heading or subtotal, a county under its prefecture) is left to
    harmonise, which knows the code history; only totals are told here, by their printed words.
    """
    values: list[ExtractedValue] = []
    problems: list[Problem] = []
    source, sha256 = result.source_file, result.source_sha256
    facts = block.facts
    if facts is None or (facts.header_rows, facts.label_columns) != (start, state.label_columns):
        facts = body_facts(block.cells, start, state.label_columns, [m.column for m in state.meanings])
    # each known column's cells as read, looked up once a block
    columns = [(meaning, facts.numbers[meaning.column], facts.printed[meaning.column],
                facts.unreadable[meaning.column], block.columns[meaning.column]) for meaning in state.meanings]
    for position, (index, label, name, indentation, has_values, total, own_level) in enumerate(facts.rows):
        body_row, row = len(result.rows), block.rows[index]
        result.rows.append(BodyRow(table=state.index, page=block.page, sheet=block.sheet, row=row, label=label,
                                   name=name, indentation=indentation, has_values=has_values, total=total,
                                   own_level=own_level))
        counted = has_values and not total
        for meaning, numbers, printed, unreadable, column in columns:
            cell = block.cells[index][meaning.column]
            if position in unreadable:
                problems.append(Problem("unreadable_value", unreadable_message(cell), source, block.page,
                                        block.sheet, row, column))
                continue
            shown = printed[position]
            # (positional, in the fields' order: a book places tens of thousands of values)
            values.append(ExtractedValue(Provenance(source, sha256, block.page, block.sheet, row, column),
                                         state.context, body_row, label, name, meaning.label, meaning.indicator,
                                         meaning.scope, meaning.unit, cell if shown is None else shown,
                                         numbers[position]))
            state.values += counted
    return values, problems


def read_block(
    block: Block, state: TableState, result: ExtractResult, continued: bool,
) -> tuple[list[ExtractedValue], list[Problem]]:
    """Read one block into `state`'s table; a continuation without its own header reuses the last one."""
    facts = block.facts
    header_rows = facts.header_rows if facts else find_header_rows(block.cells)
    problems: list[Problem] = []
    if header_rows or not continued:
        title_scope = _scope_in(state.context.table_title)
        # a continued page's own unit line or title unit, where the table's first page printed none apart
        unit_above = unit_line(block.lines_above) if continued else None
        problems += read_header(state, block.cells, header_rows, title_scope, result.source_file,
                                block.page, block.sheet, block.columns, unit_above,
                                facts.label_columns if facts else None)
    elif any(meaning.column >= len(block.cells[0]) for meaning in state.meanings):
        # its columns are not the ones the header was read for: no cell can be placed under one
        return [], [Problem("no_header", "a block continuing the table prints fewer columns than its header "
                            "and no header of its own: not read", result.source_file, block.page, block.sheet)]
    values, body_problems = read_body(state, block, header_rows, result)
    if not state.meanings and (rows := sum(not _values_empty(row, state.label_columns)
                                           for row in block.cells[header_rows:])):
        # each column's refusal names its column, once per table: the rows of this block, which no value
        # places, are named here, on every page they are lost on
        problems.append(Problem("no_header", "no column of this block's header is read (each column refused is "
                                f"listed): its rows of values ({rows}) are not loaded", result.source_file,
                                block.page, block.sheet))
    if block.page is not None and block.page not in state.pages:
        state.pages.append(block.page)
    return values, problems + body_problems


class TableAssembler:
    """Collects a file's blocks, in reading order, into logical tables.

    A block whose lines say 续表 / continued, or that carries no table number (or the same one), continues
    the table before it; any other block starts a new table. A table whose data year cannot be found is
    an error for that table alone.
    """

    def __init__(self, result: ExtractResult, options: ExtractOptions, fallback_lines: list[str] = (),
                 series: Callable[[Block, ExtractResult], SeriesTable | None] | None = None):
        self.result = result
        self.options = options
        self.fallback_lines = list(fallback_lines)
        self.state: TableState | None = None
        # reads a table dated by no title or edition as the series it may be (series.SeriesTable.of; given by
        # the caller, as series.py builds on this module)
        self.series = series

    def continues(self, block: Block) -> bool:
        """True when the block goes on with the table before it rather than starting one."""
        return self.state is not None and (
            is_continuation(block.lines_above)
            or table_number(block.lines_above) in (None, self.state.context.table_number))

    def add(self, block: Block) -> None:
        if self.state is None and table_number(block.lines_above) is None \
                and any(map(marks_continuation, block.lines_above)):
            # its title, with the year and the scope (全市 or 市辖区) of every value, is on a page before it
            if not self.options.pages or self.options.pages[0] == 1:  # read, and no table found there
                self.result.problems.append(Problem(
                    "continues_no_table", "a table marked continued, but no table was read before it: its first "
                    "page (title, year, scope) could not be read, so none of it is loaded",
                    self.result.source_file, page=block.page, sheet=block.sheet, severity="error"))
                return
            self.result.problems.append(Problem(
                "continues_no_table", "a table marked continued, read without its first page: the scope and year "
                "its title may give are not seen; give the page range from that page to be sure",
                self.result.source_file, page=block.page, sheet=block.sheet))
        continued = self.continues(block)
        if not continued:
            self.finish_table()
            context = table_context(block.lines_above, self.options, self.fallback_lines,
                                    self.result.source_sha256)
            self.state = TableState(context=context, index=len(self.result.tables), sheet=block.sheet)
            if self.series and context.year_from not in ("title", "edition"):
                self.state.series = self.series(block, self.result)
            if self.state.series is None and self.state.context.year is None:
                self.result.problems.append(Problem(
                    "unknown_year", f"table {self.state.context.table_title!r}: no year in its title and no "
                    "edition in the running header; give --year or --edition, or record the file's edition "
                    "with its evidence in mappings/source_editions.csv", self.result.source_file,
                    page=block.page, sheet=block.sheet, severity="error"))
        if self.state.series is not None:
            self.state.series.add(block)
            if block.page is not None and block.page not in self.state.pages:
                self.state.pages.append(block.page)
            return
        values, problems = read_block(block, self.state, self.result, continued)
        self.result.problems.extend(problems)
        if self.state.context.year is not None:
            self.result.values.extend(values)

    def finish_table(self) -> None:
        """Close the current table (call at the end of a sheet or file): it goes into the report."""
        state, self.state = self.state, None
        if state is None:
            return
        if state.series is not None:
            recognised, provisional = state.series.report()
            self.result.tables.append(TableReport(None, state.series.reader.title, None, tuple(state.pages),
                                                  state.sheet, state.series.values, recognised, provisional, "column"))
            return
        self.result.tables.append(TableReport(
            table_number=state.context.table_number,
            table_title=state.context.table_title,
            year=state.context.year,
            pages=tuple(state.pages),
            sheet=state.sheet,
            values=state.values,
            columns_recognised=sum(not is_provisional(m.indicator) for m in state.meanings),
            columns_unrecognised=len(state.unrecognised),
            year_from=state.context.year_from,
        ))
