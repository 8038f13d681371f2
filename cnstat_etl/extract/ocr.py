"""OCR of a page that has no usable text layer: its image read into the layout engine's `PageGeometry`.

The page is rendered at the resolution of the scan it embeds, cleaned (uneven lighting divided out,
the skew measured and turned back) and read by RapidOCR (PP-OCR's Chinese detection and recognition
models, bundled in the `rapidocr-onnxruntime` wheel, run offline on the CPU). Each recognised text box
becomes character glyphs in page points (CJK characters a full em wide, Latin and digits about half),
so the same layout engine that reads text PDFs reads the scan: there is no second table parser.

Every word keeps its recognition confidence and its box, so each cell read from it can say how sure
the reading is and where to look (`model.OcrRead`).
"""

from __future__ import annotations

import functools
import importlib.util
import multiprocessing
import os
import re
import statistics
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy

from cnstat_etl.config import extra_hint
from cnstat_etl.errors import MissingExtra
from cnstat_etl.extract.layout import Glyph, PageGeometry, Segment
from cnstat_etl.model import SURE_READ, SURE_TEXT, UNREAD, OcrRead

if importlib.util.find_spec("rapidocr_onnxruntime") is None:  # it brings opencv (cv2) and onnxruntime
    raise MissingExtra(extra_hint("OCR", "ocr"))

# Grey levels below this are ink on the cleaned (evenly lit) image; paper noise stays far above it.
INK_LEVEL = 128
# Rules are found at a lighter level: a sheet's gridlines print thin and grey (scanned at 150-200 over a paper
# near 255), and only a line makes an unbroken run that long of such pixels.
RULE_LEVEL = 180
# A row or column of a cell's pixels inked over more than this share crosses the whole cell: a printed rule.
RULE_INK_SHARE = 0.9
# A cell with at most this many ink pixels (besides rules) is blank: specks of dirt, never a character.
SPECK_PIXELS = 3
# Ink no taller than this many character sizes is a dash or dots (a missing marker); a digit is twice that.
MARKER_HEIGHT = 0.3
# A minus sign is at least this many of its digits' heights long, and at most MINUS_GAP of them before them.
MINUS_LENGTH, MINUS_GAP = 0.2, 0.6
# Skew angles tried when deskewing, degrees: scans are straightened to within a tenth of a degree.
MAX_SKEW, SKEW_STEP = 3.0, 0.1
# A horizontal rule is an unbroken run of ink at least this many points long (no character prints one);
# a vertical one at least VERTICAL_RULE long whose both ends meet a horizontal rule within RULE_MEET points
# (a glyph's stroke is as long, but floats between the rules of its row).
HORIZONTAL_RULE, VERTICAL_RULE, RULE_MEET = 20.0, 6.0, 1.5
# Text boxes are located (not read) on the page shrunk to this resolution: the detector finds a yearbook's
# smallest print there, at a fraction of the cost of the full scan.
DETECT_DPI = 120
# Crops recognised in one call of the recogniser, narrowest first: each batch is padded to its widest.
# With one ONNX thread, one crop a call measured fastest (2.5-3x faster than 16 on the scanned fixtures:
# the padding costs more than the calls save).
RECOGNISE_BATCH = 1
# A crop reaches this many times its height past its box either side: the recogniser reads the digits at
# the ends of a box cut tight to them less surely (and a wider margin crowds the digits).
MARGIN = 0.1
# A number the recogniser is unsure of is read again from its crop grown (or shrunk) by these shares of its
# height above and below, in turn until a read agrees surely: the digits at other scales in the recogniser's
# input. Its sureness swings with a pixel's difference in the crop, a misreading much less (on 150 dpi scans
# a comma-grouped number reads at 0.94-0.97 at one scale and 0.97-0.98 at another, all scales one text).
SCALES = (0.05, -0.05, -0.1, 0.1)
# Grey the recogniser's input is padded with after each crop, in pixels of its input: as PP-OCR pads
# (to a width of at least 320), the last character is read more surely with some after it.
AFTER = 24
# A crop cut at a vertical rule stops this many points short of it, clear of its ink.
RULE_CLEAR = 0.75
# What a number cell may print: its digits-only alphabet (besides the CTC blank).
NUMBER_CHARACTERS = "0123456789.,-+ *，．"  # with a footnote mark, and the full-width separators
# Letters whose capital prints as its small letter grown: the recogniser splits such a letter's probability
# between its cases by its size, so a word's read of either is as sure as the two together (no header or name
# is told apart by the case of such a letter: a column's code "C" read 0.65 C and 0.34 c).
CASE_ALIKE = "COSVWXZ"
# Where no rule parts the columns, a stretch of the page that at most this share of the most boxes covering
# any point covers is a gap between columns (GAP_ROWS boxes over a point at least: a table's body). Titles,
# headers spanning columns and boxes the detector joined across a gap are few beside a body's rows.
GAP_COVER, GAP_ROWS = 0.25, 5
# A detected box taller than this many of the page's usual box heights may hold several lines the detector
# joined (a column's stacked numbers): it is cut at the blank rows between its lines of ink, each line as
# tall as a character at most (BOX_TO_SIZE boxes: a character's own blank rows, as 三's, lie within one).
STACKED_BOX = 1.6
# A piece of ink longer than this many box heights either way is no character: a rule, or glyphs touching one.
CHARACTER_SPAN = 2.0
# A piece of ink no wider than this many character sizes is a stretch of a faint rule broken by the scan (a
# character's narrowest, a 1 with its flag, is wider).
STROKE_WIDTH = 0.2
# Pixels square of the stretch of a page located again at its own resolution round a character the shrunk
# page's detection missed: the detector's least input (RapidOCR enlarges a smaller one to it).
AGAIN_WINDOW = 736
# Ink of such a box no taller than this many box heights at its top or bottom edge is a clipped line.
CLIPPED_LINE = 0.5
# Render resolution when the page embeds no image to take it from (dots per inch).
DEFAULT_DPI = 200
# Text boxes measure about this many glyph sizes tall (box padding above and below the ink).
BOX_TO_SIZE = 0.8
# Advance of a character that is not CJK, in glyph sizes (digits, Latin, punctuation).
NARROW_ADVANCE = 0.55
# Characters of one recognised box farther apart than this many glyph sizes (beyond their own widths) print
# in different cells or words: a word space is about one size, the recogniser places a character to about
# a fifth of one.
PIECE_GAP = 0.5
# A character's ink reaches this many glyph sizes past its advance either side (the recogniser's placing
# is that loose): a box's edge is never drawn in nearer its characters.
EDGE_SLACK = 0.15


