"""The researcher's relations: panel, analysis_city, period_means, conflicts, and the exported files."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cnstat_etl.pipeline import ingest
from workbooks import write_table

CNSTAT = str(Path(sys.executable).parent / "cnstat")
HEADERS = ["地区", "地区生产总值（万元）", "年末总人口（万人）", "地方财政一般预算内收入（万元）",
           "地方财政一般预算内支出（万元）", "科学技术支出（万元）", "当年实际使用外资金额（万美元）", "出口总额（万美元）"]
# (city, year): gdp, population, revenue, expenditure, S&T, FDI, exports as printed
PRINTED = {
    ("南京市", 2008): [38145300, 624.46, 3300100, 3513500, 120300, 239152, 1986000],
    ("郑州市", 2008): [16648400, 486.73, 1556600, 1846300, 80100, 113400, 342100],
    ("南京市", 2009): [42303000, 629.77, 3780900, 4301300, 135900, 251369, 1694100],
    ("郑州市", 2009): [21022400, 491.41, "…", 2250700, 96200, 140100, 287400],  # revenue not printed
}
CODES = {"南京市": "320100", "郑州市": "410100"}
RATES = {2008: 6.9451, 2009: 6.8310}


@pytest.fixture(scope="module")
def panel_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("panel")
    for year in (2008, 2009):
        write_table(folder / f"cities_{year}.xlsx", f"各市主要指标（{year}年）", HEADERS,
                    [[city, *values] for (city, y), values in PRINTED.items() if y == year])
    db = folder / "w.duckdb"
    ingest([folder], db)
    return db


def by_hand(city: str, year: int) -> dict:
    gdp, population, revenue, expenditure, st, fdi, exports = PRINTED[(city, year)]
    gdp, population, expenditure, st = gdp * 1e4, population * 1e4, expenditure * 1e4, st * 1e4
    revenue = None if revenue == "…" else revenue * 1e4
    st_share = st / expenditure
    return {
        "st_share": st_share,
        "st_share_logodds": math.log(st_share / (1 - st_share)),
        "fdi_gdp": fdi * 1e4 * RATES[year] / gdp,
        "log_fdi_gdp": math.log(fdi * 1e4 * RATES[year] / gdp),
        "gdp_per_capita": gdp / population,
        "log_gdp_per_capita": math.log(gdp / population),
        "log_budget_revenue": None if revenue is None else math.log(revenue),
        "fiscal_capacity": None if revenue is None else revenue / gdp,
        "export_gdp": exports * 1e4 * RATES[year] / gdp,
        "east": 1 if city == "南京市" else 0,
    }


@pytest.mark.parametrize("city, year", sorted(PRINTED))
def test_analysis_variables_equal_the_hand_computation(panel_db, city, year):
    with duckdb.connect(str(panel_db), read_only=True) as con:
        cursor = con.execute("select * from analysis_city where harmonised_code = ? and year = ?", [CODES[city], year])
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    for name, expected in by_hand(city, year).items():
        if expected is None:
            assert row[name] is None, f"{name} must be NULL when an input is missing"
        else:
            assert row[name] == pytest.approx(expected, rel=1e-12), name


def test_period_means_report_how_many_years_each_mean_used(panel_db):
    with duckdb.connect(str(panel_db), read_only=True) as con:
        cursor = con.execute("select * from period_means(2008, 2009) where harmonised_code = '410100'")
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    assert row["years_in_data"] == 2
    assert row["fiscal_capacity_years"] == 1  # 2009 revenue was not printed
    assert row["fiscal_capacity"] == pytest.approx(by_hand("郑州市", 2008)["fiscal_capacity"])
    assert row["gdp"] == pytest.approx((16648400 + 21022400) * 1e4 / 2)


def test_panel_command_prints_period_means(panel_db):
    result = subprocess.run([CNSTAT, "panel", "--period", "2008-2009", "--db", str(panel_db), "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = {r["harmonised_code"]: r for r in json.loads(result.stdout)}
    assert rows["320100"]["gdp_years"] == 2 and rows["320100"]["name_en"] == "Nanjing"


def test_sources_that_disagree_by_more_than_half_a_percent_are_listed_as_conflicts(tmp_path):
    write_table(tmp_path / "a.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"], [["南京市", 3814.53]])
    write_table(tmp_path / "b.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"],
                [["南京市", 3775.00], ["无锡市", 4460.21]])
    write_table(tmp_path / "c.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"], [["无锡市", 4461.00]])
    db = tmp_path / "w.duckdb"
    ingest([tmp_path], db)
    with duckdb.connect(str(db), read_only=True) as con:
        conflicts = con.execute("select region_code, sources from conflicts").fetchall()
    assert conflicts == [("320100", 2)]  # 无锡 differs by 0.02%: a rounding, not a conflict


@pytest.fixture(scope="module")
def exported(panel_db, tmp_path_factory):
    """The folder `cnstat export --format F` wrote, exported once per format: one export writes every relation."""
    folders = {}

    def export(file_format: str) -> Path:
        if file_format not in folders:
            folder = tmp_path_factory.mktemp(f"export_{file_format}")
            result = subprocess.run([CNSTAT, "export", "--db", str(panel_db), "--format", file_format, "--out",
                                     str(folder)], capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
            folders[file_format] = folder
        return folders[file_format]
    return export


@pytest.mark.parametrize("file_format", ["parquet", "dta", "csv"])
@pytest.mark.parametrize("relation, order", [("panel", "harmonised_code, year, scope"),
                                             ("analysis_city", "harmonised_code, year")])
def test_export_reads_back_equal_to_the_relation_with_labels(panel_db, exported, file_format, relation, order):
    out = exported(file_format)
    with duckdb.connect(str(panel_db), read_only=True) as con:
        panel = con.execute(f"select * from {relation} order by {order}").df()
    path = out / f"{relation}.{file_format}"
    if file_format == "parquet":
        back = duckdb.sql(f"select * from read_parquet('{path}')").df()
        metadata = dict(duckdb.sql(f"select decode(key), decode(value) from parquet_kv_metadata('{path}')").fetchall())
        columns = json.loads(metadata["cnstat_columns"])
        assert columns["gdp"]["unit"] == "CNY" and "Gross regional product" in columns["gdp"]["label_en"]
    elif file_format == "dta":
        reader = pd.io.stata.StataReader(path)
        back = reader.read()
        labels = reader.variable_labels()
        assert "地区生产总值" in labels["gdp"] and "Gross regional product" in labels["gdp"] and "[CNY]" in labels["gdp"]
        if relation == "analysis_city":
            assert "科学技术支出" in labels["st_share"] and "[fraction]" in labels["st_share"]
    else:
        back = pd.read_csv(path, dtype={"harmonised_code": str, "province_code": str})
    assert list(back.columns) == list(panel.columns)
    for column in panel.columns:
        want, have = panel[column], back[column]
        if want.dtype.kind in "fiu":
            assert have.astype(float).tolist() == pytest.approx(want.astype(float).tolist(), nan_ok=True), column
        else:
            assert have.fillna("").astype(str).tolist() == want.fillna("").astype(str).tolist(), column
    codebook = pd.read_csv(out / "codebook.csv")
    assert set(panel.columns) <= set(codebook[codebook.relation == relation].variable)


def test_panel_takes_the_latest_edition_whatever_the_loading_order(tmp_path):
    later, earlier = tmp_path / "ccsy2010.xlsx", tmp_path / "ccsy2009.xlsx"
    write_table(later, "中国城市统计年鉴—2010", ["地区", "地区生产总值（亿元）"], [["南京市", 3814.62]],
                unit_line="2-9  地区生产总值（2008年）")
    write_table(earlier, "中国城市统计年鉴—2009", ["地区", "地区生产总值（亿元）"], [["南京市", 3775.00]],
                unit_line="2-9  地区生产总值（2008年）")
    db = tmp_path / "w.duckdb"
    ingest([later], db)
    ingest([earlier], db)  # loaded last, but an older edition
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select edition, value from observations order by edition").fetchall() == [
            (2009, 3775e8), (2010, 3814.62e8)]
        assert con.execute("select gdp from panel where harmonised_code = '320100'").fetchone()[0] == 3814.62e8
        assert con.execute("select sources from conflicts").fetchone()[0] == 2


def test_budget_revenue_printed_under_its_2024_name_fills_the_fiscal_variables(tmp_path):
    headers = [h.replace("地方财政一般预算内收入", "地方本级一般公共预算收入") for h in HEADERS]
    write_table(tmp_path / "cities_2023.xlsx", "各市主要指标（2023年）", headers,
                [[city, *values] for (city, y), values in PRINTED.items() if y == 2008])
    db = tmp_path / "w.duckdb"
    ingest([tmp_path], db)
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute("select * from analysis_city where harmonised_code = ? and year = 2023", [CODES["南京市"]])
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    expected = by_hand("南京市", 2008)
    assert row["budget_revenue"] == pytest.approx(PRINTED[("南京市", 2008)][2] * 1e4)
    assert row["fiscal_capacity"] == pytest.approx(expected["fiscal_capacity"], rel=1e-12)
    assert row["log_budget_revenue"] == pytest.approx(expected["log_budget_revenue"], rel=1e-12)


def test_exports_load_in_whichever_currency_an_edition_prints_them(tmp_path):
    # earlier editions print 对外经济贸易 in 万美元, later ones in 万元: neither column is refused
    headers = ["地区", "地区生产总值（万元）", "出口总额（{}）"]
    printed = {2012: ("万美元", 1_200_000), 2022: ("万元", 5_400_000)}
    for year, (unit, exports) in printed.items():
        write_table(tmp_path / f"cities_{year}.xlsx", f"各市主要指标（{year}年）",
                    [h.format(unit) for h in headers], [["南京市", 160_000_000, exports]])
    db = tmp_path / "w.duckdb"
    ingest([tmp_path], db)
    rates = {2012: 6.3125, 2022: 6.7261}  # mappings/exchange_rates.csv
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("select year, value, unit from observations where indicator = 'exports' "
                             "order by year").fetchall()
        panel = dict(con.execute("select year, exports from analysis_city where harmonised_code = '320100' "
                                 "order by year").fetchall())
        shares = dict(con.execute("select year, export_gdp from analysis_city where harmonised_code = '320100' "
                                  "order by year").fetchall())
        refused = con.execute("select count(*) from problems where kind = 'bad_unit'").fetchone()[0]
    assert refused == 0
    assert stored == [(2012, 1_200_000 * 1e4, "USD"), (2022, 5_400_000 * 1e4, "CNY")]
    assert panel[2012] == pytest.approx(1_200_000 * 1e4, rel=1e-12)
    assert panel[2022] == pytest.approx(5_400_000 * 1e4 / rates[2022], rel=1e-12)
    assert shares[2012] == pytest.approx(1_200_000 * rates[2012] / 160_000_000, rel=1e-12)
    assert shares[2022] == pytest.approx(5_400_000 / 160_000_000, rel=1e-12)


PANEL_RELATIONS = ("observations_preferred", "harmonised_observations", "panel", "analysis_city", "conflicts")


def relations_with_observations_in(db: Path, order: str) -> dict[str, list]:
    """Each panel relation once the warehouse's observations are written again in `order`."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TEMP TABLE loaded AS FROM observations")
        con.execute("DELETE FROM observations")
        con.execute(f'INSERT INTO observations FROM loaded ORDER BY {order}')
        return {relation: sorted(map(repr, con.execute(f"FROM {relation}").fetchall())) for relation in PANEL_RELATIONS}


