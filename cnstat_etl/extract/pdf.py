"""Yearbook PDFs: a reader turns each page into geometry, the layout engine rebuilds its tables.

Two readers give the same `layout.PageGeometry` (character boxes and rule segments): PDFium
(`extract/pdfium.py`, the default, fast) and pdfplumber (the reference, and what `--explain` draws with;
a test holds the two to the same cells on every fixture). Per page: check the text layer (scans and fonts
without a Unicode map are reported, never read), and let `layout.read_page` find its tables;
`tables.TableAssembler` reads them. A page whose title says 续表 / continued, or that carries no table
number of its own, continues the table of the page before. Pages are read one at a time and released
before the next, so memory stays flat however long the book.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pdfplumber

from cnstat_etl.extract import pdfium
from cnstat_etl.extract.layout import Glyph, PageGeometry, Segment, TableLayout, read_page, text_lines
from cnstat_etl.extract.pdfium import PageReading
from cnstat_etl.extract.tables import Block, ExtractOptions, TableAssembler
from cnstat_etl.model import BodyRow, ExtractedValue, ExtractResult, OcrRead, Problem

# Share of characters that must decode to real text before a page is read at all.
GARBLED_SHARE = 0.05


def page_text_problem(page: PageReading, source: str) -> Problem | None:
    """A per-page reason not to read the page: no text layer, or text that did not decode."""
    chars = [glyph for glyph in page.geometry.glyphs if glyph.text.strip()]
    number = page.geometry.number
    if not chars:
        what = "an image only (a scan?)" if page.has_images else "no text"
        return Problem("no_text_layer", f"page has no text layer: {what}; OCR it (--ocr)", source,
                       page=number, severity="error")
    if page.undecoded / len(chars) > GARBLED_SHARE:
        return Problem("garbled_text", f"page text does not decode: {page.undecoded} of {len(chars)} characters "
                       "have no Unicode text (a font without a Unicode map: pdfminer prints them as "
                       "'(cid:NN)'); nothing on it is loaded unless it is OCR'd (--ocr)", source, page=number,
                       severity="error")
    return None


def plumber_pages(path: Path, first: int = 1, last: int | None = None) -> Iterator[PageReading]:
    """The reference reader: pages first..last through pdfplumber, each page's cache flushed after use."""
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages[first - 1:last]:
            try:
                chars = [c for c in page.chars if c["text"].strip()]
                undecoded = sum(1 for c in chars if c["text"].startswith("(cid:") or "\ufffd" in c["text"])
                yield PageReading(geometry_of(page), bool(page.images), undecoded)
            finally:
                page.close()  # pdfplumber keeps every parsed page's objects otherwise


READERS = {"pdfium": pdfium.read_pages, "pdfplumber": plumber_pages}


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
    body_rows: range  # its rows' indexes in ExtractResult.rows
    scan: object | None = None  # the page's `ocr.OcrPage` when it was read by OCR (its image and words)


def extract_pdf(path: Path, sha256: str, options: ExtractOptions,
                seen: list[TableSeen] | None = None) -> ExtractResult:
    """Every table of the file read into values; `seen`, if given, collects each page's tables as read."""
    result = ExtractResult(path.name, sha256, "pdf")
    read = READERS[options.pdf_reader]
    first, last = options.pages or (1, None)
    tables = None
    carried = None
    for page in read(path, first, last):
        if tables is None:
            # the first page's top lines (running header, edition) date a table that prints no year
            opening = page if first == 1 else next(iter(list(read(path, 1, 1))), None)
            tables = TableAssembler(result, options, fallback_lines=_top_lines(opening))
        problem = page_text_problem(page, result.source_file)
        scan = None
        if problem and options.ocr:
            scan = _ocr(path, page.geometry.number)
        elif problem:
            result.problems.append(problem)
            continue
        found, carried, problems = read_page(scan.geometry if scan else page.geometry, carried, result.source_file)
        result.problems.extend(problems)
        for block, table in found:
            values_before, problems_before, rows_before = len(result.values), len(result.problems), len(result.rows)
            tables.add(block)
            if scan:
                result.values[values_before:] = [_with_ocr_read(value, table, scan)
                                                 for value in result.values[values_before:]]
            if seen is not None:
                seen.append(TableSeen(page.geometry.number, table, block, result.values[values_before:],
                                      result.problems[problems_before:], range(rows_before, len(result.rows)),
                                      scan))
    if tables is not None:
        tables.finish_table()
    return result


def _top_lines(page: PageReading | None, count: int = 3) -> list[str]:
    return [line.text for line in text_lines(page.geometry.glyphs)[:count]] if page else []


def _ocr(path: Path, number: int):
    """The page read by OCR (its scan's resolution comes from pdfplumber's image records)."""
    from cnstat_etl.extract.ocr import ocr_page  # onnxruntime loads only when a scan needs it

    with pdfplumber.open(path) as pdf:
        return ocr_page(path, pdf.pages[number - 1])


def _with_ocr_read(value: ExtractedValue, table: TableLayout, scan) -> ExtractedValue:
    """The value with how its cell was read: the words inside the cell's stretch of the page."""
    where = value.provenance
    left, right = (table.left, table.label_right) if where.column == 1 else table.regions[where.column - 2]
    tops = table.row_tops + [table.bottom + 1]
    read = scan.cell_read(left, tops[where.row - 1] - 1, right, tops[where.row] - 1)
    return dataclasses.replace(value, ocr=read or OcrRead(0.0, left, tops[where.row - 1], right, tops[where.row]))
