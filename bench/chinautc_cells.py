"""Every prefecture and county-level-city cell of the real CCSY Excel edition, scored per edition and chapter.

Ingests ../shared/real/ccsy_excel_chinautc (2021-2023, chapters 2 and 3) with `cnstat ingest` into a new
warehouse and compares it with the workbooks read with openpyxl (tests/fixtures/chinautc_cells.py): cells /
equal / refused (by kind) / wrong / unplaced, wrong first.
Run: `.venv/bin/python bench/chinautc_cells.py`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from chinautc_cells import CHINAUTC, Score, ingest, scores  # noqa: E402

ANCHOR = "issue 30: every cell on its own code, 0 wrong"
CHAPTERS = {"2": "prefecture-level cities (chapter 2)", "3": "county-level cities (chapter 3)"}


def main() -> None:
    if not CHINAUTC.is_dir():
        sys.exit(f"{CHINAUTC} is absent: nothing to measure")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "chinautc.duckdb"
        ingest(db)
        found = scores(db)
    total = Score()
    for (edition, chapter), score in sorted(found.items()):
        total.add(score)
        print(f"edition {edition}, {CHAPTERS[chapter]}: {score.line()}")
        for line in score.wrong[:5] + score.unplaced[:5]:
            print(f"    {line}")
    print(f"all: {total.line()} ({ANCHOR})")


if __name__ == "__main__":
    main()
