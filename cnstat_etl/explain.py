"""`cnstat extract FILE --explain DIR`: a PNG per page showing what the layout engine saw.

Each page is drawn with pdfplumber's page image, and over it: the header band (blue box), the label
column's edge (green) and the value columns' edges (red), the meaning each column got ("gdp
city_total", or "?" where its header names no indicator), and each grid row's kind at the table's
right edge (header; unit: a place, loaded; county: a county printed under its prefecture, and own level: a
government's 本级, both loaded to the county panel; province; aggregate: a total, kept apart; refused: a
cell that is neither a number nor a missing marker). A page read by OCR is drawn as OCR
saw it: the cleaned, straightened scan, each recognised word boxed in orange.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import pdfplumber
from pdfplumber.display import PageImage
from PIL import ImageDraw, ImageFont

from cnstat_etl.errors import naming_the_path
from cnstat_etl.extract import extract_file
from cnstat_etl.extract.pdf import TableSeen
from cnstat_etl.extract.tables import ExtractOptions, find_header_rows
from cnstat_etl.harmonise import roles_of
from cnstat_etl.model import ExtractResult, Problem, ProblemKind

RESOLUTION = 100  # pixels per inch of the page images
WORD_COLOUR = "#e68a00"  # OCR word boxes on a scanned page
KIND_COLOURS = {"header": "#1f4fd1", "unit": "#16803c", "province": "#8a5a00", "aggregate": "#8a5a00",
                "county": "#16803c", "own level": "#16803c", "refused": "#b00020"}
# harmonise.rows' row roles, as the image names them
ROLE_KINDS = {"unit": "unit", "heading": "province", "subtotal": "province", "total": "aggregate",
              "county": "county", "own_level": "own level"}


def explain_file(path: Path, options: ExtractOptions, folder: Path) -> ExtractResult:
    """Extract the file as `extract` does and write `<stem>_p<N>.png` into folder for every PDF page read."""
    seen: list[TableSeen] = []
    result = extract_file(path, options, seen)
    if result.failed:
        return result
    if result.file_format != "pdf":
        result.problems.append(Problem(ProblemKind.NO_EXPLAIN, f"--explain draws PDF pages; {result.file_format} has "
                                       "none", result.source_file))
        return result
    roles, _ = roles_of(result)
    by_page: dict[int, list[TableSeen]] = defaultdict(list)
    for table in seen:
        by_page[table.page].append(table)
    with naming_the_path():  # the folder asked for cannot be made or written
        folder.mkdir(parents=True, exist_ok=True)
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            if options.pages and not options.pages[0] <= page.page_number <= options.pages[1]:
                continue
            scan = next((table.scan for table in by_page[page.page_number] if table.scan), None)
            image = _scan_image(page, scan) if scan else page.to_image(resolution=RESOLUTION)
            for table in by_page[page.page_number]:
                _draw_table(image, table, row_kinds(table, result, roles), RESOLUTION / 72)
            with naming_the_path():
                image.save(folder / f"{Path(path).stem}_p{page.page_number}.png")
    return result


def _scan_image(page, scan) -> PageImage:
    """A scanned page as OCR read it: the cleaned, straightened image (so the engine's lines fall where it
    saw them), each recognised word boxed in orange."""
    from PIL import Image

    size = (math.ceil(page.width * RESOLUTION / 72), math.ceil(page.height * RESOLUTION / 72))  # as pdfplumber
    image = PageImage(page, Image.fromarray(scan.image).convert("RGB").resize(size), resolution=RESOLUTION)
    for word in scan.words:
        image.draw_rect((word.x0, word.top, word.x1, word.bottom), fill=None, stroke=WORD_COLOUR, stroke_width=1)
    return image


def row_kinds(table: TableSeen, result: ExtractResult, roles) -> dict[int, str]:
    """Each grid row's kind, by its 1-based row number: header, or what harmonise made of the row, or
    refused where a cell was neither a number nor a missing marker."""
    header_rows = find_header_rows(table.block.cells)
    kinds = {row: "header" for row in table.block.rows[:header_rows]}
    for index in table.body_rows:
        kinds[result.rows[index].row] = ROLE_KINDS[roles[index].kind]
    for problem in table.problems:
        if problem.kind == ProblemKind.UNREADABLE_VALUE and problem.row is not None:
            kinds[problem.row] = "refused"
    return kinds


def column_meanings(table: TableSeen) -> dict[int, str]:
    """Each value column's meaning by its 1-based column number: "indicator scope", or "?" with no indicator."""
    meanings: dict[int, str] = {}
    for value in table.values:
        meanings.setdefault(value.provenance.column, f"{value.indicator} {value.scope}")
    for problem in table.problems:
        if problem.kind == ProblemKind.UNKNOWN_COLUMN and problem.column is not None:
            meanings.setdefault(problem.column, "? no indicator")
    return meanings


def _draw_table(image, table: TableSeen, kinds: dict[int, str], scale: float) -> None:
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
    for index, (left, _right) in enumerate(layout.regions):
        text = meanings.get(index + 2, "-")
        stagger = 10 * (index % 2)
        pen.text((left * scale + 2, (top - 22) * scale + stagger), text, fill="#d12f1f", font=font)
    for row, kind in kinds.items():
        if row - 1 < len(layout.row_tops):
            pen.text(((layout.right + 4) * scale, layout.row_tops[row - 1] * scale), kind,
                     fill=KIND_COLOURS[kind], font=font)
