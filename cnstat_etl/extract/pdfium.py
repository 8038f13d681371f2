"""The fast PDF reader: PDFium (pypdfium2) gives the same `layout.PageGeometry` as pdfplumber, ~50x faster.

pdfplumber (pdfminer) interprets every page in Python; PDFium does it in C++. Both readers report what
`layout.read_page` needs, in pdfplumber's conventions so the engine sees the same page from either:
- a glyph per printed (non-blank) character: x0 and x1 are its origin and advance, `bottom` lies
  `layout.DESCENT` of its size below its baseline, `size` the font size times the text matrix's vertical
  scale, `top` = bottom - size;
- a rule segment per straight, axis-aligned piece of every path (a line is one, a rectangle four), as
  pdfplumber's `page.edges` lists them;
- y measured down from the top of the media box, on the page as displayed (its /Rotate applied).

Pages are opened one at a time and closed before the next, so memory does not grow with the book. The
three or four questions asked about each character, and the walk over the page's paths, run in C
(_pdfium_chars.c, built by setup.py) where a C compiler built it, else through ctypes: the same
questions, the same answers.
"""

from __future__ import annotations

import ctypes
from collections import deque
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Iterator

import numpy
import pypdfium2 as pdfium
import pypdfium2.raw as raw

from cnstat_etl.extract import compiled
from cnstat_etl.extract.layout import (BLANK_CODES, CLIP_TOLERANCE, DESCENT, ClippedCell, Glyphs, PageGeometry,
                                      Segment, text_lines)

# Two coordinates closer than this (points) are the same: a segment this close to level is a rule.
FLAT = 0.01

_TEXT, _PATH = raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_PATH
_IMAGE, _FORM = raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM
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

    def __reduce__(self):  # raised in a worker process, it comes back whole
        return PdfiumError, (str(self), self.encrypted)


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
    glyphs, undecoded, clipped = _glyphs(page, display, height)
    horizontal, vertical, has_images = _ASK.rules(ctypes.cast(page.raw, ctypes.c_void_p).value, display, height)
    return PageReading(PageGeometry(number, width, height, glyphs, horizontal, vertical, clipped), has_images,
                       undecoded)


def _fast(function, restype, *argtypes):
    """`function` called with plain integers (handles and addresses): pypdfium2's typed pointers cost a
    conversion per argument, and a book makes a few hundred thousand of these calls."""
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(function, ctypes.c_void_p).value)


_LOOSE_BOX = _fast(raw.FPDFText_GetLooseCharBox, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
_ORIGIN = _fast(raw.FPDFText_GetCharOrigin, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                ctypes.c_void_p)
_UNMAPPED = _fast(raw.FPDFText_HasUnicodeMapError, ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
_TEXT_OBJECT = _fast(raw.FPDFText_GetTextObject, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_int)  # 0: none
_FONT_SIZE = _fast(raw.FPDFText_GetFontSize, ctypes.c_double, ctypes.c_void_p, ctypes.c_int)
_CHAR_MATRIX = _fast(raw.FPDFText_GetMatrix, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)


def _compiled_questions() -> ctypes.CDLL | None:
    """_pdfium_chars.c as built beside this file (setup.py), or None where it was not (no C compiler), or
    where it was built from an older _pdfium_chars.c (rebuild it): its loop took other arguments, and called
    with these it would crash the process."""
    library = compiled.library("_pdfium_chars")
    if library is None or not hasattr(library, "ask_chars_and_origins"):
        return None
    # (text page, indexes, count, seven PDFium functions, five arrays to fill)
    library.ask_chars_and_origins.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int] + [ctypes.c_void_p] * 12
    library.ask_unmapped.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    # (page, functions, constants, display matrix, height, flat, rules, upright, capacity, has_images)
    library.page_rules.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_double] * 2 + [ctypes.c_void_p] * 2 + [
        ctypes.c_int, ctypes.c_void_p]
    return library


COMPILED = _compiled_questions()


