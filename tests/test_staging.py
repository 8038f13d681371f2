"""A file goes from extract to the warehouse part by part, and loads exactly as it would in one piece."""

from __future__ import annotations

import gc
import tempfile
from pathlib import Path

import duckdb
import pytest

from cnstat_etl.extract import cache, extract_parts, pdf
from cnstat_etl.model import ExtractResult, Problem
from cnstat_etl.pipeline import ingest
from conftest import FIXTURES
from test_pdf_workers import _book

# Every row a file leaves in the warehouse, in an order that does not depend on how it was loaded.
ROWS = {
    "observations": "SELECT * FROM observations",
    "aggregates": "SELECT * FROM aggregates",
    "unresolved": "SELECT * FROM unresolved",
    "problems": "SELECT * EXCLUDE (source_path) FROM problems",
    "extracted_tables": "SELECT * FROM extracted_tables",
    "sources": "SELECT source_sha256, status, values_loaded, problems FROM sources",
}


def _rows(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in ROWS.items()}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return _book(tmp_path_factory.mktemp("book"))[0]


@pytest.fixture(autouse=True)
def staging_folder(tmp_path, monkeypatch):
    """Staged files go to a folder of this test's own, to see that none is left behind."""
    folder = tmp_path / "staging"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("workers", [1, 2])
def test_a_book_loaded_a_table_at_a_time_leaves_the_rows_of_one_piece(book, tmp_path, monkeypatch, workers):
    whole = tmp_path / "whole.duckdb"
    ingest([book], whole, jobs=workers, use_cache=False)
    monkeypatch.setattr(pdf, "PART_VALUES", 1)
    assert len(list(extract_parts(book))) > 5
    parted = tmp_path / "parted.duckdb"
    ingest([book], parted, jobs=workers, use_cache=False)
    assert _rows(parted) == _rows(whole)
    assert _rows(whole)["observations"]


def test_a_file_found_unreadable_after_parts_were_staged_loads_none_of_them(book, tmp_path, monkeypatch,
                                                                            staging_folder):
    db = tmp_path / "w.duckdb"
    ingest([book], db, jobs=1, use_cache=False)
    before = _rows(db)
    monkeypatch.setattr(pdf, "PART_VALUES", 1)

    def breaks_at_the_end(path, options, **keywords):
        yield from extract_parts(path, options, **keywords)
        broken = ExtractResult(path.name, "", "unknown")
        broken.problems.append(Problem("unreadable_file", "truncated or corrupt PDF (test)", path.name,
                                       severity="error"))
        yield broken

    monkeypatch.setattr(cache, "extract_parts", breaks_at_the_end)
    with duckdb.connect(str(db)) as con:  # a changed mapping: the book is read again
        con.execute("UPDATE sources SET harmonised_with = 'before'")
    summary = ingest([book], db, jobs=1, use_cache=False)
    assert [(f.status, f.reason) for f in summary.files] == [("failed", "truncated or corrupt PDF (test)")]
    after = _rows(db)
    assert after["observations"] == before["observations"] and after["extracted_tables"] == before["extracted_tables"]
    assert list(staging_folder.iterdir()) == []


def test_no_staged_file_outlives_its_ingest(book, tmp_path, staging_folder):
    summary = ingest([book, FIXTURES / "sources" / "ccsy2012_two_tables_ruled.pdf"], tmp_path / "w.duckdb", jobs=2)
    assert [f.status for f in summary.files] == ["loaded", "loaded"]
    assert list(staging_folder.iterdir()) == []


def test_an_ingest_leaves_the_callers_garbage_collector_as_it_found_it(tmp_path):
    # (the ingest makes collections rarer while it runs: pipeline._fewer_collections)
    before = gc.get_threshold()
    gc.set_threshold(500, 7, 9)
    try:
        ingest([FIXTURES / "sources" / "ccsy2012_two_tables_ruled.pdf"], tmp_path / "w.duckdb", jobs=1)
        assert gc.get_threshold() == (500, 7, 9) and gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*before)
