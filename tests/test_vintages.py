"""Every `*_at(vintage)` relation answers for any year of the code history, whatever vintage the ingest
used; a year outside the history is an error that names the valid range."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cnstat_etl.harmonise import regions
from cnstat_etl.harmonise.resolver import RegionResolver

CNSTAT = str(Path(sys.executable).parent / "cnstat")
HISTORY = f"{regions.first_year()}-{regions.last_year()}"


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("relation", ["analysis_city_at", "panel_at", "harmonised_at"])
@pytest.mark.parametrize("vintage", [2008, 2015, regions.first_year()])
def test_every_relation_answers_on_any_vintage_after_a_default_ingest(samples_db, relation, vintage):
    assert query(samples_db, "select value from settings where key = 'vintage'") == [(str(regions.last_year()),)]
    count, = query(samples_db, f"select count(*) from {relation}({vintage})")[0]
    assert count > 0


def test_a_unit_whose_area_never_changed_keeps_its_values_on_an_earlier_vintage(samples_db):
    # 南京 320100: the same code and area since it took counties of 镇江地区 in 1983, so any later vintage
    # shows the printed values (the 1981 units do not hold it: see the lineage test below).
    printed = query(samples_db, "select year, value from observations_preferred where region_code = '320100' "
                                "and indicator = 'gdp' and scope = 'city_total' order by year")
    assert printed
    for vintage in (1990, 2008, regions.last_year()):
        on_vintage = query(samples_db, f"select year, value from harmonised_at({vintage}) where harmonised_code = "
                                       "'320100' and indicator = 'gdp' and scope = 'city_total' order by year")
        assert on_vintage == printed


@pytest.mark.parametrize("relation", ["analysis_city_at", "panel_at", "harmonised_at"])
def test_a_vintage_outside_the_code_history_is_an_error_naming_the_range(samples_db, relation):
    for vintage in (regions.first_year() - 1, regions.last_year() + 1):
        with pytest.raises(duckdb.Error, match=f"vintage {vintage} is outside the code history {HISTORY}"):
            query(samples_db, f"select count(*) from {relation}({vintage})")


def test_ingest_and_export_refuse_a_vintage_outside_the_history_in_one_line(samples_db, tmp_path):
    for args in (["ingest", "--db", str(tmp_path / "new.duckdb"), "--vintage", "1950"],
                 ["export", "--db", str(samples_db), "--format", "csv", "--out", str(tmp_path), "--vintage", "2099"]):
        result = subprocess.run([CNSTAT, *args], capture_output=True, text=True, timeout=300)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1 and HISTORY in result.stderr, result.stderr


def test_an_earlier_vintage_is_reached_only_through_whole_unchanged_areas():
    resolver = RegionResolver.default()
    # 达州 511700 was 达川地区 513000 until its 1:1 upgrade in 1999; 达川 gave counties away in 1993.
    assert resolver.harmonised_targets("511700", 2015, 1995) == [("513000", 1.0)]
    assert resolver.harmonised_targets("511700", 2015, 1990) == []
    # 济南 absorbed 莱芜 in 2019: its 2019 values are not on the 2015 济南's area.
    assert resolver.harmonised_targets("370100", 2019, 2015) == []
    assert resolver.harmonised_targets("370100", 2017, 2015) == [("370100", 1.0)]
    assert resolver.harmonised_targets("320100", 2008, 1982) == []  # 南京 took counties in 1983
