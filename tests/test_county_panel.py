"""County-level units are placed on their own codes, in a county panel beside the prefecture panel (issue 30).

Generated tables run everywhere; the real CCSY chapter-3 workbooks and provincial debt PDFs are measured
where ../shared/real is present.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from cnstat_etl.extract import extract_file
from cnstat_etl.harmonise import harmonise
from cnstat_etl.harmonise.regions import period_in_force
from cnstat_etl.pipeline import ingest
from conftest import SHARED_REAL
from workbooks import write_table

CHINAUTC = SHARED_REAL / "ccsy_excel_chinautc"
DEBT = SHARED_REAL / "province_debt_chenfei"


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def _hebei(tmp_path: Path) -> Path:
    """石家庄 with its own level and two counties under it, then 新华区 flush under the province: 石家庄's
    and 沧州's both bear that name."""
    return write_table(tmp_path / "hebei.xlsx", "河北省各市县主要指标（2019年）", ["地区", "地区生产总值（亿元）"],
                       [["河北省", 35000.0], ["  石家庄市", 5800.0], ["    石家庄市本级", 900.0],
                        ["    新华区", 450.0], ["    辛集市", 430.0], ["  新华区", 300.0]])


@pytest.fixture(scope="module")
def hebei_db(tmp_path_factory) -> Path:
    """Ingested once for the module: its tests only read it."""
    folder = tmp_path_factory.mktemp("hebei")
    db = folder / "w.duckdb"
    ingest([_hebei(folder)], db, jobs=1)
    return db


def test_counties_printed_under_their_prefecture_load_on_their_codes_in_the_county_panel(hebei_db):
    assert rows(hebei_db, "select unit_kind, region_code, value from county_observations order by 2, 1") == [
        ("own_level", "130100", 900e8), ("county", "130105", 450e8), ("county", "130181", 430e8)]
    assert rows(hebei_db, "select level from regions where code in ('130105', '130181') and valid_to is null") == [
        ("county",), ("county",)]


def test_the_prefecture_panel_holds_what_the_yearbook_prints_for_the_prefecture_alone(hebei_db):
    assert rows(hebei_db, "select region_code, value from observations") == [("130100", 5800e8)]
    assert rows(hebei_db, "select gdp from analysis_city where harmonised_code = '130100'") == [(5800e8,)]


def test_an_own_level_row_is_its_own_unit_kind_not_the_city(hebei_db):
    assert rows(hebei_db, "select unit_kind, harmonised_code, prefecture_code, gdp from analysis_county "
                          "where unit_kind = 'own_level'") == [("own_level", "130100", "130100", 900e8)]


def test_a_county_name_its_province_does_not_make_unique_is_unresolved_with_its_candidates(hebei_db):
    (printed, candidates), = rows(hebei_db, "select printed_name, candidates from unresolved")
    assert printed.strip() == "新华区" and "130105" in candidates and "130902" in candidates


def test_a_county_value_read_unsure_off_a_scan_is_reviewed_as_a_prefectures_is(tmp_path):
    from dataclasses import replace

    from cnstat_etl.model import OcrRead

    result = extract_file(_hebei(tmp_path))
    unsure = replace(result, values=[replace(v, ocr=OcrRead(0.5 if v.region_name == "辛集市" else 0.999, 0, 0, 1, 1))
                                     for v in result.values])
    reviewed = {c.observation.region_name: c.observation.needs_review for c in harmonise(unsure).county_observations}
    assert reviewed == {"石家庄市本级": False, "新华区": False, "辛集市": True}


def test_a_row_read_off_a_scan_whose_english_names_another_place_is_reviewed(tmp_path):
    from dataclasses import replace

    from cnstat_etl.model import OcrRead

    table = write_table(tmp_path / "t.xlsx", "河北省主要指标（2019年）", ["地区", "地区生产总值（亿元）"],
                        [["河北省", 35000.0], ["  石家庄市 Shijiazhuang", 5800.0], ["  唐山市 Baoding", 3600.0]])
    result = extract_file(table)
    read = replace(result, values=[replace(v, ocr=OcrRead(0.999, 0, 0, 1, 1)) for v in result.values])
    reviewed = {o.region_name: (o.needs_review, o.review_reasons) for o in harmonise(read).observations}
    assert reviewed["石家庄市"] == (False, None)
    assert reviewed["唐山市"][0] and "保定市" in reviewed["唐山市"][1]
    assert not any(o.needs_review for o in harmonise(result).observations)  # a text layer's labels are as printed


