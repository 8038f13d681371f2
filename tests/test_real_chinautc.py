"""Every prefecture and county-level-city cell of the real CCSY Excel edition (2021-2023, chapters 2 and 3)
loads on its own code with the number the workbook prints (issue 30).

The cells are recomputed from the workbooks with openpyxl (tests/fixtures/chinautc_cells.py). Skipped where
../shared/real is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chinautc_cells import CHINAUTC, ingest, scores
from conftest import warehouse_in

pytestmark = pytest.mark.skipif(not CHINAUTC.is_dir(), reason=f"{CHINAUTC} is absent: real CCSY workbooks "
                                "not available")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, real_extract_cache) -> Path:
    db = warehouse_in(tmp_path_factory.mktemp("chinautc"), "w.duckdb", real_extract_cache)
    run = ingest(db)
    assert "Traceback" not in run.stderr, run.stderr
    return db


@pytest.fixture(scope="module")
def scored(warehouse):
    return scores(warehouse)


def test_the_three_editions_and_both_chapters_are_scored(scored):
    assert sorted(scored) == [(edition, chapter) for edition in ("2021", "2022", "2023") for chapter in "23"]
    assert all(score.cells > 1500 for score in scored.values())


@pytest.mark.parametrize("edition", ["2021", "2022", "2023"])
@pytest.mark.parametrize("chapter", ["2", "3"])
def test_no_cell_of_a_place_row_is_wrong_or_lost(scored, edition, chapter):
    score = scored[(edition, chapter)]
    assert score.wrong == [] and score.unplaced == [], score.line()
    assert score.equal + sum(score.refused.values()) == score.cells


@pytest.mark.parametrize("edition", ["2021", "2022", "2023"])
@pytest.mark.parametrize("chapter", ["2", "3"])
def test_only_cells_printing_no_number_are_refused(scored, edition, chapter):
    # 2021's 3-3 prints "143)413" and "135OOO": read, they would be guesses
    score = scored[(edition, chapter)]
    assert set(score.refused) <= {"unreadable_value"}, score.line()


@pytest.mark.parametrize("edition", ["2021", "2022", "2023"])
@pytest.mark.parametrize("chapter", ["2", "3"])
def test_every_column_loads_under_a_dictionary_indicator(scored, edition, chapter):
    score = scored[(edition, chapter)]
    assert score.provisional == 0, score.line()
