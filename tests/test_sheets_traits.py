"""What the spreadsheet parser reports beside the values (the golden files pin the values themselves)."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlwt

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.extract import ExtractOptions, extract_file, file_sha256
from cnstat_etl.extract import tables
from cnstat_etl.harmonise import harmonise, roles_of


def problems_of(result, kind: str) -> list:
    return [p for p in result.problems if p.kind == kind]


def test_table_continued_over_pages_in_one_sheet_is_one_table_with_each_unknown_column_reported_once():
    result = extract_file(SAMPLES_DIR / "ccsy2015_cnki_pages.xls")
    assert [(t.table_number, t.sheet, t.columns_recognised, t.columns_unrecognised) for t in result.tables] == [
        ("2-9", "1-7", 3, 1)]
    assert [(p.column, p.message.split("'")[1].split(" ")[0]) for p in problems_of(result, "unknown_column")] == [
        (6, "公共厕所")]
    # Reported, and still loaded: under a provisional indicator keyed by its header, on every page.
    assert {v.provenance.column for v in result.values if v.indicator == "provisional:公共厕所"} == {6}


def test_edition_printed_above_the_title_gives_the_data_year():
    context = extract_file(SAMPLES_DIR / "ccsy2015_cnki_pages.xls").values[0].table
    assert (context.year, context.year_from) == (2014, "edition")


def test_province_heading_right_under_a_repeated_header_sets_the_province():
    result = extract_file(SAMPLES_DIR / "ccsy2015_cnki_pages.xls")
    roles, _ = roles_of(result)
    assert {roles[v.body_row].province for v in result.values if v.region_name == "吉林市"} == {"吉林省"}
    assert {roles[v.body_row].province for v in result.values if v.region_name == "重庆市"} == {"重庆市"}


def test_stacked_tables_and_sheets_are_separate_tables_with_their_own_years():
    result = extract_file(SAMPLES_DIR / "provincial_stacked_sheets.xlsx")
    assert [(t.table_number, t.sheet, t.year) for t in result.tables] == [
        ("3-1", "经济", 2005), ("3-2", "经济", 2005), ("4-2", "区县", 1998)]


def test_counties_printed_under_their_prefecture_are_county_rows_of_it_and_no_problem():
    result = extract_file(SAMPLES_DIR / "provincial_stacked_sheets.xlsx")
    roles, problems = roles_of(result)
    counties = {(result.rows[i].row, role.parent) for i, role in enumerate(roles) if role.kind == "county"}
    assert counties == {(5, "成都市"), (6, "成都市"), (8, "阿坝州"), (10, "凉山州")}
    assert {v.region_name for v in result.values
            if v.provenance.sheet == "区县" and roles[v.body_row].kind == "unit"} == {"成都市", "阿坝州", "凉山州"}
    # they load, on the county panel: nothing to report
    assert not [p for p in problems if p.row in {5, 6, 8, 10} and p.sheet == "区县"]
    assert {c.observation.row for c in harmonise(result).county_observations} == {5, 6, 8, 10}


def test_total_row_of_a_gbk_csv_is_skipped_with_its_reason():
    result = extract_file(SAMPLES_DIR / "jiangsu2010_cities_gbk.csv")
    assert result.file_format == "csv"
    _, problems = roles_of(result)
    assert [(p.row, p.message) for p in problems if p.kind == "skipped_row"] == [
        (4, "aggregate row '全 省' is not a prefecture")]


@pytest.fixture
def yearless_xls(tmp_path):
    path = tmp_path / "table.xls"
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("1-7")
    for r, row in enumerate([["2-1  人口状况"], ["城 市", "年末户籍人口(万人)"], ["北京市", "1363"]]):
        for c, text in enumerate(row):
            sheet.write(r, c, text)
    workbook.save(str(path))
    return path


def test_table_printing_no_year_is_an_error_naming_the_ways_to_give_one(yearless_xls):
    result = extract_file(yearless_xls)
    [problem] = problems_of(result, "unknown_year")
    assert problem.severity == "error" and "--edition" in problem.message and "source_editions.csv" in problem.message
    assert not result.values


def test_catalogued_download_takes_its_data_year_from_the_recorded_edition(yearless_xls, monkeypatch):
    monkeypatch.setattr(tables, "_catalogued_editions", lambda: {file_sha256(yearless_xls): 2017})
    context = extract_file(yearless_xls).values[0].table
    assert (context.year, context.year_from) == (2016, "catalogue")


def test_a_panel_whose_year_is_its_catalogued_editions_records_that_edition_with_its_values(tmp_path, monkeypatch):
    # a converter's CSV of one yearbook table (CNKI's error5.xls): its year is the catalogue's only, so a print
    # of it needs the edition its reading was recorded under
    path = tmp_path / "shares.csv"
    path.write_text("城市,年末户籍人口_全市\n北京市,1363\n", encoding="utf-8")
    monkeypatch.setattr(tables, "_catalogued_editions", lambda: {file_sha256(path): 2015})
    context = extract_file(path).values[0].table
    assert (context.year, context.year_from, context.edition) == (2014, "catalogue or option", 2015)
    # a year given by --year names no edition
    monkeypatch.setattr(tables, "_catalogued_editions", lambda: {})
    context = extract_file(path, ExtractOptions(year=2014)).values[0].table
    assert (context.year, context.edition) == (2014, None)


@pytest.mark.parametrize("path, edition", [
    ("downloads/2023_2-1 人口数.xlsx", (2023, "2023_2-1 人口数.xlsx")),
    ("2022/2022_2022-2-18 劳动力就业及收入状况（全市）.xlsx", (2022, "2022_2022-2-18 劳动力就业及收入状况（全市）.xlsx")),
    ("中国城市统计年鉴2024/第二部分/2-7.xls", (2024, "中国城市统计年鉴2024")),
    ("中国城市统计年鉴—2024/2024_2-7.xls", (2024, "2024_2-7.xls")),
    ("中国城市统计年鉴2023/2024_2-7.xls", None),  # two editions named: no evidence
    ("2022_2021-2-1 人口数.xlsx", None),  # the name repeats a different year before the table number
    ("ccsy2018_cnki/GRP per capita.xls", None),
    ("census_city_2010-2020_v1.csv", None),
    ("2021_report.xlsx", None),  # a year with no table number after it: a data year or anything else
])
def test_path_names_an_edition_only_as_a_yearbook_folder_or_an_edition_before_a_table_number(path, edition):
    assert tables.edition_named_in_path(Path("/data") / path) == edition


def test_download_printing_no_year_takes_its_data_year_from_the_edition_its_name_gives(yearless_xls):
    named = yearless_xls.rename(yearless_xls.parent / "2017_2-1 人口状况.xls")
    tables_found = extract_file(named).tables
    assert [(t.year, t.year_from) for t in tables_found] == [(2016, "path: 2017_2-1 人口状况.xls")]


def test_catalogue_wins_over_the_edition_a_path_names(yearless_xls, monkeypatch):
    named = yearless_xls.rename(yearless_xls.parent / "2017_2-1 人口状况.xls")
    monkeypatch.setattr(tables, "_catalogued_editions", lambda: {file_sha256(named): 2015})
    assert (extract_file(named).values[0].table.year_from) == "catalogue"


def test_year_printed_in_the_file_wins_over_the_catalogue_and_the_command_line(monkeypatch):
    path = SAMPLES_DIR / "jiangsu2010_cities_gbk.csv"
    monkeypatch.setattr(tables, "_catalogued_editions", lambda: {file_sha256(path): 2001})
    context = extract_file(path, ExtractOptions(edition=1999)).values[0].table
    assert (context.year, context.year_from) == (2009, "title")


def write_csv(tmp_path, rows: list[list[str]]):
    path = tmp_path / "table.csv"
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("city_label", ["  吉 林", "吉 林"])
def test_a_city_sharing_its_provinces_name_is_a_city_under_the_province_row(tmp_path, city_label):
    path = write_csv(tmp_path, [["2-1 地区生产总值（2009年）"], ["单位：万元"], ["城 市", "地区生产总值"],
                                ["吉林省", ""], ["  长 春", "30200000"], [city_label, "18000000"],
                                ["辽宁省", ""], ["  沈 阳", "42680000"]])
    result = extract_file(path)
    harmonised = harmonise(result)
    assert sorted((o.region_code, o.value) for o in harmonised.observations) == [
        ("210100", 426800000000.0), ("220100", 302000000000.0), ("220200", 180000000000.0)]
    assert not harmonised.unresolved and not harmonised.aggregates


def test_a_province_row_repeated_on_a_continuation_stays_a_heading(tmp_path):
    path = write_csv(tmp_path, [["2-1 地区生产总值（2009年）"], ["单位：万元"], ["城 市", "地区生产总值"],
                                ["吉林省", ""], ["长 春", "30200000"], ["吉林省", ""], ["吉 林", "18000000"]])
    roles, _ = roles_of(extract_file(path))
    assert [role.kind for role in roles] == ["heading", "unit", "heading", "unit"]


def test_a_province_subtotal_row_is_an_aggregate_of_its_province_not_a_place(tmp_path):
    path = write_csv(tmp_path, [["2-1 地区生产总值（2009年）"], ["单位：万元"], ["城 市", "地区生产总值"],
                                ["吉林省", "48200000"], ["  长 春", "30200000"], ["  吉 林", "18000000"]])
    harmonised = harmonise(extract_file(path))
    assert [(a.province_code, a.value) for a in harmonised.aggregates] == [("220000", 482000000000.0)]
    assert sorted(o.region_code for o in harmonised.observations) == ["220100", "220200"]


def _loaded(path) -> list[tuple[str, str, str, float | None]]:
    return [(v.region_name, v.indicator, v.scope, v.value) for v in extract_file(path).values]


def test_a_header_name_broken_over_two_rows_loads_under_its_indicator(tmp_path):
    path = write_csv(tmp_path, [["2-1 人口（2009年）"], ["城 市", "年末户"], ["", "籍人口（万人）"],
                                ["南京市", "630"]])
    assert _loaded(path) == [("南京市", "population", "city_total", 630.0)]


def test_a_header_top_line_alone_in_its_row_over_its_column_is_the_header_not_a_title(tmp_path):
    path = write_csv(tmp_path, [["2-1 出口（2009年）"], ["", "出口总额"], ["城 市", "（万美元）"], ["南京市", "3000"]])
    assert _loaded(path) == [("南京市", "exports", "city_total", 3000.0)]


def test_a_line_alone_over_a_later_column_that_names_no_indicator_is_still_a_title_line(tmp_path):
    path = write_csv(tmp_path, [["", "江苏省统计局编"], ["2-1 出口（2009年）"], ["城 市", "出口总额（万美元）"],
                                ["南京市", "3000"]])
    result = extract_file(path)
    assert [(v.column_label, v.value) for v in result.values] == [("出口总额（万美元）", 3000.0)]


def test_a_group_header_written_in_the_first_column_of_its_pair_spans_the_pair(tmp_path):
    path = write_csv(tmp_path, [["2-1 地区生产总值（2009年）"], ["单位：万元"], ["城 市", "地区生产总值", ""],
                                ["", "全 市", "市辖区"], ["南京市", "4230", "3900"]])
    assert _loaded(path) == [("南京市", "gdp", "city_total", 4230.0), ("南京市", "gdp", "urban_districts", 3900.0)]


def test_a_blank_group_header_over_the_same_scope_as_its_left_neighbour_is_not_spread(tmp_path):
    path = write_csv(tmp_path, [["2-1 地区生产总值（2009年）"], ["单位：万元"], ["城 市", "地区生产总值", ""],
                                ["", "全 市", "全 市"], ["南京市", "4230", "3900"]])
    result = extract_file(path)
    assert [(v.indicator, v.value) for v in result.values] == [("gdp", 4230.0)]
    assert [p.column for p in problems_of(result, "unknown_column")] == [3]


def test_a_province_row_heading_a_continued_page_that_repeats_no_header_is_a_row_not_a_title(tmp_path):
    path = write_csv(tmp_path, [["2-1 地区生产总值（2009年）"], ["单位：亿元"], ["城 市", "地区生产总值"],
                                ["辽宁省", ""], ["沈 阳", "4268"], ["2-1 续表"], ["吉林省"], ["长 春", "3020"],
                                ["吉 林", "1800"]])
    observations = harmonise(extract_file(path)).observations
    assert sorted((o.region_code, o.value) for o in observations) == [
        ("210100", 4268e8), ("220100", 3020e8), ("220200", 1800e8)]


def test_a_continued_page_whose_only_row_prints_no_number_keeps_the_tables_header(tmp_path):
    path = write_csv(tmp_path, [["2-1 地区生产总值（2009年）"], ["单位：万元"], ["城 市", "地区生产总值"],
                                ["南京市", "4230"], [""], ["2-1 续表"], ["无锡市", "…"], [""], ["2-1 续表"],
                                ["苏州市", "7740"]])
    assert _loaded(path) == [("南京市", "gdp", "city_total", 4230.0), ("无锡市", "gdp", "city_total", None),
                             ("苏州市", "gdp", "city_total", 7740.0)]

def test_title_lines_printed_side_by_side_above_the_table_are_its_title_not_a_header(tmp_path):
    path = write_csv(tmp_path, [["2-1人口数", "Household Resident Population"], ["单位：万人", "(10 000 persons)"],
                                ["中国2021年地级以上城市数据", "", ""], ["城 市", "City", "户籍人口"],
                                ["南京市", "Nanjing", "630"]])
    [found] = extract_file(path).tables
    assert (found.table_number, found.year, found.year_from) == ("2-1", 2021, "title")
    assert _loaded(path) == [("南京市", "population", "city_total", 630.0)]

@pytest.mark.parametrize("part, indicator", [("城镇户籍人口", "population_urban_registered"),
                                             ("乡村户籍人口", "provisional:户籍人口/乡村户籍人口")])
def test_a_header_named_under_an_indicators_name_is_a_part_of_it_not_the_indicator(tmp_path, part, indicator):
    # the part is its own indicator where the dictionary names it, else a provisional one: never the whole
    path = write_csv(tmp_path, [["2-1 人口数（2022年）"], ["单位：万人"],
                                ["城 市", "户籍人口", "户籍人口", "户籍人口", "户籍人口"],
                                ["", "", "", f"{part} Urban", f"{part} Urban"],
                                ["", "全市", "市辖区", "全市", "市辖区"], ["南京市", "700", "500", "600", "450"]])
    assert _loaded(path) == [("南京市", "population", "city_total", 700.0),
                             ("南京市", "population", "urban_districts", 500.0),
                             ("南京市", indicator, "city_total", 600.0),
                             ("南京市", indicator, "urban_districts", 450.0)]

def test_a_qualifier_or_a_translation_under_an_indicators_name_keeps_the_indicator(tmp_path):
    path = write_csv(tmp_path, [["2-1 地区生产总值（2009年）"], ["单位：亿元"],
                                ["城 市", "地区生产总值", "年末总人口"], ["", "合 计", "Total Population"],
                                ["南京市", "4230", "630"]])
    assert _loaded(path) == [("南京市", "gdp", "city_total", 4230.0), ("南京市", "population", "city_total", 630.0)]

def test_a_header_naming_both_scopes_over_one_column_loads_nothing_from_it(tmp_path):
    path = write_csv(tmp_path, [["2-8 地区生产总值构成（2022年）"], ["单位：%"],
                                ["城 市", "第一产业占GDP的比重", "第一产业占GDP的比重"],
                                ["", "全市 Total City 市辖区", "市辖区 Districts"], ["南京市", "2.1", "1.8"]])
    result = extract_file(path)
    assert _loaded(path) == [("南京市", "gdp_primary_share", "urban_districts", 1.8)]
    assert any("names two scopes" in p.message and p.column == 2 for p in problems_of(result, "unknown_column"))


def test_two_columns_read_as_one_indicator_and_scope_load_neither(tmp_path):
    path = write_csv(tmp_path, [["2-7 地区生产总值（2009年）"], ["单位：亿元"],
                                ["城 市", "地区生产总值（当年价格）", "地区生产总值（可比价格）", "年末总人口（万人）"],
                                ["南京市", "4230", "4100", "630"]])
    result = extract_file(path)
    assert _loaded(path) == [("南京市", "population", "city_total", 630.0)]
    assert [p.column for p in problems_of(result, "unknown_column") if "as another column" in p.message] == [2, 3]
