"""A book's page workers' CPU, per page: PDFium's reading alone, and the reading with the layout engine
(and the reading of the tables' bodies, `tables.BodyFacts`, which the workers do for the main process).

Usage: .venv/bin/python bench/page_worker_cpu.py [BOOK.pdf] [ROUNDS]   (default: bench/make_book.py's book, 3)

A worker reads a run of pages as `pdf._read_run` does; here one run over the whole book, in this process,
after a warm-up run (a worker is forked with the imports and data already loaded). CPU seconds, not wall
clock: under load the wall clock measures the neighbours. A last figure is a worker's as the ingest has
it: a process forked from this one before any page was read (its text caches empty), with the cycle
collector set as the ingest sets it, reads the book once; the warm rounds repeat the texts they have cached. Compare two checkouts by running this from each,
interleaved, and taking medians; `bench/ingest_critical_path.py` gives the whole ingest's split.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cnstat_etl.extract import pdfium
from cnstat_etl.extract.pdf import READERS, _read_run
from cnstat_etl.extract.tables import ExtractOptions
from cnstat_etl.pipeline import _fewer_collections


def cpu_of(call) -> float:
    started = time.process_time()
    call()
    return time.process_time() - started


def cold_cpu(book: Path, options: ExtractOptions, pages: int) -> float:
    """CPU of one read of the book in a process forked before this one read a page, as a page worker is."""
    readable, writable = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(writable, str(cpu_of(lambda: _read_run(book, options, 1, pages))).encode())
        os._exit(0)
    os.close(writable)
    os.waitpid(child, 0)
    with os.fdopen(readable) as answer:
        return float(answer.read())


def main(book: Path, rounds: int) -> None:
    options = ExtractOptions()
    pages = pdfium.page_count(book)
    with _fewer_collections():
        cold = statistics.median(cold_cpu(book, options, pages) for _ in range(rounds))
    _read_run(book, options, 1, min(pages, 5))
    reading = [cpu_of(lambda: list(READERS[options.pdf_reader](book, 1, pages))) for _ in range(rounds)]
    whole = [cpu_of(lambda: _read_run(book, options, 1, pages)) for _ in range(rounds)]
    reader, worker = statistics.median(reading), statistics.median(whole)
    print(f"{pages} pages, medians of {rounds}: a worker's CPU {worker:.3f} s ({1000 * worker / pages:.2f} ms a page), "
          f"of which PDFium's reading {reader:.3f} s and the layout engine with the bodies {worker - reader:.3f} s")
    print(f"a worker forked before any page was read (its caches empty), median of {rounds}: {cold:.3f} s "
          f"({1000 * cold / pages:.2f} ms a page)")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3)
    else:
        import make_book  # beside this script

        with tempfile.TemporaryDirectory() as tmp:
            made = Path(tmp) / "book.pdf"
            make_book.draw_book(made)
            main(made, 3)
