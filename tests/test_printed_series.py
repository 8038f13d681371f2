"""Series and panels printed to PDF (issue 29): a table that prints no year in its title but has years as
its header cells or a year column is read as series.py reads the workbook, page by page, each value kept
at its page, row and column. A table that is neither is still refused with the one line.

The pages are given as the layout engine hands them to the assembler (`Block`s), or as a committed print
of a real NBS export (tests/fixtures/real_print_pdfs/): no ../shared.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES

from cnstat_etl.extract import extract_file, pdfium
from cnstat_etl.extract.layout import text_lines
from cnstat_etl.extract.series import SeriesTable
from cnstat_etl.extract.tables import Block, ExtractOptions, TableAssembler
from cnstat_etl.model import ExtractResult


def _block(page: int, cells: list[list[str]], first_row: int = 1) -> Block:
    return Block([], cells, list(range(first_row, first_row + len(cells))), list(range(1, len(cells[0]) + 1)),
                 page=page)


def _read(*blocks: Block) -> ExtractResult:
    result = ExtractResult("printed.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions(), series=SeriesTable.of)
    for block in blocks:
        tables.add(block)
    tables.finish_table()
    return result


def _read_as(result: ExtractResult) -> list[tuple]:
    return sorted((v.provenance.page, v.provenance.row, v.provenance.column, v.region_name, v.table.year,
                   v.indicator, v.unit_as_printed, v.value) for v in result.values if v.value is not None)


# An NBS export as LibreOffice prints it: two metadata lines run into one cell, a blank line, a header of
# years whose latest column is empty; the next page down prints no header, the next across prints the
# earlier years under a header of their own.
NBS_FIRST = [["数据库：主要城市年度数据 指标：国内生产总值(亿元)", "", "", ""],
             ["", "", "", ""],
             ["时间：最近20年", "", "", ""],
             ["地区", "2018年", "2017年", "2016年"],
             ["北京", "", "28014.94", "25669.13"],
             ["天津", "", "18549.19", "17885.39"]]
NBS_DOWN = [["西安", "", "7469.85", "6257.18"]]
NBS_ACROSS = [["", "2015年", "2014年"], ["北京", "23014.59", "21330.83"], ["天津", "16538.19", ""]]


def test_a_printed_nbs_export_reads_each_year_column_on_each_page_at_its_cell():
    result = _read(_block(1, NBS_FIRST), _block(2, NBS_DOWN), _block(3, NBS_ACROSS))
    assert _read_as(result) == [
        (1, 5, 3, "北京市", 2017, "gdp", "亿元", 28014.94), (1, 5, 4, "北京市", 2016, "gdp", "亿元", 25669.13),
        (1, 6, 3, "天津市", 2017, "gdp", "亿元", 18549.19), (1, 6, 4, "天津市", 2016, "gdp", "亿元", 17885.39),
        (2, 1, 3, "西安市", 2017, "gdp", "亿元", 7469.85), (2, 1, 4, "西安市", 2016, "gdp", "亿元", 6257.18),
        (3, 2, 2, "北京市", 2015, "gdp", "亿元", 23014.59), (3, 2, 3, "北京市", 2014, "gdp", "亿元", 21330.83),
        (3, 3, 2, "天津市", 2015, "gdp", "亿元", 16538.19)]
    assert not [p for p in result.problems if p.severity == "error"]
    # the table counts its cells read, 天津's blank 2014 too, over the three pages
    assert [(t.pages, t.values) for t in result.tables] == [((1, 2, 3), 10)]


def test_a_page_across_whose_header_is_not_years_is_refused_not_read_under_the_years_before():
    wrong_header = [["", "第一产业增加值(亿元)", "第二产业增加值(亿元)"], ["北京", "1.5", "2.5"]]
    result = _read(_block(1, NBS_FIRST), _block(2, wrong_header))
    assert {v.provenance.page for v in result.values} == {1}
    assert [p.page for p in result.problems if p.kind == "no_header"] == [2]


PANEL_HEADER = ["城市", "年份", "地区生产总值_全市_万元", "年末总人口_全市_万人"]
PANEL_FIRST = [PANEL_HEADER, ["安康市", "2004", "1195450", "294.97"], ["安康市", "2005", "1378500", "294.94"]]


def test_a_printed_panel_reads_its_year_column_on_pages_that_repeat_its_header_or_not():
    repeated = [PANEL_HEADER, ["巴中市", "2008", "2137624", "398.57"]]
    bare = [["包头市", "2007", "12771982", "214.6"]]
    result = _read(_block(1, PANEL_FIRST), _block(2, repeated), _block(3, bare, first_row=4))
    assert _read_as(result) == [
        (1, 2, 3, "安康市", 2004, "gdp", "万元", 1195450.0), (1, 2, 4, "安康市", 2004, "population", "万人", 294.97),
        (1, 3, 3, "安康市", 2005, "gdp", "万元", 1378500.0), (1, 3, 4, "安康市", 2005, "population", "万人", 294.94),
        (2, 2, 3, "巴中市", 2008, "gdp", "万元", 2137624.0), (2, 2, 4, "巴中市", 2008, "population", "万人", 398.57),
        (3, 4, 3, "包头市", 2007, "gdp", "万元", 12771982.0), (3, 4, 4, "包头市", 2007, "population", "万人", 214.6)]


def test_a_panel_page_of_other_columns_is_refused_not_read_with_the_year_column_before():
    # the page of the next columns across pairs its values with the labels: no year column there
    other_columns = [["", "工业二氧化硫排放量", "公厕数量", "Score"], ["安康市", "4858", "55470", "0.70"]]
    result = _read(_block(1, PANEL_FIRST), _block(2, other_columns))
    assert {v.provenance.page for v in result.values} == {1}
    assert [p.page for p in result.problems if p.kind == "no_header"] == [2]


def test_a_table_neither_dated_nor_a_series_is_refused_with_the_one_line():
    result = _read(_block(1, [["地区", "地区生产总值"], ["北京", "28014.94"]]))
    assert not result.values
    assert [p.message for p in result.problems if p.severity == "error"] == [
        "table '': no year in its title and no edition in the running header; give --year or --edition, or record "
        "the file's edition with its evidence in mappings/source_editions.csv"]


# NBS exports printed over pages down and across: the earlier years on pages of values only, one block of
# years on as many pages as the labels, and a block's page not printed where its cells are all blank; the
# header printed atop each block's first page only, or atop every page
PRINTED_NBS = [FIXTURES / "real_print_pdfs" / setting / "nbs_major_cities_dragon1573" / name for setting, name in (
    ("letter-portrait-scale100-wenquanyizenhei-nogrid-norepeat", "20_Major_TIAV.pdf"),
    ("a3-landscape-scale100-wenquanyizenhei-grid-repeat", "20_Major_GDP.pdf"),
    ("a4-portrait-scale100-wenquanyizenhei-grid-norepeat", "20_Major_TIAV.pdf"))]


def _numbers_printed(pdf: Path) -> Counter:
    """Every number the print shows as a word of its own: years heading columns ("2017年") are none."""
    numbers: Counter = Counter()
    for page in pdfium.read_pages(pdf, 1, None):
        for line in text_lines(page.geometry.glyphs):
            numbers.update(word for word in line.text.split() if re.fullmatch(r"-?\d+(\.\d+)?", word))
    return numbers


@pytest.mark.parametrize("pdf", PRINTED_NBS, ids=lambda pdf: pdf.parent.parent.name)
def test_an_nbs_export_printed_down_and_across_pages_loads_each_number_it_prints_once_under_one_year(pdf):
    result = extract_file(pdf)
    assert Counter(v.value_as_printed for v in result.values if v.value is not None) == _numbers_printed(pdf)
    assert len({(v.region_name, v.table.year) for v in result.values}) == len(result.values)
    assert {v.provenance.page for v in result.values} == set(range(1, pdfium.page_count(pdf) + 1))


def test_a_column_of_values_whose_year_header_is_not_read_is_refused_with_a_problem_at_its_column():
    across = [["", "2015年", "", "2013年"], ["北京", "23014.59", "21330.83", "19800.81"]]
    result = _read(_block(1, NBS_FIRST), _block(2, across))
    assert {v.table.year for v in result.values if v.provenance.page == 2} == {2015, 2013}
    assert [(p.page, p.message) for p in result.problems if p.kind == "unknown_column"] == [
        (2, "column 3 prints values under no year in its header: not loaded")]


def test_a_panel_whose_place_and_year_headers_are_read_into_one_cell_reads_each_over_its_column():
    # a print aligns the header 年份 left and the years under it right: it is read into the label column's cell
    run_together = [["城市 年份", "", "地区生产总值_全市_万元"], ["安康市", "2004", "1195450"]]
    assert _read_as(_read(_block(1, run_together))) == [(1, 2, 3, "安康市", 2004, "gdp", "万元", 1195450.0)]
