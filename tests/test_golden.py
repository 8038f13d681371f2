"""Every cell of every fixture, read back from a real DuckDB warehouse, equals the generator's truth.

The samples are read from the session's samples warehouse. The problem PDFs whose good pages load
(a scanned page, a page whose font has no Unicode map) are ingested into a warehouse of their own, so the
samples stay clean; their golden files list only the good pages' cells, so a value loaded from a bad page
fails the comparison.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import duckdb
import pytest

from cnstat_etl.pipeline import ingest
from conftest import FIXTURES, GOLDEN

PROBLEMS = FIXTURES / "pdf_problems"
GOLDEN_FILES = sorted(GOLDEN.glob("*.csv"))
KEY = ("source_file", "page", "sheet", "row", "column")
COMPARED = ("row_label", "region_code", "year", "indicator", "scope", "value", "unit", "value_as_printed",
            "unit_as_printed")


def _golden(path) -> dict[tuple, dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return {tuple(r[k] for k in KEY): r for r in csv.DictReader(f)}


def _source_file(golden_file: Path) -> str:
    return next(iter(_golden(golden_file).values()))["source_file"]


PARTLY_LOADING_SOURCES = sorted(_source_file(g) for g in GOLDEN_FILES if (PROBLEMS / _source_file(g)).exists())


def _warehouse_fixture(golden_file: Path) -> str:
    return "problems_db" if _source_file(golden_file) in PARTLY_LOADING_SOURCES else "samples_db"


def _as_text(value) -> str:
    return "" if value is None else str(value)


@pytest.fixture(scope="session")
def problems_db(tmp_path_factory) -> Path:
    """A real DuckDB file holding the problem PDFs that have a golden file: their good pages load."""
    db = tmp_path_factory.mktemp("warehouse") / "problems.duckdb"
    summary = ingest([PROBLEMS / name for name in PARTLY_LOADING_SOURCES], db, jobs=1)
    assert summary.count("loaded") == len(PARTLY_LOADING_SOURCES), [f.reason for f in summary.files]
    return db


def test_the_scanned_and_the_garbled_page_each_have_a_golden_file_of_their_good_page():
    assert PARTLY_LOADING_SOURCES == ["cid_garbled_page.pdf", "scanned_page.pdf"]


@pytest.mark.parametrize("golden_file", GOLDEN_FILES, ids=lambda p: p.stem)
def test_warehouse_holds_exactly_the_golden_cells(request, golden_file):
    warehouse = request.getfixturevalue(_warehouse_fixture(golden_file))
    expected = _golden(golden_file)
    source_file = _source_file(golden_file)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns_sql = ", ".join(f'"{c}"' for c in KEY + COMPARED)
        cursor = con.execute(f"SELECT {columns_sql} FROM observations WHERE source_file = ?", [source_file])
        columns = [d[0] for d in cursor.description]
        loaded = {}
        for row in cursor.fetchall():
            record = dict(zip(columns, row))
            loaded[tuple(_as_text(record[k]) for k in KEY)] = record
    assert sorted(loaded) == sorted(expected), "cells loaded differ from the golden cells"
    mismatches = []
    for key, truth in expected.items():
        got = loaded[key]
        for column in COMPARED:
            want = truth[column]
            have = got[column]
            if column == "value":
                same = (want == "" and have is None) or (
                    have is not None and want != "" and math.isclose(have, float(want), rel_tol=1e-12))
            else:
                same = _as_text(have) == want
            if not same:
                mismatches.append(f"{key} {column}: want {want!r}, got {have!r}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("source_file, kind", [("scanned_page.pdf", "no_text_layer"),
                                               ("cid_garbled_page.pdf", "garbled_text")])
def test_the_warehouse_records_why_a_bad_page_loaded_nothing(problems_db, source_file, kind):
    with duckdb.connect(str(problems_db), read_only=True) as con:
        pages_loaded = con.execute("SELECT DISTINCT page FROM observations WHERE source_file = ?",
                                   [source_file]).fetchall()
        problems = con.execute("SELECT kind, page FROM problems WHERE source_file = ? AND severity = 'error'",
                               [source_file]).fetchall()
    assert pages_loaded == [(1,)]
    assert problems == [(kind, 2)]