def test_each_county_is_linked_to_its_prefecture(hebei_db):
    assert rows(hebei_db, "select county_code, prefecture_code, prefecture_name from county_prefectures "
                          "where county_code in ('130105', '130181') order by 1") == [
        ("130105", "130100", "石家庄市"), ("130181", "130100", "石家庄市")]


def test_a_county_made_a_district_is_followed_on_the_district_code_across_vintages(tmp_path):
    # 望城县 430122 became 长沙's 望城区 430112 in 2011 (撤县设区).
    files = [write_table(tmp_path / f"{year}.xlsx", f"湖南省各县主要指标（{year}年）", ["地区", "年末户籍人口（万人）"],
                         [["长沙市", 650.0], [f"  望城{suffix}", 55.0 + index]])
             for index, (year, suffix) in enumerate([(2010, "县"), (2012, "区")])]
    db = tmp_path / "w.duckdb"
    ingest(files, db, jobs=1)
    assert rows(db, "select year, region_code from county_observations order by 1") == [
        (2010, "430122"), (2012, "430112")]
    assert rows(db, "select year, harmonised_code, prefecture_code, population from analysis_county_at(2020) "
                    "order by 1") == [(2010, "430112", "430100", 55e4), (2012, "430112", "430100", 56e4)]
    assert rows(db, "select year, harmonised_code from analysis_county_at(2010) order by 1") == [
        (2010, "430122"), (2012, "430122")]


def test_a_county_level_city_made_a_district_between_two_editions_is_on_its_code_of_each_year(tmp_path):
    # 龙海市 350681 became 漳州's 龙海区 350604 in 2021: the 2021 edition (data 2020) prints the city, the 2023
    # edition (data 2022) the district. Neither table prints a year: the folders' names give the editions.
    for edition, name in ((2021, "龙海市"), (2023, "龙海区")):
        (tmp_path / str(edition)).mkdir()
        write_table(tmp_path / str(edition) / f"{edition}_3-1 人口状况.xlsx", "3-1 人口状况", ["地区", "年末户籍人口"],
                    [["福建省", None], ["  漳州市", 513.0], [f"    {name}", 90.0 + edition - 2021]],
                    unit_line="单位：万人")
    db = tmp_path / "w.duckdb"
    ingest([tmp_path], db, jobs=1)
    assert rows(db, "select year, region_code from county_observations order by 1") == [
        (2020, "350681"), (2022, "350604")]
    assert rows(db, "select year, harmonised_code, prefecture_code, population from analysis_county_at(2022) "
                    "order by 1") == [(2020, "350604", "350600", 90e4), (2022, "350604", "350600", 92e4)]
    assert rows(db, "select year, harmonised_code from analysis_county_at(2020) order by 1") == [
        (2020, "350681"), (2022, "350681")]


def test_a_misprinted_chinese_name_is_placed_by_the_english_name_printed_beside_it(tmp_path):
    # CCSY 2022 prints 荷泽市 for 菏泽市 and 理春市 for 珲春市, each with its right romanised name
    source = write_table(tmp_path / "misprints.xlsx", "各市县主要指标（2021年）", ["地区", "地区生产总值（亿元）"],
                         [["山东省", 83095.9], ["荷泽市 Heze", 4079.9], ["吉林省", 13235.5], ["理春市 Hunchun", 120.1],
                          ["理春市", 120.1]])
    db = tmp_path / "w.duckdb"
    ingest([source], db, jobs=1)
    assert rows(db, "select region_code, value from observations") == [("371700", 4079.9e8)]
    assert rows(db, "select region_code, value from county_observations") == [("222404", 120.1e8)]
    assert rows(db, "select printed_name from unresolved") == [("理春市",)]  # no English: not guessed


