"""Real workbooks printed to PDF in many page settings, the PDF reading scored against the workbook reading.

Prints each workbook with LibreOffice Calc in SETTINGS page settings chosen per workbook by --seed (paper
A4/A3/letter, portrait/landscape, fit to width or a scale, the workbook's fonts or another CJK font,
gridlines on or off, header rows repeated or not), ingests the workbooks, the prints and, for the
ccsy_excel_chinautc workbooks, the given prints in printed/, each with `cnstat ingest`, and compares
their dictionary values (tests/fixtures/real_prints.py): per file and in total, workbook values /
equal / refused (with a problem `cnstat problems` lists for it, or without: listed under the figures) /
wrong, wrong first. Then what the wrong numbers are (the PDF's indicator/scope, and the workbook's that
prints the same number for the region) and what LibreOffice could not print.
Needs LibreOffice Calc (libreoffice-calc-nogui) and ../shared/real; the fonts it varies are
fonts-arphic-uming, fonts-noto-cjk and fonts-wqy-zenhei (a missing one falls back to another).

    .venv/bin/python bench/real_prints.py [--seed N] [--settings K] [--keep DIR] [WORKBOOK_OR_FOLDER ...]

Default: every workbook of ../shared/real/ccsy_excel_chinautc, seed 0, 3 settings each. A folder stands for
the .xls/.xlsx files in it (e.g. ../shared/real/ccsy2018_cnki_kubiapxh).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from real_prints import (CHINAUTC, SHARED_REAL, SOFFICE, Pair, Score, given_pairs, ingest,  # noqa: E402
                         print_workbooks, random_settings, score_pairs)

ANCHOR = "issue 29: >= 99% equal, 0 wrong"
CONFUSIONS_SHOWN = 12
UNLISTED_SHOWN = 20


def workbooks_in(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        found += sorted(p for p in path.rglob("*") if p.suffix.lower() in (".xls", ".xlsx")) if path.is_dir() else [path]
    return [p.resolve() for p in found]


def share(score: Score) -> str:
    return f"{score.equal / score.workbook:.1%}" if score.workbook else "-"


def total_line(title: str, score: Score) -> str:
    return (f"{title}: {score.workbook} workbook values, {score.equal} equal ({share(score)}), {score.refused} "
            f"refused ({score.refused_listed} with a problem `cnstat problems` lists, {score.refused_unlisted} "
            f"without), {score.wrong} wrong ({score.wrong_value} another number, {score.wrong_key} under a key "
            f"the workbook reading has no number for); {score.conflicting} keys the workbook reading gives "
            f"two numbers, not scored")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[CHINAUTC])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--settings", type=int, default=3, help="page settings per workbook")
    parser.add_argument("--keep", type=Path, help="write the PDFs and the warehouse here, not to a temporary folder")
    parser.add_argument("--workers", type=int, help="cnstat ingest --workers")
    args = parser.parse_args()
    if not SOFFICE or not SHARED_REAL.is_dir():
        print(f"skipped: {'LibreOffice (soffice) is not installed' if not SOFFICE else f'{SHARED_REAL} is absent'}")
        return
    workbooks = workbooks_in(args.paths)
    jobs = [(w, s) for w in workbooks for s in random_settings(args.seed, w, args.settings)]
    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch)
        started = time.perf_counter()
        printed = print_workbooks(jobs, out / "prints")
        printing = time.perf_counter() - started
        pairs = [Pair(w, pdf, s.name) for (w, s), pdf in printed.items() if isinstance(pdf, Path)]
        pairs += [pair for pair in given_pairs() if pair.workbook.resolve() in workbooks]
        started = time.perf_counter()
        ingested = ingest(out / "prints.duckdb", pairs, args.workers)
        ingesting = time.perf_counter() - started
        scores = score_pairs(out / "prints.duckdb", pairs, ingested)
    print(f"{len(workbooks)} workbooks, {len(jobs)} prints in {args.settings} settings each from seed {args.seed} "
          f"({printing:.0f} s in LibreOffice) and {len(pairs) - len(jobs)} given prints; "
          f"ingested in {ingesting:.0f} s")
    for (workbook, setting), reason in printed.items():
        if not isinstance(reason, Path):
            print(f"  not printed: {setting.name}/{workbook.name}: {reason}")
    for path, result in sorted(ingested.items()):
        if result.status != "loaded":
            print(f"  {result.status}: {path.relative_to(out) if path.is_relative_to(out) else path}: {result.reason}")
    passed = Counter(result.edition_passed for result in ingested.values() if result.edition_passed)
    print(f"  --edition passed to files that gave none: {dict(sorted(passed.items())) or 'none'} (edition: files)")
    print("per file, wrong first (unlisted: refused with no problem listed for it; conflicting: keys the "
          "workbook reading gives two numbers, not scored):\n"
          "    wrong  workbook   equal  refused  unlisted  conflicting  provisional (workbook/PDF)  setting/file")
    for pair, score in sorted(scores.items(), key=lambda item: (-item[1].wrong, -item[1].refused_unlisted,
                                                                -item[1].refused, item[0].setting)):
        provisional = f"{score.provisional_workbook}/{score.provisional_pdf}"
        print(f"  {score.wrong:7} {score.workbook:9} {score.equal:7} {score.refused:8} {score.refused_unlisted:9} "
              f"{score.conflicting:12}  {provisional:>26}  {pair.setting}/{pair.pdf.name}")
    given = [pair for pair in pairs if pair.setting.startswith("given/")]
    for title, chosen in (("given prints", given), ("generated prints", [p for p in pairs if p not in given]),
                          ("all", pairs)):
        total = Score()
        for pair in chosen:
            total += scores[pair]
        if chosen:
            print(total_line(f"{title} ({len(chosen)})", total))
    print(f"anchor: {ANCHOR}; every refused value listed by `cnstat problems`")
    unlisted = [line for score in scores.values() for line in score.unlisted]
    print(f"refused values no listed problem accounts for ({len(unlisted)}):")
    for line in unlisted[:UNLISTED_SHOWN]:
        print(f"  {line}")
    confusions = Counter(c for score in scores.values() for c in score.confusions)
    print("wrong numbers, read as -> the workbook's indicator/scope printing that number for the region:")
    for (read_as, truth), count in confusions.most_common(CONFUSIONS_SHOWN):
        print(f"  {count:6}  {read_as} -> {truth}")


if __name__ == "__main__":
    main()