@dataclass(frozen=True)
class OcrWord:
    """A text box as the recogniser read it, in page points from the top left."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    confidence: float
    reading: str = "first"  # which reading the text is (`Read.reading`)
    second: str | None = None  # an unsure number's likeliest other reading, at another scale
    second_confidence: float = 0.0


@dataclass(frozen=True)
class Models:
    """RapidOCR's detector and recogniser (its direction classifier is never run, so never loaded)."""

    text_det: Callable
    text_rec: Callable
    threads: int  # recognitions run side by side (`_recognised`)


def _engine() -> Models:
    return _loaded(_threads())


@functools.lru_cache(maxsize=1)
def _loaded(threads: int) -> Models:
    # loads the ONNX models: only when a page needs OCR
    from rapidocr_onnxruntime.ch_ppocr_det import TextDetector
    from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer
    from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
    from rapidocr_onnxruntime.utils import read_yaml, update_model_path

    config = update_model_path(read_yaml(DEFAULT_CFG_PATH))
    # detection is one large call a page, split over the threads; recognition is many small calls, each on one
    # thread, `threads` of them side by side: a small call split over two threads measured slower than on one
    return Models(TextDetector({**config["Det"], "intra_op_num_threads": threads, "inter_op_num_threads": 1}),
                  TextRecognizer({**config["Rec"], "intra_op_num_threads": 1, "inter_op_num_threads": 1}), threads)


def _threads() -> int:
    """ONNX threads a model runs on: every core this process may use when it reads alone, one in a worker
    process or beside workers (threads x workers <= cores: idle ONNX threads spin on cores that the other
    workers, and the layout engine, need)."""
    if multiprocessing.parent_process() is not None or multiprocessing.active_children():
        return 1
    return len(os.sched_getaffinity(0))


def page_dpi(page) -> int:
    """The resolution of the largest image the page embeds (a scan's own), else DEFAULT_DPI."""
    best = None
    for image in page.images:
        width_points = image["x1"] - image["x0"]
        pixels = image.get("srcsize", (0, 0))[0]
        if width_points > 0 and pixels and (best is None or pixels > best[0]):
            best = (pixels, width_points)
    if best is None:
        return DEFAULT_DPI
    return max(100, min(400, round(best[0] / best[1] * 72)))


def render(pdf_path, page_number: int, dpi: int) -> numpy.ndarray:
    """The page as a grey image (rows, columns), white 255."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf_path))
    try:
        bitmap = document[page_number - 1].render(scale=dpi / 72, grayscale=True)
        return numpy.asarray(bitmap.to_pil().convert("L"))
    finally:
        document.close()


def even_lighting(grey: numpy.ndarray) -> numpy.ndarray:
    """Divide out the paper's shading (the page lit unevenly): the background becomes uniformly white."""
    import cv2

    background = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (31, 31)))
    background = cv2.GaussianBlur(background, (0, 0), 15)
    level = numpy.clip(grey.astype(numpy.float32) / numpy.maximum(background, 1) * 255, 0, 255)
    return level.astype(numpy.uint8)


def skew_angle(grey: numpy.ndarray) -> float:
    """Degrees the text lines are rotated (counter-clockwise), from the sharpest horizontal profile."""
    import cv2

    small = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    # bytes turned (a quarter of the floats' memory to move), their rows summed as floats: the same profile
    ink = (small < 150).astype(numpy.uint8)
    height, width = ink.shape
    best_angle, best_score = 0.0, -1.0
    for angle in numpy.arange(-MAX_SKEW, MAX_SKEW + SKEW_STEP / 2, SKEW_STEP):
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -angle, 1.0)
        turned = cv2.warpAffine(ink, matrix, (width, height), flags=cv2.INTER_NEAREST)
        score = float(numpy.var(turned.sum(axis=1, dtype=numpy.float32)))
        if score > best_score:
            best_angle, best_score = float(angle), score
    return best_angle


def deskew(grey: numpy.ndarray) -> numpy.ndarray:
    import cv2

    angle = skew_angle(grey)
    if abs(angle) < SKEW_STEP / 2:
        return grey
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -angle, 1.0)
    return cv2.warpAffine(grey, matrix, (width, height), flags=cv2.INTER_CUBIC, borderValue=255)


def find_rules(image: numpy.ndarray, dpi: int) -> tuple[list[Segment], list[Segment]]:
    """The printed rules of a cleaned page image (horizontal, vertical), in points, as a text PDF's rules
    are given to the layout engine: they part a ruled table's spanning header cells and its columns."""
    import cv2

    scale = dpi / 72
    ink = (image < RULE_LEVEL).astype(numpy.uint8)
    found = []
    for horizontal, length in ((True, HORIZONTAL_RULE), (False, VERTICAL_RULE)):
        run = max(3, round(length * scale)) | 1  # odd: an even kernel shifts what it keeps by a pixel
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (run, 1) if horizontal else (1, run))
        _, _, stats, _ = cv2.connectedComponentsWithStats(cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel))
        segments = []
        for x, y, w, h, _ in stats[1:].tolist():
            if horizontal:
                middle = (y + h / 2) / scale
                segments.append(Segment(x / scale, (x + w) / scale, middle, middle))
            else:
                middle = (x + w / 2) / scale
                segments.append(Segment(middle, middle, y / scale, (y + h) / scale))
        found.append(segments)
    across, down = found

    def meets(y: float, x: float) -> bool:
        return any(abs(s.top - y) <= RULE_MEET and s.x0 - RULE_MEET <= x <= s.x1 + RULE_MEET for s in across)

    def crosses(rule: Segment) -> bool:
        # a grid's faint gridline breaks into pieces under the ink threshold, whose ends meet no rule; a piece
        # reaching past a horizontal rule both ways is a rule all the same (no glyph's stroke crosses one)
        return any(rule.top + RULE_MEET < s.top < rule.bottom - RULE_MEET and s.x0 - RULE_MEET <= rule.x0
                   <= s.x1 + RULE_MEET for s in across)

    return across, [s for s in down if meets(s.top, s.x0) and meets(s.bottom, s.x0) or crosses(s)]


