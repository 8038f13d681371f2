"""The time-series reader on files it has never seen: fresh seeds of tests/fixtures/series_fixtures.py.

Writes COUNT NBS exports (years as columns, as .xls with number cells and as .csv) and COUNT researcher
long panels (.csv) from seeds FIRST.., reads each (`extract_file`, then `harmonise`) and compares every
value with the generator's truth (`series_fixtures.check`): right, wrong and refused. A year column that
prints no number at all reads as NBS's padding of its latest year, so its blanks and markers are refused.
Prints the totals, then the traits of the first files not all right. The committed fixtures are five of
these seeds.

    .venv/bin/python bench/series_fresh_seeds.py [FIRST] [COUNT]     # default: 100 300
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from series_fixtures import check, fresh_files  # noqa: E402

SHOWN = 5


def main(first: int, count: int) -> None:
    right = wrong = refused = no_number = 0
    failing = []
    with tempfile.TemporaryDirectory() as folder:
        for path, traits, golden in fresh_files(Path(folder), range(first, first + count)):
            good, bad, missed = check(path, golden)
            right, wrong, refused = right + good, wrong + len(bad), refused + len(missed)
            no_number += sum(line.endswith("(no number)") for line in missed)
            if bad or missed:
                failing.append(f"{path.name} {traits}:\n  " + "\n  ".join((bad + missed)[:3]))
    print(f"{3 * count} series files from seed {first}: {right} values right, {wrong} wrong, {refused} refused "
          f"({no_number} of them print no number)")
    print("\n".join(failing[:SHOWN]))


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3])) if len(sys.argv) > 2 else main(100, 300)
