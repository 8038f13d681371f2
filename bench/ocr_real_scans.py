"""OCR on real workbooks printed and then scanned: each scan's reading scored against its workbook's.

Prints each workbook with LibreOffice Calc in SETTINGS page settings chosen by --seed (tests/fixtures/
real_prints.py, as bench/real_prints.py does), scans each print the way bench/ocr_fresh_scans.py scans the
fuzzer's tables (resolution, rotation, paper noise, JPEG quality and lighting drawn from the print's name:
scan_fixtures.random_traits), and ingests the workbooks, the prints and the scans (`cnstat ingest --ocr`)
into one warehouse. The workbook's reading (known good: 0 wrong) is the truth, compared on dictionary
values of both panels keyed by (region_code, year, indicator, scope). For each scan, of the workbook's
values: exact (the same number, not flagged), flagged needs_review (right or wrong), refused (no value),
and wrong values NOT flagged (the figure that must stay 0; a number under a key the workbook has none for
counts too), listed. The print's own reading (its text layer) is scored beside it: what a perfect OCR
could load. Needs LibreOffice Calc and ../shared/real (see bench/real_prints.py); OCR takes seconds a page.

    .venv/bin/python bench/ocr_real_scans.py [--seed N] [--settings K] [--keep DIR] [WORKBOOK_OR_FOLDER ...]

Default: the 2023 workbooks of ../shared/real/ccsy_excel_chinautc (30 pages or so), seed 0, 1 setting each.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

import duckdb  # noqa: E402
from real_prints import CHINAUTC, PROVISIONAL, SHARED_REAL, SOFFICE, Pair, ingest, print_workbooks, random_settings  # noqa: E402
from scan_fixtures import random_traits, write_scan  # noqa: E402

ANCHOR = "issue 32: 0 wrong values unflagged"
WRONG_SHOWN = 20


@dataclass
class Score:
    workbook: int = 0  # dictionary keys the workbook reading gives one number
    exact: int = 0
    flagged_right: int = 0
    flagged_wrong: int = 0
    refused: int = 0
    wrong: list[str] = field(default_factory=list)  # loaded wrong and not flagged

    def add(self, other: Score) -> None:
        for name in ("workbook", "exact", "flagged_right", "flagged_wrong", "refused"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.wrong += other.wrong

    def line(self) -> str:
        share = f"{self.exact / self.workbook:.1%}" if self.workbook else "-"
        return (f"{self.workbook} workbook values: {self.exact} exact ({share}), flagged {self.flagged_right} right "
                f"+ {self.flagged_wrong} wrong, {self.refused} refused, {len(self.wrong)} wrong NOT flagged")


def values(db: Path, sha256: str) -> dict[tuple, list[tuple[float, bool, str]]]:
    """The file's dictionary values of both panels, (value, needs_review, where) by key; a government's own
    level (本级) apart from the government's values, as tests/fixtures/real_prints.py keys them."""
    out = defaultdict(list)
    with duckdb.connect(str(db), read_only=True) as con:
        for code, year, indicator, scope, value, review, page, label, column in con.execute(
                "select region_code, year, indicator, scope, value, coalesce(needs_review, false), page, row_label, "
                "column_label from observations where source_sha256 = ? union all select case unit_kind when "
                "'own_level' then region_code || ' 本级' else region_code end, year, indicator, scope, value, "
                "coalesce(needs_review, false), page, row_label, column_label from county_observations "
                "where source_sha256 = ?", [sha256, sha256]).fetchall():
            if value is not None and not indicator.startswith(PROVISIONAL):
                out[code, year, indicator, scope].append((value, review, f"page {page} {label!r} / {column!r}"))
    return out