def read_words(image: numpy.ndarray, dpi: int, vertical: list[Segment] = ()) -> list[OcrWord]:
    """The text boxes of a cleaned page image, in points, each cut where its characters part.

    Detection only locates the boxes, on the page shrunk to DETECT_DPI; each box is then cut at the
    vertical rules it crosses (a ruled grid's cells) and recognised as a crop of the full image, in batches,
    by the recogniser alone. A box that reads as a number is decoded with the digits-only alphabet
    (`NUMBER_CHARACTERS`), and one the recogniser is unsure of is read again at a second scale."""
    scale = 72 / dpi
    words = []
    # a crop of dots or a dash is a missing marker, which the cell's ink tells surely (`prints_no_number`):
    # never recognised (the recogniser may read "…" as 烟)
    crops = [crop for crop in _crops(image, dpi, vertical) if not _flat(image, crop)]
    marks = [_marks(image, crop) for crop in crops]
    for (x0, top, x1, bottom), read, inked in zip(crops, recognise(image, crops, marks), marks):
        if not any(ch.isalnum() for ch in read.text):
            continue  # dots or a dash the recogniser read as such
        pieces = _pieces(read.text, x0, x1, bottom - top, read.centres, read.confidences)
        # the other reading is of the whole crop: it stands for a crop that is one word
        second = read.second if len(pieces) == 1 and read.second else None
        for piece, left, right, confidence in pieces:
            inside = [i for i, centre in enumerate(read.centres) if left <= centre <= right]
            left, right = _drawn_in(left, right, inked, [read.centres[i] for i in inside])
            text = normalise_text(piece) if read.numeric or _sure_text(read, inside) else UNREAD * len(piece)
            words.append(OcrWord(text, left * scale, right * scale, top * scale, bottom * scale, confidence,
                                 read.reading, second and normalise_text(second.text.strip()),
                                 second.confidence if second else 0.0))
    return words


def _crops(image: numpy.ndarray, dpi: int, vertical: list[Segment]) -> list[tuple[int, int, int, int]]:
    """The detected text boxes (x0, top, x1, bottom in pixels of the full image), cut at vertical rules."""
    height, width = image.shape
    scale = dpi / 72
    clear = round(RULE_CLEAR * scale)
    found = _detected(image, min(dpi, DETECT_DPI) / dpi)
    line = statistics.median([bottom - top for _, top, _, bottom in found]) if found else 0
    if dpi > DETECT_DPI:
        # the shrunk page lost characters of a small print (a row's 聊 of 聊城, the 山 and 省 of 山西省, whose
        # province the rows under it then miss): the page round them is located again at its own resolution
        found = _located_again(image, found, line, _uncovered(image, found, line,
                                                              [round(s.x0 * scale) for s in vertical]))
    # no rule parts the columns: the gaps the boxes leave do
    gaps = [] if vertical else _column_gaps(found, width)
    found = [piece for box in found for piece in _cut_at_rows(image, box, line)]
    crops = []
    for x0, top, x1, bottom in found:
        middle = (top + bottom) / 2 / scale
        rules = sorted(round(s.x0 * scale) for s in vertical if s.top <= middle <= s.bottom)
        # the box widened by its margin, but never over a rule; cut at the rules it crosses, each crop short
        # of the rule's ink
        margin = round((bottom - top) * MARGIN)
        x0 = max([x0 - margin, 0] + [rule + clear for rule in rules if rule <= x0])
        x1 = min([x1 + margin, width] + [rule - clear for rule in rules if rule >= x1])
        cuts = [rule for rule in rules if x0 < rule < x1]
        for left, right in zip([x0] + [cut + clear for cut in cuts], [cut - clear for cut in cuts] + [x1]):
            if right - left > 2 * clear:
                crops += _cut_at_gaps(image, (left, top, right, bottom), gaps)
    return crops


def _detected(image: numpy.ndarray, shrink: float) -> list[tuple[int, int, int, int]]:
    """The text boxes the detector finds on the image shrunk by `shrink` (x0, top, x1, bottom in pixels of the
    full image)."""
    import cv2

    small = cv2.resize(image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA) if shrink < 1 else image
    boxes, _ = _engine().text_det(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR))
    height = image.shape[0]
    return [(int(box[:, 0].min() / shrink), max(0, int(box[:, 1].min() / shrink)),
             int(box[:, 0].max() / shrink) + 1, min(height, int(box[:, 1].max() / shrink) + 1))
            for box in ([] if boxes is None else boxes)]


