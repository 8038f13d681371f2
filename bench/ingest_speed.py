"""Whole-ingest throughput: N copies of the bundled samples into a fresh warehouse, 1 worker vs several.

Prints files, values, seconds and files per second for each worker count, and the peak resident memory
of this process and its workers (resource.getrusage). Run: `.venv/bin/python bench/ingest_speed.py [N]`.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.pipeline import ingest


def copies(folder: Path, count: int) -> None:
    samples = sorted(p for p in SAMPLES_DIR.iterdir() if p.is_file())
    for i in range(count):
        for sample in samples:
            shutil.copy(sample, folder / f"{i:04d}_{sample.name}")


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sources"
        folder.mkdir()
        copies(folder, count)
        files = len(list(folder.iterdir()))
        print(f"{'workers':>7} {'files':>6} {'values':>7} {'seconds':>8} {'files/s':>8}")
        for jobs in sorted({1, min(4, os.cpu_count() or 1)}):
            db = Path(tmp) / f"bench_{jobs}.duckdb"
            start = time.perf_counter()
            summary = ingest([folder], db, jobs=jobs)
            seconds = time.perf_counter() - start
            print(f"{jobs:7d} {files:6d} {summary.values:7d} {seconds:8.2f} {files / seconds:8.1f}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: ingest process {own:.0f} MiB, largest worker {workers:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 25)