def test_a_misread_chinese_name_is_not_placed_by_an_english_name_a_prefecture_shares_with_its_county_level_city(
        tmp_path):
    # a scan's 同克苏市 for 阿克苏市: "Akesu" is both 阿克苏地区 and 阿克苏市, which only the Chinese tells apart
    source = write_table(tmp_path / "misread.xlsx", "各市县主要指标（2021年）", ["地区", "地区生产总值（亿元）"],
                         [["新疆维吾尔自治区", 15983.7], ["同克苏市 Akesu", 450.2]])
    db = tmp_path / "w.duckdb"
    ingest([source], db, jobs=1)
    assert rows(db, "select region_code from observations union all select region_code from county_observations"
                ) == []
    assert rows(db, "select printed_name from unresolved") == [("同克苏市 Akesu",)]


def test_a_known_chinese_name_out_of_its_context_is_not_placed_by_an_english_name_near_another(tmp_path):
    # 新泰市 (山东) printed on a page whose province row above is 河北省's: "Xintai" is one letter from
    # 邢台's "Xingtai", a 河北 prefecture; the Chinese name is a real one, so the row is unresolved, not 邢台
    source = write_table(tmp_path / "context.xlsx", "各市县主要指标（2020年）", ["地区", "地区生产总值（万元）"],
                         [["河北省", 362066000], ["新泰市 Xintai", 5221000]])
    db = tmp_path / "w.duckdb"
    ingest([source], db, jobs=1)
    assert rows(db, "select count(*) from observations")[0][0] == 0
    assert rows(db, "select count(*) from county_observations")[0][0] == 0
    assert rows(db, "select printed_name from unresolved") == [("新泰市 Xintai",)]


def test_an_administrative_list_is_skipped_as_a_code_list_not_read_as_indicators(tmp_path):
    source = write_table(tmp_path / "1-1.xlsx", "中国2014年城市行政区划和区域分布统计",
                         ["地区", "城市合计", "按行政级别分组"], [["河北", 31, 11]])
    db = tmp_path / "w.duckdb"
    summary = ingest([source], db, jobs=1)
    assert summary.count("skipped") == 1
    assert rows(db, "select count(*) from observations") == [(0,)]


# --------------------------------------------------------------------------------------------- real files

def _county_placements(path: Path):
    harmonised = harmonise(extract_file(path))
    return harmonised, {(c.observation.row, c.observation.region_code, c.unit_kind)
                        for c in harmonised.county_observations}


@pytest.mark.skipif(not CHINAUTC.is_dir(), reason=f"{CHINAUTC} is absent: real CCSY workbooks not available")
@pytest.mark.parametrize("name, placed, unresolved", [("2021/2021_2021-3-1.xlsx", 387, 0),
                                                      ("2022/2022_2022-3-1 人口状况.xlsx", 393, 0),
                                                      ("2023/2023_3-1 人口状况.xlsx", 394, 0)])
def test_every_county_level_city_of_a_ccsy_chapter_3_table_is_placed_or_listed(name, placed, unresolved):
    import openpyxl

    harmonised, placements = _county_placements(CHINAUTC / name)
    sheet = openpyxl.load_workbook(CHINAUTC / name, read_only=True).worksheets[0]
    year = harmonised.county_observations[0].observation.year
    assert (len(placements), len(harmonised.unresolved)) == (placed, unresolved)
    for row, code, kind in placements:
        period = period_in_force(code, year)
        label = str(sheet.cell(row, 1).value).strip()
        # a county-level city made a district in the data year (海门市, 2020) is on the district's code; a
        # misprinted name (峡州市 Shengzhou) on the unit its English names
        english = str(sheet.cell(row, 2).value).strip()
        assert kind == "county" and period.level == "county", (row, code)
        assert label.startswith(period.short_name) or english == period.name_en, (row, label, english, period.name)
    assert not harmonised.observations  # nothing of chapter 3 reaches the prefecture panel


CHAPTER_3 = sorted(CHINAUTC.glob("*/*3-[13]*.xlsx"))


