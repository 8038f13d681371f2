"""Yearbook PDFs: find each table's grid on the page, then `tables` reads it.

Per page: check the text layer (scans and fonts without a Unicode map are reported, never read), then find
two kinds of table and rebuild each as a full grid with merged cells spread:

- ruled grids, found by pdfplumber's lines strategy;
- "three-line" tables (a top rule, a header rule and a bottom rule, no vertical rules), where the lines
  strategy finds no columns. Their columns come from the header: every header cell with no other header
  cell under it is a leaf, one per table column; a cell over several leaves (a group header over 全市 /
  市辖区) is spread over them. Every text line is a grid row. A continuation page that does not repeat
  the header reuses the columns of the table before it.

The text lines above a table (running header, title, unit line) travel with it; a page whose title says
续表 / continued, or that carries no table number of its own, continues the table of the page before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pdfplumber

from cnstat_etl.config import layout
from cnstat_etl.extract.tables import Block, ExtractOptions, TableAssembler
from cnstat_etl.model import ExtractResult, Problem
from cnstat_etl.text import is_missing, matches_prefix, parse_number

# Share of characters that must decode to real text before a page is read at all.
GARBLED_SHARE = 0.05
# A horizontal rule of a three-line table is at least this long (points); shorter ones underline words.
MIN_RULE_WIDTH = 80
# Rules of one table start and end at the same x, give or take this (points).
RULE_TOLERANCE = 3
# Characters farther apart than this many of their own sizes belong to different cells.
CELL_GAP = 1.5
# A gap wider than this many character sizes inside a cell is printed as a space ("南 京").
WORD_GAP = 0.15


def page_text_problem(page, source: str) -> Problem | None:
    """A per-page reason not to read the page: no text layer, or text that did not decode."""
    chars = page.chars
    if not chars:
        what = "an image only (a scan?)" if page.images else "no text"
        return Problem("no_text_layer", f"page has no text layer: {what}; OCR it first", source,
                       page=page.page_number, severity="error")
    undecoded = sum(1 for c in chars if c["text"].startswith("(cid:") or "\ufffd" in c["text"])
    if undecoded / len(chars) > GARBLED_SHARE:
        return Problem("garbled_text", f"page text does not decode: {undecoded} of {len(chars)} characters "
                       "come out as '(cid:NN)' or U+FFFD (a font without a Unicode map); nothing on it is "
                       "loaded", source, page=page.page_number, severity="error")
    return None


def table_grid(table) -> list[list[str]]:
    """The table as a full grid: every grid cell holds the text of the (possibly merged) cell covering it."""
    texts = {}
    for row, row_texts in zip(table.rows, table.extract()):
        for bbox, text in zip(row.cells, row_texts):
            if bbox is not None:
                texts[bbox] = text or ""
    xs = sorted({round(x, 1) for bbox in texts for x in (bbox[0], bbox[2])})
    ys = sorted({round(y, 1) for bbox in texts for y in (bbox[1], bbox[3])})
    grid = []
    for top, bottom in zip(ys, ys[1:]):
        middle_y = (top + bottom) / 2
        row = []
        for left, right in zip(xs, xs[1:]):
            middle_x = (left + right) / 2
            row.append(next((text for (x0, y0, x1, y1), text in texts.items()
                             if x0 <= middle_x <= x1 and y0 <= middle_y <= y1), ""))
        grid.append(row)
    return grid


# ------------------------------------------------------------------------------------- three-line tables

@dataclass
class Phrase:
    """Characters of one line close enough to be one cell's text."""

    text: str
    x0: float
    x1: float
    line: int  # index of its text line within the band
    size: float

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class HeaderCell:
    """A header cell: phrases stacked on consecutive lines around one centre ("全 市" over "Total City")."""

    phrases: list[Phrase]

    @property
    def first_line(self) -> int:
        return self.phrases[0].line

    @property
    def last_line(self) -> int:
        return self.phrases[-1].line

    @property
    def x0(self) -> float:
        return min(p.x0 for p in self.phrases)

    @property
    def x1(self) -> float:
        return max(p.x1 for p in self.phrases)

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.phrases)


def text_lines(chars: list[dict]) -> list[list[dict]]:
    """Characters grouped into lines by their baseline, top to bottom."""
    lines: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: (round(c["bottom"]), c["x0"])):
        if lines and abs(lines[-1][0]["bottom"] - char["bottom"]) <= 2:
            lines[-1].append(char)
        else:
            lines.append([char])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def phrases_of(line: list[dict], index: int) -> list[Phrase]:
    phrases: list[Phrase] = []
    previous = None
    for char in line:
        if not char["text"].strip():
            continue  # padding spaces: the gap they leave decides
        gap = char["x0"] - previous["x1"] if previous else None
        if gap is None or gap > CELL_GAP * char["size"]:
            phrases.append(Phrase(char["text"], char["x0"], char["x1"], index, char["size"]))
        else:
            phrase = phrases[-1]
            phrase.text += (" " if gap > WORD_GAP * char["size"] else "") + char["text"]
            phrase.x1 = char["x1"]
        previous = char
    return phrases


