"""A real workbook printed to PDF reads as the workbook does (issue 29, point 4): 0 wrong, >= 99% equal.

Cases: each committed print in tests/fixtures/real_print_pdfs/ (manifest.csv names its workbook and page
setting; tests/fixtures/real_print_fixtures.py writes them) and each given print in
../shared/real/ccsy_excel_chinautc/printed/. The truth is the workbook's own reading by `cnstat ingest`,
compared on dictionary values keyed by (region_code, year, indicator, scope) (tests/fixtures/real_prints.py).
All files are ingested once, into one warehouse for the module (about a minute on 2 cores).

Both panels' values are compared: 3-1 and 3-3, which list county-level cities, on the county panel.
The cases that fail today are strict expected failures naming issue 29, with today's figures: such a case
fails the suite once its PDF reads right, and is then taken off the list. Skipped where ../shared/real
is absent.
"""

from __future__ import annotations

import csv
import hashlib

import pytest

from conftest import FIXTURES, SHARED_REAL, warehouse_in
from real_prints import Pair, given_pairs, ingest, score_pairs

COMMITTED = FIXTURES / "real_print_pdfs"
MANIFEST = list(csv.DictReader((COMMITTED / "manifest.csv").open(encoding="utf-8")))

# case -> its figures on 2026-12-07 (of the workbook reading's dictionary values), until the PDF reads right
FAILING_TODAY: dict[str, str] = {}

pytestmark = pytest.mark.skipif(not SHARED_REAL.is_dir(), reason=f"{SHARED_REAL} is absent: real workbooks not available")


def _committed_pairs() -> list[Pair]:
    return [Pair(SHARED_REAL / row["workbook"], COMMITTED / row["pdf"], f"committed/{row['setting']}")
            for row in MANIFEST]


def _cases() -> list[Pair]:
    return _committed_pairs() + given_pairs()


def _case_id(pair: Pair) -> str:
    return f"{pair.setting}/{pair.pdf.name}"


def _param(pair: Pair):
    failing = FAILING_TODAY.get(_case_id(pair))
    marks = [pytest.mark.xfail(strict=True, reason=f"issue 29: {failing}")] if failing else []
    return pytest.param(pair, id=_case_id(pair), marks=marks)


@pytest.fixture(scope="module")
def scores(tmp_path_factory, real_extract_cache):
    db = warehouse_in(tmp_path_factory.mktemp("real_prints"), "prints.duckdb", real_extract_cache)
    pairs = _cases()
    return score_pairs(db, pairs, ingest(db, pairs))


@pytest.mark.parametrize("row", MANIFEST, ids=lambda row: row["pdf"])
def test_each_committed_print_was_printed_from_the_workbook_in_shared_real(row):
    assert hashlib.sha256((SHARED_REAL / row["workbook"]).read_bytes()).hexdigest() == row["workbook_sha256"], \
        "the workbook changed: regenerate with tests/fixtures/real_print_fixtures.py"


@pytest.mark.parametrize("pair", [_param(pair) for pair in _cases()])
def test_the_print_reads_as_its_workbook_does(scores, pair):
    score = scores[pair]
    figures = (f"{score.wrong} wrong ({score.wrong_value} another number, {score.wrong_key} under a key the "
               f"workbook has no number for), {score.equal} equal, {score.refused} refused, of {score.workbook}; "
               f"{score.conflicting} keys the workbook reading gives two numbers, not scored")
    assert score.wrong == 0, figures
    assert score.equal >= 0.99 * score.workbook, figures


# The truth must be one: a workbook whose reading gives a key two numbers (it loads two columns as one
# indicator and scope) leaves those keys out of the scores above.
@pytest.mark.parametrize("workbook", sorted({pair.workbook.relative_to(SHARED_REAL).as_posix() for pair in _cases()}))
def test_the_workbook_reading_gives_each_key_one_number(scores, workbook):
    conflicting = {pair.pdf.name: score.conflicting for pair, score in scores.items()
                   if pair.workbook == SHARED_REAL / workbook}
    assert set(conflicting.values()) == {0}, conflicting


def test_a_growth_rates_header_printed_off_its_numbers_in_its_ruled_box_heads_them(scores):
    # GRP per capita printed on A4 in Noto Serif: 地区生产总值增长率's box text, centred left of its narrow
    # numbers and parted from the column before by the box's rule, was read as a blank column's header, its
    # twin refused with it
    pair, = [pair for pair in scores if pair.setting == "committed/a4-portrait-fitwidth-notoserifcjksc-nogrid-norepeat"
             and pair.pdf.name == "GRP per capita.pdf"]
    refused = scores[pair].refused_keys
    # a growth rate refused is one of a row not placed, whose other values are refused too
    growth = {key[0] for key in refused if key[2] == "gdp_growth"}
    assert scores[pair].equal and growth <= {key[0] for key in refused if key[2] != "gdp_growth"}, sorted(growth)