def test_the_panel_is_the_same_whichever_order_one_files_printings_of_a_cell_were_loaded_in(tmp_path):
    # One table printing 南京市 twice: its population alike, its GDP 1% apart.
    write_table(tmp_path / "a.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）", "年末总人口（万人）"],
                [["南京市", 3814.53, 624.46], ["无锡市", 4460.21, 461.74], ["南京市", 3775.00, 624.46]])
    ingest([tmp_path / "a.xlsx"], tmp_path / "w.duckdb")
    shutil.copy(tmp_path / "w.duckdb", tmp_path / "reversed.duckdb")
    assert (relations_with_observations_in(tmp_path / "w.duckdb", '"row"')
            == relations_with_observations_in(tmp_path / "reversed.duckdb", '"row" DESC'))


def test_printings_of_equal_precedence_that_disagree_leave_the_cell_empty_and_are_listed_as_refused(tmp_path):
    write_table(tmp_path / "a.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）", "年末总人口（万人）"],
                [["南京市", 3814.53, 624.46], ["无锡市", 4460.21, 461.74], ["南京市", 3775.00, 624.47]])
    db = tmp_path / "w.duckdb"
    ingest([tmp_path / "a.xlsx"], db)
    with duckdb.connect(str(db), read_only=True) as con:
        panel = dict(con.execute("select harmonised_code, gdp from panel").fetchall())
        assert panel == {"320100": None, "320200": 4460.21e8}
        # the population's two printings differ by a rounding: the first printed is taken
        assert con.execute("select value, \"row\" from observations_preferred where indicator = 'population' "
                           "and region_code = '320100'").fetchall() == [(624.46e4, 3)]
        assert con.execute("select region_code, indicator, sources, printed, refused from conflicts").fetchall() == [
            ("320100", "gdp", 2, "a.xlsx 表1: 3814.53; a.xlsx 表1: 3775", True)]
