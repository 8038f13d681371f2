"""Every user mistake is one line on stderr and exit status 1, never a traceback; the ingest summary says
what happened to each file and where to look for the problems."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cnstat_etl.config import SAMPLES_DIR
from workbooks import write_table

CNSTAT = str(Path(sys.executable).parent / "cnstat")
PDF = SAMPLES_DIR / "ccsy2009_gdp_revenue_ruled.pdf"


def cnstat(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CNSTAT, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def bad_places(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("bad")
    not_a_warehouse = folder / "notes.duckdb"
    not_a_warehouse.write_text("these are my notes, not a DuckDB file\n")
    blocked = folder / "file_not_folder"
    blocked.write_text("x")
    return {"missing": str(folder / "missing.duckdb"), "not_a_warehouse": str(not_a_warehouse),
            "under_a_file": str(blocked / "w.duckdb"), "folder": str(folder)}


# (command line with {placeholders}, a part of the one-line message)
BAD_USES = [
    ("nosuchcommand", "No such command"),
    ("ingest --jobs many", "'many' is not a valid integer"),
    ("ingest --workers 0 --db {missing}", "0 is not in the range x>=1"),
    ("ingest --workers -3 --db {missing}", "-3 is not in the range x>=1"),
    ("ingest {folder}/yearbok --db {missing}", "yearbok: no such file or folder"),
    ("ingest --vintage 1800 --db {missing}", "outside the code history"),
    ("ingest {folder} --db {under_a_file}", "file_not_folder"),
    ("ingest --db {not_a_warehouse}", "notes.duckdb"),
    ("query", "Missing argument 'SQL'"),
    ("query 'select 1' --db {missing}", "no warehouse at"),
    ("query 'select 1' --db {not_a_warehouse}", "notes.duckdb"),
    ("query 'select 1' --db {samples} --format xml", "'xml' is not one of"),
    ("query 'select nope' --db {samples}", "nope"),
    ("extract {pdf} --pages abc", "'abc' is not a page or a span of pages"),
    ("extract {pdf} --pages 5-3", "ends before it starts"),
    ("extract {pdf} --pages 0", "pages count from 1"),
    ("extract {missing}", "does not exist"),
    ("extract {pdf} --year soon", "'soon' is not a valid integer"),
    ("resolve", "Missing argument 'NAME'"),
    ("resolve 南京 --year later", "'later' is not a valid integer"),
    ("lineage 999999", "not in the code history"),
    ("validate --db {missing}", "no warehouse at"),
    ("validate --db {not_a_warehouse}", "notes.duckdb"),
    ("panel --db {missing} --period 2008", "no warehouse at"),
    ("panel --db {samples} --period 2008-x", "is not a span of years"),
    ("panel --db {samples}", "Missing option '--period'"),
    ("export --format xlsx --db {samples}", "'xlsx' is not one of"),
    ("export --format csv --db {missing}", "no warehouse at"),
    ("export --format csv --db {samples} --vintage 3000 --out {folder}", "outside the code history"),
    ("problems --db {missing}", "no warehouse at"),
    ("problems --db {samples} --kind", "requires an argument"),
]


@pytest.mark.parametrize("command, reason", BAD_USES, ids=[c.split()[0] + ": " + r for c, r in BAD_USES])
def test_a_bad_option_or_file_is_one_line_on_stderr_and_exit_1(command, reason, bad_places, samples_db):
    import shlex

    args = shlex.split(command.format(**bad_places, samples=samples_db, pdf=PDF))
    result = cnstat(*args)
    assert result.returncode == 1, (command, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and reason in lines[0], (command, result.stderr)


def test_a_mistyped_path_makes_no_warehouse_and_reads_none_of_the_other_paths(tmp_path):
    db = tmp_path / "w.duckdb"
    result = cnstat("ingest", str(PDF), str(tmp_path / "yearbok"), "--db", str(db))
    assert result.returncode == 1 and "yearbok: no such file or folder" in result.stderr
    assert not db.exists() and not result.stdout


def test_a_page_past_the_end_names_the_pages_the_file_has(tmp_path):
    result = cnstat("extract", str(PDF), "--pages", "99")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"error: {PDF.name}: no page 99: the file has 1 page"]


def test_a_file_that_loads_no_value_says_why_and_unknown_columns_load_as_provisional(tmp_path):
    # Columns naming no dictionary indicator load as provisional indicators (issue 14): not "no values".
    toilets = write_table(tmp_path / "toilets.xlsx", "各市公共设施（2008年）", ["地区", "公共厕所（座）"],
                          [["南京市", 250]])
    mars = write_table(tmp_path / "mars.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"], [["火星市", 1.0]])
    headless = write_table(tmp_path / "headless.xlsx", "各市公共设施（2008年）", ["地区", ""], [["南京市", 250]])
    result = cnstat("ingest", str(toilets), str(mars), str(headless), "--db", str(tmp_path / "w.duckdb"))
    assert result.returncode == 0, result.stderr
    toilets_line = next(line for line in result.stdout.splitlines() if "toilets.xlsx" in line)
    assert "loaded" in toilets_line and "1 table, 1 value, 0 unresolved rows, 0 errors" in toilets_line
    mars_line = next(line for line in result.stdout.splitlines() if "mars.xlsx" in line)
    assert "no values" in mars_line and "no row placed: 1 unresolved" in mars_line
    headless_line = next(line for line in result.stdout.splitlines() if "headless.xlsx" in line)
    assert "no values" in headless_line and "no value read" in headless_line
    assert "column with values has no header" in headless_line
    assert "3 files: 1 loaded" in result.stdout and "2 no values" in result.stdout


def test_summary_points_to_the_problems_command_which_lists_them_by_kind(tmp_path):
    source = write_table(tmp_path / "mixed.xlsx", "各市主要指标（2008年）",
                         ["地区", "地区生产总值（亿元）", "公共厕所（座）"], [["南京市", 3814.53, 250], ["火星市", 1.0, 2]])
    db = tmp_path / "w.duckdb"
    result = cnstat("ingest", str(source), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"cnstat problems --db {db}" in result.stdout.splitlines()[-1]
    with duckdb.connect(str(db), read_only=True) as con:
        recorded = con.execute("select kind, count(*) from problems group by kind order by kind").fetchall()
    total = sum(n for _, n in recorded)
    assert total and f"{total} problem{'' if total == 1 else 's'} -> " in result.stdout
    listed = cnstat("problems", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    for kind, count in recorded:
        assert f"{kind}: {count} problem" in listed.stdout
    assert str(source) in listed.stdout
    only = cnstat("problems", "--db", str(db), "--kind", "unknown_column", "--file", "mixed.xlsx", "--format", "csv")
    rows = only.stdout.splitlines()[1:]
    assert rows and all(row.startswith("unknown_column,") for row in rows)
    none = cnstat("problems", "--db", str(db), "--file", "other.xlsx")
    assert none.stdout.strip() == "(0 problems)"


def test_problems_lists_each_unresolved_row_at_its_row_with_the_reason_and_candidates(tmp_path):
    source = write_table(tmp_path / "anhui.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"],
                         [["合肥市", 1664.84], ["火星市", 12.0], ["Suzhou", 530.77]])
    db = tmp_path / "w.duckdb"
    assert cnstat("ingest", str(source), "--db", str(db)).returncode == 0
    listed = cnstat("problems", "--db", str(db), "--kind", "unresolved_row", "--file", "anhui.xlsx", "--format", "csv")
    rows = sorted(csv.DictReader(io.StringIO(listed.stdout)), key=lambda r: int(r["row"]))
    assert [(r["severity"], r["source_path"], r["row"]) for r in rows] == [("error", str(source), "4"),
                                                                          ("error", str(source), "5")]
    assert "'火星市'" in rows[0]["message"] and "unknown name" in rows[0]["message"]
    assert "ambiguous" in rows[1]["message"] and "320500" in rows[1]["message"] and "341300" in rows[1]["message"]
    assert "unresolved_row: 2 problems" in cnstat("problems", "--db", str(db)).stdout


def test_counts_of_one_are_singular(tmp_path):
    source = write_table(tmp_path / "one.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"], [["南京市", 3814.53]])
    result = cnstat("ingest", str(source), "--db", str(tmp_path / "w.duckdb"))
    assert result.returncode == 0, result.stderr
    assert "1 file: 1 loaded" in result.stdout and "1 table, 1 value, 0 unresolved rows" in result.stdout
    for wrong in ("1 warnings", "1 errors", "1 tables", "1 values", "1 problems", "1 files"):
        assert wrong not in result.stdout