@pytest.mark.skipif(not CHAPTER_3, reason=f"{CHINAUTC} is absent: real CCSY workbooks not available")
@pytest.mark.parametrize("path", CHAPTER_3, ids=lambda path: path.name)
def test_every_number_of_a_placed_county_row_loads_as_the_workbook_prints_it(path):
    import openpyxl

    harmonised, _placements = _county_placements(path)
    sheet = openpyxl.load_workbook(path, read_only=False).worksheets[0]
    loaded = {(c.observation.row, c.observation.column): c.observation for c in harmonised.county_observations}
    factors = {"人": 1, "万人": 1e4, "元": 1, "万元": 1e4, "亿元": 1e8}
    for (row, column), observation in loaded.items():
        printed = sheet.cell(row, column).value
        if observation.value is None:  # a blank cell is kept as not printed
            assert printed is None, (row, column, printed)
            continue
        assert observation.value == pytest.approx(float(printed) * factors[observation.unit_as_printed],
                                                  rel=1e-12), (row, column, printed, observation.unit_as_printed)
    placed_rows = {row for row, _column in loaded}  # and no number of a placed row is left out
    numbers = {(cell.row, cell.column) for line in sheet.iter_rows() for cell in line
               if cell.row in placed_rows and isinstance(cell.value, (int, float))}
    assert numbers == {key for key, observation in loaded.items() if observation.value is not None}


@pytest.mark.skipif(not DEBT.is_dir(), reason=f"{DEBT} is absent: real debt PDFs not available")
def test_the_county_rows_of_a_provincial_debt_table_are_placed_on_the_codes_of_2019():
    harmonised, placements = _county_placements(DEBT / "hunan_2019.pdf")
    codes = {code for _row, code, kind in placements if kind == "county"}
    # 邵东县 became 邵东市 in 2019; 城步县 is printed for 城步苗族自治县
    assert {"430582", "430529", "430181", "433101"} <= codes and "430521" not in codes
    assert len(codes) == 122 and [u.printed_name for u in harmonised.unresolved] == ["洪江区"]
    assert {code for _row, code, kind in placements if kind == "own_level"} >= {"430100", "433100"}


def test_the_ingest_line_counts_the_county_panels_values_beside_the_prefectures(tmp_path):
    from click.testing import CliRunner

    from cnstat_etl.cli import main

    result = CliRunner().invoke(main, ["ingest", str(_hebei(tmp_path)), "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 0, result.output
    assert "1 value + 3 of county-level units" in result.output  # 石家庄; its 本级, 新华区 and 辛集市


def test_extract_shows_the_county_rows_that_load_and_problems_lists_none_of_them(tmp_path):
    from click.testing import CliRunner

    from cnstat_etl.cli import main

    source = _hebei(tmp_path)
    extracted = CliRunner().invoke(main, ["extract", str(source), "--format", "json"])
    assert extracted.exit_code == 0, extracted.output
    kinds = list(dict.fromkeys((row["row_label"], row["row_kind"]) for row in json.loads(extracted.stdout)))
    assert kinds == [("河北省", "subtotal"), ("石家庄市", "unit"), ("石家庄市本级", "own_level"), ("新华区", "county"),
                     ("辛集市", "county"), ("新华区", "unit")]
    db = tmp_path / "w.duckdb"
    assert CliRunner().invoke(main, ["ingest", str(source), "--db", str(db)]).exit_code == 0
    listed = CliRunner().invoke(main, ["problems", "--db", str(db)])
    assert listed.exit_code == 0 and "county_row" not in listed.output and "辛集市" not in listed.output, listed.output
    # what loads is on the county panel; the 新华区 flush under the province, unresolved, is in `unresolved`
    assert rows(db, "select count(*) from county_observations") == [(3,)]


def test_a_county_printed_twice_differently_by_one_table_has_no_value_in_the_county_panel(tmp_path):
    write_table(tmp_path / "hebei.xlsx", "河北省各市县主要指标（2019年）", ["地区", "地区生产总值（亿元）", "年末总人口（万人）"],
                [["河北省", 35000.0, 7592.0], ["  石家庄市", 5800.0, 1039.0], ["    辛集市", 430.0, 63.0],
                 ["    辛集市", 410.0, 63.0]])
    db = tmp_path / "w.duckdb"
    ingest([tmp_path / "hebei.xlsx"], db, jobs=1)
    assert rows(db, "select gdp, population from analysis_county where harmonised_code = '130181'") == [(None, 63e4)]
