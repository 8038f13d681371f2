"""Seconds per scanned page: OCR (render, clean, deskew, RapidOCR) and the whole extraction of each scan.

Reads the committed scans in tests/fixtures/scans. Prints, per file: pages, DPI, seconds for OCR alone
per page, and seconds for `extract_file(..., ocr=True)` per page (layout engine and table reading
included). The first page also pays for loading the ONNX models; that load is timed apart. Figures vary
by machine and by what else runs on it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pdfplumber

from cnstat_etl.extract import ExtractOptions, extract_file
from cnstat_etl.extract.ocr import _engine, ocr_page, page_dpi

SCANS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "scans"


def main() -> None:
    start = time.perf_counter()
    _engine()
    print(f"model load: {time.perf_counter() - start:.2f} s")
    print(f"{'file':44} {'pages':>5} {'dpi':>4} {'ocr s/page':>11} {'extract s/page':>15}")
    total_pages = total_seconds = 0.0
    for scan in sorted(SCANS.glob("*.pdf")):
        with pdfplumber.open(scan) as pdf:
            pages = len(pdf.pages)
            dpi = page_dpi(pdf.pages[0])
            start = time.perf_counter()
            for page in pdf.pages:
                ocr_page(scan, page)
            ocr_seconds = (time.perf_counter() - start) / pages
        start = time.perf_counter()
        extract_file(scan, ExtractOptions(ocr=True))
        extract_seconds = (time.perf_counter() - start) / pages
        total_pages += pages
        total_seconds += extract_seconds * pages
        print(f"{scan.name:44} {pages:5d} {dpi:4d} {ocr_seconds:11.2f} {extract_seconds:15.2f}")
    print(f"all scans: {total_seconds / total_pages:.2f} s per page over {total_pages:.0f} pages")


if __name__ == "__main__":
    main()
