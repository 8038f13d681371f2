"""Checks that hold for any layout refuse a column that breaks them in most rows, with the reason listed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnstat_etl import config
from cnstat_etl.errors import MappingError
from cnstat_etl.extract import extract_file
from cnstat_etl.harmonise import column_checks, harmonise

CNSTAT = str(Path(sys.executable).parent / "cnstat")
CITIES = ["南京市", "无锡市", "徐州市", "常州市", "苏州市", "南通市"]


def table(tmp_path, header: list[str], rows: list[list[str]], unit: str = "亿元") -> Path:
    """A 2009 table of the six cities, one row of numbers each."""
    path = tmp_path / "table.csv"
    lines = [["2-1 城市（2009年）"], [f"单位：{unit}"], ["城 市", *header]]
    lines += [[city, *row] for city, row in zip(CITIES, rows)]
    path.write_text("\n".join(",".join(line) for line in lines) + "\n", encoding="utf-8")
    return path


def loaded_and_refused(path: Path) -> tuple[set[tuple[str, str]], list[str]]:
    harmonised = harmonise(extract_file(path))
    loaded = {(o.indicator, o.scope) for o in harmonised.observations}
    return loaded, [p.message for p in harmonised.problems if p.kind == "column_check_failed"]


def test_a_column_mostly_outside_its_indicators_plausible_range_is_refused_and_its_neighbours_load(tmp_path):
    # GDP in 亿元 under a per-capita header: 4,000 亿元 a person
    path = table(tmp_path, ["地区生产总值", "人均地区生产总值"],
                 [["4230", "4230"], ["5000", "5000"], ["2800", "2800"], ["2500", "2500"], ["7740", "7740"],
                  ["3000", "3000"]])
    loaded, refused = loaded_and_refused(path)
    assert loaded == {("gdp", "city_total")}
    assert len(refused) == 1 and "gdp_per_capita" in refused[0] and "plausible magnitude: 6 of 6" in refused[0]


def test_one_implausible_value_is_the_yearbooks_own_and_loads(tmp_path):
    path = table(tmp_path, ["地区生产总值"], [["4230"], ["5000"], ["2800"], ["2500"], ["7740"], ["0.0001"]])
    loaded, refused = loaded_and_refused(path)
    assert loaded == {("gdp", "city_total")} and not refused


def test_districts_above_the_whole_city_in_most_rows_refuse_both_columns(tmp_path):
    # 全市 and 市辖区 read the wrong way round
    path = table(tmp_path, ["地区生产总值（全市）", "地区生产总值（市辖区）", "年末总人口（万人）"],
                 [["3000", "4230", "630"], ["4000", "5000", "470"], ["1500", "2800", "970"], ["1900", "2500", "360"],
                  ["7700", "7740", "630"], ["2000", "3000", "760"]])
    loaded, refused = loaded_and_refused(path)
    assert loaded == {("population", "city_total")}
    assert len(refused) == 2 and all("市辖区 not above 全市: 6 of 6" in message for message in refused)


def test_districts_above_the_whole_city_in_a_row_or_two_load_as_printed(tmp_path):
    path = table(tmp_path, ["地区生产总值（全市）", "地区生产总值（市辖区）"],
                 [["4230", "4000"], ["5000", "5100"], ["2800", "1500"], ["2500", "1900"], ["7740", "7000"],
                  ["3000", "2000"]])
    loaded, refused = loaded_and_refused(path)
    assert loaded == {("gdp", "city_total"), ("gdp", "urban_districts")} and not refused


def test_shares_of_gdp_that_do_not_add_up_to_100_refuse_the_three_columns(tmp_path):
    good = ["2.5", "36.5", "61.0"]
    path = table(tmp_path, ["第一产业占GDP的比重", "第二产业占GDP的比重", "第三产业占GDP的比重"], [good] * 6, unit="%")
    assert loaded_and_refused(path) == ({("gdp_primary_share", "city_total"), ("gdp_secondary_share", "city_total"),
                                         ("gdp_tertiary_share", "city_total")}, [])
    # the secondary column read from the tertiary one's neighbour: each row sums to 125
    path = table(tmp_path, ["第一产业占GDP的比重", "第二产业占GDP的比重", "第三产业占GDP的比重"],
                 [["2.5", "61.0", "61.0"]] * 6, unit="%")
    loaded, refused = loaded_and_refused(path)
    assert not loaded and len(refused) == 3 and all("add up to 100" in message for message in refused)


def test_gdp_that_is_not_its_sectors_sum_refuses_the_four_columns(tmp_path):
    header = ["地区生产总值", "第一产业增加值", "第二产业增加值", "第三产业增加值"]
    path = table(tmp_path, header, [["4230", "100", "1500", "2630"]] * 6)
    assert not loaded_and_refused(path)[1]
    path = table(tmp_path, header, [["4230", "1500", "1500", "2630"]] * 6)
    loaded, refused = loaded_and_refused(path)
    assert not loaded and len(refused) == 4


def test_per_capita_far_from_total_over_population_refuses_the_columns(tmp_path):
    header = ["地区生产总值", "常住人口（万人）", "人均地区生产总值（元）"]
    # 4230 亿元 over 800 万人 is 52,875 元 a person
    path = table(tmp_path, header, [["4230", "800", "52875"]] * 6)
    assert not loaded_and_refused(path)[1]
    path = table(tmp_path, header, [["4230", "800", "5287"]] * 6)
    loaded, refused = loaded_and_refused(path)
    assert not loaded and len(refused) == 3 and all("per-capita GDP" in message for message in refused)


def test_refused_columns_are_listed_by_cnstat_problems_with_their_reason(tmp_path):
    path = table(tmp_path, ["人均地区生产总值"], [["4230"], ["5000"], ["2800"], ["2500"], ["7740"], ["3000"]])
    db = tmp_path / "w.duckdb"
    ingest = subprocess.run([CNSTAT, "ingest", "--db", str(db), str(path)], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in ingest.stderr and "no values" in ingest.stdout  # its only column is refused
    listed = subprocess.run([CNSTAT, "problems", "--db", str(db), "--kind", "column_check_failed"],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "table.csv" in listed.stdout and "column 2" in listed.stdout and "plausible magnitude" in listed.stdout


def test_a_printed_total_that_is_not_its_parts_sum_refuses_the_three_columns(tmp_path):
    header = ["地方政府债务限额", "一般债务限额", "专项债务限额"]
    path = table(tmp_path, header, [["1500.25", "900.10", "600.15"]] * 6)
    assert not loaded_and_refused(path)[1]
    # the special column read from its neighbour: A = B + C nowhere
    path = table(tmp_path, header, [["1500.25", "900.10", "900.10"]] * 6)
    loaded, refused = loaded_and_refused(path)
    assert not loaded and len(refused) == 3 and all("(A = B + C)" in message for message in refused)


def test_an_identity_naming_an_unknown_indicator_is_a_mapping_error_said_in_one_line(tmp_path, monkeypatch):
    mappings = tmp_path / "mappings"
    shutil.copytree(config.MAPPINGS_DIR, mappings)
    with open(mappings / "identities.csv", "a", encoding="utf-8") as f:
        f.write("gdp,sum,gdp_primary no_such_indicator,0.01,a typo in a pull request\n")
    monkeypatch.setattr(config, "MAPPINGS_DIR", mappings)
    column_checks.identities.cache_clear()
    try:
        with pytest.raises(MappingError, match="no_such_indicator"):
            column_checks.identities()
    finally:
        column_checks.identities.cache_clear()
