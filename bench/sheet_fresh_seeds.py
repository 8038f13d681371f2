"""The spreadsheet reader on tables it has never seen: the layout fuzzer's tables written as workbooks.

Writes COUNT seeds from FIRST with tests/fixtures/sheet_fuzzer.py (xlsx and xls, numbers as text or
numbers, header lines stacked or in one cell, merged or not, ...), reads each with `extract_file` and
compares every city cell with the truth (layout_fuzzer.check). Prints the cells right, wrong (loaded but
not the truth: under a provisional indicator with a broken name counts as wrong, as in the PDF fuzz) and
refused, then files by the header traits that decide most outcomes, then the first failing files.
Needs no fonts.

    .venv/bin/python bench/sheet_fresh_seeds.py [FIRST] [COUNT]     # default: 1000 200
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from layout_fuzzer import check, read_traits  # noqa: E402
from sheet_fuzzer import write_set  # noqa: E402

SHOWN = 5


def main(first: int, count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_set(folder, range(first, first + count))
        traits = read_traits(folder)
        scores = check(folder)
    right = sum(s.right for s in scores.values())
    wrong = sum(len(s.wrong) for s in scores.values())
    under_dictionary = sum(1 for s in scores.values() for w in s.wrong if "provisional:" not in w)
    refused = sum(1 for s in scores.values() for r in s.refused if not r.startswith("  problem"))
    print(f"{count} sheets from seed {first}: {right} cells right, {wrong} wrong ({under_dictionary} under a "
          f"dictionary indicator, the rest under a provisional one), {refused} refused")
    outcomes: Counter = Counter()
    for name, score in scores.items():
        described = traits[name]
        shape = tuple(word for word in ("header=pair", "header=flat", "wrap=True", "merged=True",
                                        "header_cells=stacked") if word in described)
        outcomes[shape, "wrong" if score.wrong else "refused" if score.refused else "right"] += 1
    print("files by header traits (header, wrapped names, merged cells, lines a row each):")
    for (shape, outcome), files in sorted(outcomes.items()):
        print(f"  {', '.join(shape):58} {outcome:8} {files}")
    failing = [(name, score) for name, score in scores.items() if score.wrong or score.refused]
    for name, score in failing[:SHOWN]:
        print(f"{name}: {traits[name]}")
        for line in (score.wrong + score.refused)[:3]:
            print(f"  {line}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3])) if len(sys.argv) > 2 else main(1000, 200)