def header_cells(lines: list[list[Phrase]]) -> list[HeaderCell]:
    """Stack each phrase onto the cell of the line above that is centred over it, else start a cell."""
    cells: list[HeaderCell] = []
    for line in lines:
        for phrase in line:
            above = next((cell for cell in cells if cell.phrases[-1].line == phrase.line - 1
                          and abs(cell.phrases[-1].centre - phrase.centre) <= phrase.size
                          and cell.phrases[-1].x0 < phrase.x1 and phrase.x0 < cell.phrases[-1].x1), None)
            if above:
                above.phrases.append(phrase)
            else:
                cells.append(HeaderCell([phrase]))
    return cells


def column_of(x0: float, x1: float, columns: list[tuple[float, float]]) -> int:
    centre = (x0 + x1) / 2
    return next((i for i, (left, right) in enumerate(columns) if centre < right), len(columns) - 1)


def _territory(cell: HeaderCell, cells: list[HeaderCell], left: float, right: float) -> tuple[float, float]:
    """The stretch of the table a header cell heads: halfway to the cells printed beside it."""
    for other in cells:
        if other is cell or other.first_line > cell.last_line or cell.first_line > other.last_line:
            continue
        middle = (other.centre + cell.centre) / 2
        if other.centre < cell.centre:
            left = max(left, middle)
        else:
            right = min(right, middle)
    return left, right


def read_header_band(lines: list[list[Phrase]], left: float, right: float,
                     ) -> tuple[list[tuple[float, float]], list[list[str]]]:
    """The table's columns and its header as grid rows, one per header line.

    A leaf (a header cell heading no cell printed under it) is one column; the columns split halfway
    between leaf centres. A group header is spread over the leaves it heads, however narrow its text.
    """
    cells = header_cells(lines)
    territories = [_territory(cell, cells, left, right) for cell in cells]

    def heads(index: int, other: HeaderCell) -> bool:
        low, high = territories[index]
        return other.first_line > cells[index].last_line and low < other.centre < high

    leaves = sorted((cell for i, cell in enumerate(cells) if not any(heads(i, o) for o in cells)),
                    key=lambda cell: cell.centre)
    centres = [leaf.centre for leaf in leaves]
    bounds = [left] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [right]
    grid = [[""] * len(leaves) for _ in lines]
    for i, cell in enumerate(cells):
        row = grid[cell.first_line]
        for column, leaf in enumerate(leaves):
            if leaf is cell or heads(i, leaf):
                row[column] = f"{row[column]} {cell.text}".strip()
    return list(zip(bounds, bounds[1:])), grid


def body_grid(lines: list[list[Phrase]], columns: list[tuple[float, float]]) -> list[list[str]]:
    grid = []
    for line in lines:
        row = [""] * len(columns)
        for phrase in line:
            column = column_of(phrase.x0, phrase.x1, columns)
            row[column] = f"{row[column]} {phrase.text}".strip()
        grid.append(row)
    return grid


@dataclass(frozen=True)
class Rule:
    top: float
    x0: float
    x1: float


def horizontal_rules(page, ruled_bboxes: list[tuple]) -> list[Rule]:
    """Long horizontal rules outside the ruled grids, one per printed rule, top to bottom."""
    rules: list[Rule] = []
    for edge in sorted(page.horizontal_edges, key=lambda e: (e["top"], e["x0"])):
        if edge["x1"] - edge["x0"] < MIN_RULE_WIDTH:
            continue
        if any(x0 - 1 <= edge["x0"] and edge["x1"] <= x1 + 1 and top - 1 <= edge["top"] <= bottom + 1
               for x0, top, x1, bottom in ruled_bboxes):
            continue
        if rules and abs(rules[-1].top - edge["top"]) <= 1 and _same_extent(rules[-1], edge):
            continue  # the two edges of one thin filled rectangle
        rules.append(Rule(edge["top"], edge["x0"], edge["x1"]))
    return rules


def _same_extent(rule: Rule, other) -> bool:
    return abs(rule.x0 - other["x0"]) <= RULE_TOLERANCE and abs(rule.x1 - other["x1"]) <= RULE_TOLERANCE