def _address(function) -> int:
    return ctypes.cast(function, ctypes.c_void_p).value


class _AskInC:
    """PDFium's per-character questions asked in _pdfium_chars.c's loops."""

    functions = tuple(map(_address, (raw.FPDFText_GetLooseCharBox, raw.FPDFText_GetCharOrigin,
                                     raw.FPDFText_GetTextObject, raw.FPDFText_GetFontSize, raw.FPDFText_GetMatrix,
                                     raw.FPDFPageObj_GetClipPath, raw.FPDFClipPath_CountPaths)))
    unicode_map_error = _address(raw.FPDFText_HasUnicodeMapError)

    @classmethod
    def unmapped(cls, address: int, indexes: numpy.ndarray) -> numpy.ndarray:
        indexes = numpy.ascontiguousarray(indexes, dtype=numpy.int32)
        unmapped = numpy.zeros(len(indexes), dtype=numpy.uint8)
        COMPILED.ask_unmapped(address, indexes.ctypes.data, len(indexes), cls.unicode_map_error,
                              unmapped.ctypes.data)
        return unmapped.astype(bool)

    @classmethod
    def chars(cls, address: int, indexes: numpy.ndarray) -> tuple[numpy.ndarray, ...]:
        indexes = numpy.ascontiguousarray(indexes, dtype=numpy.int32)
        boxes = numpy.empty((len(indexes), 4), dtype=numpy.float32)
        sizes = numpy.empty(len(indexes), dtype=numpy.float64)
        matrix_cd = numpy.empty((len(indexes), 2), dtype=numpy.float32)
        clips = numpy.empty(len(indexes), dtype=numpy.uint64)
        origins = numpy.empty((len(indexes), 2), dtype=numpy.float64)
        COMPILED.ask_chars_and_origins(address, indexes.ctypes.data, len(indexes), *cls.functions,
                                       boxes.ctypes.data, origins.ctypes.data, sizes.ctypes.data,
                                       matrix_cd.ctypes.data, clips.ctypes.data)
        return boxes, origins, sizes, matrix_cd, clips

    # for the walk over a page's objects: PDFium's functions in the order page_rules takes them, and kinds
    walk_functions = (ctypes.c_void_p * 11)(*map(_address, (
        raw.FPDFPage_CountObjects, raw.FPDFFormObj_CountObjects, raw.FPDFPage_GetObject, raw.FPDFFormObj_GetObject,
        raw.FPDFPageObj_GetType, raw.FPDFPageObj_GetMatrix, raw.FPDFPath_CountSegments, raw.FPDFPath_GetPathSegment,
        raw.FPDFPathSegment_GetPoint, raw.FPDFPathSegment_GetType, raw.FPDFPathSegment_GetClose)))
    walk_constants = (ctypes.c_int * 5)(_PATH, _IMAGE, _FORM, _MOVETO, _LINETO)

    @classmethod
    def rules(cls, page: int, display: Matrix, height: float) -> tuple[list[Segment], list[Segment], bool]:
        capacity = 1024
        while True:
            rules = numpy.empty((capacity, 4), dtype=numpy.float64)
            upright = numpy.empty(capacity, dtype=numpy.uint8)
            has_images = ctypes.c_int()
            count = COMPILED.page_rules(page, cls.walk_functions, cls.walk_constants,
                                        numpy.array(display, dtype=numpy.float64).ctypes.data, height, FLAT,
                                        rules.ctypes.data, upright.ctypes.data, capacity, ctypes.addressof(has_images))
            if count <= capacity:
                break
            capacity = count
        segments = list(map(Segment, *rules[:count].T.tolist()))
        kinds = upright[:count].tolist()
        return ([segment for segment, kind in zip(segments, kinds) if not kind],
                [segment for segment, kind in zip(segments, kinds) if kind], bool(has_images.value))


