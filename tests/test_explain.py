"""`cnstat extract --explain DIR` draws what the parser saw: one PNG per page read, at the page's size."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy
import pdfplumber
from PIL import Image, ImageColor

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.explain import RESOLUTION, WORD_COLOUR, column_meanings, row_kinds
from cnstat_etl.extract import extract_file
from cnstat_etl.extract.pdf import TableSeen
from cnstat_etl.extract.tables import ExtractOptions
from cnstat_etl.harmonise import roles_of

CNSTAT = str(Path(sys.executable).parent / "cnstat")
SOURCE = SAMPLES_DIR / "ccsy2010_population_continued.pdf"


def test_explain_writes_a_png_per_page_read_at_the_page_size(tmp_path):
    run = subprocess.run([CNSTAT, "extract", str(SOURCE), "--pages", "1-2", "--explain", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ccsy2010_population_continued_p1.png",
                                                         "ccsy2010_population_continued_p2.png"]
    with pdfplumber.open(SOURCE) as pdf:
        width, height = pdf.pages[0].width, pdf.pages[0].height
    scale = RESOLUTION / 72
    with Image.open(tmp_path / "ccsy2010_population_continued_p1.png") as image:
        assert image.size == (math.ceil(width * scale), math.ceil(height * scale))


def test_explain_labels_each_column_with_its_meaning_and_each_row_with_its_kind():
    seen: list[TableSeen] = []
    result = extract_file(SOURCE, ExtractOptions(pages=(1, 1)), seen)
    (table,) = seen
    assert column_meanings(table) == {2: "population city_total", 3: "population urban_districts"}
    kinds = row_kinds(table, result, roles_of(result)[0])
    labels = {table.block.cells[row - 1][0]: kind for row, kind in kinds.items() if table.block.cells[row - 1][0]}
    assert labels["江苏省 Jiangsu"] == "province" and labels["南 京 Nanjing"] == "unit"
    assert list(kinds.values())[:4] == ["header"] * 4


def test_a_spreadsheet_given_explain_is_told_that_only_pdf_pages_are_drawn(tmp_path):
    sheet = next(p for p in sorted(SAMPLES_DIR.iterdir()) if p.suffix in (".xlsx", ".xls"))
    run = subprocess.run([CNSTAT, "extract", str(sheet), "--explain", str(tmp_path)], capture_output=True,
                         text=True, timeout=120)
    assert "--explain draws PDF pages" in run.stderr
    assert not list(tmp_path.iterdir())


def test_explain_draws_a_scanned_page_as_ocr_read_it_with_each_word_boxed(tmp_path):
    scan = Path(__file__).parent / "fixtures" / "scans" / "ccsy1986_old_ruled.pdf"
    run = subprocess.run([CNSTAT, "extract", str(scan), "--ocr", "--pages", "1", "--explain", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    with pdfplumber.open(scan) as pdf:
        width, height = pdf.pages[0].width, pdf.pages[0].height
    with Image.open(tmp_path / "ccsy1986_old_ruled_p1.png") as image:
        assert image.size == (math.ceil(width * RESOLUTION / 72), math.ceil(height * RESOLUTION / 72))
        pixels = numpy.asarray(image.convert("RGB"), dtype=int)

    def near(colour: str) -> int:  # pixels of about that colour (strokes are drawn blended)
        return int((abs(pixels - ImageColor.getrgb(colour)).max(axis=2) <= 24).sum())

    word_boxes, columns = near(WORD_COLOUR), near("#d12f1f")
    assert word_boxes > 500 and columns > 100
