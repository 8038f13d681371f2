"""How long one edition's chapter-3 tables (county-level cities) take to reach the warehouse.

Ingests the 3-x workbooks of each edition in ../shared/real/ccsy_excel_chinautc into a new warehouse, as a
user runs it (a fresh `cnstat ingest` process, wall clock, the user cache of derived tables warm as after
a first ingest), and prints the seconds and the county values loaded against the anchor.
Run: `.venv/bin/python bench/county_ingest.py`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

CHINAUTC = Path(__file__).resolve().parents[2] / "shared" / "real" / "ccsy_excel_chinautc"
CNSTAT = str(Path(sys.executable).parent / "cnstat")
ANCHOR = "issue 30: < 10 s per edition"


def ingest_seconds(files: list[Path], db: Path) -> float:
    started = time.perf_counter()
    subprocess.run([CNSTAT, "ingest", *map(str, files), "--db", str(db)], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    editions = sorted(p for p in CHINAUTC.iterdir() if p.is_dir() and p.name.isdigit()) if CHINAUTC.is_dir() else []
    if not editions:
        sys.exit(f"{CHINAUTC} is absent: nothing to measure")
    with tempfile.TemporaryDirectory() as folder:
        for edition in editions:
            files = sorted(edition.glob("*3-*.xlsx"))
            ingest_seconds(files, Path(folder) / f"warm-{edition.name}.duckdb")  # derived tables made once
            db = Path(folder) / f"{edition.name}.duckdb"
            seconds = ingest_seconds(files, db)
            with duckdb.connect(str(db), read_only=True) as con:
                values = con.execute("SELECT count(*) FROM county_observations WHERE value IS NOT NULL").fetchone()[0]
            print(f"edition {edition.name}: {len(files)} chapter-3 tables, {values} county values, {seconds:.1f} s "
                  f"({ANCHOR})")


if __name__ == "__main__":
    main()
