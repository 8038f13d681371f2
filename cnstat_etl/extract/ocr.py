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
import re
import unicodedata
from dataclasses import dataclass

import numpy

from cnstat_etl.config import extra_hint
from cnstat_etl.extract.layout import Glyph, PageGeometry
from cnstat_etl.model import OcrRead

if importlib.util.find_spec("rapidocr_onnxruntime") is None:  # it brings opencv (cv2) and onnxruntime
    raise ImportError(extra_hint("OCR", "ocr"))

# Grey levels below this are ink on the cleaned (evenly lit) image; paper noise stays far above it.
INK_LEVEL = 128
# A row or column of a cell's pixels inked over more than this share crosses the whole cell: a printed rule.
RULE_INK_SHARE = 0.9
# A cell with at most this many ink pixels (besides rules) is blank: specks of dirt, never a character.
SPECK_PIXELS = 3
# Ink no taller than this many character sizes is a dash or dots (a missing marker); a digit is twice that.
MARKER_HEIGHT = 0.3
# Skew angles tried when deskewing, degrees: scans are straightened to within a tenth of a degree.
MAX_SKEW, SKEW_STEP = 3.0, 0.1
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


@functools.lru_cache(maxsize=1)
def _engine():
    from rapidocr_onnxruntime import RapidOCR  # loads the ONNX models: only when a page needs OCR

    return RapidOCR()


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
    ink = (small < 150).astype(numpy.float32)
    height, width = ink.shape
    best_angle, best_score = 0.0, -1.0
    for angle in numpy.arange(-MAX_SKEW, MAX_SKEW + SKEW_STEP / 2, SKEW_STEP):
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -angle, 1.0)
        turned = cv2.warpAffine(ink, matrix, (width, height), flags=cv2.INTER_NEAREST)
        score = float(numpy.var(turned.sum(axis=1)))
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


def read_words(image: numpy.ndarray, dpi: int) -> list[OcrWord]:
    """RapidOCR's text boxes on a cleaned page image, in points, each cut where its characters part."""
    import cv2

    found, _ = _engine()(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), return_word_box=True)
    scale = 72 / dpi
    words = []
    for box, text, confidence, *per_character in found or []:
        xs = [point[0] for point in box]
        ys = [point[1] for point in box]
        if not text.strip():
            continue
        # with return_word_box: each character's box, its text, its confidence
        character_boxes, _, character_confidences = per_character if len(per_character) == 3 else (None,) * 3
        for piece, x0, x1, piece_confidence in _pieces(text, min(xs), max(xs), max(ys) - min(ys), float(confidence),
                                                       character_boxes, character_confidences):
            words.append(OcrWord(normalise_text(piece), x0 * scale, x1 * scale, min(ys) * scale, max(ys) * scale,
                                 piece_confidence))
    return words


def _pieces(text: str, x0: float, x1: float, height: float, confidence: float, character_boxes=None,
            character_confidences=None) -> list[tuple[str, float, float, float]]:
    """A recognised box as (text, x0, x1, confidence) pieces (pixels), from where the recogniser placed
    each character: cut at gaps wider than PIECE_GAP (the detector boxes cells printed close together as
    one: "城 市" beside its column's header, numbers of neighbouring columns), and each piece's edges drawn
    in to its characters (the detector pads a box by up to a character, so neighbouring boxes overlap and
    the cells would read as one phrase).

    A cut piece's confidence is the mean over its characters, as the box's is over all of them. Without one
    position per character the box stays as detected."""
    if not character_boxes or len(character_boxes) != len(text) or len(character_confidences or ()) != len(text):
        return [(text, x0, x1, confidence)]
    centres = sorted((b[0][0] + b[1][0]) / 2 for b in character_boxes)
    size = height * BOX_TO_SIZE
    half = [_advance(ch) * size / 2 + EDGE_SLACK * size for ch in text]
    starts = [0] + [i for i in range(1, len(text))
                    if centres[i] - half[i] - (centres[i - 1] + half[i - 1]) > PIECE_GAP * size]
    pieces = []
    for start, end in zip(starts, starts[1:] + [len(text)]):
        piece = text[start:end]
        if piece.strip():
            read = confidence if len(starts) == 1 else sum(character_confidences[start:end]) / (end - start)
            pieces.append((piece.strip(), max(x0, centres[start] - half[start]),
                           min(x1, centres[end - 1] + half[end - 1]), read))
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
        return OcrRead(min(w.confidence for w in inside), min(w.x0 for w in inside), min(w.top for w in inside),
                        max(w.x1 for w in inside), max(w.bottom for w in inside))

    def prints_no_number(self, x0: float, top: float, x1: float, bottom: float) -> bool:
        """Whether the box is blank or prints a missing marker the recogniser did not box ("—", "…"): its
        ink, rules aside (a row or column of pixels inked across the cell), is a few specks or one flat stroke,
        never as tall as a digit."""
        scale = self.dpi / 72
        ink = self.image[round(top * scale) + 1:round(bottom * scale) - 1,
                         round(x0 * scale) + 1:round(x1 * scale) - 1] < INK_LEVEL
        if not ink.size:
            return False
        ink = ink[ink.mean(axis=1) <= RULE_INK_SHARE][:, ink.mean(axis=0) <= RULE_INK_SHARE]
        rows = numpy.flatnonzero(ink.any(axis=1))
        return int(ink.sum()) <= SPECK_PIXELS or rows[-1] - rows[0] + 1 <= MARKER_HEIGHT * self.glyph_size * scale

    @functools.cached_property
    def glyph_size(self) -> float:
        """The page's usual character size in points (its words' median)."""
        return float(numpy.median([(w.bottom - w.top) * BOX_TO_SIZE for w in self.words])) if self.words else 0.0


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
    """Read a pdfplumber page by OCR into the layout engine's geometry (rules are not detected)."""
    dpi = page_dpi(page)
    image = cleaned_image(pdf_path, page.page_number, dpi)
    words = read_words(image, dpi)
    glyphs = [glyph for word in words for glyph in glyphs_of(word)]
    return OcrPage(PageGeometry(page.page_number, page.width, page.height, glyphs, [], []), words, image, dpi)