def score(truth: dict[tuple, list], read: dict[tuple, list]) -> Score:
    numbers = {key: {round(v, 9) for v, _, _ in found} for key, found in truth.items()}
    sure = {key: found[0][0] for key, found in truth.items() if len(numbers[key]) == 1}  # one number: scored
    result = Score(workbook=len(sure))
    for key, want in sure.items():
        got = read.get(key, [])
        if not got:
            result.refused += 1
            continue
        right = all(math.isclose(v, want, rel_tol=1e-9, abs_tol=1e-9) for v, _, _ in got)
        if any(review for _, review, _ in got):
            result.flagged_right += right
            result.flagged_wrong += not right
        elif right:
            result.exact += 1
        else:
            result.wrong += [f"{key}: read {v:g} at {where}, the workbook's {want:g}" for v, _, where in got]
    for key, got in read.items():
        if key not in truth:
            result.wrong += [f"{key}: read {v:g} at {where}, which the workbook has no number for"
                             for v, review, where in got if not review]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[CHINAUTC / "2023"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--settings", type=int, default=1, help="page settings per workbook")
    parser.add_argument("--keep", type=Path, help="write the prints, scans and warehouse here, not to a temp folder")
    parser.add_argument("--workers", type=int, help="cnstat ingest --workers")
    args = parser.parse_args()
    if not SOFFICE or not SHARED_REAL.is_dir():
        print(f"skipped: {'LibreOffice (soffice) is not installed' if not SOFFICE else f'{SHARED_REAL} is absent'}")
        return
    workbooks = [p.resolve() for path in args.paths for p in (
        sorted(q for q in path.rglob("*") if q.suffix.lower() in (".xls", ".xlsx")) if path.is_dir() else [path])]
    jobs = [(w, s) for w in workbooks for s in random_settings(args.seed, w, args.settings)]
    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch)
        (out / "scans.duckdb").unlink(missing_ok=True)  # a kept folder's earlier run: every file read again
        started = time.perf_counter()
        printed = {job: pdf for job, pdf in print_workbooks(jobs, out / "prints").items() if isinstance(pdf, Path)}
        scanned = {}
        for pdf in printed.values():
            traits = random_traits(pdf.relative_to(out / "prints").as_posix())
            scanned[pdf] = (write_scan(traits, out / "scans", sources=out / "prints"), traits)
        making = time.perf_counter() - started
        pairs = [Pair(w, pdf, s.name) for (w, s), pdf in printed.items()]
        scans = [Pair(w, scanned[pdf][0], s.name) for (w, s), pdf in printed.items()]
        started = time.perf_counter()
        ingested = ingest(out / "scans.duckdb", pairs + scans, args.workers, flags=("--ocr",))
        ingesting = time.perf_counter() - started
        db = out / "scans.duckdb"
        totals = {"print": Score(), "scan": Score()}
        lines = []
        for (workbook, setting), pdf in sorted(printed.items(), key=lambda item: (item[0][0], item[0][1].name)):
            truth = values(db, ingested[workbook].sha256)
            scan, traits = scanned[pdf]
            for kind, path in (("print", pdf), ("scan", scan)):
                loaded = ingested.get(path.resolve())
                result = score(truth, values(db, loaded.sha256) if loaded else {})
                totals[kind].add(result)
                status = "" if loaded and loaded.status == "loaded" else \
                    f" ({loaded.status}: {loaded.reason})" if loaded else " (not ingested)"
                lines.append(f"  {kind:5} {setting.name}/{workbook.name}{status}: {result.line()}"
                             + (f"\n        scanned {traits}" if kind == "scan" else ""))
    print(f"{len(workbooks)} workbooks, {len(printed)} of {len(jobs)} prints from seed {args.seed}, printed and "
          f"scanned in {making:.0f} s, ingested in {ingesting:.0f} s (the scans with --ocr)")
    print("\n".join(lines))
    print(f"all prints (text layer): {totals['print'].line()}")
    print(f"all scans (OCR):         {totals['scan'].line()}")
    print(f"anchor: {ANCHOR}")
    for line in totals["scan"].wrong[:WRONG_SHOWN]:
        print(f"  wrong, not flagged: {line}")


if __name__ == "__main__":
    main()
