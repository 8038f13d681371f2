"""Yearbook PDFs: pdfplumber finds the tables, `tables` reads them.

Per page: check the text layer (scans and fonts without a Unicode map are reported, never read), find
the ruled tables, rebuild each as a full grid with merged cells spread, and take the text lines above it
(running header, title, unit line). A page whose title says 续表 / continued, or that carries no title
of its own, continues the table of the page before.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber

from cnstat_etl.extract.tables import Block, ExtractOptions, TableAssembler
from cnstat_etl.model import ExtractResult, Problem

# Share of characters that must decode to real text before a page is read at all.
GARBLED_SHARE = 0.05


def page_text_problem(page, source: str) -> Problem | None:
    """A per-page reason not to read the page: no text layer, or text that did not decode."""
    chars = page.chars
    if not chars:
        what = "an image only (a scan?)" if page.images else "no text"
        return Problem("no_text_layer", f"page has no text layer: {what}; OCR it first", source,
                       page=page.page_number, severity="error")
    text = "".join(c["text"] for c in chars)
    undecoded = text.count("\ufffd") + text.count("(cid:")
    cid_chars = sum(1 for c in chars if c["text"].startswith("(cid:"))
    if (undecoded + cid_chars) / len(chars) > GARBLED_SHARE:
        return Problem("garbled_text", "page text does not decode (its font has no Unicode map: "
                       "'(cid:NN)' or U+FFFD); nothing on it is loaded", source, page=page.page_number,
                       severity="error")
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


def lines_above(page, top: float, floor: float) -> list[str]:
    return [line["text"] for line in page.extract_text_lines() if floor <= line["top"] and line["bottom"] <= top]


def extract_pdf(path: Path, sha256: str, options: ExtractOptions) -> ExtractResult:
    result = ExtractResult(path.name, sha256, "pdf")
    with pdfplumber.open(path) as pdf:
        first_page_lines = [line["text"] for line in pdf.pages[0].extract_text_lines()[:3]] if pdf.pages else []
        tables = TableAssembler(result, options, fallback_lines=first_page_lines)
        for page in pdf.pages:
            if options.pages and not options.pages[0] <= page.page_number <= options.pages[1]:
                continue
            problem = page_text_problem(page, result.source_file)
            if problem:
                result.problems.append(problem)
                continue
            floor = 0.0
            for table in page.find_tables():
                grid = table_grid(table)
                above = lines_above(page, table.bbox[1], floor)
                floor = table.bbox[3]
                tables.add(Block(above, grid, list(range(1, len(grid) + 1)), list(range(1, len(grid[0]) + 1)),
                                 page=page.page_number))
        tables.finish_table()
    return result
