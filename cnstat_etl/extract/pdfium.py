"""The fast PDF reader: PDFium (pypdfium2) gives the same `layout.PageGeometry` as pdfplumber, ~50x faster.

pdfplumber (pdfminer) interprets every page in Python; PDFium does it in C++. Both readers report what
`layout.read_page` needs, in pdfplumber's conventions so the engine sees the same page from either:
- a glyph per printed (non-blank) character: x0 and x1 are its origin and advance, `bottom` the bottom of
  its font box, `size` the font size times the text matrix's vertical scale, `top` = bottom - size;
- a rule segment per straight, axis-aligned piece of every path (a line is one, a rectangle four), as
  pdfplumber's `page.edges` lists them;
- y measured down from the top of the media box, on the page as displayed (its /Rotate applied).

Pages are opened one at a time and closed before the next, so memory does not grow with the book.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from cnstat_etl.extract.layout import Glyph, PageGeometry, Segment

# Two coordinates closer than this (points) are the same: a segment this close to level is a rule.
FLAT = 0.01

_TEXT, _PATH, _IMAGE, _FORM = raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM
_MOVETO = raw.FPDF_SEGMENT_MOVETO
_LINETO = raw.FPDF_SEGMENT_LINETO

Matrix = tuple[float, float, float, float, float, float]  # a, b, c, d, e, f as in PDF


@dataclass
class PageReading:
    """A page as a reader saw it: its geometry, whether it holds images, how many characters did not decode."""

    geometry: PageGeometry
    has_images: bool
    undecoded: int  # characters whose font maps them to no Unicode text


class PdfiumError(Exception):
    """The file is not a PDF PDFium can open; `encrypted` when it needs a password."""

    def __init__(self, message: str, encrypted: bool):
        super().__init__(message)
        self.encrypted = encrypted


def page_count(path: Path) -> int:
    document = _open(path)
    try:
        return len(document)
    finally:
        document.close()


def read_pages(path: Path, first: int = 1, last: int | None = None) -> Iterator[PageReading]:
    """Pages first..last (1-based, inclusive) one at a time; each page's PDFium objects are closed before the next."""
    document = _open(path)
    try:
        for index in range(first - 1, min(last or len(document), len(document))):
            try:
                page = document[index]
            except pdfium.PdfiumError as error:
                raise PdfiumError(f"page {index + 1}: {error}", encrypted=False) from None
            try:
                yield _read_page(page, index + 1)
            finally:
                page.close()
    finally:
        document.close()


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        raise PdfiumError(str(error), getattr(error, "err_code", None) == raw.FPDF_ERR_PASSWORD) from None


