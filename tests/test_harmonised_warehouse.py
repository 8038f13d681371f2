"""Harmonisation in the warehouse: unplaceable rows, splits allocated by weight, vintages, USD in yuan."""

from __future__ import annotations

import duckdb
import pytest

from cnstat_etl.pipeline import ingest
from workbooks import write_table


def rows(db, sql, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def test_row_whose_name_cannot_be_placed_goes_to_unresolved_and_the_rest_loads(tmp_path):
    source = write_table(tmp_path / "anhui.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"],
                         [["合肥市", 1664.84], ["火星市", 12.0], ["Suzhou", 530.77]])
    db = tmp_path / "w.duckdb"
    summary = ingest([source], db)
    assert summary.unresolved == 2
    assert rows(db, "select region_code, value from observations") == [("340100", 166_484_000_000.0)]
    unresolved = rows(db, 'select "row", printed_name, year, reason, candidates from unresolved order by 1')
    assert [(r[0], r[1], r[2]) for r in unresolved] == [(4, "火星市", 2008), (5, "Suzhou", 2008)]
    assert "ambiguous" in unresolved[1][3]
    assert "320500" in unresolved[1][4] and "341300" in unresolved[1][4]


def test_chaohu_2008_is_allocated_to_hefei_wuhu_and_maanshan_by_lineage_weights(samples_db):
    weights = dict(rows(samples_db, "select harmonised_code, weight from harmonisation "
                                    "where region_code = '341400' and year = 2008 and vintage = 2024"))
    assert set(weights) == {"340100", "340200", "340500"}
    assert sum(weights.values()) == pytest.approx(1)
    chaohu, = rows(samples_db, "select value from observations where region_code = '341400' and year = 2008 "
                               "and indicator = 'gdp' and scope = 'city_total'")[0]
    hefei, = rows(samples_db, "select value from observations where region_code = '340100' and year = 2008 "
                              "and indicator = 'gdp' and scope = 'city_total'")[0]
    harmonised = dict(rows(samples_db, "select harmonised_code, value from harmonised_observations "
                                       "where year = 2008 and indicator = 'gdp' and scope = 'city_total'"))
    assert harmonised["340100"] == pytest.approx(hefei + chaohu * weights["340100"])
    # 芜湖 itself is not in the sample table: its harmonised GDP is unknown, not 巢湖's share alone.
    assert harmonised["340200"] is None
    assert rows(samples_db, "select harmonised_code from observations where region_code = '341400'")[0] == (None,)


def test_upgraded_prefecture_carries_todays_code(samples_db):
    assert rows(samples_db, "select distinct region_code, harmonised_code from observations "
                            "where region_name = '达川地区'") == [("513000", "511700")]


def test_ratio_indicator_is_never_summed_over_merged_units(tmp_path):
    source = write_table(tmp_path / "shandong.xlsx", "各市主要指标（2017年）",
                         ["地区", "地区生产总值（亿元）", "人均地区生产总值（元）"],
                         [["济南市", 7201.96, 98000], ["莱芜市", 1005.65, 73000]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    harmonised = {r[0]: r[1] for r in rows(db, "select indicator, value from harmonised_observations "
                                               "where harmonised_code = '370100'")}
    assert harmonised["gdp"] == pytest.approx((7201.96 + 1005.65) * 1e8)
    assert harmonised["gdp_per_capita"] is None


def test_choosing_another_vintage_reharmonises_the_codes(tmp_path):
    source = write_table(tmp_path / "shandong.xlsx", "各市主要指标（2017年）", ["地区", "地区生产总值（亿元）"],
                         [["莱芜市", 1005.65]])
    db = tmp_path / "w.duckdb"
    ingest([source], db, vintage=2017)
    assert rows(db, "select harmonised_code from observations") == [("371200",)]
    ingest([source], db, vintage=2024)
    assert rows(db, "select harmonised_code from observations") == [("370100",)]


def test_an_ingest_sets_the_codes_of_the_rows_it_loads_and_leaves_the_others_under_the_same_vintage(tmp_path):
    # A code written by hand stands for one an earlier ingest set: rewriting every row at each ingest would
    # put back the derived one; choosing another vintage, or mapping the row's year again, must.
    laiwu = write_table(tmp_path / "laiwu.xlsx", "各市主要指标（2017年）", ["地区", "地区生产总值（亿元）"],
                        [["莱芜市", 1005.65]])
    jinan = write_table(tmp_path / "jinan.xlsx", "各市主要指标（2016年）", ["地区", "地区生产总值（亿元）"],
                        [["济南市", 6536.12]])
    db = tmp_path / "w.duckdb"
    ingest([laiwu], db, vintage=2024)
    with duckdb.connect(str(db)) as con:
        con.execute("update observations set harmonised_code = 'kept'")
    ingest([laiwu, jinan], db)
    assert rows(db, "select region_code, harmonised_code from observations order by 1") == [
        ("370100", "370100"), ("371200", "kept")]
    with duckdb.connect(str(db)) as con:
        con.execute("delete from harmonisation where year = 2017")
    ingest([laiwu], db)  # its year mapped again
    assert rows(db, "select harmonised_code from observations where region_code = '371200'") == [("370100",)]
    with duckdb.connect(str(db)) as con:
        con.execute("update observations set harmonised_code = 'kept'")
    ingest([laiwu], db, vintage=2017)
    assert rows(db, "select region_code, harmonised_code from observations order by 1") == [
        ("370100", "370100"), ("371200", "371200")]


@pytest.mark.parametrize("year, rate", [(1994, 8.6187), (2008, 6.9451), (2015, 6.2284), (2023, 7.0467)])
def test_usd_values_are_also_given_in_yuan_at_that_years_rate(tmp_path, year, rate):
    source = write_table(tmp_path / "fdi.xlsx", f"各市利用外资（{year}年）", ["地区", "实际利用外资（万美元）"],
                         [["南京市", 239_152]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    value, unit, cny_per_usd, value_cny = rows(db, "select value, unit, cny_per_usd, value_cny "
                                                   "from observations_cny")[0]
    assert (value, unit, cny_per_usd) == (2_391_520_000.0, "USD", rate)
    assert value_cny == pytest.approx(2_391_520_000 * rate)


def test_usd_value_in_a_year_without_a_rate_has_no_yuan_value_rather_than_a_guess(tmp_path):
    source = write_table(tmp_path / "fdi.xlsx", "各市利用外资（1990年）", ["地区", "实际利用外资（万美元）"],
                         [["南京市", 9_152]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    assert rows(db, "select value, value_cny from observations_cny") == [(91_520_000.0, None)]


def test_a_province_row_its_box_clips_is_named_by_its_english_and_places_the_rows_under_it(tmp_path):
    # "新疆维吾尔自治区" clipped to "新疆维吾尔自治" at its box's edge was no province: its cities were placed
    # in the province above (宁夏) and refused. A Chinese name that is no province's start stays a place.
    source = write_table(tmp_path / "west.xlsx", "各市主要指标（2017年）", ["地区", "地区生产总值（亿元）"],
                         [["宁夏回族自治区 Ningxia", None], ["银川市 Yinchuan", 1803.17],
                          ["新疆维吾尔自治 Xinjiang", None], ["乌鲁木齐市 Urumqi", 2743.82],
                          ["吉林省 Jilin", None], ["吉林市 Jilin", 2302.5]])
    db = tmp_path / "w.duckdb"
    summary = ingest([source], db)
    assert summary.unresolved == 0
    assert rows(db, "select region_code from observations order by 1") == [("220200",), ("640100",), ("650100",)]
