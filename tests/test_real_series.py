"""Real time series, panels and census files load through `cnstat ingest ../shared/real` with no flag.

Expected cells are read here from the raw files with xlrd and pandas, not through cnstat: every printed
number must load in base units, on a code, except rows the warehouse lists as unresolved. Skipped where
../shared/real is absent.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import xlrd

from conftest import SHARED_REAL
from cnstat_etl.extract import FORMATS_BY_SUFFIX

CNSTAT = str(Path(sys.executable).parent / "cnstat")
NBS = SHARED_REAL / "nbs_major_cities_dragon1573"
PANEL = SHARED_REAL / "ccsy_panel_jcdasheng" / "1999-2018 Cities data.xlsx"
CENSUS = SHARED_REAL / "census_city_2010_2020_leiii" / "census_city_2010-2020_v1.csv"
QUANTURBAN = SHARED_REAL / "ccsy_city_2015_quanturban" / "yearbook_light.csv"

pytestmark = pytest.mark.skipif(not SHARED_REAL.is_dir(), reason=f"{SHARED_REAL} is absent: real files not available")


def query(db: Path, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def loaded_cells(db: Path, source_file: str, indicator: str) -> dict[tuple[int, int], tuple]:
    return {(row, column): (code, year, value, unit) for row, column, code, year, value, unit in query(
        db, 'select "row", "column", region_code, year, value, unit from observations '
        "where source_file = ? and indicator = ?", source_file, indicator)}


def unresolved_rows(db: Path, source_file: str) -> set[int]:
    return {row for (row,) in query(db, 'select "row" from unresolved where source_file = ?', source_file)}


REAL_FILES = sorted(str(p.relative_to(SHARED_REAL)) for p in SHARED_REAL.rglob("*")
                    if p.suffix.lower() in FORMATS_BY_SUFFIX) if SHARED_REAL.is_dir() else []


# Lists of places, not statistics: the crosswalk's files and CCSY 2015's 城市行政区划 list (issue 30).
CODE_LISTS = ("prefecture_crosswalk_fiersity/", "ccsy_cnki_itsaquestion/error2.xls")


@pytest.mark.parametrize("relative", REAL_FILES)
def test_every_real_file_loads_or_is_skipped_as_a_code_list(real_db, relative):
    db, _ = real_db
    [(status,)] = query(db, "select status from sources where source_path = ?", str(SHARED_REAL / relative))
    assert status == ("skipped" if relative.startswith(CODE_LISTS) else "loaded")


def test_code_lists_are_skipped_with_a_reason_and_the_exit_code_fails_only_for_a_failed_file(real_db):
    db, run = real_db
    statuses = dict(query(db, "select source_file, status from sources"))
    assert run.returncode == (1 if "failed" in statuses.values() else 0), run.stderr
    assert {name for name, status in statuses.items() if status == "skipped"} == {
        p.name for p in (SHARED_REAL / "prefecture_crosswalk_fiersity").glob("*.csv")} | {"error2.xls"}
    skipped = query(db, "select distinct message from problems where kind = 'not_statistical'")
    assert len(skipped) == 2 and all(m.startswith("not a statistical table: a code list") for (m,) in skipped)


def test_a_download_printing_no_year_takes_its_edition_from_its_name_and_records_it(real_db):
    db, _ = real_db
    editions = SHARED_REAL / "ccsy_excel_chinautc"
    found = query(db, "select s.source_path, t.year, t.year_from from extracted_tables t join sources s "
                      "using (source_sha256) where s.source_path like ? and t.year is not null", f"{editions}/%")
    # The 2021 edition prints "中国2020年地级以上城市数据" above its tables; the later ones print no year.
    assert found and all(year == int(Path(path).parent.name) - 1 and year_from in ("title", f"path: {Path(path).name}")
                         for path, year, year_from in found)
    assert {Path(path).parent.name for path, _year, year_from in found if year_from.startswith("path")} >= {
        "2022", "2023"}


@pytest.mark.parametrize("name, indicator", [("20_Major_GDP.xls", "gdp"), ("20_Major_PIAV.xls", "gdp_primary"),
                                             ("20_Major_SIAV.xls", "gdp_secondary"),
                                             ("20_Major_TIAV.xls", "gdp_tertiary")])
def test_nbs_wide_export_loads_every_city_and_year_in_yuan(real_db, name, indicator):
    db, _ = real_db
    sheet = xlrd.open_workbook(str(NBS / name)).sheet_by_index(0)
    header = next(r for r in range(sheet.nrows) if re.fullmatch(r"\d{4}年", str(sheet.cell_value(r, 1))))
    body = [r for r in range(header + 1, sheet.nrows) if not str(sheet.cell_value(r, 0)).startswith("数据来源")]
    # A year column NBS pads with nothing (2018) prints no value; a blank cell in a printed year loads as NULL.
    printed_years = [c for c in range(1, sheet.ncols) if any(sheet.cell_value(r, c) != "" for r in body)]
    assert len(printed_years) == sheet.ncols - 2
    expected = {}
    for r in body:
        for c in printed_years:
            printed = sheet.cell_value(r, c)
            expected[(r + 1, c + 1)] = (int(str(sheet.cell_value(header, c))[:4]),
                                        None if printed == "" else float(printed) * 1e8)
    loaded = loaded_cells(db, name, indicator)
    # Every row is placed: the database is one of cities, so its bare 南宁 is 南宁市 even in 1999-2001, when
    # the 南宁地区 around it existed too.
    assert query(db, "select count(*) from unresolved where source_file = ?", name) == [(0,)]
    want = expected
    assert sorted(loaded) == sorted(want)
    for key, (year, value) in want.items():
        code, loaded_year, loaded_value, unit = loaded[key]
        assert (loaded_year, unit) == (year, "CNY"), key
        assert loaded_value is None if value is None else math.isclose(loaded_value, value, rel_tol=1e-12), key
    assert {code for code, *_ in loaded.values()} >= {"110000", "310000", "440100", "650100"}
    nanning = next(r + 1 for r in body if sheet.cell_value(r, 0) == "南宁")
    assert {code for (row, _c), (code, *_rest) in loaded.items() if row == nanning} == {"450100"}
    assert query(db, "select distinct kind from sources where source_file = ?", name) == [("nbs",)]


def test_nbs_per_city_export_has_indicators_as_rows_and_the_place_in_its_metadata(real_db):
    db, _ = real_db
    sheet = xlrd.open_workbook(str(NBS / "20_Guangzhou_All.xls")).sheet_by_index(0)
    gdp_row = next(r for r in range(sheet.nrows) if str(sheet.cell_value(r, 0)).startswith("国内生产总值"))
    expected = {(gdp_row + 1, c + 1): float(sheet.cell_value(gdp_row, c)) * 1e8
                for c in range(1, sheet.ncols) if sheet.cell_value(gdp_row, c) != ""}
    assert len(expected) >= 15
    loaded = loaded_cells(db, "20_Guangzhou_All.xls", "gdp")
    assert sorted(loaded) == sorted(expected)
    assert {code for code, *_ in loaded.values()} == {"440100"}
    assert all(math.isclose(loaded[key][2], value, rel_tol=1e-12) for key, value in expected.items())


PANEL_COLUMNS = {"地区生产总值_当年价格_全市_万元": ("gdp", 1e4, "CNY"), "年末总人口_全市_万人": ("population", 1e4, "person"),
                 "外商实际投资额_全市_万美元": ("fdi_utilised", 1e4, "USD")}


def test_long_panel_loads_gdp_population_and_fdi_of_every_city_year_on_codes(real_db):
    db, _ = real_db
    frame = pd.read_excel(PANEL, sheet_name="new")
    unresolved = unresolved_rows(db, PANEL.name)
    assert len(unresolved) <= 2  # 思茅市 2012: renamed 普洱市 in 2007, a name out of its year
    for header, (indicator, factor, unit) in PANEL_COLUMNS.items():
        column = list(frame.columns).index(header) + 1
        loaded = loaded_cells(db, PANEL.name, indicator)
        expected = {(i + 2, column): (int(year), value) for i, (year, value)
                    in enumerate(zip(frame["年份"], frame[header])) if i + 2 not in unresolved}
        assert sorted(loaded) == sorted(expected), header
        for key, (year, value) in expected.items():
            code, loaded_year, loaded_value, loaded_unit = loaded[key]
            assert (loaded_year, loaded_unit) == (year, unit) and re.fullmatch(r"\d{6}", code), key
            if pd.isna(value):
                assert loaded_value is None, key
            else:
                assert math.isclose(loaded_value, float(value) * factor, rel_tol=1e-12), key
    assert len(frame) - len(unresolved) == len({row for (row, _c) in loaded_cells(db, PANEL.name, "gdp")})
    scopes = query(db, "select distinct scope from observations where source_file = ? and indicator = "
                   "'green_cover_rate'", PANEL.name)
    assert scopes == [("urban_districts",)]  # "绿化覆盖率_市辖区_百分比%": the scope is in the name


def test_census_descriptor_loads_resident_population_2010_and_2020_not_registered_population(real_db):
    db, _ = real_db
    frame = pd.read_csv(CENSUS, usecols=["city", "city_code", "popu_2010", "popu_2020"], dtype={"city_code": str})
    header = list(pd.read_csv(CENSUS, nrows=0).columns)
    # A county-level unit (儋州 in 2010, 济源) loads on the county panel, a province-level one (香港) is
    # skipped at its row: neither is in the prefecture panel.
    county = set(query(db, 'select "row", "column" from county_observations where source_file = ?', CENSUS.name))
    skipped_rows = {row for (row,) in query(db, 'select "row" from problems where source_file = ? and kind = '
                                            "'skipped_row' and \"column\" is null", CENSUS.name)}
    assert county and not skipped_rows & {row for row, _column in county}
    unresolved = {(row, year) for row, year in query(
        db, 'select "row", year from unresolved where source_file = ?', CENSUS.name)}
    loaded = loaded_cells(db, CENSUS.name, "population_resident")
    expected = {}
    for i, record in frame.iterrows():
        for year in (2010, 2020):
            key = (i + 2, header.index(f"popu_{year}") + 1)
            if key not in county and i + 2 not in skipped_rows and (i + 2, year) not in unresolved:
                expected[key] = (year, float(record[f"popu_{year}"]))
    assert sorted(loaded) == sorted(expected)
    for key, (year, value) in expected.items():
        assert loaded[key][1:] == (year, value, "person"), key
    assert len(unresolved) < 10 and {year for _row, year in unresolved} == {2010}
    # Today's code for 2010: the unit it was then when its area stayed whole (毕节市 520500 was 毕节地区 522400).
    bijie = next(i + 2 for i, code in enumerate(frame["city_code"]) if code == "520500")
    assert loaded[(bijie, header.index("popu_2010") + 1)][0] == "522400"
    assert query(db, "select count(*) from observations where source_file = ? and indicator = 'population'",
                 CENSUS.name) == [(0,)]
    assert query(db, "select distinct kind from sources where source_file = ?", CENSUS.name) == [("census",)]


def test_a_column_naming_no_indicator_loads_as_provisional_in_its_unit_and_is_listed_for_curation(real_db):
    db, _ = real_db
    frame = pd.read_csv(QUANTURBAN)
    column = list(frame.columns).index("Employment") + 1
    loaded = {row: (value, unit, year) for row, value, unit, year in query(
        db, 'select "row", value, unit, year from observations where source_file = ? and indicator = '
        "'provisional:Employment'", QUANTURBAN.name)}
    assert len(loaded) == len(frame) and all(c == column for (c,) in query(
        db, 'select distinct "column" from observations where indicator = \'provisional:Employment\''))
    for i, value in enumerate(frame["Employment"]):
        expected = None if pd.isna(value) else float(value)
        assert loaded[i + 2] == (expected, "person", 2015), i
    listed = subprocess.run([CNSTAT, "indicators", "--unknown", "--db", str(db), "--format", "csv"],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split(",")[0]: line.split(",")[2] for line in listed.stdout.splitlines()[1:]}
    assert rows["provisional:Employment"] == str(len(frame))
    # Provisional indicators are not panel columns: their meaning and additivity are not known yet.
    panel_columns = {name for (name,) in query(db, "select column_name from information_schema.columns "
                                                   "where table_name = 'panel'")}
    assert "gdp" in panel_columns and not any(name.startswith("provisional") for name in panel_columns)
