"""Every refused value is listed (issue 29): a value a workbook gives that its print does not load is
accounted for by a problem `cnstat problems` lists for the print, naming the file and, where it can, the
page, row or column, with the reason.

Cases: the committed prints whose workbook reading is kept beside them (<pdf>.truth.csv, written by
tests/fixtures/real_print_fixtures.py), so the test needs no ../shared/real. What accounts for a refused
value is tests/fixtures/real_prints.py's `unlisted_refusals`.
"""

from __future__ import annotations

import csv
import shutil
import subprocess

import duckdb
import pytest

from conftest import CNSTAT, FIXTURES
from real_prints import (NEEDS_EDITION, compare, listed_problems, loaded_values, read_truth, source_hashes,
                         truth_path, unlisted_refusals)

COMMITTED = FIXTURES / "real_print_pdfs"
PRINTS = sorted(pdf for pdf in COMMITTED.rglob("*.pdf") if truth_path(pdf).exists())


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The prints ingested with no flag; --edition (the workbook's) only for one that fails for want of it."""
    db = tmp_path_factory.mktemp("refusals") / "prints.duckdb"
    subprocess.run([CNSTAT, "ingest", "--db", str(db), *map(str, PRINTS)], capture_output=True, text=True,
                   timeout=1800)
    with duckdb.connect(str(db), read_only=True) as con:
        failed = {row[0] for row in con.execute("select source_path from problems where message like ?",
                                                [f"%{NEEDS_EDITION}%"]).fetchall()}
    for pdf in PRINTS:
        edition = read_truth(truth_path(pdf))[2]
        if str(pdf) in failed and edition:
            subprocess.run([CNSTAT, "ingest", "--db", str(db), "--edition", str(edition), str(pdf)],
                           capture_output=True, text=True, timeout=1800)
    return db


def _unlisted(db, pdf):
    truth, names, _ = read_truth(truth_path(pdf))
    sha256 = source_hashes(db).get(pdf)
    score = compare(truth, loaded_values(db, sha256) if sha256 else {})
    return score, unlisted_refusals(db, sha256, listed_problems(db).get(str(pdf), []), score.refused_keys, names)


def test_the_kept_readings_are_of_the_committed_prints():
    kept = {row["pdf"] for row in csv.DictReader((COMMITTED / "manifest.csv").open(encoding="utf-8"))}
    assert PRINTS and {pdf.relative_to(COMMITTED).as_posix() for pdf in PRINTS} <= kept


@pytest.mark.parametrize("pdf", PRINTS, ids=lambda pdf: pdf.name)
def test_every_value_a_print_refuses_is_listed_by_cnstat_problems_with_its_reason(warehouse, pdf):
    score, unlisted = _unlisted(warehouse, pdf)
    assert score.wrong == 0, score.confusions
    assert not unlisted, f"{len(unlisted)} of {score.refused} refused values listed by no problem: {unlisted[:5]}"


def test_a_refused_value_whose_problems_are_gone_is_found_unlisted(warehouse, tmp_path):
    # the check can fail: with the problems and unresolved rows of the prints removed, their refusals are
    # unlisted; and the prints may refuse nothing (they read whole), so a value of each is refused here too,
    # loaded as NULL as a check refusing it loads it
    db = tmp_path / "stripped.duckdb"
    shutil.copy(warehouse, db)
    with duckdb.connect(str(db)) as con:
        con.execute("delete from problems")
        con.execute("delete from unresolved")
        con.execute("update observations set value = null where rowid in (select min(rowid) from observations "
                    "where value is not null group by source_sha256)")
    for pdf in PRINTS:
        score, unlisted = _unlisted(db, pdf)
        assert score.refused and len(unlisted) == score.refused, pdf.name
