"""A no-op re-ingest of a long yearbook: the same book at the same path, ingested a second time.

Usage: .venv/bin/python bench/reingest_speed.py [BOOK.pdf]

Without BOOK it draws the 405-page China City Statistical Yearbook layout book of bench/make_book.py.
Prints the first ingest's seconds and values, then the second ingest's seconds and each file's status
(target: under 1 s, every file "unchanged": its bytes are hashed, nothing is extracted or loaded). Then
the book as if mappings/ had changed since it loaded (its recorded mappings digest cleared): a re-harmonise
from the cache of extracted tables, and the same with the cache off (the book parsed again).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb

from cnstat_etl.pipeline import ingest


def main(book: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if book is None:
            import make_book  # beside this script

            book = Path(tmp) / "book.pdf"
            make_book.draw_book(book)
        db = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        first = ingest([book], db)
        print(f"first ingest: {time.perf_counter() - started:.2f} s, {first.values} values")
        started = time.perf_counter()
        again = ingest([book], db)
        statuses = sorted(outcome.status for outcome in again.files)
        print(f"no-op re-ingest: {time.perf_counter() - started:.2f} s, files {statuses}, {again.values} values")
        for label, use_cache in (("re-harmonise from the cache", True), ("re-harmonise, --no-cache", False)):
            with duckdb.connect(str(db)) as con:
                con.execute("UPDATE sources SET harmonised_with = NULL")
            started = time.perf_counter()
            again = ingest([book], db, use_cache=use_cache)
            statuses = sorted(outcome.status for outcome in again.files)
            print(f"{label}: {time.perf_counter() - started:.2f} s, files {statuses}, {again.values} values")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