class _AskThroughCtypes:
    """The same questions, and the same answers, one ctypes call each (mapped over the page, no Python
    loop): where _pdfium_chars.c was not built."""

    @staticmethod
    def unmapped(address: int, indexes: numpy.ndarray) -> numpy.ndarray:
        return numpy.fromiter(map(_UNMAPPED, repeat(address), indexes.tolist()), dtype=numpy.int32,
                              count=len(indexes)) != 0

    @staticmethod
    def chars(address: int, indexes: numpy.ndarray) -> tuple[numpy.ndarray, ...]:
        printed = indexes.tolist()
        boxes = numpy.empty((len(printed), 4), dtype=numpy.float32)  # left, top, right, bottom (FS_RECTF)
        start = boxes.ctypes.data
        deque(map(_LOOSE_BOX, repeat(address), printed, range(start, start + boxes.nbytes, boxes.strides[0])),
              maxlen=0)  # run in C
        origins = numpy.empty((len(printed), 2), dtype=numpy.float64)  # x, y
        start = origins.ctypes.data
        deque(map(_ORIGIN, repeat(address), printed, range(start, start + origins.nbytes, 16),
                  range(start + 8, start + origins.nbytes, 16)), maxlen=0)
        objects = numpy.fromiter(map(_TEXT_OBJECT, repeat(address), printed), dtype=numpy.uint64, count=len(printed))
        matrix = raw.FS_MATRIX()
        matrix_address = ctypes.addressof(matrix)

        def size_of(index: int, obj: int) -> tuple[float, float, float, int]:
            _CHAR_MATRIX(address, index, matrix_address)
            return _FONT_SIZE(address, index), matrix.c, matrix.d, _clip_of(obj)

        # a text object's characters come one after another: ask at the first of each run, and at each
        # character of no text object
        asked = numpy.flatnonzero(numpy.concatenate(([True], objects[1:] != objects[:-1])) | (objects == 0))
        answers = [size_of(printed[position], int(objects[position])) for position in asked.tolist()]
        repeats = numpy.diff(numpy.append(asked, len(printed)))
        sizes = numpy.repeat(numpy.array([a[0] for a in answers], dtype=numpy.float64), repeats)
        matrix_cd = numpy.repeat(numpy.array([a[1:3] for a in answers], dtype=numpy.float32), repeats, axis=0)
        clips = numpy.repeat(numpy.array([a[3] for a in answers], dtype=numpy.uint64), repeats)
        return boxes, origins, sizes, matrix_cd, clips

    @staticmethod
    def rules(page: int, display: Matrix, height: float) -> tuple[list[Segment], list[Segment], bool]:
        horizontal: list[Segment] = []
        vertical: list[Segment] = []
        has_images = _walk_objects(page, _PAGE_OBJECTS, display, height, horizontal, vertical)
        return horizontal, vertical, has_images


_ASK = _AskInC if COMPILED else _AskThroughCtypes


