"""Yearbook PDFs: pdfplumber reads each page's geometry, the layout engine rebuilds its tables.

Per page: check the text layer (scans and fonts without a Unicode map are reported, never read), turn
the page into a neutral `layout.PageGeometry` (character boxes and rule segments), and let
`layout.read_page` find its tables; `tables.TableAssembler` reads them. A page whose title says
续表 / continued, or that carries no table number of its own, continues the table of the page before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pdfplumber

from cnstat_etl.extract.layout import Glyph, PageGeometry, Segment, TableLayout, read_page
from cnstat_etl.extract.tables import Block, ExtractOptions, TableAssembler
from cnstat_etl.model import BodyRow, ExtractedValue, ExtractResult, OcrRead, Problem

# Share of characters that must decode to real text before a page is read at all.
GARBLED_SHARE = 0.05


def page_text_problem(page, source: str) -> Problem | None:
    """A per-page reason not to read the page: no text layer, or text that did not decode."""
    chars = page.chars
    if not chars:
        what = "an image only (a scan?)" if page.images else "no text"
        return Problem("no_text_layer", f"page has no text layer: {what}; OCR it (--ocr)", source,
                       page=page.page_number, severity="error")
    undecoded = sum(1 for c in chars if c["text"].startswith("(cid:") or "\ufffd" in c["text"])
    if undecoded / len(chars) > GARBLED_SHARE:
        return Problem("garbled_text", f"page text does not decode: {undecoded} of {len(chars)} characters "
                       "come out as '(cid:NN)' or U+FFFD (a font without a Unicode map); nothing on it is "
                       "loaded unless it is OCR'd (--ocr)", source, page=page.page_number, severity="error")
    return None


def geometry_of(page) -> PageGeometry:
    """The page as the layout engine reads it: character boxes and the rules printed (lines, thin boxes)."""
    glyphs = [Glyph(c["text"], c["x0"], c["x1"], c["top"], c["bottom"], c["size"]) for c in page.chars]
    horizontal, vertical = [], []
    for edge in page.edges:
        segment = Segment(edge["x0"], edge["x1"], edge["top"], edge["bottom"])
        if edge["orientation"] == "h":
            horizontal.append(segment)
        else:
            vertical.append(segment)
    return PageGeometry(page.page_number, page.width, page.height, glyphs, horizontal, vertical)


@dataclass
class TableSeen:
    """One table on one page as the engine saw it, with what the assembler made of it (for --explain)."""

    page: int
    layout: TableLayout
    block: Block
    values: list[ExtractedValue]
    problems: list[Problem]
    rows: list[BodyRow]  # the file's body rows so far: a value's `body_row` indexes them


def extract_pdf(path: Path, sha256: str, options: ExtractOptions,
                seen: list[TableSeen] | None = None) -> ExtractResult:
    """Every table of the file read into values; `seen`, if given, collects each page's tables as read."""
    result = ExtractResult(path.name, sha256, "pdf")
    with pdfplumber.open(path) as pdf:
        first_page_lines = [line["text"] for line in pdf.pages[0].extract_text_lines()[:3]] if pdf.pages else []
        tables = TableAssembler(result, options, fallback_lines=first_page_lines)
        carried = None
        for page in pdf.pages:
            if options.pages and not options.pages[0] <= page.page_number <= options.pages[1]:
                continue
            problem = page_text_problem(page, result.source_file)
            scan = None
            if problem and options.ocr:
                from cnstat_etl.extract.ocr import ocr_page  # onnxruntime loads only when a scan needs it

                scan = ocr_page(path, page)
            elif problem:
                result.problems.append(problem)
                continue
            found, carried, problems = read_page(scan.geometry if scan else geometry_of(page), carried,
                                                 result.source_file)
            result.problems.extend(problems)
            for block, table in found:
                values_before, problems_before = len(result.values), len(result.problems)
                tables.add(block)
                if scan:
                    result.values[values_before:] = [_with_ocr_read(value, table, scan)
                                                     for value in result.values[values_before:]]
                if seen is not None:
                    seen.append(TableSeen(page.page_number, table, block, result.values[values_before:],
                                          result.problems[problems_before:], result.rows))
        tables.finish_table()
    return result


def _with_ocr_read(value: ExtractedValue, table: TableLayout, scan) -> ExtractedValue:
    """The value with how its cell was read: the words inside the cell's stretch of the page."""
    where = value.provenance
    left, right = (table.left, table.label_right) if where.column == 1 else table.regions[where.column - 2]
    tops = table.row_tops + [table.bottom + 1]
    read = scan.cell_read(left, tops[where.row - 1] - 1, right, tops[where.row] - 1)
    return dataclasses.replace(value, ocr=read or OcrRead(0.0, left, tops[where.row - 1], right, tops[where.row]))
