"""Firm-survey aggregation: the shares of analysis_city recomputed by hand from the generated firms.

Expected values come from the generator's own rows (tests/fixtures/firm_fixtures.py) with pandas and the
cities declared there by hand, never through cnstat.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from firm_fixtures import by_hand as firm_by_hand
from firm_fixtures import (FIRMS_DIR, FIXTURE_FIRMS, FIXTURE_FORMATS, INVALID_CODES, PLACES, assert_matches,
                           city_in_year, firms_for_year, rows, with_groups, write_fixtures)
from workbooks import write_table

from cnstat_etl.pipeline import ingest

CNSTAT = str(Path(sys.executable).parent / "cnstat")
YEARS = sorted(FIXTURE_FORMATS)
YEARS_WITH_HOLDING_STATUS = {2004, 2007, 2009}  # the layouts that print 控股情况
SHARES = ["fie_export_share", "large_fie_concentration", "soe_asset_share", "state_controlled_asset_share",
          "jv_share", "hmt_share"]
FDI_PRINTED = {2002: 0, 2004: 120.5, 2007: 300.0}  # 南京 utilised FDI in 万美元: first positive in 2004


@pytest.fixture(scope="module")
def firm_ingest(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The generated firm files and three FDI tables ingested by `cnstat ingest`, once for the module, with
    what it printed."""
    folder = tmp_path_factory.mktemp("firms")
    for path in FIRMS_DIR.iterdir():
        shutil.copy(path, folder)
    for year, fdi in FDI_PRINTED.items():
        write_table(folder / f"fdi_{year}.xlsx", f"各市主要指标（{year}年）", ["地区", "当年实际使用外资金额（万美元）"],
                    [["南京市", fdi]])
    db = folder / "w.duckdb"
    result = subprocess.run([CNSTAT, "ingest", str(folder), "--db", str(db)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0 and " 0 failed" in result.stdout, result.stdout + result.stderr
    return db, result


@pytest.fixture(scope="module")
def firm_db(firm_ingest) -> Path:
    return firm_ingest[0]


def truth(year: int) -> pd.DataFrame:
    """The generated firms of a year with their declared cities, groups and measures in yuan."""
    firms = firms_for_year(year, FIXTURE_FIRMS)
    firms["row"] = np.arange(1, len(firms) + 1)
    firms["city"] = [city_in_year(c, year) if c in PLACES else None for c in firms["code"]]
    firms["harmonised"] = [PLACES[c][2] if c in PLACES else None for c in firms["code"]]
    return with_groups(firms)


def by_hand(firms: pd.DataFrame, year: int) -> dict:
    return firm_by_hand(firms, year in YEARS_WITH_HOLDING_STATUS)


CITY_YEARS = sorted({(PLACES[c][2], y) for y in YEARS for c, (years, _, _) in PLACES.items() if y in years})


@pytest.mark.parametrize("city, year", CITY_YEARS)
def test_analysis_city_shares_equal_the_sums_of_the_generated_firms(firm_db, city, year):
    firms = truth(year)
    expected = by_hand(firms[firms["harmonised"] == city], year)
    found = rows(firm_db, "select * from analysis_city where harmonised_code = ? and year = ?", [city, year])
    assert len(found) == 1, f"{city} {year} has firms but no analysis_city row"
    assert_matches(found[0], {k: v for k, v in expected.items() if k in found[0]}, f"{city} {year}")


@pytest.mark.parametrize("year", YEARS)
def test_firm_aggregates_per_city_in_force_equal_the_generated_sums(firm_db, year):
    firms = truth(year)
    placed = firms[firms["city"].notna()]
    found = {r["region_code"]: r for r in rows(firm_db, "select * from firm_aggregates where year = ?", [year])}
    assert set(found) == set(placed["city"])
    for city, group in placed.groupby("city"):
        assert_matches(found[city], by_hand(group, year), f"{city} {year}")


def test_a_city_whose_county_codes_changed_keeps_all_its_firms(firm_db):
    """临沧: 临沧地区 533500 until 2002, 临沧市 530900 from 2003; firms of 2004+ still carry 临沧县 533521."""
    found = {(r["region_code"], r["year"]): r["firms_all"] for r in rows(
        firm_db, "select region_code, year, firms_all from firm_aggregates where harmonised_code = '530900'")}
    for year in YEARS:
        firms = truth(year)
        lincang = firms[firms["code"].isin(["533521", "530902"])]
        city = "533500" if year < 2003 else "530900"
        assert found[(city, year)] == len(lincang), year
        if year >= 2003:
            assert (lincang["code"] == "533521").any(), "the fixture must hold a retired code in this year"


def test_firms_with_invalid_codes_are_listed_in_firm_unplaced_with_the_reason(firm_db):
    listed = {(r["year"], r["row"]): r for r in rows(firm_db, "select * from firm_unplaced")}
    expected = {}
    for year in YEARS:
        firms = truth(year)
        for _, firm in firms[firms["city"].isna()].iterrows():
            expected[(year, firm["row"])] = firm
    assert set(listed) == set(expected)
    for key, firm in expected.items():
        reason = listed[key]["reason"]
        printed = firm["code"] if isinstance(firm["code"], str) else None
        assert (INVALID_CODES[printed] in reason) if printed else reason == "no region code", reason
        assert listed[key]["firm_id"] == firm["firm_id"]
        assert listed[key]["sales"] == pytest.approx(firm["sales"])


def test_every_share_is_present_for_every_city_year_with_firms(firm_db):
    found = rows(firm_db, "select * from analysis_city where firms_all > 0")
    assert {(r["harmonised_code"], r["year"]) for r in found} == set(CITY_YEARS)
    for row in found:
        for share in SHARES:
            if share == "state_controlled_asset_share" and row["year"] not in YEARS_WITH_HOLDING_STATUS:
                assert row[share] is None, "a year without 控股情况 has no holding-status share"
            else:
                assert row[share] is not None, (row["harmonised_code"], row["year"], share)


def test_merged_cities_sum_numerators_and_denominators_before_dividing(firm_db):
    """Today's 济南 holds 莱芜 (merged 2018): its share is the pooled ratio, not the mean of two shares."""
    for year in YEARS:
        firms = truth(year)
        jinan, laiwu = firms[firms["city"] == "370100"], firms[firms["city"] == "371200"]
        pooled = by_hand(pd.concat([jinan, laiwu]), year)["soe_asset_share"]
        averaged = (by_hand(jinan, year)["soe_asset_share"] + by_hand(laiwu, year)["soe_asset_share"]) / 2
        found = rows(firm_db, "select soe_asset_share from analysis_city where harmonised_code = '370100' "
                              "and year = ?", [year])[0]["soe_asset_share"]
        assert found == pytest.approx(pooled, rel=1e-12)
        assert found != pytest.approx(averaged, rel=1e-6)


def test_exported_on_the_units_of_a_survey_year_the_merged_cities_stand_alone(firm_db, tmp_path):
    result = subprocess.run([CNSTAT, "export", "--db", str(firm_db), "--format", "csv", "--vintage", "2002",
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    exported = pd.read_csv(tmp_path / "analysis_city.csv", dtype={"harmonised_code": str})
    firms = truth(2002)
    for city in ("371200", "370100"):
        row = exported[(exported.harmonised_code == city) & (exported.year == 2002)].iloc[0].to_dict()
        expected = by_hand(firms[firms["city"] == city], 2002)
        assert_matches({k: (None if pd.isna(v) else v) for k, v in row.items()},
                       {k: v for k, v in expected.items() if k in row}, f"{city} 2002 on 2002 units")


def test_fdi_length_counts_years_from_the_first_positive_fdi_to_2007(firm_db):
    found = rows(firm_db, "select year, fdi_length from analysis_city where harmonised_code = '320100'")
    first_positive = min(year for year, fdi in FDI_PRINTED.items() if fdi > 0)
    assert {r["fdi_length"] for r in found} == {2007 - first_positive}


def test_period_means_carry_the_firm_shares_with_the_years_used(firm_db):
    found = rows(firm_db, "select * from period_means(2002, 2009) where harmonised_code = '330100'")[0]
    shares = [by_hand(truth(y)[truth(y)["harmonised"] == "330100"], y)["hmt_share"] for y in YEARS]
    assert found["hmt_share_years"] == len(YEARS)
    assert found["hmt_share"] == pytest.approx(sum(shares) / len(shares), rel=1e-12)


def test_ingest_prints_the_share_of_firms_and_of_sales_placed(firm_ingest):
    _, result = firm_ingest  # the FDI tables beside the firm files are not firm files: they count for neither
    firms = pd.concat([truth(y) for y in YEARS])
    placed = firms["city"].notna()
    share_firms, share_sales = placed.mean(), firms.loc[placed, "sales"].sum() / firms["sales"].sum()
    match = re.search(r"firm survey: ([\d.]+)% of firms and ([\d.]+)% of their sales placed", result.stdout)
    assert match, result.stdout
    assert float(match.group(1)) == pytest.approx(share_firms * 100, abs=0.005)
    assert float(match.group(2)) == pytest.approx(share_sales * 100, abs=0.005)


def test_kind_firms_on_a_file_without_firm_columns_fails_naming_the_missing_columns(tmp_path):
    table = write_table(tmp_path / "cities_2005.xlsx", "各市主要指标（2005年）", ["地区", "地区生产总值（万元）"],
                        [["南京市", 100]])
    result = subprocess.run([CNSTAT, "ingest", str(table), "--kind", "firms", "--db", str(tmp_path / "w.duckdb")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "no column for firm_id (法人代码)" in result.stderr and "Traceback" not in result.stderr


def test_export_labels_the_firm_shares(firm_db, tmp_path):
    result = subprocess.run([CNSTAT, "export", "--db", str(firm_db), "--format", "dta", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    labels = pd.io.stata.StataReader(tmp_path / "analysis_city.dta").variable_labels()
    assert "外资企业出口交货值占比" in labels["fie_export_share"] and "[fraction]" in labels["fie_export_share"]
    codebook = pd.read_csv(tmp_path / "codebook.csv")
    definition = codebook[codebook.variable == "jv_share"].definition.iloc[0]
    assert "210, 220, 310, 320" in definition


def test_the_generator_writes_the_committed_fixtures_again(tmp_path):
    for written in write_fixtures(tmp_path):
        committed = FIRMS_DIR / written.name
        if written.suffix == ".xlsx":  # the zip records the time it was written: compare the cells
            pd.testing.assert_frame_equal(pd.read_excel(written, dtype=str), pd.read_excel(committed, dtype=str))
        else:
            assert written.read_bytes() == committed.read_bytes(), written.name


def test_a_firm_file_without_a_year_in_its_name_needs_year_and_loads_with_it(tmp_path):
    shutil.copy(FIRMS_DIR / "asif2009.csv", tmp_path / "firms.csv")
    db = str(tmp_path / "w.duckdb")
    refused = subprocess.run([CNSTAT, "ingest", str(tmp_path / "firms.csv"), "--db", db],
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1 and "no survey year in the file name" in refused.stderr
    loaded = subprocess.run([CNSTAT, "ingest", str(tmp_path / "firms.csv"), "--year", "2009", "--db", db],
                            capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    firms = truth(2009)
    assert rows(Path(db), "select firms, firms_placed from firm_files") == [
        {"firms": len(firms), "firms_placed": int(firms["city"].notna().sum())}]


def test_a_year_without_a_column_map_fails_with_the_reason_and_the_rest_loads(tmp_path):
    shutil.copy(FIRMS_DIR / "asif2009.csv", tmp_path / "asif1990.csv")
    shutil.copy(FIRMS_DIR / "asif2002.csv", tmp_path)
    result = subprocess.run([CNSTAT, "ingest", str(tmp_path), "--db", str(tmp_path / "w.duckdb")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "asif1990.csv: no column map for 1990" in result.stderr and "Traceback" not in result.stderr
    assert rows(tmp_path / "w.duckdb", "select year from firm_files") == [{"year": 2002}]


def test_ingesting_the_same_firm_files_again_changes_nothing(firm_db):
    before = rows(firm_db, "select * from firm_totals order by all")
    summary = ingest([firm_db.parent], firm_db, jobs=1)
    assert {f.status for f in summary.files} == {"unchanged"}
    assert rows(firm_db, "select * from firm_totals order by all") == before


def test_every_printed_code_is_recorded_with_how_it_was_placed(firm_db):
    found = {(r["year"], r["code_as_printed"]): r for r in rows(firm_db, "select * from firm_codes")}
    for year in YEARS:
        firms = truth(year)
        for code, group in firms.groupby(firms["code"].where(firms["code"].notna(), None), dropna=False):
            record = found[(year, code if isinstance(code, str) else None)]
            assert record["firms"] == len(group)
            assert record["region_code"] == (city_in_year(code, year) if code in PLACES else None)
        assert found[(year, "320101")]["how"] == "urban_districts"
    assert found[(2004, "330181")]["how"] == "successor" and "330109" in found[(2004, "330181")]["reason"]


def write_csv_with(folder: Path, year: int, names: dict[str, str]) -> Path:
    """The year's generated firms as a csv whose columns carry `names` (generator column -> name)."""
    firms = firms_for_year(year, FIXTURE_FIRMS)
    path = folder / f"asif{year}.csv"
    firms[list(names)].rename(columns=names).to_csv(path, index=False)
    return path


UNKNOWN_MONEY = {"firm_id": "法人代码", "code": "行政区划代码", "registration_type": "登记注册类型",
                 "sales_k": "销售额", "exports_k": "出口交货值", "assets_k": "资产总计", "output_k": "工业总产值(当年价格)"}


def test_a_money_column_no_map_names_is_not_guessed_its_sums_are_missing_and_the_line_to_add_said(tmp_path):
    write_csv_with(tmp_path, 2005, UNKNOWN_MONEY)
    summary = ingest([tmp_path], tmp_path / "w.duckdb", jobs=1)
    assert summary.count("failed") == 0, [f.reason for f in summary.files]
    db = tmp_path / "w.duckdb"
    assert rows(db, "select count(*) as n from firm_totals where measure = 'sales'") == [{"n": 0}]
    assert all(r["jv_share"] is None for r in rows(db, "select jv_share from firm_aggregates"))
    problems = {r["kind"]: r["message"] for r in rows(db, "select kind, message from problems")}
    assert "guessed_column" not in problems
    assert '"2005,sales,<its name>,"' in problems["missing_column"]


def test_a_file_without_a_firm_id_column_fails_naming_its_columns_and_the_line_to_add(tmp_path):
    write_csv_with(tmp_path, 2006, {**UNKNOWN_MONEY, "firm_id": "企业编号"})
    summary = ingest([tmp_path], tmp_path / "w.duckdb", jobs=1, kind="firms")
    [failed] = summary.files
    assert failed.status == "failed" and "\n" not in failed.reason
    assert failed.reason.startswith("no column for firm_id (法人代码) among the columns 企业编号, 行政区划代码")
    assert '"2006,firm_id,<its name>," to mappings/firm_survey_columns.csv' in failed.reason


def test_two_unnamed_columns_that_both_read_as_region_codes_fail_naming_both(tmp_path):
    path = write_csv_with(tmp_path, 2006, {**UNKNOWN_MONEY, "code": "dq1", "sales_k": "工业销售产值(当年价格)"})
    frame = pd.read_csv(path, dtype=str)
    frame.insert(2, "dq2", frame["dq1"])
    frame.to_csv(path, index=False)
    [failed] = ingest([tmp_path], tmp_path / "w.duckdb", jobs=1).files
    assert failed.status == "failed"
    assert "no column for region_code (行政区划代码): the content of dq1, dq2 fits it" in failed.reason
