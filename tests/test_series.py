"""Panels and series without ../shared: column names, where the year comes from, code lists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cnstat_etl.extract import ExtractOptions, extract_file
from cnstat_etl.extract.series import split_column_name
from cnstat_etl.harmonise import harmonise

CNSTAT = str(Path(sys.executable).parent / "cnstat")


@pytest.mark.parametrize("header, expected", [
    ("地区生产总值_当年价格_全市_万元", ("地区生产总值", "city_total", "万元")),
    ("外商实际投资额_全市_万美元", ("外商实际投资额", "city_total", "万美元")),
    ("国内生产总值(亿元)", ("国内生产总值", None, "亿元")),
    ("市辖区地区生产总值_万元", ("地区生产总值", "urban_districts", "万元")),
    ("绿化覆盖率_市辖区_百分比%", ("绿化覆盖率", "urban_districts", "%")),
    ("年末总人口_全市(万人)", ("年末总人口", "city_total", "万人")),
    ("GRP_pc", ("GRP_pc", None, None)),
])
def test_column_name_splits_into_indicator_scope_and_unit(header, expected):
    split = split_column_name(header)
    assert (split.indicator_text, split.scope, split.unit) == expected


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_panel_with_no_year_anywhere_is_an_error_asking_for_year_or_edition(tmp_path):
    source = write_csv(tmp_path / "cross_section.csv", "城市,地区生产总值_全市_万元\n南京市,38145300\n")
    result = extract_file(source)
    assert not result.values
    assert any(p.severity == "error" and "--year" in p.message for p in result.problems)
    given = extract_file(source, ExtractOptions(year=2008))
    assert [(v.table.year, v.indicator, v.value) for v in given.values] == [(2008, "gdp", 38145300.0)]


def test_year_column_and_year_suffix_give_each_value_its_year(tmp_path):
    long = write_csv(tmp_path / "long.csv", "year,city,年末总人口_全市_万人\n2008,南京市,624.46\n2009,南京市,629.77\n")
    assert [(v.table.year, v.indicator, v.value_as_printed) for v in extract_file(long).values] == [
        (2008, "population", "624.46"), (2009, "population", "629.77")]
    wide = write_csv(tmp_path / "wide.csv", "city_code,city,popu_2010,popu_2020\n320100,南京市,8004680,9314685\n")
    values = extract_file(wide).values
    assert sorted((v.table.year, v.column_label, v.region_code, v.value) for v in values) == [
        (2010, "popu_2010", "320100", 8004680.0), (2020, "popu_2020", "320100", 9314685.0)]


def test_code_list_is_skipped_by_name_and_the_ingest_exits_zero(tmp_path):
    source = write_csv(tmp_path / "names.csv", "entity_id,name_2000,name_2024\nE320100,南京市,南京市\n")
    db = tmp_path / "w.duckdb"
    run = subprocess.run([CNSTAT, "ingest", "--db", str(db), str(source)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert "skipped" in run.stdout and "not a statistical table: a code list" in run.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select status, kind from sources").fetchall() == [("skipped", "code_list")]


@pytest.mark.parametrize("database, codes, unresolved", [
    ("主要城市年度数据", {"450100"}, 0),  # a city database: 南宁 is 南宁市
    ("地区年度数据", set(), 2),  # elsewhere 南宁 in 2000 may be 南宁市 or 南宁地区: left unresolved
])
def test_bare_names_of_a_city_database_are_the_cities_not_the_prefectures_around_them(tmp_path, database, codes,
                                                                                        unresolved):
    source = write_csv(tmp_path / "nbs.csv", f"数据库：{database}\n指标：国内生产总值(亿元)\n地区,2001年,2000年\n"
                                             "南宁,365.21,319.87\n数据来源：国家统计局\n")
    harmonised = harmonise(extract_file(source))
    assert {o.region_code for o in harmonised.observations} == codes
    assert len(harmonised.unresolved) == unresolved


SERIES_SEEDS = range(100, 200)


def _series_failures(folder, seeds) -> list[str]:
    """Files with a wrong value, or a value left out that its cell prints (a year column printing no
    number at all is NBS's padding of its latest year: its blanks and markers are left out)."""
    from series_fixtures import check, fresh_files

    failures = []
    for path, traits, golden in fresh_files(folder, seeds):
        _, wrong, refused = check(path, golden)
        printed = [line for line in refused if not line.endswith("(no number)")]
        if wrong or printed:
            failures.append(f"{path.name} {traits}:\n  " + "\n  ".join(wrong + printed))
    return failures


def test_series_files_from_a_hundred_seeds_load_every_printed_value_right(tmp_path):
    failures = _series_failures(tmp_path, SERIES_SEEDS)
    assert not failures, "\n".join(failures)


@pytest.mark.skipif("CNSTAT_FUZZ_SEED" not in os.environ, reason="set CNSTAT_FUZZ_SEED=N for fresh series files")
def test_series_files_from_fresh_seeds_load_every_printed_value_right(tmp_path):
    first = int(os.environ["CNSTAT_FUZZ_SEED"])
    failures = _series_failures(tmp_path, range(first, first + len(SERIES_SEEDS)))
    assert not failures, "\n".join(failures)