def _uncovered(image: numpy.ndarray, boxes: list[tuple[int, int, int, int]], line: float, rules: list[int]
               ) -> list[tuple[float, float]]:
    """The middles (x, y in pixels) of the character's ink that lies outside every box: pieces of ink taller
    than a missing marker's dash or dots (MARKER_HEIGHT), wider than a rule's broken stretch (STROKE_WIDTH)
    and no longer than CHARACTER_SPAN lines (a rule, or a character touching one, is longer), on none of the
    vertical `rules` (pixels from the left), whose middle no box holds."""
    import cv2

    if not boxes or not line:
        return []
    _, _, stats, _ = cv2.connectedComponentsWithStats((image < INK_LEVEL).astype(numpy.uint8), connectivity=8)
    x, y, w, h = (stats[1:, k] for k in range(4))
    size = line * BOX_TO_SIZE
    character = (h > MARKER_HEIGHT * size) & (h <= CHARACTER_SPAN * line) & (w > STROKE_WIDTH * size) \
        & (w <= CHARACTER_SPAN * line)
    for rule in rules:
        character &= (x > rule) | (x + w < rule)
    middles_x, middles_y = (x + w / 2)[character], (y + h / 2)[character]
    held = numpy.zeros(len(middles_x), dtype=bool)
    for x0, top, x1, bottom in boxes:
        held |= (x0 <= middles_x) & (middles_x <= x1) & (top <= middles_y) & (middles_y <= bottom)
    return list(zip(middles_x[~held].tolist(), middles_y[~held].tolist()))


