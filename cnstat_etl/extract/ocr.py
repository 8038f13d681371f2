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
import re
import unicodedata
from dataclasses import dataclass

import numpy

from cnstat_etl.extract.layout import Glyph, PageGeometry
from cnstat_etl.model import OcrRead

# Skew angles tried when deskewing, degrees: scans are straightened to within a tenth of a degree.
MAX_SKEW, SKEW_STEP = 3.0, 0.1
# Render resolution when the page embeds no image to take it from (dots per inch).
DEFAULT_DPI = 200
# Text boxes measure about this many glyph sizes tall (box padding above and below the ink).
BOX_TO_SIZE = 0.8
# Advance of a character that is not CJK, in glyph sizes (digits, Latin, punctuation).
NARROW_ADVANCE = 0.55


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
    """RapidOCR's text boxes on a cleaned page image, in points."""
    import cv2

    found, _ = _engine()(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    scale = 72 / dpi
    words = []
    for box, text, confidence in found or []:
        xs = [point[0] for point in box]
        ys = [point[1] for point in box]
        if text.strip():
            words.append(OcrWord(normalise_text(text), min(xs) * scale, max(xs) * scale, min(ys) * scale, max(ys) * scale,
                                 float(confidence)))
    return words


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

    def cell_read(self, x0: float, top: float, x1: float, bottom: float) -> OcrRead | None:
        """The read of the words whose middle falls inside the box; None when no word does."""
        inside = [w for w in self.words
                  if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom]
        if not inside:
            return None
        return OcrRead(min(w.confidence for w in inside), min(w.x0 for w in inside), min(w.top for w in inside),
                        max(w.x1 for w in inside), max(w.bottom for w in inside))


def cleaned_image(pdf_path, page_number: int, dpi: int) -> numpy.ndarray:
    """The page image OCR reads (and review crops show): evenly lit and straightened."""
    return deskew(even_lighting(render(pdf_path, page_number, dpi)))


def ocr_page(pdf_path, page) -> OcrPage:
    """Read a pdfplumber page by OCR into the layout engine's geometry (rules are not detected)."""
    dpi = page_dpi(page)
    words = read_words(cleaned_image(pdf_path, page.page_number, dpi), dpi)
    glyphs = [glyph for word in words for glyph in glyphs_of(word)]
    return OcrPage(PageGeometry(page.page_number, page.width, page.height, glyphs, [], []), words)
