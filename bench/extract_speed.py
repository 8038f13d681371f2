"""Extraction speed and memory against pdfplumber's own table extraction, on the bundled PDFs.

Prints, per file: pages, seconds for pdfplumber `extract_tables()` over every page (the baseline), seconds
for `cnstat_etl.extract.extract_file` (text-layer checks, table grids, headers, values), their ratio, and
peak Python memory of the extraction (tracemalloc). Run with `make bench`; figures vary by machine.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

import pdfplumber

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.extract import extract_file

REPEATS = 5


def best_of(function, repeats: int = REPEATS) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def pdfplumber_tables(path: Path) -> None:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_tables()


def peak_memory_mib(function) -> float:
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(paths: list[Path]) -> None:
    extract_file(paths[0])  # load the mappings once, as a long ingest would
    print(f"{'file':44} {'pages':>5} {'pdfplumber s':>12} {'cnstat s':>9} {'ratio':>6} {'values':>7} {'peak MiB':>9}")
    for path in paths:
        with pdfplumber.open(path) as pdf:
            pages = len(pdf.pages)
        baseline = best_of(lambda: pdfplumber_tables(path))
        ours = best_of(lambda: extract_file(path))
        values = len(extract_file(path).values)
        peak = peak_memory_mib(lambda: extract_file(path))
        print(f"{path.name:44} {pages:5d} {baseline:12.4f} {ours:9.4f} {ours / baseline:6.2f} {values:7d} {peak:9.1f}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or sorted(SAMPLES_DIR.glob("*.pdf")))
