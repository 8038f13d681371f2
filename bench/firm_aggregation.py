"""Firm-survey ingest and aggregation on a generated decade: 2001-2010, about 2.5 million firm-years.

Writes one file a year (cycling GBK csv, .dta, UTF-8 csv; `--xlsx` makes every fourth year .xlsx) with
firms on every county code in force that year, some on codes retired three years before and some on
invalid codes (`--village-codes` prints every other year's as 12-digit village codes, nearly one apiece), into a folder kept between runs (default /tmp/cnstat-firm-bench). Then ingests the folder
into a new warehouse in a child process and prints the seconds and the child's peak RSS.
Target (issue 15): under 30 s and under 1 GB on 2 cores.

    .venv/bin/python bench/firm_aggregation.py [--firms-per-year 250000] [--folder DIR] [--xlsx] [--village-codes]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

import numpy as np  # noqa: E402
from firm_fixtures import firms_for_year, write_firm_file  # noqa: E402

from cnstat_etl.harmonise.regions import yearly_list  # noqa: E402

YEARS = range(2001, 2011)
FORMATS = ("csv-gbk", "dta", "csv-utf8")

CHILD = """
import json, resource, sys, time
from pathlib import Path
from cnstat_etl.pipeline import ingest
start = time.perf_counter()
summary = ingest([Path(sys.argv[1])], Path(sys.argv[2]), jobs=2)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "firms": sum(f.firms for f in summary.files), "placed": summary.placed_shares(),
                  "failed": [f.reason for f in summary.files if f.status == "failed"]}))
"""


def county_codes(year: int) -> list[str]:
    return [code for code in yearly_list(year) if not code.endswith("00")]


def generate(folder: Path, firms: int, xlsx: bool, village_codes: bool) -> None:
    for index, year in enumerate(YEARS):
        file_format = "xlsx" if xlsx and index % 4 == 3 else FORMATS[index % len(FORMATS)]
        suffix = ".xlsx" if file_format == "xlsx" else ".dta" if file_format == "dta" else ".csv"
        if (folder / f"asif{year}{suffix}").exists():
            continue
        codes = county_codes(year) + county_codes(year - 3)[:200]  # a few codes already retired
        started = time.perf_counter()
        drawn = firms_for_year(year, firms, codes=codes, invalid_share=0.005)
        if village_codes and index % 2:
            villages = np.random.default_rng(year).integers(0, 10**6, size=firms)
            drawn["code"] = [None if c is None else f"{c}{v:06d}" for c, v in zip(drawn["code"], villages)]
        path = write_firm_file(drawn, year, folder, file_format)
        print(f"wrote {path} ({firms} firms) in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms-per-year", type=int, default=250_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/cnstat-firm-bench"))
    parser.add_argument("--xlsx", action="store_true", help="make every fourth year an .xlsx file")
    parser.add_argument("--village-codes", action="store_true", help="print every other year's codes as 12 digits")
    args = parser.parse_args()
    kind = ("xlsx" if args.xlsx else "plain") + ("-villages" if args.village_codes else "")
    folder = args.folder / kind / str(args.firms_per_year)
    generate(folder, args.firms_per_year, args.xlsx, args.village_codes)
    db = folder.parent / f"bench-{args.firms_per_year}.duckdb"
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    result = json.loads(subprocess.run([sys.executable, "-c", CHILD, str(folder), str(db)], check=True,
                                       capture_output=True, text=True).stdout.splitlines()[-1])
    print(f"firm files 2001-2010: {result['firms']} firm-years, ingest + aggregation {result['seconds']:.1f} s, "
          f"peak RSS {result['peak_rss_mib']:.0f} MiB; placed: {result['placed'][0]:.2%} of firms, "
          f"{result['placed'][1]:.2%} of sales; failed files: {result['failed'] or 'none'}")


if __name__ == "__main__":
    main()
