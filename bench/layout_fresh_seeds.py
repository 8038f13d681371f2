"""The layout engine on layouts it has never seen, by the thousand: fresh layout-fuzzer seeds.

Draws BATCHES batches of 40 layouts (tests/fixtures/layout_fuzzer.py, each with its truth), the batch k
from seed FIRST + k * STEP, reads each PDF and compares every city cell with the truth, a batch per
process. Prints a line per batch holding a wrong or refused cell (the file, its traits, the first
cells), then the cells right, wrong (loaded but not the truth: the figure that must stay 0) and refused
(not loaded, with a reason). What `CNSTAT_FUZZ_SEED=N make test` checks for one batch, over many.
Needs fonts-wqy-microhei.

    .venv/bin/python bench/layout_fresh_seeds.py [FIRST] [BATCHES] [STEP]     # default: 500000000 20 7919
"""

from __future__ import annotations

import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from layout_fuzzer import check, read_traits, write_set  # noqa: E402

LAYOUTS_PER_BATCH = 40


def batch(first: int) -> tuple[int, int, int, list[str]]:
    """(right, wrong, refused, a line per file that was not all right) for the layouts first.. of a batch."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_set(folder, range(first, first + LAYOUTS_PER_BATCH))
        traits = read_traits(folder)
        right = wrong = refused = 0
        notes = []
        for name, score in check(folder).items():
            right, wrong, refused = right + score.right, wrong + len(score.wrong), refused + len(score.refused)
            if score.wrong or score.refused:
                notes.append(f"{name}: {score.right} right, {len(score.wrong)} wrong, {len(score.refused)} refused "
                             f"({traits[name]})\n  " + "\n  ".join((score.wrong + score.refused)[:3]))
    return right, wrong, refused, notes


def main(first: int, batches: int, step: int) -> None:
    totals = [0, 0, 0]
    firsts = [first + k * step for k in range(batches)]
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        for seed, (right, wrong, refused, notes) in zip(firsts, pool.map(batch, firsts)):
            totals = [totals[0] + right, totals[1] + wrong, totals[2] + refused]
            for note in notes:
                print(note, flush=True)
    print(f"{batches * LAYOUTS_PER_BATCH} layouts from seed {first} step {step}: "
          f"{totals[0]} cells right, {totals[1]} wrong, {totals[2]} refused")


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:4]]
    main(*arguments, *(500_000_000, 20, 7919)[len(arguments):])
