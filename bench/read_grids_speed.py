"""Time and peak Python memory of `read_grids` on every real source file.

Usage: .venv/bin/python bench/read_grids_speed.py [folder]   (default: ../shared/real next to the repo)
Memory is tracemalloc's peak, i.e. Python allocations only; it is measured in a second, separate read
because tracing slows the reader down.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

from cnstat_etl.extract.workbook import UnreadableSource, read_grids, sniff_format

DEFAULT_FOLDER = Path(__file__).resolve().parents[1].parent / "shared" / "real"


def main(folder: Path) -> None:
    print(f"{'file':62} {'format':6} {'sheets: rows x cols':28} {'seconds':>8} {'peak MiB':>9}")
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".md"):
        name = str(path.relative_to(folder))
        try:
            fmt = sniff_format(path)
            started = time.perf_counter()
            grids = read_grids(path)
            seconds = time.perf_counter() - started
        except UnreadableSource as exc:
            print(f"{name:62} unreadable: {exc}")
            continue
        tracemalloc.start()
        read_grids(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        shapes = " ".join(f"{len(g.rows)}x{len(g.rows[0]) if g.rows else 0}" for g in grids)
        print(f"{name:62} {fmt:6} {shapes:28} {seconds:8.3f} {peak / 2**20:9.1f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER)