def _glyphs(page: pdfium.PdfPage, display: Matrix, height: float) -> tuple[Glyphs, int, list[ClippedCell]]:
    """Each shown character's glyph, as the page's columns, and the cells whose text is clipped. A page has
    about a thousand: PDFium is asked about them all at once (`_ASK`: in C where _pdfium_chars.c was built,
    else through ctypes), and the boxes are placed on the page as arrays."""
    textpage = page.get_textpage()
    try:
        handle = textpage.raw
        count = raw.FPDFText_CountChars(handle)
        if count <= 0:
            return Glyphs.empty(), 0, []
        buffer = ctypes.create_string_buffer((count + 1) * 2)
        raw.FPDFText_GetText(handle, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
        codes = numpy.frombuffer(buffer, dtype="<u2", count=count).astype(numpy.uint32)
        if len(buffer.raw[:count * 2].decode("utf-16-le", "surrogatepass")) != count:
            # a character outside the BMP took two UTF-16 units: ask one by one
            codes = numpy.fromiter((raw.FPDFText_GetUnicode(handle, i) for i in range(count)), dtype=numpy.uint32,
                                   count=count)
        address = ctypes.cast(handle, ctypes.c_void_p).value
        # All but printable ASCII may be a code with no Unicode map: pdfminer prints it "(cid:NN)", here
        # U+FFFD, either way no cell reads as a number. Blanks (and PDFium's generated line breaks) are
        # no glyphs: the gaps they leave decide.
        wide = numpy.flatnonzero((codes <= 0x20) | (codes >= 0x7F))
        unmapped = numpy.zeros(count, dtype=bool)
        unmapped[wide[_ASK.unmapped(address, wide)]] = True
        unmapped |= codes == 0xFFFD
        printed_at = numpy.flatnonzero(unmapped | ~BLANK_CODES[numpy.minimum(codes, 0xFFFF)])
        if not len(printed_at):
            return Glyphs.empty(), int(unmapped.sum()), []
        printed_codes = numpy.where(unmapped[printed_at], 0xFFFD, codes[printed_at])
        boxes, origins, font_sizes, matrix_cd, clips = _ASK.chars(address, printed_at)
        # the font size times the text matrix's vertical scale, as pdfminer sizes a character: the height of
        # its box, which a slant (c: LibreOffice's made-up italic) leaves as it is; turned text keeps the length
        c, d = matrix_cd.astype(numpy.float64).T
        size = font_sizes * numpy.where(numpy.abs(d) > FLAT, numpy.abs(d), numpy.hypot(c, d))
        left, top, right, low = boxes.astype(numpy.float64).T
        # Placed by its origin on the baseline, not by the loose box's bottom: that is the font's descent,
        # which PDFium makes up from the subset's glyphs where the font declares none (LibreOffice's
        # prints), and it is widened to the glyph's outline (a y, a j drop the box by 2 pt).
        x0, x1, baseline_y = _displayed(display, origins[:, 0], origins[:, 1], right, top)
        bottom = height - baseline_y + DESCENT * size
        glyphs = Glyphs(printed_codes, x0, x1, bottom - size, bottom, size)
        shown, clipped = _clipping(glyphs, clips, left, right, (top + low) / 2, display, height)
        if clipped:
            glyphs = Glyphs(*(column[shown] for column in (glyphs.codes, glyphs.x0, glyphs.x1, glyphs.top,
                                                           glyphs.bottom, glyphs.size)))
        return glyphs, int(unmapped.sum()), clipped
    finally:
        textpage.close()


def _displayed(display: Matrix, left, low, right, top) -> tuple:
    """Boxes in PDF user space as x0, x1 and the lower y on the displayed page (y still up)."""
    e, f = display[4], display[5]
    if display[:4] == (1, 0, 0, 1):
        return left + e, right + e, low + f
    a, b, c, d = display[:4]
    ax, ay = a * left + c * low + e, b * left + d * low + f
    bx, by = a * right + c * top + e, b * right + d * top + f
    return numpy.minimum(ax, bx), numpy.maximum(ax, bx), numpy.minimum(ay, by)


def _clipping(glyphs: Glyphs, clips: numpy.ndarray, left: numpy.ndarray, right: numpy.ndarray,
              middle_y: numpy.ndarray, display: Matrix, height: float) -> tuple[numpy.ndarray, list[ClippedCell]]:
    """Which glyphs are shown, and the cells whose text overflows their box and is clipped at its edges.

    A spreadsheet printed to PDF writes each cell's whole text and clips it to the cell's box: what lies
    outside is not on the page, and read with the rest it runs into the neighbouring cells' text. Each box
    that hides some of its text, a glyph or part of one its side cuts through, is a `ClippedCell` holding
    all of it, in reading order: the text the cell holds. Glyphs of no clipped object that print inside such
    a box belong to it too."""
    shown = numpy.ones(len(clips), dtype=bool)
    if not clips.any():
        return shown, []
    boxes = {clip: _clip_box(clip) for clip in numpy.unique(clips[clips != 0]).tolist()}
    clip_of = numpy.array([boxes.get(clip) or (numpy.nan,) * 4 for clip in clips.tolist()], dtype=numpy.float64)
    x0, y0, x1, y1 = clip_of.T
    middle_x = (left + right) / 2
    with numpy.errstate(invalid="ignore"):  # NaN: no clip
        outside = ((middle_x < x0 - CLIP_TOLERANCE) | (middle_x > x1 + CLIP_TOLERANCE)
                   | (middle_y < y0 - CLIP_TOLERANCE) | (middle_y > y1 + CLIP_TOLERANCE))
        # a glyph the box's side cuts through, shown by its middle: text running over the box's edge, which
        # may abut its neighbour's text so closely that the edge alone cannot part them
        cut = (left < x0 - CLIP_TOLERANCE) | (right > x1 + CLIP_TOLERANCE)
    shown &= ~outside
    cells = []
    clipping = {boxes[clip] for clip in set(clips[outside | cut].tolist())}
    for box in clipping:
        if any(other != box and _spans_across(box, other) for other in clipping):
            # a row's strip of the page round boxes that clip texts of their own, each as tall as it (a
            # repeated header row, clipped whole as LibreOffice prints it): no cell, its glyphs the boxes'
            # in it, or printed as they are. (A column's strip holding a box is read a line at a time.)
            continue
        own = numpy.all(clip_of == box, axis=1)
        unclipped_inside = numpy.isnan(x0) & (middle_x >= box[0]) & (middle_x <= box[2]) \
            & (middle_y >= box[1]) & (middle_y <= box[3])
        members = numpy.flatnonzero(own | unclipped_inside).tolist()
        lines = text_lines(glyphs.take(members))
        corners = [_apply(display, x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
        xs, ys = zip(*corners)
        if len(lines) > 1 and not (own & ((middle_y < y0 - CLIP_TOLERANCE) | (middle_y > y1 + CLIP_TOLERANCE))).any():
            # A box that hides nothing above or below holds lines that are cells of their own: a sheet printer
            # clips a column's texts that overflow sideways to the column's strip of the page (LibreOffice
            # does, each row's label one line in it), and a cell wrapped in its box is read line by line too.
            # A line of none of its clipped text is another cell's, printed whole.
            own_middles = (glyphs.top[own] + glyphs.bottom[own]) / 2
            cells += [ClippedCell(min(xs), line.top, max(xs), line.bottom, line.text) for line in lines
                      if ((own_middles >= line.top) & (own_middles <= line.bottom)).any()]
            continue
        cells.append(ClippedCell(min(xs), height - max(ys), max(xs), height - min(ys),
                                 " ".join(line.text for line in lines)))
    return shown, sorted(cells, key=lambda cell: (cell.top, cell.x0))


def _spans_across(box: tuple[float, float, float, float], other: tuple[float, float, float, float]) -> bool:
    """`box` holds `other` from side to side, as tall as it is: a row's strip round one of its boxes."""
    return box[0] - CLIP_TOLERANCE <= other[0] and other[2] <= box[2] + CLIP_TOLERANCE \
        and abs(box[1] - other[1]) <= CLIP_TOLERANCE and abs(box[3] - other[3]) <= CLIP_TOLERANCE


_CLIP_PATH = _fast(raw.FPDFPageObj_GetClipPath, ctypes.c_void_p, ctypes.c_void_p)
_CLIP_PATHS = _fast(raw.FPDFClipPath_CountPaths, ctypes.c_int, ctypes.c_void_p)
_CLIP_SEGMENTS = _fast(raw.FPDFClipPath_CountPathSegments, ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
_CLIP_SEGMENT = _fast(raw.FPDFClipPath_GetPathSegment, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int)


def _clip_of(obj: int) -> int:
    """A page object's clip path, 0 where it has none or one of no path."""
    clip = _CLIP_PATH(obj) if obj else None
    return clip if clip and _CLIP_PATHS(clip) > 0 else 0


def _clip_box(clip: int) -> tuple[float, float, float, float] | None:
    """The box (x0, y0, x1, y1, PDF user space) a clip path clips to: where all its paths overlap; None
    where no path has a point (a clip by text)."""
    x, y = ctypes.c_float(), ctypes.c_float()
    box = None
    for path in range(_CLIP_PATHS(clip)):
        points = []
        for index in range(_CLIP_SEGMENTS(clip, path)):
            _SEGMENT_POINT(_CLIP_SEGMENT(clip, path, index), ctypes.addressof(x), ctypes.addressof(y))
            points.append((x.value, y.value))
        if points:
            xs, ys = zip(*points)
            this = (min(xs), min(ys), max(xs), max(ys))
            box = this if box is None else (max(box[0], this[0]), max(box[1], this[1]), min(box[2], this[2]),
                                            min(box[3], this[3]))
    return None if box is None else tuple(round(v, 2) for v in box)


_VOID, _INT = ctypes.c_void_p, ctypes.c_int
_PAGE_OBJECTS = (_fast(raw.FPDFPage_CountObjects, _INT, _VOID), _fast(raw.FPDFPage_GetObject, _VOID, _VOID, _INT))
_FORM_OBJECTS = (_fast(raw.FPDFFormObj_CountObjects, _INT, _VOID), _fast(raw.FPDFFormObj_GetObject, _VOID, _VOID, _INT))
_OBJECT_TYPE = _fast(raw.FPDFPageObj_GetType, _INT, _VOID)
_OBJECT_MATRIX = _fast(raw.FPDFPageObj_GetMatrix, _INT, _VOID, _VOID)
_COUNT_SEGMENTS = _fast(raw.FPDFPath_CountSegments, _INT, _VOID)
_PATH_SEGMENT = _fast(raw.FPDFPath_GetPathSegment, _VOID, _VOID, _INT)
_SEGMENT_POINT = _fast(raw.FPDFPathSegment_GetPoint, _INT, _VOID, _VOID, _VOID)
_SEGMENT_TYPE = _fast(raw.FPDFPathSegment_GetType, _INT, _VOID)
_SEGMENT_CLOSES = _fast(raw.FPDFPathSegment_GetClose, _INT, _VOID)


def _walk_objects(parent: int, objects_of: tuple, outer: Matrix, height: float,
                  horizontal: list[Segment], vertical: list[Segment]) -> bool:
    """Rules of every path object (inside forms too) into the two lists; True when an image is drawn."""
    has_images = False
    matrix = raw.FS_MATRIX()
    count_objects, get_object = objects_of
    objects = list(map(get_object, repeat(parent), range(count_objects(parent))))
    for obj, kind in zip(objects, map(_OBJECT_TYPE, objects)):
        if kind == _PATH:
            _OBJECT_MATRIX(obj, ctypes.addressof(matrix))
            _path_rules(obj, _compose(_as_tuple(matrix), outer), height, horizontal, vertical)
        elif kind == _IMAGE:
            has_images = True
        elif kind == _FORM:
            _OBJECT_MATRIX(obj, ctypes.addressof(matrix))
            has_images |= _walk_objects(obj, _FORM_OBJECTS, _compose(_as_tuple(matrix), outer), height,
                                        horizontal, vertical)
    return has_images


def _as_tuple(m) -> Matrix:
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _path_rules(obj: int, matrix: Matrix, height: float, horizontal: list[Segment], vertical: list[Segment]) -> None:
    """Each straight level or upright piece of the path (closing pieces included) as a rule segment."""
    x, y = ctypes.c_float(), ctypes.c_float()
    x_address, y_address = ctypes.addressof(x), ctypes.addressof(y)
    start = current = None
    for segment in map(_PATH_SEGMENT, repeat(obj), range(_COUNT_SEGMENTS(obj))):
        _SEGMENT_POINT(segment, x_address, y_address)
        point = _apply(matrix, x.value, y.value)
        kind = _SEGMENT_TYPE(segment)
        if kind == _MOVETO:
            start = point
        elif kind == _LINETO and current is not None:
            _add_rule(current, point, height, horizontal, vertical)
        if _SEGMENT_CLOSES(segment) and start is not None:
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
