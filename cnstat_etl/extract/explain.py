"""`cnstat extract FILE --explain DIR`: a PNG per page showing what the layout engine saw.

Each page is drawn with pdfplumber's page image, and over it: the header band (blue box), the label
column's edge (green) and the value columns' edges (red), the meaning each column got ("gdp
city_total", or "?" where its header names no indicator), and each grid row's kind at the table's
right edge (header; unit: a place, loaded; province; aggregate: a total, kept apart; skipped: a county
row; refused: a cell that is neither a number nor a missing marker).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pdfplumber
from PIL import ImageDraw, ImageFont

from cnstat_etl.extract.pdf import TableSeen, extract_pdf
from cnstat_etl.extract.tables import ExtractOptions, find_header_rows
from cnstat_etl.model import ExtractResult

RESOLUTION = 100  # pixels per inch of the page images
KIND_COLOURS = {"header": "#1f4fd1", "unit": "#16803c", "province": "#8a5a00", "aggregate": "#8a5a00",
                "skipped": "#b00020", "refused": "#b00020"}


def explain_pdf(path: Path, sha256: str, options: ExtractOptions, folder: Path,
                resolution: int = RESOLUTION) -> tuple[ExtractResult, list[Path]]:
    """Extract the file as `extract` does and write `<stem>_p<N>.png` into folder for every page read."""
    seen: list[TableSeen] = []
    result = extract_pdf(path, sha256, options, seen)
    by_page: dict[int, list[TableSeen]] = defaultdict(list)
    for table in seen:
        by_page[table.page].append(table)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            if options.pages and not options.pages[0] <= page.page_number <= options.pages[1]:
                continue
            image = page.to_image(resolution=resolution)
            for table in by_page[page.page_number]:
                _draw_table(image, table, resolution / 72)
            target = folder / f"{path.stem}_p{page.page_number}.png"
            image.save(target)
            written.append(target)
    return result, written


def row_kinds(table: TableSeen) -> dict[int, str]:
    """Each grid row's kind, by its 1-based row number: what the assembler did with it."""
    header_rows = find_header_rows(table.block.cells)
    kinds = {row: "header" for row in table.block.rows[:header_rows]}
    for index, row in enumerate(table.block.rows[header_rows:], start=header_rows):
        if table.block.cells[index][0].strip():
            kinds[row] = "province"  # a label and no value loaded: a province row, context for the rows under it
    for value in table.values:
        body = table.rows[value.body_row]
        if body.total or body.has_values:  # a label with blanks only stays a province row (harmonise decides)
            kinds[value.provenance.row] = "aggregate" if body.total else "unit"
    for problem in table.problems:
        if problem.row is None:
            continue
        if problem.kind == "skipped_row":
            kinds[problem.row] = "province" if "province" in problem.message else "aggregate"
        elif problem.kind == "county_row":
            kinds[problem.row] = "skipped"
        elif problem.kind == "unreadable_value":
            kinds[problem.row] = "refused"
    return kinds


def column_meanings(table: TableSeen) -> dict[int, str]:
    """Each value column's meaning by its 1-based column number: "indicator scope", or "?" with no indicator."""
    meanings = {}
    for value in table.values:
        meanings.setdefault(value.provenance.column, f"{value.indicator} {value.scope}")
    for problem in table.problems:
        if problem.kind == "unknown_column" and problem.column is not None:
            meanings.setdefault(problem.column, "? no indicator")
    return meanings


def _draw_table(image, table: TableSeen, scale: float) -> None:
    layout = table.layout
    top = layout.header_top if layout.header_top is not None else layout.body_top
    if layout.header_top is not None:
        image.draw_rect((layout.left, layout.header_top - 1, layout.right, layout.header_bottom + 1),
                        fill=None, stroke="#1f4fd1", stroke_width=2)
    image.draw_line([(layout.regions[0][0], top), (layout.regions[0][0], layout.bottom)], stroke="#16803c",
                    stroke_width=2)
    for _, right in layout.regions:
        image.draw_line([(right, top), (right, layout.bottom)], stroke="#d12f1f", stroke_width=1)
    pen = ImageDraw.Draw(image.annotated)
    font = ImageFont.load_default()
    meanings = column_meanings(table)
    for index, (left, right) in enumerate(layout.regions):
        text = meanings.get(index + 2, "-")
        stagger = 10 * (index % 2)
        pen.text((left * scale + 2, (top - 22) * scale + stagger), text, fill="#d12f1f", font=font)
    for row, kind in row_kinds(table).items():
        if row - 1 < len(layout.row_tops):
            pen.text(((layout.right + 4) * scale, layout.row_tops[row - 1] * scale), kind,
                     fill=KIND_COLOURS[kind], font=font)
