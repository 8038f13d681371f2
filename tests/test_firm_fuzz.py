"""Firm files drawn as they really come: per year, column names from any year or vendor (some known to no
map), region codes and registration types in one of several printed formats, firms recorded twice.

tests/fixtures/firm_fuzzer.py draws each year's file from a seed; every seed's years are ingested into
a warehouse of their own and the city shares are recomputed by hand from the drawn firms (first record
of a firm id counts, the cities declared in firm_fixtures.PLACES). `CNSTAT_FUZZ_SEED=N` also draws
FRESH_SEEDS new seeds from N.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from firm_fixtures import assert_matches, by_hand, rows, with_groups
from firm_fuzzer import (FORMATS, REGION_FORMATS, REGISTRATION_FORMATS, UNKNOWN_NAMES, drawn_firms, seed_years,
                         write_seed, year_traits)

from cnstat_etl.pipeline import ingest

SEEDS = [1, 5, 14]  # between them every trait below, and a 2006 .dta and a 2007 .xlsx as issue 33 met
FRESH_SEEDS = 5
if "CNSTAT_FUZZ_SEED" in os.environ:
    SEEDS += list(range(int(os.environ["CNSTAT_FUZZ_SEED"]), int(os.environ["CNSTAT_FUZZ_SEED"]) + FRESH_SEEDS))


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def seed_db(request, tmp_path_factory) -> tuple[int, Path]:
    folder = tmp_path_factory.mktemp(f"firm_fuzz_{request.param}")
    write_seed(folder / "files", request.param)
    db = folder / "w.duckdb"
    summary = ingest([folder / "files"], db, jobs=1)
    failed = [f"{f.path.name}: {f.reason}" for f in summary.files if f.status == "failed"]
    assert not failed, failed
    return request.param, db


def counted(seed: int, year: int) -> pd.DataFrame:
    """The year's records, numbered as in the file, that count: the first of each firm id."""
    records = drawn_firms(seed, year)
    records["row"] = range(1, len(records) + 1)
    return with_groups(records.drop_duplicates("firm_id", keep="first"))


def test_city_shares_equal_those_recomputed_by_hand_from_the_drawn_firms(seed_db):
    seed, db = seed_db
    for year in seed_years(seed):
        firms = counted(seed, year)
        placed = firms[firms["city"].notna()]
        found = {r["region_code"]: r for r in rows(db, "select * from firm_aggregates where year = ?", [year])}
        assert set(found) == set(placed["city"]), (year, year_traits(seed, year))
        for city, group in placed.groupby("city"):
            expected = by_hand(group, year_traits(seed, year).holding_status)
            assert_matches(found[city], expected, f"seed {seed}, {city} {year}, {year_traits(seed, year)}")


def test_every_firm_on_an_invalid_code_is_listed_in_firm_unplaced(seed_db):
    seed, db = seed_db
    for year in seed_years(seed):
        firms = counted(seed, year)
        unplaced = firms[firms["city"].isna()]
        assert len(unplaced), "every year draws firms on invalid codes"
        listed = rows(db, "select \"row\", firm_id from firm_unplaced where year = ? order by \"row\"", [year])
        assert listed == [{"row": r, "firm_id": f} for r, f in zip(unplaced["row"], unplaced["firm_id"])], \
            (year, year_traits(seed, year).region_format)


def test_a_firm_recorded_twice_in_a_year_counts_once_by_its_first_record_and_is_reported(seed_db):
    seed, db = seed_db
    for year in seed_years(seed):
        records = drawn_firms(seed, year)
        records["row"] = range(1, len(records) + 1)
        later = records[records.duplicated("firm_id", keep="first")]
        listed = rows(db, "select \"row\", firm_id from firm_duplicates where year = ? order by \"row\"", [year])
        assert listed == [{"row": r, "firm_id": f} for r, f in zip(later["row"], later["firm_id"])]
        reported = rows(db, "select message from problems p join firm_files f using (source_path) "
                            "where f.year = ? and kind = 'duplicate_firm'", [year])
        assert len(reported) == (1 if len(later) else 0)
        if len(later):
            assert f"({len(later)} records more" in reported[0]["message"]


def test_a_column_no_map_names_is_recognised_by_its_content_and_reported_for_confirmation(seed_db):
    seed, db = seed_db
    for year in seed_years(seed):
        traits = year_traits(seed, year)
        guessed = {r["message"] for r in rows(db, "select message from problems p join firm_files f "
                                                  "using (source_path) where f.year = ? and kind = 'guessed_column'",
                                              [year])}
        unknown = {field: traits.names[field] for field in UNKNOWN_NAMES if traits.names[field] in UNKNOWN_NAMES[field]}
        assert len(guessed) == len(unknown)
        for name in unknown.values():
            assert any(f"column {name!r} read as" in message and f'"{year},' in message for message in guessed)


def test_the_default_seeds_draw_every_format_unknown_names_and_the_files_issue_33_met():
    traits = [year_traits(seed, year) for seed in SEEDS[:3] for year in seed_years(seed)]
    assert {t.file_format for t in traits} == set(FORMATS)
    assert {t.region_format for t in traits} == set(REGION_FORMATS)
    assert {t.registration_format for t in traits} == set(REGISTRATION_FORMATS)
    assert any(t.names["code"] in UNKNOWN_NAMES["code"] for t in traits)
    assert any(t.names["registration_type"] in UNKNOWN_NAMES["registration_type"] and t.registration_format == "words"
               for t in traits)
    assert any(t.duplicate_share and t.revised_duplicates for t in traits)
    assert {(2006, "dta"), (2007, "xlsx")} <= {(t.year, t.file_format) for t in traits}


def test_the_fuzzer_draws_the_same_files_from_a_seed_and_other_traits_from_other_years():
    assert drawn_firms(3, 2005).equals(drawn_firms(3, 2005))
    traits = [year_traits(3, year) for year in range(1999, 2014)]
    assert len({t.region_format for t in traits}) > 1 and len({t.file_format for t in traits}) > 1
    assert any(t.duplicate_share for t in traits) and not all(t.duplicate_share for t in traits)