@dataclass
class PageText:
    """The page's characters and text lines, read once and shared by all of its tables."""

    chars: list[dict]
    lines: list[dict]

    @classmethod
    def of(cls, page) -> PageText:
        return cls(page.chars, page.extract_text_lines())

    def lines_between(self, floor: float, top: float) -> list[str]:
        notes = layout()["footnote_prefixes"]
        return [line["text"] for line in self.lines
                if floor <= line["top"] and line["bottom"] <= top and not matches_prefix(line["text"], notes)]

    def band(self, top: float, bottom: float, x0: float, x1: float) -> list[list[Phrase]]:
        chars = [c for c in self.chars if top <= c["top"] and c["bottom"] <= bottom
                 and x0 - RULE_TOLERANCE <= c["x0"] and c["x1"] <= x1 + RULE_TOLERANCE]
        return [phrases_of(line, index) for index, line in enumerate(text_lines(chars))]


def _is_body_line(phrases: list[Phrase]) -> bool:
    return any(parse_number(p.text).ok and not is_missing(p.text) for p in phrases[1:])


def _columns_fit(body: list[list[Phrase]], columns: list[tuple[float, float]]) -> bool:
    """Every body line puts its values into different columns: a title above the table would not."""
    for line in body:
        value_columns = [column_of(p.x0, p.x1, columns) for p in line]
        value_columns = [c for c in value_columns if c > 0]
        if len(value_columns) != len(set(value_columns)):
            return False
    return True


@dataclass
class ThreeLineTable:
    top: float  # y of the top rule: the lines above it are the table's title
    bottom: float
    grid: list[list[str]]
    columns: list[tuple[float, float]]


def three_line_tables(text: PageText, rules: list[Rule],
                      carried: ThreeLineTable | None) -> tuple[list[ThreeLineTable], list[float]]:
    """Tables between rules of the same extent: a band of body lines, the header band above it if any.

    A band is body when a line has a number past its first cell. The band just above it is the header
    when its text sits column by column; otherwise (a title between the running-header rule and the top
    rule, say) the table has no header and takes the columns of `carried`, the table before it; with no
    table before it, its top is returned among the orphans.
    """
    tables, orphans = [], []
    for upper, lower in zip(rules, rules[1:]):
        if not _same_extent(upper, {"x0": lower.x0, "x1": lower.x1}):
            continue
        body = text.band(upper.top, lower.top, upper.x0, upper.x1)
        if not any(_is_body_line(line) for line in body):
            continue
        above = next((rule for rule in reversed(rules) if rule.top < upper.top - 1
                      and _same_extent(rule, {"x0": upper.x0, "x1": upper.x1})), None)
        header = text.band(above.top, upper.top, upper.x0, upper.x1) if above else []
        columns, header_rows = read_header_band(header, upper.x0, upper.x1)
        if header and _columns_fit(body, columns):
            tables.append(ThreeLineTable(above.top, lower.top, header_rows + body_grid(body, columns), columns))
        elif carried is not None:
            tables.append(ThreeLineTable(upper.top, lower.top, body_grid(body, carried.columns), carried.columns))
        else:
            orphans.append(upper.top)
            continue
        carried = tables[-1]
    return tables, orphans


# ------------------------------------------------------------------------------------------------ pages

def page_blocks(page, text: PageText, carried: ThreeLineTable | None, source: str,
                ) -> tuple[list[Block], ThreeLineTable | None, list[Problem]]:
    """The page's tables, top to bottom, as blocks; the last three-line table, for the next page; and the
    tables that could not be read."""
    found = []
    ruled = page.find_tables()
    for table in ruled:
        found.append((table.bbox[1], table.bbox[3], table_grid(table)))
    three_line, orphans = three_line_tables(text, horizontal_rules(page, [t.bbox for t in ruled]), carried)
    problems = [Problem("no_header", f"a table at y={top:.0f} prints no header and continues no table read "
                        "before it (give the page range from the table's first page)", source,
                        page=page.page_number) for top in orphans]
    found += [(table.top, table.bottom, table.grid) for table in three_line]
    blocks = []
    floor = 0.0
    for top, bottom, grid in sorted(found, key=lambda t: t[0]):
        blocks.append(Block(text.lines_between(floor, top), grid, list(range(1, len(grid) + 1)),
                            list(range(1, len(grid[0]) + 1)), page=page.page_number))
        floor = bottom
    return blocks, three_line[-1] if three_line else carried, problems


def extract_pdf(path: Path, sha256: str, options: ExtractOptions) -> ExtractResult:
    result = ExtractResult(path.name, sha256, "pdf")
    with pdfplumber.open(path) as pdf:
        first_page_lines = [line["text"] for line in pdf.pages[0].extract_text_lines()[:3]] if pdf.pages else []
        tables = TableAssembler(result, options, fallback_lines=first_page_lines)
        carried = None
        for page in pdf.pages:
            if options.pages and not options.pages[0] <= page.page_number <= options.pages[1]:
                continue
            problem = page_text_problem(page, result.source_file)
            if problem:
                result.problems.append(problem)
                continue
            blocks, carried, problems = page_blocks(page, PageText.of(page), carried, result.source_file)
            result.problems.extend(problems)
            for block in blocks:
                tables.add(block)
        tables.finish_table()
    return result