def _located_again(image: numpy.ndarray, boxes: list[tuple[int, int, int, int]], line: float,
                   missed: list[tuple[float, float]]) -> list[tuple[int, int, int, int]]:
    """The boxes with those round each `missed` middle (x, y in pixels) found again at the image's own
    resolution, in a window AGAIN_WINDOW pixels square (the detector's least input: a smaller one it
    enlarges): within the window less a line each side, the boxes found again replace those found before,
    each not overlapping a box kept (a title reaching into the window is read once)."""
    done: list[tuple[float, float, float, float]] = []
    height, width = image.shape
    for x, y in missed:
        if any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in done):
            continue
        left, top = max(0, min(width - AGAIN_WINDOW, round(x) - AGAIN_WINDOW // 2)), \
            max(0, min(height - AGAIN_WINDOW, round(y) - AGAIN_WINDOW // 2))
        inner = (left + line, top + line, left + AGAIN_WINDOW - line, top + AGAIN_WINDOW - line)
        done.append(inner)

        def inside(box: tuple[int, int, int, int], inner: tuple[float, float, float, float] = inner) -> bool:
            return inner[0] <= (box[0] + box[2]) / 2 <= inner[2] and inner[1] <= (box[1] + box[3]) / 2 <= inner[3]

        boxes = [box for box in boxes if not inside(box)]
        again = _joined([(x0 + left, y0 + top, x1 + left, y1 + top) for x0, y0, x1, y1 in
                         _detected(image[top:top + AGAIN_WINDOW, left:left + AGAIN_WINDOW], 1.0)])
        boxes += [box for box in again if inside(box) and not any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes)]
    return boxes


def _joined(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The boxes with those of one line that overlap joined: in a window the detector may box a character
    crossing a rule both with its word and alone ('山西省' and '省'), which would read as a row of its own
    (a box over two cells is cut at their rule or gap, `_crops`)."""
    out: list[tuple[int, int, int, int]] = []
    for box in sorted(boxes):
        same = next((i for i, (x0, top, x1, bottom) in enumerate(out)
                     if box[0] < x1 and top <= (box[1] + box[3]) / 2 <= bottom), None)
        if same is None:
            out.append(box)
        else:
            x0, top, x1, bottom = out[same]
            out[same] = (x0, min(top, box[1]), max(x1, box[2]), max(bottom, box[3]))
    return out


def _cut_at_rows(image: numpy.ndarray, box: tuple[int, int, int, int], line: float
                 ) -> list[tuple[int, int, int, int]]:
    """A box STACKED_BOX times the usual box height `line` or taller cut in the middle of the blank rows
    between its lines of ink (a line's ink grouped as long as it spans a character at most): lines the detector
    boxed as one (the recogniser reads such a stack as one guess, '1' for four numbers) are read apart."""
    x0, top, x1, bottom = box
    if bottom - top < STACKED_BOX * line:
        return [box]
    inked = numpy.r_[False, (image[top:bottom, x0:x1] < INK_LEVEL).any(axis=1), False].astype(numpy.int8)
    edges = numpy.flatnonzero(numpy.diff(inked))
    lines: list[list[int]] = []
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist()):
        if lines and end - lines[-1][0] <= BOX_TO_SIZE * line:
            lines[-1][1] = end
        else:
            lines.append([start, end])
    cuts = [top + (above[1] + below[0]) // 2 for above, below in zip(lines, lines[1:])]
    pieces = [(x0, upper, x1, lower) for upper, lower in zip([top] + cuts, cuts + [bottom])]
    if len(pieces) < 2:
        return pieces
    # ink cut off by the box's top or bottom edge, shorter than a line: the part of a neighbour's line that
    # the detector boxed apart too (read as a number, it would be its twin)
    clipped = [lines[0][0] == 0] + [False] * (len(lines) - 2) + [lines[-1][1] == bottom - top]
    return [piece for piece, (start, end), cut in zip(pieces, lines, clipped)
            if not (cut and end - start < CLIPPED_LINE * line)]


def _column_gaps(boxes: list[tuple[int, int, int, int]], width: int) -> list[tuple[int, int]]:
    """The stretches (x0, x1 in pixels) between a table's columns on a page printed without rules: where at
    most GAP_COVER of the most boxes over any point cover (a title or a header spanning columns, and the
    boxes the detector joined across a gap, are few)."""
    cover = numpy.zeros(width + 1, dtype=numpy.int32)
    for x0, _, x1, _ in boxes:
        cover[x0] += 1
        cover[min(x1, width)] -= 1
    cover = numpy.cumsum(cover)[:width]
    if not boxes or cover.max() < GAP_ROWS:
        return []
    open_ = numpy.r_[False, cover <= GAP_COVER * cover.max(), False].astype(numpy.int8)
    edges = numpy.flatnonzero(numpy.diff(open_))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if 0 < a and b < width]


def _cut_at_gaps(image: numpy.ndarray, crop: tuple[int, int, int, int], gaps: list[tuple[int, int]]
                 ) -> list[tuple[int, int, int, int]]:
    """The crop cut in the middle of each column gap it spans where its own ink leaves the gap blank, as
    wide as `_pieces` parts a box's characters at (never between a number's digits): two cells the detector
    boxed as one are recognised apart, each a number alone (digits-only decoding)."""
    x0, top, x1, bottom = crop
    blank = ~(image[top:bottom, x0:x1] < INK_LEVEL).any(axis=0)
    wide = PIECE_GAP * (bottom - top) * BOX_TO_SIZE
    cuts = []
    for a, b in gaps:
        a, b = max(a, x0) - x0, min(b, x1) - x0
        if 0 < a and b < x1 - x0 and b - a >= wide and blank[a:b].all():
            cuts.append(x0 + (a + b) // 2)
    return [(left, top, right, bottom) for left, right in zip([x0] + cuts, cuts + [x1])]


@dataclass(frozen=True)
class Read:
    """A crop as recognised: its text, each character's centre (pixels from the page's left) and
    confidence (the read's is their mean, as PP-OCR's), and whether it was decoded as a number."""

    text: str
    centres: list[float]
    confidences: list[float]
    numeric: bool
    # "first" as read; "agreed": a read at another scale agreed surely; "second": the read at another scale,
    # which saw a character the first dropped
    reading: str = "first"
    second: Read | None = None  # an unsure number's likeliest read of another text at another scale

    @property
    def confidence(self) -> float:
        return statistics.fmean(self.confidences) if self.confidences else 0.0


def recognise(image: numpy.ndarray, crops: list[tuple[int, int, int, int]], marks: list[list[tuple[int, int]]]
              ) -> list[Read]:
    """Each crop recognised; a number or a word that is not sure read again at other SCALES, and taken as
    sure only when a second read is sure of the same text (a header word read unsure refuses its column:
    "市辖区" read with 辖 at 0.38, then 0.94 on a crop a little taller). A read that leaves one of its crop's
    `marks` under no character (the recogniser drops a character now and then, surely: "合 计" read as "计")
    is read again too, and replaced by a read that covers them all, sure if a number; a number none covers is
    unsure. A number still unsure keeps the likeliest read of another text (`Read.second`): the table's checks
    may confirm that one (harmonise.ocr_checks)."""
    reads = _recognised(image, crops)
    dashed = functools.cache(lambda i: _leading_dash(image, crops[i]))

    def dropped(i: int, read: Read) -> bool:
        return _missed(marks[i], crops[i], read) or (read.numeric and not read.text.startswith(("-", "−"))
                                                     and dashed(i))

    missed = {i for i, read in enumerate(reads) if dropped(i, read)}
    others: dict[int, list[Read]] = {}
    for share in SCALES:
        again = [i for i, read in enumerate(reads) if i in missed or not _sure(read, crops[i])]
        if not again:
            break
        grown = [_grown(crops[i], image.shape[0], share) for i in again]
        for i, read in zip(again, _recognised(image, grown, numbers_only=[reads[i].numeric for i in again])):
            if i in missed:
                if not dropped(i, read) and (not read.numeric or read.confidence >= SURE_READ):
                    reads[i] = replace(read, reading="second")
                    missed.discard(i)
            elif read.text == reads[i].text and _sure(read, crops[i]):
                reads[i] = replace(read, reading="agreed")
            elif read.numeric and read.text != reads[i].text:
                others.setdefault(i, []).append(read)
    for i in missed:
        if reads[i].numeric:
            read = reads[i]
            reads[i] = replace(read, confidences=[0.0] * len(read.confidences))
            signed = _signed(read, crops[i])
            if dashed(i) and read.confidence >= SURE_READ and not _missed(marks[i], crops[i], signed):
                # its digits read surely, its minus sign by no read: the signed reading goes with it, for the
                # table's totals to confirm (harmonise.ocr_checks)
                reads[i] = replace(reads[i], second=signed)
    for i, other in others.items():
        # still unsure: its likeliest other reading goes with it, for the table's checks to choose between
        if i not in missed and reads[i].confidence < SURE_READ:
            reads[i] = replace(reads[i], second=max(other, key=lambda read: read.confidence))
    return reads


def _signed(read: Read, crop: tuple[int, int, int, int]) -> Read:
    """The read with a minus sign before its first character, as sure as that character."""
    before = read.centres[0] - _advance("-") * (crop[3] - crop[1]) * BOX_TO_SIZE if read.centres else crop[0]
    return replace(read, text="-" + read.text, centres=[before, *read.centres],
                   confidences=read.confidences[:1] + read.confidences)


def _sure(read: Read, crop: tuple[int, int, int, int]) -> bool:
    """Whether a number is read SURE_READ, or each word of a crop's read (`_pieces`) SURE_TEXT."""
    if read.numeric:
        return read.confidence >= SURE_READ
    x0, top, x1, bottom = crop
    return all(_sure_text(read, [i for i, centre in enumerate(read.centres) if left <= centre <= right])
               for _, left, right, _ in _pieces(read.text, x0, x1, bottom - top, read.centres, read.confidences))


def _sure_text(read: Read, inside: list[int]) -> bool:
    """Whether the letters and digits of a piece (its characters `inside`) were read surely (SURE_TEXT); its
    brackets and dots aside: the recogniser doubts a full-width bracket's width, "（户）" read at 0.75 and
    0.59 round a 户 at 0.99."""
    letters = [read.confidences[i] for i in inside if read.text[i].isalnum()]
    return not letters or statistics.fmean(letters) >= SURE_TEXT


def _drawn_in(left: float, right: float, marks: list[tuple[int, int]], centres: list[float] = ()
              ) -> tuple[float, float]:
    """A piece's edges drawn in to the marks under it: placed from its characters' estimated widths, a word
    of narrow letters ("Utilised") reaches past its ink, near enough the next word's to read as one phrase.
    Never in past the `centres` of its first and last characters: a character whose ink touches the crop's
    edge (cut at the label column's rule: the "一" of "一、甘肃省") is no mark, and the word would start at
    its next one, indented like the cities under it."""
    under = [(a, b) for a, b in marks if b > left and a < right]
    if not under:
        return left, right
    return (max(left, min([a for a, _ in under] + list(centres[:1]))),
            min(right, max([b for _, b in under] + list(centres[-1:]))))


def _ink(image: numpy.ndarray, crop: tuple[int, int, int, int], level: int = INK_LEVEL
         ) -> tuple[list[tuple[int, int, int, int]], int, int]:
    """The connected pieces of the crop's ink (darker than `level`), (x, y, width, height) in it, rules crossing
    it and specks aside; and the crop's width and height."""
    import cv2

    x0, top, x1, bottom = crop
    ink = image[top:bottom, x0:x1] < level
    if not ink.size:
        return [], 0, 0
    ink[_with_neighbours(ink.mean(axis=1) > RULE_INK_SHARE)] = False
    ink[:, _with_neighbours(ink.mean(axis=0) > RULE_INK_SHARE)] = False
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(numpy.uint8), connectivity=8)
    return [(x, y, w, h) for x, y, w, h, area in stats[1:].tolist() if area > SPECK_PIXELS], ink.shape[1], ink.shape[0]


def _marks(image: numpy.ndarray, crop: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    """The crop's marks, (left, right) in pixels of the page: the pieces of its ink not touching its edges (a
    neighbour's, or cut)."""
    pieces, width, height = _ink(image, crop)
    return [(crop[0] + x, crop[0] + x + w) for x, y, w, h in pieces if x and y and x + w < width and y + h < height]


def _flat(image: numpy.ndarray, crop: tuple[int, int, int, int]) -> bool:
    """Whether the crop's ink is all dots and dashes: no taller, top to bottom, than MARKER_HEIGHT characters,
    as no letter or digit is (the flat 一 aside, never printed alone). Its extent, not its pieces': a low
    resolution scan breaks a character into flat pieces."""
    pieces, _, _ = _ink(image, crop)
    return bool(pieces) and max(y + h for _, y, _, h in pieces) - min(y for _, y, _, _ in pieces) \
        <= MARKER_HEIGHT * (crop[3] - crop[1]) * BOX_TO_SIZE


def _missed(marks: list[tuple[int, int]], crop: tuple[int, int, int, int], read: Read) -> bool:
    """Whether a mark of the crop lies under none of the read's characters (each as wide as it prints, and
    EDGE_SLACK either side): a character the recogniser dropped. A read of no letter or digit is a missing
    marker, whose dots the recogniser may drop."""
    if not any(ch.isalnum() for ch in read.text):
        return False
    size = (crop[3] - crop[1]) * BOX_TO_SIZE
    reach = [(centre, _advance(ch) * size / 2 + EDGE_SLACK * size) for ch, centre in zip(read.text, read.centres)]
    return any(all(abs((a + b) / 2 - centre) > half for centre, half in reach) for a, b in marks)


def _leading_dash(image: numpy.ndarray, crop: tuple[int, int, int, int]) -> bool:
    """Whether the crop's ink begins with a dash at mid-height, apart from and left of all its other ink and
    near its first digit: a minus sign. The recogniser may drop one surely ("-54589" read at 0.999 as "54589"
    on a 150 dpi scan), and its few pixels lie too near the first digit for `_missed` to tell them from that
    digit's. Apart, not just left of the taller ink: a serif 5 scanned breaks into its bar, a fleck of its stem
    and its bowl. Its ink is told at RULE_LEVEL: at 150 dpi and JPEG 50 a minus prints grey, a few pixels or
    none darker than INK_LEVEL; as long as a fifth of a digit's height at least, as a minus prints, and no
    farther from the digits than MINUS_GAP of one (a fleck of noise is smaller, or anywhere)."""
    pieces, width, _ = _ink(image, crop, RULE_LEVEL)
    inner = [(x, y, w, h) for x, y, w, h in pieces if x and x + w < width]
    if len(inner) < 2:
        return False
    tallest = max(h for _, _, _, h in inner)
    digits = [x for x, _, _, h in inner if h >= tallest / 2]
    top, bottom = min(y for _, y, _, _ in inner), max(y + h for _, y, _, h in inner)
    third = (bottom - top) / 3
    return any(h <= MARKER_HEIGHT * tallest and w >= max(h, MINUS_LENGTH * tallest)
               and top + third <= y + h / 2 <= bottom - third and min(digits) - (x + w) <= MINUS_GAP * tallest
               and all(x + w < other[0] for other in inner if other != (x, y, w, h)) for x, y, w, h in inner)


def _grown(crop: tuple[int, int, int, int], height: int, share: float) -> tuple[int, int, int, int]:
    x0, top, x1, bottom = crop
    margin = round((bottom - top) * share)
    return x0, max(0, top - margin), x1, min(height, bottom + margin)


def _recognised(image: numpy.ndarray, crops: list[tuple[int, int, int, int]], numbers_only: list[bool] | None = None
                ) -> list[Read]:
    """The crops through the recogniser in batches of similar width (each batch is padded to its widest), those
    `numbers_only` says decoded as numbers whatever they read."""
    import cv2

    models = _engine()
    recogniser = models.text_rec
    _, height, _ = recogniser.rec_image_shape
    widths = [max(1, round(height * (x1 - x0) / max(1, bottom - top))) for x0, top, x1, bottom in crops]
    reads: list[Read] = [None] * len(crops)
    order = sorted(range(len(crops)), key=widths.__getitem__)

    def read(start: int) -> None:
        batch = order[start:start + RECOGNISE_BATCH]
        padded = max(widths[i] for i in batch) + AFTER
        inputs = numpy.zeros((len(batch), 3, height, padded), dtype=numpy.float32)
        for row, i in enumerate(batch):
            x0, top, x1, bottom = crops[i]
            resized = cv2.resize(image[top:bottom, x0:x1], (widths[i], height)).astype(numpy.float32)
            inputs[row, :, :, :widths[i]] = resized / 127.5 - 1  # the recogniser's input: -1 black .. 1 white
        probabilities = recogniser.session(inputs)[0]
        for row, i in enumerate(batch):
            x0, _, x1, _ = crops[i]
            # each output frame covers an equal stretch of the padded input
            stretch = padded / probabilities.shape[1] * (x1 - x0) / widths[i]
            reads[i] = _decoded(probabilities[row], _alphabet(), x0, stretch, bool(numbers_only and numbers_only[i]))

    starts = range(0, len(order), RECOGNISE_BATCH)
    if models.threads > 1:  # ONNX and OpenCV let go of the GIL: the batches run on all the threads
        with ThreadPoolExecutor(models.threads) as pool:
            list(pool.map(read, starts))
    else:
        for start in starts:
            read(start)
    return reads


@functools.lru_cache(maxsize=1)
def _alphabet() -> Alphabet:
    return number_alphabet(_engine().text_rec.postprocess_op.character)


@dataclass(frozen=True)
class Alphabet:
    """The recogniser's characters (index 0 the CTC blank), a mask of those a number may print, the (index,
    index of its twin) of those printing as another does in a number (the full-width comma is a comma), and
    each character's index of its other case where the two print alike (CASE_ALIKE), else its own."""

    characters: list[str]
    number_mask: numpy.ndarray
    twins: list[tuple[int, int]]
    other_case: numpy.ndarray


def number_alphabet(characters: list[str]) -> Alphabet:
    index = {ch: i for i, ch in enumerate(characters)}
    twins = [(i, index[unicodedata.normalize("NFKC", ch)]) for i, ch in enumerate(characters)
             if i and ch in NUMBER_CHARACTERS and unicodedata.normalize("NFKC", ch) != ch
             and unicodedata.normalize("NFKC", ch) in index]
    other_case = numpy.arange(len(characters))
    for i, ch in enumerate(characters):
        if i and ch.upper() in CASE_ALIKE and ch.swapcase() in index:
            other_case[i] = index[ch.swapcase()]
    return Alphabet(characters, numpy.array([i == 0 or ch in NUMBER_CHARACTERS for i, ch in enumerate(characters)]),
                    twins, other_case)


def _decoded(probabilities: numpy.ndarray, alphabet: Alphabet, x0: float, stretch: float, numbers_only: bool) -> Read:
    """Greedy CTC decoding of one crop's frames (frames, classes). A crop whose best reading is mostly digits,
    or any when `numbers_only`, is decoded with the digits-only alphabet: each frame's likeliest digit, sign
    or separator, as confident as the recogniser's probability for it (a separator's and its full-width
    twin's together: the recogniser splits a comma's between them). So a letter read in a number (O for
    0, l for 1) decodes as an unsure digit and never loads as sure. A word's letter printing alike in both
    cases is as sure as its two cases together."""
    characters, number_mask, twins = alphabet.characters, alphabet.number_mask, alphabet.twins
    best = probabilities.argmax(axis=1)
    text = "".join(characters[k] for k, previous in zip(best, numpy.r_[-1, best[:-1]]) if k and k != previous)
    digits = sum(ch.isdigit() for ch in text)
    numeric = numbers_only or 2 * digits > len(text.replace(" ", ""))
    if numeric:
        # a frame whose likeliest class is a letter keeps a character there, its likeliest digit: the blank
        # would drop it, and a digit silently missing is as wrong as one misread
        masked = numpy.where(number_mask, probabilities, -1)
        for twin, same in twins:
            masked[:, same] += masked[:, twin]
            masked[:, twin] = -1
        masked[(best != 0) & ~number_mask[best], 0] = -1
        best = masked.argmax(axis=1)
        probabilities = masked
    frames = [f for f in range(len(best)) if best[f] and (f == 0 or best[f] != best[f - 1])]
    if numeric:
        # a space before or after a number prints nothing: the recogniser's doubt of one is no doubt of the
        # number (and a digit it took for a space leaves its ink under no character: `_missed`)
        while frames and characters[best[frames[0]]] == " ":
            frames.pop(0)
        while frames and characters[best[frames[-1]]] == " ":
            frames.pop()
    confidences = [float(probabilities[f, best[f]]) for f in frames]
    if not numeric:
        other = alphabet.other_case
        confidences = [sure + float(probabilities[f, other[best[f]]]) if other[best[f]] != best[f] else sure
                       for f, sure in zip(frames, confidences)]
    return Read("".join(characters[best[f]] for f in frames), [x0 + (f + 0.5) * stretch for f in frames],
                confidences, numeric)


def _pieces(text: str, x0: float, x1: float, height: float, centres: list[float], confidences: list[float]
            ) -> list[tuple[str, float, float, float]]:
    """A recognised box as (text, x0, x1, confidence) pieces (pixels), from where the recogniser placed
    each character (`centres`): cut at gaps wider than PIECE_GAP (the detector boxes cells printed close
    together as one: "城 市" beside its column's header, numbers of neighbouring columns), and each piece's
    edges drawn in to its characters (the detector pads a box by up to a character, so neighbouring boxes
    overlap and the cells would read as one phrase). A piece's confidence is its characters' mean."""
    size = height * BOX_TO_SIZE
    half = [_advance(ch) * size / 2 + EDGE_SLACK * size for ch in text]
    starts = [0] + [i for i in range(1, len(text))
                    if centres[i] - half[i] - (centres[i - 1] + half[i - 1]) > PIECE_GAP * size]
    pieces = []
    for start, end in zip(starts, starts[1:] + [len(text)]):
        piece = text[start:end]
        if piece.strip():
            pieces.append((piece.strip(), max(x0, centres[start] - half[start]),
                           min(x1, centres[end - 1] + half[end - 1]), statistics.fmean(confidences[start:end])))
    return pieces


# The recogniser reads a printed dash next to a digit ("2—9", "年鉴—2009") as the character 一 (one).
_DASH_READ_AS_ONE = re.compile(r"(?<=[0-9])一|一(?=[0-9])")


def normalise_text(text: str) -> str:
    return _DASH_READ_AS_ONE.sub("—", text)


def _advance(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else NARROW_ADVANCE


def glyphs_of(word: OcrWord) -> list[Glyph]:
    """A text box as character glyphs, each as wide as it prints, all on the box's middle line."""
    size = (word.bottom - word.top) * BOX_TO_SIZE
    middle = (word.top + word.bottom) / 2
    advances = [_advance(ch) for ch in word.text]
    step = (word.x1 - word.x0) / sum(advances)
    glyphs, x = [], word.x0
    for ch, advance in zip(word.text, advances):
        glyphs.append(Glyph(ch, x, x + advance * step, middle - size / 2, middle + size / 2, size))
        x += advance * step
    return glyphs


@dataclass
class OcrPage:
    geometry: PageGeometry
    words: list[OcrWord]
    image: numpy.ndarray  # the cleaned page image the words were read from
    dpi: int

    def cell_read(self, x0: float, top: float, x1: float, bottom: float) -> OcrRead | None:
        """The read of the words whose middle falls inside the box; a sure read (confidence 1) of a cell the
        image shows printing no number; None when no word was read where there is ink (a number missed)."""
        inside = [w for w in self.words
                  if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom]
        if not inside:
            return OcrRead(1.0, x0, top, x1, bottom) if self.prints_no_number(x0, top, x1, bottom) else None
        least = min(inside, key=lambda w: w.confidence)
        # a second reading stands for the cell when the cell is that one word
        second = least.second if len(inside) == 1 else None
        return OcrRead(least.confidence, min(w.x0 for w in inside), min(w.top for w in inside),
                       max(w.x1 for w in inside), max(w.bottom for w in inside), least.reading, second,
                       least.second_confidence if second else 0.0)

    def prints_no_number(self, x0: float, top: float, x1: float, bottom: float) -> bool:
        """Whether the box is blank or prints a missing marker the recogniser did not box ("—", "…"): its
        ink, rules aside (a row or column of pixels inked across the cell, and the rows beside it; its sides
        read RULE_CLEAR short, where a rule printed on them inks too faintly to cross the whole cell), is a
        few specks or one flat stroke, never as tall as a digit. A rule is told at RULE_LEVEL, as `find_rules`
        tells it: a grid's faint gridline inside a cell that a column's stretch overhangs (150 dpi, JPEG 50)
        is ink at INK_LEVEL only here and there, tall as a digit."""
        scale = self.dpi / 72
        clear = 1 + round(RULE_CLEAR * scale)
        grey = self.image[round(top * scale) + 1:round(bottom * scale) - 1,
                          round(x0 * scale) + clear:round(x1 * scale) - clear]
        if not grey.size:
            return False
        ruled = grey < RULE_LEVEL
        ink = (grey < INK_LEVEL)[~_with_neighbours(ruled.mean(axis=1) > RULE_INK_SHARE)][
            :, ~_with_neighbours(ruled.mean(axis=0) > RULE_INK_SHARE)]
        marker = MARKER_HEIGHT * self.glyph_size * scale
        ink = _without_flat_edges(ink, marker)
        rows = numpy.flatnonzero(ink.any(axis=1))
        return int(ink.sum()) <= SPECK_PIXELS or rows[-1] - rows[0] + 1 <= marker

    @functools.cached_property
    def glyph_size(self) -> float:
        """The page's usual character size in points (its words' median)."""
        return float(numpy.median([(w.bottom - w.top) * BOX_TO_SIZE for w in self.words])) if self.words else 0.0


def _without_flat_edges(ink: numpy.ndarray, flat: float) -> numpy.ndarray:
    """The ink without the flat pieces that touch the box's edge: the frayed edge of a rule just outside it.
    A digit reaching the edge is as tall as a digit, and stays."""
    import cv2

    if not ink.size:
        return ink
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(numpy.uint8), connectivity=8)
    height, width = ink.shape
    fraying = [label for label, (x, y, w, h, _) in enumerate(stats.tolist()) if label and h <= flat
               and (x == 0 or y == 0 or x + w == width or y + h == height)]
    return ink & ~numpy.isin(labels, fraying) if fraying else ink


def _with_neighbours(rule: numpy.ndarray) -> numpy.ndarray:
    """Rows (or columns) of a rule and those either side: a rule a little off the pixel grid inks the next
    row partly."""
    return rule | numpy.r_[rule[1:], False] | numpy.r_[False, rule[:-1]]


def cleaned_image(pdf_path, page_number: int, dpi: int) -> numpy.ndarray:
    """The page image OCR reads (and review crops show): evenly lit and straightened."""
    return deskew(even_lighting(render(pdf_path, page_number, dpi)))


def write_cell_crop(pdf_path, page_number: int, box: tuple[float, float, float, float], target) -> None:
    """A PNG at `target` of a box (x0, top, x1, bottom in points) of the page as OCR read it."""
    import pdfplumber
    from PIL import Image

    with pdfplumber.open(pdf_path) as pdf:
        dpi = page_dpi(pdf.pages[page_number - 1])
    image = cleaned_image(pdf_path, page_number, dpi)
    scale = dpi / 72
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).crop([round(edge * scale) for edge in box]).save(target)


def ocr_page(pdf_path, page) -> OcrPage:
    """Read a pdfplumber page by OCR into the layout engine's geometry, its printed rules included."""
    dpi = page_dpi(page)
    image = cleaned_image(pdf_path, page.page_number, dpi)
    horizontal, vertical = find_rules(image, dpi)
    words = read_words(image, dpi, vertical)
    glyphs = [glyph for word in words for glyph in glyphs_of(word)]
    return OcrPage(PageGeometry(page.page_number, page.width, page.height, glyphs, horizontal, vertical), words,
                   image, dpi)
