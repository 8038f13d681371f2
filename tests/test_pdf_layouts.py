"""What the PDF parser does with real yearbook layouts beyond the cell values the golden files pin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pdfplumber
import pytest

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.extract import ExtractOptions, extract_file
from cnstat_etl.extract.layout import (BLANK_CODES, Column, Glyph, PageGeometry, _with_blank_header_columns, read_page,
                                      text_lines)
from cnstat_etl.extract.tables import Block, TableAssembler
from cnstat_etl.harmonise import roles_of
from cnstat_etl.model import UNREAD, ExtractResult
from conftest import FIXTURES

PROBLEMS = FIXTURES / "pdf_problems"
CNSTAT = str(Path(sys.executable).parent / "cnstat")


def test_blank_codes_mark_exactly_the_characters_python_calls_whitespace():
    assert BLANK_CODES.dtype == bool and BLANK_CODES.shape == (0x10000,)  # negated with ~ where used
    assert [code for code in range(0x10000) if BLANK_CODES[code]] == [
        code for code in range(0x10000) if chr(code).isspace()]


def test_a_table_continued_over_three_pages_is_one_logical_table():
    result = extract_file(SAMPLES_DIR / "ccsy2010_population_continued.pdf")
    assert [(t.table_number, t.pages, t.values) for t in result.tables] == [("2-1", (1, 2, 3), 22)]
    # page 3 repeats no header: its values still land under the columns of page 1
    assert {(v.indicator, v.scope) for v in result.values if v.provenance.page == 3} == {
        ("population", "city_total"), ("population", "urban_districts")}


def test_two_ruled_tables_on_one_page_are_two_tables_and_the_second_continues_on_the_next_page():
    result = extract_file(SAMPLES_DIR / "ccsy2012_two_tables_ruled.pdf")
    assert [(t.table_number, t.pages, t.values) for t in result.tables] == [("2-9", (1,), 12), ("2-10", (1, 2), 14)]
    meanings = {(v.table.table_number, v.indicator, v.unit_as_printed) for v in result.values}
    assert meanings == {("2-9", "gdp", "万元"), ("2-10", "population", "万人")}
    # the edition is printed only in the running header above the first table
    assert {(v.table.year, v.table.year_from) for v in result.values} == {(2011, "edition")}


@pytest.mark.parametrize("source", ["ccsy2006_fiscal_three_line.pdf", "ccsy2010_population_continued.pdf",
                                    "ccsy2012_two_tables_ruled.pdf"])
def test_province_rows_place_the_two_suzhous_on_different_codes(samples_db, source):
    with duckdb.connect(str(samples_db), read_only=True) as con:
        codes = con.execute("SELECT DISTINCT row_label, region_code FROM observations "
                            "WHERE source_file = ? AND row_label LIKE '%Suzhou' ORDER BY 2", [source]).fetchall()
    assert codes == [("苏 州 Suzhou", "320500"), ("宿 州 Suzhou", "341300")]


@pytest.mark.parametrize("english, places", [
    ("Taizhou", [("泰 州 Taizhou", "321200", "320000"), ("台 州 Taizhou", "331000", "330000")]),
    ("Fuzhou", [("福 州 Fuzhou", "350100", "350000"), ("抚 州 Fuzhou", "361000", "360000")])])
def test_province_rows_place_english_homonyms_in_their_provinces(samples_db, english, places):
    with duckdb.connect(str(samples_db), read_only=True) as con:
        codes = con.execute("SELECT DISTINCT row_label, region_code, province_code FROM observations "
                            "WHERE source_file = 'ccsy2013_foreign_trade_usd.pdf' AND row_label LIKE ? ORDER BY 2",
                            [f"% {english}"]).fetchall()
    assert codes == places



def test_a_component_column_stays_its_own_indicator():
    result = extract_file(SAMPLES_DIR / "ccsy2006_fiscal_three_line.pdf")
    nanjing = {(v.indicator, v.scope): v.value for v in result.values if v.region_name == "南京"}
    assert nanjing[("budget_expenditure", "city_total")] == 2317600
    assert nanjing[("st_expenditure", "city_total")] == 41100


@pytest.mark.parametrize("source, label", [("ccsy2006_fiscal_three_line.pdf", "全 国 National Total"),
                                           ("sichuan1991_prefectures_three_line.pdf", "全 省"),
                                           ("ccsy1986_old_ruled.pdf", "总 计")])
def test_aggregate_rows_are_reported_and_kept_apart_as_totals_not_places(source, label):
    result = extract_file(SAMPLES_DIR / source)
    roles, problems = roles_of(result)
    totals = [v for v in result.values if v.row_label == label]
    assert totals and all(roles[v.body_row].kind == "total" for v in totals)
    assert [p.kind for p in result.problems + problems if label in p.message] == ["skipped_row"]


def test_footnote_lines_under_a_table_are_neither_rows_nor_titles():
    result = extract_file(SAMPLES_DIR / "sichuan1991_prefectures_three_line.pdf")
    labels = {v.row_label for v in result.values} | {p.message for p in result.problems}
    assert not [label for label in labels if "注" in label or "Note" in label]
    assert result.tables[0].table_title == "12—3 各市、地、州主要经济指标"


def test_missing_markers_load_no_value_never_zero():
    result = extract_file(SAMPLES_DIR / "sichuan1991_prefectures_three_line.pdf")
    missing = {v.value_as_printed: v.value for v in result.values if v.value is None or v.value == 0}
    assert missing == {"…": None, "／": None, "－": None, "—": None}


def test_a_scanned_page_is_reported_and_the_other_pages_still_load():
    result = extract_file(PROBLEMS / "scanned_page.pdf")
    assert [(p.kind, p.page) for p in result.problems] == [("no_text_layer", 2)]
    assert "scan" in result.problems[0].message and "OCR" in result.problems[0].message
    assert {v.provenance.page for v in result.values} == {1}


def test_the_unmapped_font_really_decodes_as_cid_codes():
    with pdfplumber.open(PROBLEMS / "cid_garbled_page.pdf") as pdf:
        first, second = ("".join(c["text"] for c in page.chars) for page in pdf.pages)
    assert "(cid:" not in first and "地区生产总值" in first
    assert "(cid:" in second and "地区生产总值" not in second


def test_a_page_whose_text_does_not_decode_is_reported_and_loads_nothing():
    result = extract_file(PROBLEMS / "cid_garbled_page.pdf")
    assert [(p.kind, p.page, p.severity) for p in result.problems] == [("garbled_text", 2, "error")]
    assert "(cid:NN)" in result.problems[0].message
    assert {v.provenance.page for v in result.values} == {1}


def test_a_table_without_a_year_is_an_error_that_names_the_remedies():
    result = extract_file(PROBLEMS / "no_year.pdf")
    assert not result.values
    unknown = [p for p in result.problems if p.kind == "unknown_year"]
    assert len(unknown) == 1 and "--year" in unknown[0].message and "--edition" in unknown[0].message


@pytest.mark.parametrize("options, year", [(ExtractOptions(year=2003), 2003), (ExtractOptions(edition=2004), 2003)])
def test_the_command_line_supplies_a_year_the_file_does_not_print(options, year):
    result = extract_file(PROBLEMS / "no_year.pdf", options)
    assert len([v for v in result.values if v.value is not None]) == 4 and {(v.table.year, v.table.year_from) for v in result.values} == {(year, "option")}


def test_a_title_year_wins_over_the_running_header_edition():
    result = extract_file(SAMPLES_DIR / "ccsy2006_fiscal_three_line.pdf")
    assert {(v.table.year, v.table.year_from) for v in result.values} == {(2005, "title")}


def test_cnstat_extract_previews_a_page_range_with_provenance():
    run = subprocess.run([CNSTAT, "extract", str(SAMPLES_DIR / "ccsy2010_population_continued.pdf"),
                          "--pages", "2-3", "--format", "csv"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    header, *rows = run.stdout.strip().splitlines()
    assert header.startswith("page,sheet,row,column,row_label")
    assert len(rows) == 14 and {row.split(",")[0] for row in rows} == {"2", "3"}


def test_a_headerless_continuation_read_without_its_first_page_is_reported():
    result = extract_file(SAMPLES_DIR / "ccsy2010_population_continued.pdf", ExtractOptions(pages=(3, 3)))
    assert not result.values
    assert [(p.kind, p.page) for p in result.problems if p.kind == "no_header"] == [("no_header", 3)]


def _boxed(text: str, x0: float, top: float, size: float) -> Glyph:
    """A word as an OCR engine boxes it: one glyph, CJK a size wide, digits about half."""
    width = sum(size if "\u3400" <= ch <= "\u9fff" else 0.55 * size for ch in text)
    return Glyph(text, x0, x0 + width, top, top + size, size)


def _scanned_cities(cities: list[tuple[str, float, float]], province: str | None) -> PageGeometry:
    """A page of cities printed two characters (18 points) right of their province at x=40, each (name,
    how far its OCR box's left edge wandered, its box's size)."""
    glyphs = [_boxed("城市", 40, 80, 9), _boxed("地区生产总值", 120, 80, 9)]
    glyphs += [_boxed(province, 40, 100, 9)] if province else []
    for row, (name, wander, size) in enumerate(cities):
        top = 115 + 15 * row
        glyphs += [_boxed(name, 58 + wander, top, size), _boxed(f"{1234 + row}5", 150, top, size)]
    return PageGeometry(1, 600, 800, glyphs, [], [])


def _indents(block) -> list[int]:
    labels = [row[0] for row in block.cells if row[0] and row[0].strip() not in ("城市", "河北省")]
    return [len(label) - len(label.lstrip()) for label in labels]


def test_cities_of_one_level_are_indented_alike_though_their_boxes_wander_and_vary_in_height():
    # the OCR boxes' left edges wander by a point and their heights (so sizes) by a tenth, which once made
    # some cities one blank deeper than others: counties of the city above
    page = _scanned_cities([("石家庄", 0, 9), ("唐山", 1.2, 8.1), ("保定", -1.0, 9.8), ("邯郸", 0.8, 8.3),
                            ("邢台", -0.6, 9.6)], "河北省")
    (block, _), = read_page(page, None, "scan.pdf")[0]
    indents = _indents(block)
    assert len(indents) == 5 and len(set(indents)) == 1 and indents[0] > 0, indents


def test_a_continued_page_indents_its_cities_as_the_page_before_though_its_boxes_sit_two_points_right():
    first = _scanned_cities([("石家庄", -2.5, 9), ("唐山", -2.5, 9)], "河北省")
    (block, table), = read_page(first, None, "scan.pdf")[0]
    (continued, _), = read_page(_scanned_cities([("保定", -0.5, 9), ("邯郸", -0.5, 9)], None), table, "scan.pdf")[0]
    assert _indents(continued) == _indents(block) == [_indents(block)[0]] * 2


def _printed(text: str, x0: float, bottom: float, size: float, again: float | None = None) -> list[Glyph]:
    """A text layer's characters, CJK a size wide and digits about half; each drawn a second time `again`
    points to the right where given (how some PDFs print bold)."""
    glyphs = []
    for ch in text:
        width = size if "\u3400" <= ch <= "\u9fff" else 0.55 * size
        glyphs.append(Glyph(ch, x0, x0 + width, bottom - size, bottom, size))
        if again is not None:
            glyphs.append(Glyph(ch, x0 + again, x0 + again + width, bottom - size, bottom, size))
        x0 += width
    return glyphs


def _population_page(rows: list[tuple[str, str]], extra: list[Glyph] = (), again: float | None = None) -> PageGeometry:
    glyphs = _printed("城市", 40, 90, 9) + _printed("年末总人口", 120, 90, 9) + _printed("单位：万人", 40, 70, 9)
    for row, (name, number) in enumerate(rows):
        glyphs += _printed(name, 40, 110 + 14 * row, 9, again) + _printed(number, 130, 110 + 14 * row, 9, again)
    return PageGeometry(1, 600, 800, glyphs + list(extra), [], [])


def _read(page: PageGeometry) -> tuple[list[list[str]], list]:
    found, _, problems = read_page(page, None, "overprint.pdf")
    return [row for block, _ in found for row in block.cells], problems


def test_two_numbers_printed_over_each_other_on_one_baseline_refuse_their_table_and_say_where():
    # "1234" over "5678" would read as 15263748 if taken character by character
    cells, problems = _read(_population_page([("石家庄", "1234"), ("唐山", "2345")], _printed("5678", 131.5, 110, 9)))
    assert cells == []
    assert [p.kind for p in problems] == ["overprinted_text"] and "y=101" in problems[0].message


def test_a_header_line_run_down_into_the_first_row_is_parted_from_it_by_baseline():
    # the label header's "City" printed two points above the first row's baseline, over its label
    cells, problems = _read(_population_page([("吉林省", "2734.1"), ("长春", "751.3")], _printed("City", 42, 108, 9)))
    assert not problems
    assert ["吉林省", "2734.1"] in cells and ["长春", "751.3"] in cells
    assert cells[0][0].split() == ["城市", "City"]


def test_characters_drawn_twice_a_hair_apart_for_bold_read_once():
    cells, problems = _read(_population_page([("石家庄", "1234"), ("唐山", "2345")], again=0.3))
    assert not problems
    assert ["石家庄", "1234"] in cells and ["唐山", "2345"] in cells


def test_the_same_character_drawn_again_more_than_a_hair_aside_is_another_texts_not_bold():
    # "支出" ends where "出口" begins, in the next box: the two 出 overlap by most of one; read as one bold 出, the
    # next box's text lost its first character ("口总额", an unknown header, loaded)
    line, = text_lines(_printed("支出", 40, 90, 8) + _printed("出口", 51, 90, 8))
    assert line.overprinted


def test_a_continued_page_printing_a_number_left_of_the_carried_columns_is_not_read_by_them():
    # a column the first page left blank in every row, so never read: its number on the next page must
    # not run into the label ("唐山 555") while the numbers right of it load under the carried headers
    first = _population_page([("石家庄", "1234")])
    (_, table), = read_page(first, None, "continued.pdf")[0]
    glyphs = _printed("唐山", 40, 60, 9) + _printed("555", 80, 60, 9) + _printed("2345", 130, 60, 9)
    found, _, problems = read_page(PageGeometry(2, 600, 800, glyphs, [], []), table, "continued.pdf")
    assert found == []
    assert [p.kind for p in problems] == ["no_header"]


def test_header_pieces_left_over_one_above_the_other_add_no_blank_columns():
    # "Gross Industrial Output Science and Technology" printed as one line spans both indicators, so it,
    # not "科学技术支出", is taken for the parent of the scopes under them: that header and its two scopes
    # are all left over above a one-row page's blank columns, and columns over each other cut the page wrong
    band = text_lines(_printed("工业总产值", 167, 100, 7) + _printed("科学技术支出", 253, 100, 7)
                      + _printed("Gross Industrial Output Science and Technology", 146, 110, 7)
                      + _printed("全市", 180, 120, 7) + _printed("市辖区", 205, 120, 7)
                      + _printed("全市", 245, 120, 7) + _printed("市辖区", 285, 120, 7))
    printed = [Column(174, 194), Column(205, 226)]
    columns = _with_blank_header_columns(printed, band, 120)
    assert all(c.right < d.left for c, d in zip(columns, columns[1:])), [(c.left, c.right) for c in columns]
    assert printed[0] in columns and printed[1] in columns


def test_a_continued_table_whose_first_page_yields_no_table_loads_nothing_and_says_why():
    # page 1 printed the title "（市辖区）" over a row with no number, so no table was found there; page 2,
    # under 续表 and a repeated header, must not load as a new table titled by the running header (全市)
    result = ExtractResult("book.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    tables.add(Block(["城市统计资料", "续表", "单位：万人"], [["城市", "年末总人口"], ["辽阳", "46273"]], [1, 2], [1, 2],
                     page=2))
    tables.finish_table()
    assert not result.values
    assert [(p.kind, p.page, p.severity) for p in result.problems] == [("continues_no_table", 2, "error")]


def test_a_page_range_starting_on_a_continued_page_is_read_with_a_warning_that_its_title_is_not_seen():
    result = extract_file(FIXTURES / "sources" / "ccsy2012_two_tables_ruled.pdf", ExtractOptions(pages=(2, 2)))
    assert result.values
    assert [(p.kind, p.page, p.severity) for p in result.problems if p.kind == "continues_no_table"] == [
        ("continues_no_table", 2, "warning")]


def test_two_headers_side_by_side_over_the_one_column_a_one_row_page_gave_them_head_neither():
    # The one row leaves 当年实际使用外资金额 blank, so the body makes one column where it and 出口总额
    # stand. 出口总额 was a leaf over it and 当年实际使, whose second line ran into 出口总额's unit
    # ("（万美元） 用外资金额"), a group header over it: only two leaves side by side were ambiguous, so the
    # column read as the provisional indicator "出口总额 当年实际使 ..." and 莆田's exports loaded under it.
    glyphs = (_printed("4—7 主要指标", 186, 60, 9)
              + _printed("出口总额", 120.9, 102, 9) + _printed("当年实际使", 171.4, 102, 9)
              + _printed("工业总产值", 226.4, 102, 9) + _printed("年末总户数", 281.4, 102, 9)
              + _printed("科学技", 340.9, 102, 9)
              + _printed("（万美元）", 124.4, 114, 9) + _printed("用外资金额", 171.4, 114, 9)
              + _printed("（亿元）", 230.9, 114, 9) + _printed("（户）", 290.4, 114, 9) + _printed("术支出", 340.9, 114, 9)
              + _printed("城市名称", 71.4, 126, 9) + _printed("（万美元）", 171.4, 126, 9)
              + _printed("（万元）", 336.4, 126, 9)
              + _printed("福建省", 70.4, 143, 9)
              + _printed("莆田", 70.4, 160, 9) + _printed("65721.54", 120.3, 160, 9) + _printed("81616", 236.5, 160, 9)
              + _printed("67425.6", 287.8, 160, 9) + _printed("40464", 342.0, 160, 9))
    cells, _ = _read(PageGeometry(1, 600, 800, glyphs, [], []))
    assert cells[-1] == ["莆田", "65721.54", "81616", "67425.6", "40464"]
    headers = [" ".join(row[column] for row in cells[:-1]).split() for column in range(1, len(cells[0]))]
    assert headers[0] == [] and headers[1] == ["工业总产值", "（亿元）"], headers


def test_a_header_cut_short_at_a_bracket_is_refused_with_its_reason_not_loaded_as_a_new_indicator():
    # a scan of workbook header boxes that clip their wrapped text shows only their middles: ") Persons
    # Employed ..." (its "（人）" above, clipped) names no indicator whole, and "人)" is no unit either
    result = ExtractResult("book.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions(year=2022))
    tables.add(Block(["2-18 劳动力就业"], [
        ["城市", ") Persons Employed in Urban Non-Private Units", "人) Average Number of Employed", "年末总人口（万人）"],
        ["石家庄市", "1037065", "98", "1054"]], [1, 2], [1, 2, 3, 4], page=1))
    tables.finish_table()
    assert {(v.indicator, v.value) for v in result.values} == {("population", 1054)}
    cut = [p.message for p in result.problems if p.kind == "unknown_column"]
    assert len(cut) == 2 and all("cut short" in message and "not loaded" in message for message in cut), cut


def test_a_header_holding_text_a_scan_did_not_read_surely_is_refused_and_its_neighbours_still_load():
    # a box clipping its line through the middle: the recogniser's guess ("城误/ 箱入日") comes as UNREAD,
    # and 户籍人口 above it must not name the column (it would be a twin of the first, and drop both)
    result = ExtractResult("book.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions(year=2022))
    tables.add(Block(["2-1 人口数", "单位：万人"], [
        ["城市", "户籍人口", "户籍人口"], ["", "", UNREAD * 3], ["", "全市", "全市"],
        ["石家庄市", "1054", "558"]], [1, 2, 3, 4], [1, 2, 3], page=1))
    tables.finish_table()
    assert {(v.indicator, v.scope, v.value) for v in result.values} == {("population", "city_total", 1054)}
    refused = [p.message for p in result.problems if p.kind == "unknown_column"]
    assert len(refused) == 1 and "not read surely" in refused[0], refused
