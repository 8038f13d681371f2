"""A file is its content at its full path: same-named files of two editions both load, the same bytes at
two paths load once, new bytes at a path replace that path's rows, and the summary says which case it was."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import SHARED_REAL
from workbooks import write_table

CNSTAT = str(Path(sys.executable).parent / "cnstat")
NAME = "2-9 GRP per capita.xlsx"
HEADERS = ["地区", "地区生产总值（万元）"]
# Declared truth of two editions' tables of one name: (data year, rows as printed, values in yuan).
EDITIONS = {
    "ccsy2009": (2008, [["南京市", 38145300], ["无锡市", 42197000]]),
    "ccsy2010": (2009, [["南京市", 42303000], ["无锡市", 49919000], ["徐州市", 24000000]]),
}


def cnstat(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CNSTAT, *args], capture_output=True, text=True, timeout=300)


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def write_edition(folder: Path, edition: str, rows_printed=None) -> Path:
    year, printed = EDITIONS[edition]
    folder.mkdir(parents=True, exist_ok=True)
    return write_table(folder / NAME, f"各市地区生产总值（{year}年）", HEADERS, rows_printed or printed)


def status_line(stdout: str, path: Path) -> str:
    return next(line for line in stdout.splitlines() if f" {path}" in line)


def test_same_named_files_of_two_editions_both_load_with_all_their_values(tmp_path):
    first = write_edition(tmp_path / "ccsy2009", "ccsy2009")
    second = write_edition(tmp_path / "ccsy2010", "ccsy2010")
    db = tmp_path / "w.duckdb"
    result = cnstat("ingest", str(first), str(second), "--db", str(db))
    assert result.returncode == 0, result.stderr
    expected = sorted((year, name, value * 1e4) for year, printed in EDITIONS.values() for name, value in printed)
    loaded = rows(db, "select year, region_name, value from observations where indicator = 'gdp' order by all")
    assert loaded == expected
    assert rows(db, "select count(distinct source_sha256), count(distinct source_file) from observations") == [(2, 1)]
    assert "2 loaded" in result.stdout


def test_the_same_bytes_at_two_paths_load_once_and_are_reported_as_a_duplicate(tmp_path):
    original = write_edition(tmp_path / "downloads", "ccsy2009")
    copy = tmp_path / "again" / NAME
    copy.parent.mkdir()
    shutil.copy(original, copy)
    db = tmp_path / "w.duckdb"
    result = cnstat("ingest", str(original), str(copy), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert rows(db, "select count(*) from observations") == [(len(EDITIONS["ccsy2009"][1]),)]
    assert "duplicate" in status_line(result.stdout, copy) and str(original) in status_line(result.stdout, copy)
    assert "1 loaded, 0 replaced, 0 unchanged, 1 duplicate" in result.stdout
    # The copy keeps the rows when the original goes: its path still holds those bytes.
    write_edition(tmp_path / "downloads", "ccsy2010")
    again = cnstat("ingest", str(original), "--db", str(db))
    assert "replaced" in status_line(again.stdout, original)
    years = rows(db, "select year, count(*) from observations group by year order by year")
    assert years == [(2008, len(EDITIONS["ccsy2009"][1])), (2009, len(EDITIONS["ccsy2010"][1]))]


def test_new_bytes_at_a_path_replace_its_rows_and_leave_the_other_editions(tmp_path):
    first = write_edition(tmp_path / "ccsy2009", "ccsy2009")
    second = write_edition(tmp_path / "ccsy2010", "ccsy2010")
    db = tmp_path / "w.duckdb"
    assert cnstat("ingest", str(first), str(second), "--db", str(db)).returncode == 0
    write_edition(tmp_path / "ccsy2010", "ccsy2010", [["南京市", 42303100]])  # a corrected re-download
    result = cnstat("ingest", str(first), str(second), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "unchanged" in status_line(result.stdout, first) and "replaced" in status_line(result.stdout, second)
    assert rows(db, "select year, region_name, value from observations where year = 2009") == \
        [(2009, "南京市", 42303100 * 1e4)]
    assert rows(db, "select count(*) from observations where year = 2008") == [(len(EDITIONS["ccsy2009"][1]),)]
    assert rows(db, "select count(*), count(distinct source_path) from sources") == [(2, 2)]


REAL_GRP = SHARED_REAL / "ccsy2018_cnki_kubiapxh" / "GRP per capita.xls"


@pytest.mark.skipif(not REAL_GRP.is_file(), reason=f"{REAL_GRP} is absent: real CNKI file not available")
def test_real_cnki_tables_of_one_name_side_by_side_keep_every_value_of_each(tmp_path):
    real = tmp_path / "ccsy2018" / REAL_GRP.name
    real.parent.mkdir()
    shutil.copy(REAL_GRP, real)
    same = tmp_path / "mirror" / REAL_GRP.name
    same.parent.mkdir()
    shutil.copy(REAL_GRP, same)
    # Another edition's download of the same name (here a workbook of declared values).
    (tmp_path / "ccsy2010").mkdir()
    other = write_table(tmp_path / "ccsy2010" / REAL_GRP.name, "各市地区生产总值（2009年）", HEADERS,
                        EDITIONS["ccsy2010"][1])
    alone = tmp_path / "alone.duckdb"
    assert cnstat("ingest", str(real), "--db", str(alone)).returncode == 0
    real_rows = rows(alone, "select region_code, year, indicator, scope, value from observations order by all")
    assert real_rows, "the real table loaded nothing on its own"
    db = tmp_path / "w.duckdb"
    result = cnstat("ingest", str(real), str(same), str(other), "--db", str(db))
    assert result.returncode == 0, result.stderr
    both = rows(db, "select region_code, year, indicator, scope, value from observations order by all")
    declared = {(name, value * 1e4) for name, value in EDITIONS["ccsy2010"][1]}
    loaded_other = set(rows(db, "select region_name, value from observations where year = 2009"))
    assert loaded_other == declared
    assert sorted(r for r in both if r[1] != 2009) == real_rows
    assert "duplicate" in status_line(result.stdout, same)