def _display_matrix(page: pdfium.PdfPage) -> tuple[Matrix, float, float]:
    """PDF user space -> the displayed page with y up (pdfminer's page matrix), and its width and height."""
    x0, y0, x1, y1 = page.get_mediabox()
    rotation = page.get_rotation() % 360
    if rotation == 90:
        return (0, -1, 1, 0, -y0, x1), y1 - y0, x1 - x0
    if rotation == 180:
        return (-1, 0, 0, -1, x1, y1), x1 - x0, y1 - y0
    if rotation == 270:
        return (0, 1, -1, 0, y1, -x0), y1 - y0, x1 - x0
    return (1, 0, 0, 1, -x0, -y0), x1 - x0, y1 - y0


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    """inner then outer, as PDF concatenates matrices."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _read_page(page: pdfium.PdfPage, number: int) -> PageReading:
    display, width, height = _display_matrix(page)
    glyphs, undecoded = _glyphs(page, display, height)
    horizontal: list[Segment] = []
    vertical: list[Segment] = []
    has_images = _walk_objects(page.raw, raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject, display, height,
                               horizontal, vertical)
    return PageReading(PageGeometry(number, width, height, glyphs, horizontal, vertical), has_images, undecoded)


def _glyphs(page: pdfium.PdfPage, display: Matrix, height: float) -> tuple[list[Glyph], int]:
    textpage = page.get_textpage()
    try:
        handle = textpage.raw
        count = raw.FPDFText_CountChars(handle)
        if count <= 0:
            return [], 0
        buffer = ctypes.create_string_buffer((count + 1) * 2)
        raw.FPDFText_GetText(handle, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
        text = buffer.raw[:count * 2].decode("utf-16-le", "surrogatepass")
        if len(text) != count:  # a character outside the BMP took two UTF-16 units: ask one by one
            text = "".join(chr(raw.FPDFText_GetUnicode(handle, i)) for i in range(count))
        # The box is read back as four floats in one step (left, top, right, bottom), cheaper than by field.
        box = (ctypes.c_float * 4)()
        box_pointer = ctypes.cast(box, ctypes.POINTER(raw.FS_RECTF))
        matrix = raw.FS_MATRIX()
        loose_box, font_size, char_matrix = raw.FPDFText_GetLooseCharBox, raw.FPDFText_GetFontSize, raw.FPDFText_GetMatrix
        unmapped = raw.FPDFText_HasUnicodeMapError
        e, f = display[4], display[5]
        upright = display[:4] == (1, 0, 0, 1)
        glyphs: list[Glyph] = []
        undecoded = 0
        box_height = size = None
        for index, char in enumerate(text):
            if not (" " < char < "\x7f"):  # all but printable ASCII may be a code with no Unicode map
                if char == "\ufffd" or unmapped(handle, index):
                    undecoded += 1
                    char = "\ufffd"  # pdfminer prints "(cid:NN)": either way no cell reads as a number
                elif char.isspace():
                    continue  # blanks (and PDFium's generated line breaks): the gaps they leave decide
            loose_box(handle, index, box_pointer)
            left, top, right, low = box
            if top - low != box_height:
                # A new run of text (font, size or matrix): its size. Characters of one run share the
                # height of their font box, so the two calls are made once a run, not once a character.
                box_height = top - low
                char_matrix(handle, index, matrix)
                size = font_size(handle, index) * math.hypot(matrix.c, matrix.d)
            if upright:
                x0, x1, bottom = left + e, right + e, height - (low + f)
            else:
                (ax, ay), (bx, by) = _apply(display, left, low), _apply(display, right, top)
                x0, x1, bottom = min(ax, bx), max(ax, bx), height - min(ay, by)
            glyphs.append(Glyph(char, x0, x1, bottom - size, bottom, size))
        return glyphs, undecoded
    finally:
        textpage.close()


def _walk_objects(parent, count_objects, get_object, outer: Matrix, height: float,
                  horizontal: list[Segment], vertical: list[Segment]) -> bool:
    """Rules of every path object (inside forms too) into the two lists; True when an image is drawn."""
    has_images = False
    matrix = raw.FS_MATRIX()
    for index in range(count_objects(parent)):
        obj = get_object(parent, index)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == _PATH:
            raw.FPDFPageObj_GetMatrix(obj, matrix)
            _path_rules(obj, _compose(_as_tuple(matrix), outer), height, horizontal, vertical)
        elif kind == _IMAGE:
            has_images = True
        elif kind == _FORM:
            raw.FPDFPageObj_GetMatrix(obj, matrix)
            has_images |= _walk_objects(obj, raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject,
                                        _compose(_as_tuple(matrix), outer), height, horizontal, vertical)
    return has_images


def _as_tuple(m) -> Matrix:
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _path_rules(obj, matrix: Matrix, height: float, horizontal: list[Segment], vertical: list[Segment]) -> None:
    """Each straight level or upright piece of the path (closing pieces included) as a rule segment."""
    x, y = ctypes.c_float(), ctypes.c_float()
    start = current = None
    for index in range(raw.FPDFPath_CountSegments(obj)):
        segment = raw.FPDFPath_GetPathSegment(obj, index)
        raw.FPDFPathSegment_GetPoint(segment, x, y)
        point = _apply(matrix, x.value, y.value)
        kind = raw.FPDFPathSegment_GetType(segment)
        if kind == _MOVETO:
            start = point
        elif kind == _LINETO and current is not None:
            _add_rule(current, point, height, horizontal, vertical)
        if raw.FPDFPathSegment_GetClose(segment) and start is not None:
            _add_rule(point, start, height, horizontal, vertical)
        current = point


def _add_rule(a: tuple[float, float], b: tuple[float, float], height: float,
              horizontal: list[Segment], vertical: list[Segment]) -> None:
    x0, x1 = min(a[0], b[0]), max(a[0], b[0])
    top, bottom = height - max(a[1], b[1]), height - min(a[1], b[1])
    if bottom - top <= FLAT and x1 - x0 > FLAT:
        horizontal.append(Segment(x0, x1, top, bottom))
    elif x1 - x0 <= FLAT and bottom - top > FLAT:
        vertical.append(Segment(x0, x1, top, bottom))
