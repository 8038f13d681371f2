"""Real CNKI downloads of the China City Statistical Yearbook load through `cnstat ingest` with no flag.

The expectation is read from the raw workbooks here with xlrd and msoffcrypto, not with cnstat's parser:
every indented prefecture row and every municipality row of a column must load once, under a code in
force in the data year, with the printed number times the factor of the unit printed in its header.
Skipped where ../shared/real is absent (CI has it).
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import msoffcrypto
import pytest
import xlrd

from conftest import SHARED_REAL, warehouse_in
from cnstat_etl.harmonise.regions import prefectures_in_force

CCSY2018 = SHARED_REAL / "ccsy2018_cnki_kubiapxh"
ITSAQUESTION = SHARED_REAL / "ccsy_cnki_itsaquestion"
CNSTAT = str(Path(sys.executable).parent / "cnstat")

pytestmark = pytest.mark.skipif(not SHARED_REAL.is_dir(), reason=f"{SHARED_REAL} is absent: real CNKI files not available")

# This test's own reading of the units the headers print, to base units.
FACTORS = {"万元": 1e4, "元": 1.0, "万人": 1e4, "万户": 1e4, "人": 1.0, "%": 1.0, "‰": 1.0, "公顷": 1.0, "吨": 1.0,
           "万吨": 1e4, "微克/立方米": 1.0}
MUNICIPALITIES = {"北京市": "110000", "天津市": "120000", "上海市": "310000", "重庆市": "500000"}


@pytest.fixture(scope="module")
def real_db(tmp_path_factory, real_extract_cache) -> Path:
    db = warehouse_in(tmp_path_factory.mktemp("real"), "real.duckdb", real_extract_cache)
    run = subprocess.run([CNSTAT, "ingest", "--db", str(db), str(CCSY2018), str(ITSAQUESTION)],
                         capture_output=True, text=True, timeout=600)
    assert "Traceback" not in run.stderr, run.stderr
    return db


def query(db: Path, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def raw_sheet(path: Path) -> xlrd.sheet.Sheet:
    office = msoffcrypto.OfficeFile(io.BytesIO(path.read_bytes()))
    data = path.read_bytes()
    if office.is_encrypted():
        office.load_key(password="VelvetSweatshop")
        out = io.BytesIO()
        office.decrypt(out)
        data = out.getvalue()
    return xlrd.open_workbook(file_contents=data).sheet_by_name("1-7")


def expected_cells(path: Path) -> dict[tuple[int, int], tuple[str, str, str]]:
    """(row, column) 1-based -> (Chinese row label, printed text, unit in the column's header), for every
    prefecture row (indented) and municipality row of every value column."""
    sheet = raw_sheet(path)
    header_row = next(r for r in range(sheet.nrows) if re.sub(r"\s", "", str(sheet.cell_value(r, 0))) == "城市")
    unit_lines = [m.group(1) for r in range(header_row) for cell in sheet.row_values(r)
                  if (m := re.match(r"\s*单位\s*[:：]\s*(\S+)", str(cell)))]
    units = {}
    for c in range(2, sheet.ncols):
        # A merged group header is written in its first cell: take the nearest filled one at or left of c.
        header = next(str(sheet.cell_value(header_row, k)) for k in range(c, 1, -1)
                      if str(sheet.cell_value(header_row, k)).strip())
        units[c] = next((u for u in re.findall(r"[(（]([^()（）]+)[)）]", header) if u in FACTORS),
                        unit_lines[0] if unit_lines else "")
    cells = {}
    for r in range(sheet.nrows):
        label = str(sheet.cell_value(r, 0))
        name = label.strip()
        if not (label.startswith("  ") or name in MUNICIPALITIES):
            continue
        for c in range(2, sheet.ncols):
            cells[(r + 1, c + 1)] = (name, str(sheet.cell_value(r, c)).strip(), units[c])
    return cells


CCSY2018_FILES = sorted(CCSY2018.glob("*.xls")) if CCSY2018.is_dir() else []


@pytest.mark.parametrize("path", CCSY2018_FILES + [ITSAQUESTION / "cnki.xls"], ids=lambda p: p.name)
def test_every_prefecture_row_of_every_recognised_column_loads_in_base_units(real_db, path):
    data_year = 2016 if path.name == "cnki.xls" else 2017
    expected = expected_cells(path)
    loaded = {(row, column): (code, year, value, printed, unit)
              for row, column, code, year, value, printed, unit in query(
                  real_db, 'select "row", "column", region_code, year, value, value_as_printed, unit_as_printed '
                  "from observations where source_file = ?", path.name)}
    unrecognised = {column for (column,) in query(
        real_db, "select distinct \"column\" from problems where source_file = ? and kind = 'unknown_column'",
        path.name)}
    refused = {column for (column,) in query(
        real_db, "select distinct \"column\" from problems where source_file = ? and kind = 'bad_unit'", path.name)}
    loaded_columns = {column for _row, column in loaded}
    all_columns = {column for _row, column in expected}
    # Every column loads, under a dictionary indicator or (named by no indicator) a provisional one, except
    # a column printing no unit anywhere, which is refused with a reason (2-5's 公园绿地面积).
    assert loaded_columns | refused == all_columns and not loaded_columns & refused
    assert unrecognised <= loaded_columns
    assert query(real_db, "select count(*) from unresolved where source_file = ?", path.name) == [(0,)]
    prefectures = prefectures_in_force(data_year, include_municipalities=True)
    for column in loaded_columns:
        rows = {key: want for key, want in expected.items() if key[1] == column}
        got = {key: have for key, have in loaded.items() if key[1] == column}
        assert sorted(got) == sorted(rows), f"column {column}: rows loaded differ from the prefecture rows"
        codes = [have[0] for have in got.values()]
        assert len(set(codes)) == len(codes) and set(codes) <= prefectures
        for key, (name, printed, unit) in rows.items():
            code, year, value, value_as_printed, unit_as_printed = got[key]
            assert (year, value_as_printed, unit_as_printed) == (data_year, printed, unit), key
            if name in MUNICIPALITIES:
                assert code == MUNICIPALITIES[name]
            if printed:
                assert math.isclose(value, float(printed) * FACTORS[unit], rel_tol=1e-12), key
            else:
                assert value is None, key


def test_table_2_9_is_found_by_its_title_and_loads_urban_district_gdp(real_db):
    # The file is named "GRP per capita" but is table 2-9, GDP of the urban districts (SOURCE.md).
    rows = query(real_db, "select region_code, year, scope, value from observations "
                 "where source_file = 'GRP per capita.xls' and indicator = 'gdp' and region_code = '110000'")
    assert rows == [("110000", 2017, "urban_districts", 280149400 * 1e4)]
    scopes = query(real_db, "select distinct scope from observations where source_file = 'GRP per capita.xls'")
    assert scopes == [("urban_districts",)]


def test_two_level_header_gives_each_column_its_scope(real_db):
    rows = query(real_db, "select scope, value from observations where source_file = 'Population and HH.xls' "
                 "and indicator = 'population' and region_code = '110000' order by scope")
    assert rows == [("city_total", 1359e4), ("urban_districts", 1359e4)]
    per_scope = query(real_db, "select scope, count(*) from observations where source_file = 'Population change.xls' "
                      "and indicator = 'births' group by scope order by scope")
    assert per_scope == [("city_total", 298), ("urban_districts", 298)]


def test_cnki_database_extract_skips_province_subtotals_and_keeps_shanghai(real_db):
    skipped = query(real_db, "select message from problems where source_file = 'error4.xls' and kind = 'skipped_row'")
    assert sorted(m for (m,) in skipped) == sorted(f"province subtotal row {p!r}"
                                                    for p in ("吉林省", "黑龙江省", "江苏省", "浙江省"))
    codes = {code for (code,) in query(real_db, "select distinct region_code from observations "
                                                "where source_file = 'error4.xls'")}
    assert "310000" in codes and len(codes) == 42
    assert codes <= prefectures_in_force(2014, include_municipalities=True)
    assert query(real_db, "select distinct year from observations where source_file = 'error4.xls'") == [(2014,)]


def test_the_administrative_list_is_skipped_as_a_code_list(real_db):
    # error2.xls is CCSY 2015's 城市行政区划 (cities by administrative level): a list, not statistics (issue 30)
    assert query(real_db, "select status, values_loaded from extraction_report where source_file = 'error2.xls'"
                 ) == [("skipped", 0)]


@pytest.mark.parametrize("name", ["correct.xls", "error.xls", "error5.xls", "Green Cover in cities.xls",
                                  "NOx and SO2.xls", "Smoke Dust.xls", "PM 2.5 Concentration.xls",
                                  "Composition of GRP.xls"])
def test_tables_of_indicators_once_unknown_load_every_numeric_column(real_db, name):
    """Columns the dictionary now knows load under it; columns it does not, under a provisional indicator."""
    report = query(real_db, "select status, values_loaded from extraction_report where source_file = ?", name)
    assert report and report[0][0] == "loaded" and report[0][1] > 0, report
    unknown = {column for (column,) in query(real_db, "select distinct \"column\" from problems "
                                                      "where source_file = ? and kind = 'unknown_column'", name)}
    provisional = {column for (column,) in query(real_db, "select distinct \"column\" from observations "
                                                          "where source_file = ? and indicator like 'provisional:%'",
                                                 name)}
    assert unknown == provisional
