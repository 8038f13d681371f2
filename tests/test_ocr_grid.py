"""OCR detects text only where it must: on the page's inked bands, and not in ruled cells that print one line
(those are boxed from their own ink and go straight to the recogniser)."""

from __future__ import annotations

import numpy

from cnstat_etl.extract import ocr
from cnstat_etl.extract.ocr import find_rules


def _ruled_table() -> numpy.ndarray:
    """A 72 dpi page (pixels are points) with a grid of three rows (rules at y 50, 100, 150, 200) and two
    columns (rules at x 40, 200, 358). Row 1: one line of ink left, two lines right; row 2: blank left, one
    line right; row 3: a dash left, one line right."""
    image = numpy.full((300, 400), 250, dtype=numpy.uint8)
    for y in (50, 100, 150, 200):
        image[y:y + 2, 40:360] = 20
    for x in (40, 200, 358):
        image[50:202, x:x + 2] = 20
    _digits(image, 70, 80)  # row 1, left: one line
    _digits(image, 58, 240)  # row 1, right: two lines
    _digits(image, 82, 240)
    _digits(image, 120, 240)  # row 2, right
    image[175:177, 100:110] = 20  # row 3, left: a dash
    _digits(image, 170, 240)  # row 3, right
    return image


def _digits(image: numpy.ndarray, top: int, left: int) -> None:
    """Six digit-sized marks, 10 pixels tall, from `left` (a number 58 pixels wide)."""
    for x in range(left, left + 60, 10):
        image[top:top + 10, x:x + 6] = 20


def test_ruled_cells_printing_one_line_are_boxed_from_their_ink_and_a_cell_of_two_lines_is_not():
    image = _ruled_table()
    horizontal, vertical = find_rules(image, 72)
    boxes, read = ocr._ruled_lines(image, 72, horizontal, vertical)
    middles = sorted(((x0 + x1) // 2, (top + bottom) // 2) for x0, top, x1, bottom in boxes)
    assert middles == [(105, 176), (108, 75), (268, 125), (268, 175)]
    for x0, top, x1, bottom in boxes:
        assert x0 > 40 and x1 < 358 and top > 50 and bottom < 202  # inside the grid, clear of its rules
        assert bottom - top > 10  # as tall as a line and its padding, the dash's box too
    # every cell but the one of two lines needs no detection, the blank one included
    assert not any(x0 <= 270 <= x1 and top <= 75 <= bottom for x0, top, x1, bottom in read)
    assert len(read) == 5


def test_the_detector_is_run_only_where_no_ruled_cell_gave_its_line(monkeypatch):
    image = _ruled_table()
    horizontal, vertical = find_rules(image, 72)
    searched = []

    def detected(image, shrink):
        searched.append(image)
        return []

    monkeypatch.setattr(ocr, "_detected", detected)
    crops = ocr._crops(image, 72, vertical, horizontal)
    page, = searched
    ink = numpy.argwhere(page[:, 42:356] < ocr.INK_LEVEL)  # within the grid, its outer rules aside
    # what the detector is left is the cell of two lines and the rules round it (blanked where they border a
    # cell already boxed)
    assert ink.size and ink[:, 0].min() >= 48 and ink[:, 0].max() <= 104 and ink[:, 1].min() + 42 >= 196
    assert len(crops) == 4


def test_the_detector_searches_the_bands_of_ink_on_its_grid_and_not_the_blank_paper():
    page = numpy.full((1408, 992), 255, dtype=numpy.uint8)
    page[100:120, 200:600] = 20  # a title
    page[500:520, 100:300] = page[560:580, 100:300] = 20  # two rows of a table
    page[1200, 700] = page[900, 50:53] = 20  # specks of dirt
    bands = ocr._inked_bands(page)
    assert len(bands) == 2
    for band in bands:
        assert all(edge % ocr.DETECT_STRIDE == 0 for edge in band)
    (x0, top, x1, bottom), (x0b, topb, x1b, bottomb) = bands
    assert x0 <= 200 - ocr.BAND_MARGIN and x1 >= 600 + ocr.BAND_MARGIN and top <= 100 - ocr.BAND_MARGIN
    assert bottom >= 120 + ocr.BAND_MARGIN and bottom < 500  # the title's band reaches not the table's
    assert topb <= 500 - ocr.BAND_MARGIN and bottomb >= 580 + ocr.BAND_MARGIN and bottomb < 900
    assert sum((x1 - x0) * (bottom - top) for x0, top, x1, bottom in bands) < 0.2 * page.size
    assert ocr._inked_bands(numpy.full((64, 64), 255, dtype=numpy.uint8)) == []
