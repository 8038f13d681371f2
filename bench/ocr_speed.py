"""Seconds per scanned page: `cnstat ingest --ocr` against plain RapidOCR over the same pages, same run.

Reads the committed scans in tests/fixtures/scans (pages of 150 to 300 dpi). Each contender runs as its own
process, so both pay for starting Python and loading the ONNX models:

- ingest: `cnstat ingest --ocr --workers 1 --no-cache` into a new warehouse (render, clean, rules, text
  boxes located, cells recognised, layout engine, harmonise, load);
- plain: RapidOCR at its defaults (full-page detection, direction classifier and recognition) on each page
  rendered at 300 dpi, nothing else.

The two alternate ROUNDS times and each keeps its fastest round. Prints wall and CPU seconds (user +
system, all threads) per page and the ratio ingest / plain of each; the target is a ratio of at most 0.5.
Figures vary with what else runs on the machine: the ratios of one run are what compare.

    .venv/bin/python bench/ocr_speed.py [ROUNDS]      # default: 2
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2

SCANS = sorted((Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "scans").glob("*.pdf"))

PLAIN = """
import sys
import numpy
import pypdfium2
from rapidocr_onnxruntime import RapidOCR

engine = RapidOCR()
for path in sys.argv[1:]:
    document = pypdfium2.PdfDocument(path)
    for page in document:
        engine(numpy.asarray(page.render(scale=300 / 72).to_pil().convert("RGB"))[:, :, ::-1])
"""


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the child's, all its threads) of a command that must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main(rounds: int) -> None:
    pages = sum(len(pypdfium2.PdfDocument(scan)) for scan in SCANS)
    best = {"ingest": (float("inf"), float("inf")), "plain": (float("inf"), float("inf"))}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(rounds):
            db = Path(folder) / f"w{round_}.duckdb"
            runs = {"ingest": [sys.executable, "-c", "from cnstat_etl.cli import main; main()", "ingest", "--ocr",
                               "--workers", "1", "--no-cache", "--db", str(db), *map(str, SCANS)],
                    "plain": [sys.executable, "-c", PLAIN, *map(str, SCANS)]}
            for name, command in runs.items():
                wall, cpu = timed(command)
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    print(f"{len(SCANS)} scans, {pages} pages, best of {rounds} rounds")
    print(f"{'':28} {'wall s/page':>11} {'CPU s/page':>11}")
    for name, label in (("ingest", "cnstat ingest --ocr"), ("plain", "plain RapidOCR, 300 dpi")):
        wall, cpu = best[name]
        print(f"{label:28} {wall / pages:11.2f} {cpu / pages:11.2f}")
    print(f"{'ratio ingest / plain':28} {best['ingest'][0] / best['plain'][0]:11.2f} "
          f"{best['ingest'][1] / best['plain'][1]:11.2f}   (target <= 0.5)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
