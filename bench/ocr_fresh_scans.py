"""OCR on scans it has never seen: fresh fuzzer layouts, scanned with scan traits drawn at random.

Draws COUNT layouts from FIRST_SEED with the layout fuzzer (tests/fixtures/layout_fuzzer.py, their truth
declared; their values made to agree as a yearbook's do, 市辖区 within 全市 and subtotals the sum of
their cities, or OCR's checks would doubt every random pair drawn the wrong way round), scans each the
way tests/fixtures/scan_fixtures.py scans the committed fixtures but with a resolution, rotation, paper
noise, JPEG quality and lighting drawn from the seed, ingests the scans with --ocr into a new warehouse
and compares every city cell with the truth, matched by the place the truth names (its code: a name OCR
misread but placed right is right). Prints the cells, the share loaded exactly (of all; of those the text
PDFs themselves load exactly: the checks refuse some random values, an implausible population say, whatever
reads them; and of those a reader of the page image can see: not under a header cell whose clip hides its
name, which the text layer still reads, layout_fuzzer.unseen_cells), the wrong ones that carry
needs_review, and the wrong ones that do not (the figure that must stay 0), with the traits of any file
holding an unflagged wrong value, and the causes of the cells not loaded exactly among those a reader can
see, largest first: not loaded, or flagged (right or wrong) for the kind of reason it carries. Needs
fonts-wqy-microhei.

    .venv/bin/python bench/ocr_fresh_scans.py [FIRST_SEED] [COUNT] [--keep DIR]      # default: 7100 6
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

import duckdb  # noqa: E402
from layout_fuzzer import consistent, layout_for, unseen_cells, write_set  # noqa: E402
from scan_fixtures import random_traits, write_scan  # noqa: E402

from cnstat_etl.extract import ExtractOptions  # noqa: E402
from cnstat_etl.pipeline import ingest  # noqa: E402


def main(first: int, count: int, keep: Path | None) -> None:
    seeds = range(first, first + count)
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or Path(scratch)
        text, scans = folder / "text", folder / "scans"
        write_set(text, seeds, agreeing=True)
        with open(text / "truth.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        codes = _codes({(r["place"], int(r["year"])) for r in rows})
        # a cell is the truth's by the place the truth names (its code), not by the name OCR read for it:
        # 亳州 read 毫州 and placed by its context is right
        truth = {(r["file"], codes[(r["place"], int(r["year"]))], r["indicator"], r["scope"]): r["value"]
                 for r in rows}
        layouts = {f"fuzz_{seed}.pdf": consistent(layout_for(seed)) for seed in seeds}
        unseen = {(name, codes[(place, layouts[name].traits.year)], indicator, scope)
                  for name, layout in layouts.items() for place, indicator, scope in unseen_cells(layout)}
        traits = {}
        for pdf in sorted(text.glob("*.pdf")):
            traits[pdf.name] = random_traits(pdf.name)
            write_scan(traits[pdf.name], scans, sources=text)
        # the text PDFs, read from their text layer: the cells a perfect OCR could load (the checks refuse
        # some random values outright, an implausible population say, whatever reads them)
        text_loaded = _loaded(text, folder / "text.duckdb", ExtractOptions())
        started = time.perf_counter()
        loaded = _loaded(scans, folder / "w.duckdb", ExtractOptions(ocr=True))
        seconds = time.perf_counter() - started
    loadable = {(source, code, indicator, scope) for source, code, indicator, scope, printed, value, *_ in text_loaded
                if _right(truth.get((source, code, indicator, scope)), printed, value)}
    seen = loadable - unseen  # what a reader of the page image could load: its header not clipped away
    exact = flagged_wrong = 0
    exact_keys = set()
    unflagged = []
    per_file = {name: 0 for name in traits}
    causes: Counter = Counter()
    for source, code, indicator, scope, printed, value, needs_review, reasons in loaded:
        key = (source, code, indicator, scope)
        want = truth.get(key)
        if want is None:
            continue  # a province or other aggregate row: not in the truth of city cells
        right = _right(want, printed, value)
        if needs_review and key in seen:
            causes[f"{'right' if right else 'wrong'}, flagged: {_reason_kinds(reasons)}"] += 1
        exact += right and not needs_review
        if right and not needs_review:
            exact_keys.add(key)
        per_file[source] += right and not needs_review
        flagged_wrong += not right and needs_review
        if not right and not needs_review:
            unflagged.append(f"{source} {code} {indicator} {scope}: loaded {printed!r}, printed {want!r} "
                             f"({traits[source]})")
    print(f"fresh scans: seeds {first}..{first + count - 1}, {len(truth)} city cells printed, "
          f"OCR ingest {seconds:.0f} s")
    print(f"loaded exactly (not flagged) {exact} ({exact / len(truth):.1%}); wrong but flagged needs_review "
          f"{flagged_wrong}; wrong and NOT flagged {len(unflagged)}")
    for name, cells in (("the text layer loads exactly", loadable),
                        ("a reader of the page image can see (its header not clipped away)", seen)):
        print(f"of the {len(cells)} cells {name}, loaded exactly (not flagged) {len(exact_keys & cells)} "
              f"({len(exact_keys & cells) / max(1, len(cells)):.1%})")
    for line in unflagged:
        print("  " + line)
    causes["not loaded"] = len(seen - {(source, code, indicator, scope) for source, code, indicator, scope, *_ in loaded})
    print(f"why the cells a reader can see were not, largest first ({len(loadable - seen)} more the text layer "
          f"loads under a header the print clips, {len((loadable - seen) - exact_keys)} of them not loaded "
          "exactly):")
    for cause, cells in causes.most_common():
        print(f"  {cells:5}  {cause}")
    for name, right in per_file.items():
        cells = sum(1 for key in truth if key[0] == name)
        print(f"  {name}: {right}/{cells} exact, {sum(1 for key in loadable if key[0] == name)} loaded by the "
              f"text layer, {sum(1 for key in seen if key[0] == name)} of them under a header the page shows "
              f"({traits[name]})")


def _codes(places: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """Each (city, year) of a truth as its code: the fuzzer draws cities by a short name unique in that year."""
    from cnstat_etl.harmonise import regions

    periods = [p for p in regions.region_periods() if p.level == "prefecture"]
    return {(place, year): next(p.code for p in periods if p.short_name == place and p.in_force(year))
            for place, year in places}


def _loaded(folder: Path, db: Path, options: ExtractOptions) -> list[tuple]:
    db.unlink(missing_ok=True)  # a kept folder's earlier run: every file is read again
    ingest([folder], db, options, jobs=1)
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT source_file, region_code, indicator, scope, value_as_printed, value, "
                           "coalesce(needs_review, false), review_reasons FROM observations").fetchall()


def _reason_kinds(reasons: str | None) -> str:
    """A cell's review reasons without their numbers and quoted labels: what kind of check doubted it."""
    kinds = {re.sub(r"'[^']*'|-?[0-9][0-9.,e+-]*", "#", reason.strip()) for reason in (reasons or "").split(";")}
    return " + ".join(sorted(kinds))


def _right(want: str | None, printed: str, value: float | None) -> bool:
    """Whether a loaded cell is the truth's; the truth writes every missing marker ("—", "…", blank) as "":
    one read as another is right."""
    if want is None:
        return False
    if want == "":
        return value is None
    got = printed.replace(",", "").strip()
    return got.removeprefix("-").replace(".", "", 1).isdigit() and float(got) == float(want)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", nargs="?", type=int, default=7100)
    parser.add_argument("count", nargs="?", type=int, default=6)
    parser.add_argument("--keep", type=Path, help="write the PDFs, scans and warehouses here, not to a temp folder")
    args = parser.parse_args()
    main(args.first, args.count, args.keep)
