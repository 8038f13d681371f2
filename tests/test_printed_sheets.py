"""Workbooks as an office prints them (LibreOffice, Excel): borders round the header boxes and the label
column only, text wrapped in narrow boxes, text overflowing its box clipped at the box's edge.

Every page here is drawn as glyphs and rules (no font, no PDF), so each trait is pinned on its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnstat_etl.extract import ExtractOptions, extract_file, pdfium
from cnstat_etl.extract.layout import ClippedCell, Glyph, PageGeometry, Segment, read_page, text_lines
from cnstat_etl.extract.tables import REFUSED_MARK, TableAssembler
from cnstat_etl.model import ExtractResult
from conftest import SHARED_REAL
from drawn_glyphs import printed, right_aligned

SIZE = 8
LEFT, LABEL_EDGE, RIGHT = 40.0, 120.0, 300.0
VALUE_RIGHTS = [175, 235, 295]


def _printed(text: str, x0: float, bottom: float, size: float = SIZE) -> list[Glyph]:
    return printed(text, x0, bottom, size)


def _right_aligned(text: str, right: float, bottom: float) -> list[Glyph]:
    return right_aligned(text, right, bottom, SIZE)


ROWS = [("南京市", "1.87", "0.23", "17.20"), ("无锡市", "0.90", "0.48", "12.10"), ("徐州市", "9.13", "3.65", "9.40")]


def _body(rows: list[tuple[str, ...]], bottom: float, rights: list[float] = VALUE_RIGHTS,
          ) -> tuple[list[Glyph], float]:
    """The rows' labels and their values right-aligned at `rights`, from the baseline `bottom` down; the
    next row's baseline."""
    glyphs = []
    for label, *values in rows:
        glyphs += _printed(label, 45, bottom)
        for right, value in zip(rights, values):
            glyphs += _right_aligned(value, right, bottom)
        bottom += 12
    return glyphs, bottom


def _sheet_page(unit_bottom: float = 56, gridlines: bool = False) -> PageGeometry:
    """A sheet printed with borders round its header boxes and its label column, none between the value
    columns of the body: "地区生产总值" over 全市 | 市辖区, and "年末总人口" beside them. With `gridlines`,
    the body's value columns are ruled too, each cell's edge drawn on its own (the border round the
    table, drawn whole, ends on the right)."""
    glyphs = (_printed("2-7 地区生产总值（2022年）", 60, 40, 10) + _printed("单位：亿元", 60, unit_bottom)
              + _printed("地区生产总值", 155, 76) + _printed("年末总人口", 250, 76) + _printed("城 市", 62, 84)
              + _printed("全市", 150, 92) + _printed("市辖区", 200, 92))
    body, bottom = _body(ROWS, 110.0)
    glyphs += body
    horizontal = [Segment(LEFT, RIGHT, 66, 66), Segment(LABEL_EDGE, 240, 80, 80), Segment(LEFT, RIGHT, 97, 97),
                  Segment(LEFT, RIGHT, bottom - 6, bottom - 6)]
    vertical = [Segment(LEFT, LEFT, 66, bottom - 6), Segment(LABEL_EDGE, LABEL_EDGE, 66, bottom - 6),
                Segment(180, 180, 80, 97), Segment(240, 240, 66, 97), Segment(RIGHT, RIGHT, 66, 97)]
    if gridlines:
        vertical += [Segment(RIGHT, RIGHT, 66, bottom - 6)] + [
            Segment(x, x, top + 0.1, top + 12) for x in (180, 240) for top in range(97, int(bottom) - 6, 12)]
    return PageGeometry(1, 600, 800, glyphs, horizontal, vertical)


def _values(page: PageGeometry) -> list:
    return _extracted(page).values


def _extracted(page: PageGeometry) -> ExtractResult:
    (block, _), = read_page(page, None, "sheet.pdf")[0]
    result = ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    tables.add(block)
    tables.finish_table()
    return result


@pytest.mark.parametrize("label_bottom, scope_bottom", [(96, 126), (98, 112)], ids=["scopes_far", "label_far"])
def test_a_group_box_set_far_above_its_scope_boxes_heads_them(label_bottom, scope_bottom):
    # 常住人口's box is tall, its name printed near its top, far above the 全市 | 市辖区 boxes' text; the rule
    # under it stops at the label column, whose box reaches down past it, 城 市 printed in it far below the
    # group's name or far above the scopes' text: the name is still the header's
    glyphs = (_printed("2-1 人口数（2022年）", 60, 40, 10) + _printed("单位：万人", 60, 56)
              + _printed("常住人口", 190, 76) + _printed("城 市", 62, label_bottom) + _printed("全市", 150, scope_bottom)
              + _printed("市辖区", 240, scope_bottom))
    rows = [("南京市", "931", "800"), ("无锡市", "746", "501")]
    body, bottom = _body(rows, 142.0, [195, 295])
    horizontal = [Segment(LEFT, RIGHT, 66, 66), Segment(LABEL_EDGE, RIGHT, 100, 100),
                  Segment(LEFT, RIGHT, 130, 130), Segment(LEFT, RIGHT, bottom - 6, bottom - 6)]
    vertical = [Segment(LEFT, LEFT, 66, bottom - 6), Segment(LABEL_EDGE, LABEL_EDGE, 66, bottom - 6),
                Segment(210, 210, 100, 130), Segment(RIGHT, RIGHT, 66, 130)]
    page = PageGeometry(1, 600, 800, glyphs + body, horizontal, vertical)
    assert {(v.region_name, v.indicator, v.scope, v.value) for v in _values(page)} == {
        (label, "population_resident", scope, float(value)) for label, *values in rows
        for scope, value in zip(["city_total", "urban_districts"], values)}


def test_a_unit_line_reaching_into_the_header_below_it_is_still_the_tables_unit_line():
    # its descenders reach below the top of the header's first line, its middle does not
    assert {v.unit_as_printed for v in _values(_sheet_page(unit_bottom=70)) if v.indicator == "gdp"} == {"亿元"}


def test_a_unit_line_whose_box_reaches_past_the_top_of_the_header_below_it_is_the_tables_unit_line():
    # a CJK font's tall line boxes: the unit line's middle lies below the header line's top, above its middle
    assert {v.unit_as_printed for v in _values(_sheet_page(unit_bottom=73)) if v.indicator == "gdp"} == {"亿元"}


SHEET_VALUES = {(label, indicator, scope, float(value)) for label, *values in ROWS
                for (indicator, scope), value in zip([("gdp", "city_total"), ("gdp", "urban_districts"),
                                                      ("population", "city_total")], values)}


def test_a_rule_only_after_the_labels_parts_no_value_columns_they_line_up_as_printed():
    assert {(v.region_name, v.indicator, v.scope, v.value) for v in _values(_sheet_page())} == SHEET_VALUES


def test_gridlines_drawn_a_cell_at_a_time_part_the_columns_as_whole_rules_do():
    assert {(v.region_name, v.indicator, v.scope, v.value) for v in _values(_sheet_page(gridlines=True))} == \
        SHEET_VALUES


CLIPPED = Path(__file__).parent / "fixtures" / "pdf_traits" / "printed_sheet_clipped.pdf"


def test_text_a_box_clips_is_not_shown_and_the_box_holds_all_of_it():
    page = next(pdfium.read_pages(CLIPPED))
    shown = "".join(glyph.text for glyph in page.geometry.glyphs)
    assert "当年价格" not in shown and "yuan" not in shown and "RegionalProduct" in shown
    assert [cell.text for cell in page.geometry.clipped] == [
        "地区生产总值（当年价格）（亿元） Gross Regional Product (100 000 000 yuan)", "市辖区 Districts under City"]


def test_a_header_a_box_clips_reads_as_the_cell_holds_it_and_its_values_load():
    result = extract_file(CLIPPED)
    assert {(v.region_name, v.scope, v.value, v.unit_as_printed) for v in result.values if v.indicator == "gdp"} == {
        (label, scope, float(value), "亿元") for label, *values in [("南京市", "16907", "16907"),
                                                                    ("无锡市", "14850", "9000"), ("徐州市", "8457", "4000")]
        for scope, value in zip(("city_total", "urban_districts"), values)}
    # the reference reader sees no clip paths: the clipped lines print over their neighbours, and are read
    # apart by the order they are drawn in, to the same numbers
    plumbed = extract_file(CLIPPED, ExtractOptions(pdf_reader="pdfplumber"))
    assert {(v.region_name, v.scope, v.value) for v in plumbed.values if v.indicator == "gdp"} == \
        {(v.region_name, v.scope, v.value) for v in result.values if v.indicator == "gdp"}


GDP_TEXT = "地区生产总值（当年价格）（亿元） Gross Regional Product (Current Prices) (100 000 000 yuan)"


def _clipped_header_page() -> PageGeometry:
    """A ruled header whose GDP box is too short for its wrapped text: the office centres the text on the
    box and clips it, so the one line shown reaches up over the box's top rule, and the per-capita header
    in the next box prints a line lower, between the GDP text's lines. The English title sits just above;
    "市辖区" and the "全市" right of it print close on both sides of the rule between their boxes."""
    glyphs = (_printed("2-7 地区生产总值（2022年）", 45, 80, 10) + _printed("Gross Regional Product", 45, 92)
              + _printed("地区生产总值（亿元）", 130, 105) + _printed("人均地区生产总值(元)", 242, 109, 5.5)
              + _printed("城 市", 62, 122) + _printed("全市", 142, 122) + _printed("市辖区", 215, 122)
              + _printed("全市", 242, 122))
    body, bottom = _body(ROWS, 140.0)
    glyphs += body
    horizontal = [Segment(LEFT, RIGHT, 100, 100), Segment(LABEL_EDGE, RIGHT, 110, 110),
                  Segment(LEFT, RIGHT, 128, 128)]
    vertical = [Segment(x, x, 100, 128) for x in (LEFT, LABEL_EDGE, 240, RIGHT)] + [Segment(180, 180, 110, 128)]
    return PageGeometry(1, 600, 800, glyphs, horizontal, vertical, [ClippedCell(LABEL_EDGE, 100, 240, 110, GDP_TEXT)])


def test_a_box_whose_clipped_text_reaches_over_its_top_rule_heads_its_own_columns_only():
    # the per-capita header beside it, printed between the GDP text's lines, is not read under it
    assert {(v.region_name, v.indicator, v.scope, v.value, v.unit_as_printed)
            for v in _values(_clipped_header_page())} == {
        (label, indicator, scope, float(value), unit) for label, *values in ROWS
        for (indicator, scope, unit), value in zip([("gdp", "city_total", "亿元"), ("gdp", "urban_districts", "亿元"),
                                                    ("gdp_per_capita", "city_total", "元")], values)}


def test_a_clipped_box_whose_glyphs_reach_over_the_grids_top_rule_is_the_boxs_header_cell():
    # a tall box for the GDP text centred in it, clipped to it: the one line shown reaches up over the
    # table's top rule, and the line under it (全市) prints far below those glyphs, though close under the box
    glyphs = (_printed("2-7 地区生产总值（2022年）", 45, 70, 10) + _printed("地区生产总值（亿元）", 125, 105)
              + _printed("城 市", 62, 130) + _printed("全市", 150, 130))
    glyphs += _body([row[:2] for row in ROWS], 150.0)[0]
    horizontal = [Segment(LEFT, RIGHT, 100, 100), Segment(LEFT, RIGHT, 136, 136)]
    vertical = [Segment(x, x, 100, 136) for x in (LEFT, LABEL_EDGE, RIGHT)]
    page = PageGeometry(1, 600, 800, glyphs, horizontal, vertical, [ClippedCell(LABEL_EDGE, 100, RIGHT, 118, GDP_TEXT)])
    assert {(v.region_name, v.indicator, v.scope, v.value, v.unit_as_printed) for v in _values(page)} == {
        (label, "gdp", "city_total", float(value), "亿元") for label, value, *_ in ROWS}


def test_a_boxs_text_overflowing_the_rule_under_the_header_is_the_boxs_last_line_not_the_whole_header():
    # CNKI's 2-5 printed with gridlines, its title rows ruled as cells too: 绿地面积's five lines, centred on
    # a shorter box, reach over its top rule and down through the rule under the header, and the English
    # title sits above; the header was read as "(hectare)" alone, every column of the table refused
    glyphs = (_printed("2-5 绿地面积（2022年）", 45, 36, 10) + _printed("Area of Green Land", 45, 48)
              + _printed("绿地面积", 128, 60) + _printed("(公顷)", 130, 70) + _printed("Area of", 128, 80)
              + _printed("Green Land", 125, 90) + _printed("(hectare)", 126, 100) + _printed("城 市", 62, 80)
              + _printed("公园绿地面积", 188, 80) + _printed("年末总人口", 250, 80))
    glyphs += _body(ROWS, 111.0)[0]
    horizontal = [Segment(LEFT, RIGHT, y, y) for y in (24, 38, 56, 95, 139)]
    vertical = [Segment(x, x, 24, 139) for x in (LEFT, LABEL_EDGE, 180, 240, RIGHT)]
    values = _values(PageGeometry(1, 600, 800, glyphs, horizontal, vertical))
    assert {(v.region_name, v.indicator, v.value, v.unit_as_printed) for v in values} == {
        (label, indicator, float(value), unit) for label, *numbers in ROWS
        for (indicator, unit), value in zip([("green_area", "公顷"), ("park_green_area", None),
                                             ("population", None)], numbers)}


def test_a_boxs_text_overflowing_the_grids_top_rule_heads_its_column_and_the_title_above_does_not():
    # the same table printed without gridlines: the grid's top rule runs through 绿地面积, whose column was
    # read as "(公顷) Area of Green Land (hectare)", a new indicator; the title lines above stay the title's
    glyphs = (_printed("2-5 绿地面积（2022年）", 45, 30, 10) + _printed("Area of Green Land", 45, 42)
              + _printed("(Districts under City)", 45, 52) + _printed("绿地面积", 128, 59) + _printed("(公顷)", 130, 69)
              + _printed("Area of", 128, 79) + _printed("Green Land", 125, 89) + _printed("(hectare)", 126, 99)
              + _printed("城 市", 62, 79) + _printed("公园绿地面积", 188, 79) + _printed("年末总人口", 250, 79))
    glyphs += _body(ROWS, 114.0)[0]
    horizontal = [Segment(LEFT, RIGHT, y, y) for y in (56, 103, 142)]
    vertical = [Segment(x, x, 56, 142) for x in (LEFT, LABEL_EDGE, 180, 240, RIGHT)]
    result = _extracted(PageGeometry(1, 600, 800, glyphs, horizontal, vertical))
    assert {(v.region_name, v.indicator, v.value, v.unit_as_printed) for v in result.values} == {
        (label, indicator, float(value), unit) for label, *numbers in ROWS
        for (indicator, unit), value in zip([("green_area", "公顷"), ("park_green_area", None),
                                             ("population", None)], numbers)}
    assert not result.problems


def _clipped_row_page() -> tuple[PageGeometry, list[tuple[str, ...]]]:
    """One ruled header row: the employees box's three lines reach over its top and bottom rules (an
    office centres a box's text on it), and the next two boxes clip their texts at the edge they share,
    the two shown pieces printed close on both sides of it."""
    glyphs = (_printed("2-18 劳动力就业及收入状况（2022年）", 45, 80, 10)
              + _printed("单位从业人员（人", 124, 105) + _printed("） Employees", 128, 113)
              + _printed("at Year-end", 128, 125.5)
              + _printed("城 市", 62, 113) + _printed("工资总额", 207.5, 113) + _printed("在岗职工", 240.5, 113))
    rows = [("南京市", "747056", "1535651", "95000"), ("无锡市", "512000", "902000", "88000")]
    glyphs += _body(rows, 140.0)[0]
    horizontal = [Segment(LEFT, RIGHT, 100, 100), Segment(LEFT, RIGHT, 124, 124)]
    vertical = [Segment(x, x, 100, 124) for x in (LEFT, LABEL_EDGE, 180, 240, RIGHT)]
    clipped = [ClippedCell(180, 100, 240, 124, "在岗职工工资总额（万元） Total Wage Bill (10 000 yuan)"),
               ClippedCell(240, 100, RIGHT, 124, "在岗职工平均工资（元） Average Wage (yuan)")]
    return PageGeometry(1, 600, 800, glyphs, horizontal, vertical, clipped), rows


def test_boxes_clipped_at_a_shared_edge_and_a_box_whose_lines_reach_over_its_rules_are_each_one_cell():
    page, rows = _clipped_row_page()
    assert {(v.region_name, v.indicator, v.value, v.unit_as_printed) for v in _values(page)} == {
        (label, indicator, float(value), unit) for label, *values in rows
        for (indicator, unit), value in zip([("employees", "人"), ("wage_bill", "万元"), ("average_wage", "元")],
                                            values)}


def _nested_header_page() -> tuple[PageGeometry, list[tuple[str, ...]]]:
    """户籍人口 over four columns, and 城镇户籍人口, a box of the row below, over the last two: no rule but
    the label column's edge crosses the whole header. 城镇户籍人口's box is too short for it: its line,
    centred on the box, reaches up over the box's top rule."""
    rights = [160, 205, 250, 295]
    glyphs = (_printed("2-1 人口数（2022年）", 45, 80, 10) + _printed("单位：万人", 45, 92)
              + _printed("户籍人口", 190, 108) + _printed("城镇户籍人口", 230, 117) + _printed("城 市", 62, 125)
              + sum((_printed(scope, right - 40, 136) for scope, right in zip(["全市", "市辖区"] * 2, rights)), []))
    rows = [("南京市", "700", "650", "500", "480"), ("无锡市", "520", "300", "400", "250")]
    glyphs += _body(rows, 152.0, rights)[0]
    horizontal = [Segment(LEFT, RIGHT, 100, 100), Segment(210, RIGHT, 111, 111), Segment(LABEL_EDGE, RIGHT, 126, 126),
                  Segment(LEFT, RIGHT, 140, 140)]
    vertical = [Segment(LABEL_EDGE, LABEL_EDGE, 100, 140), Segment(210, 210, 111, 140),
                Segment(165, 165, 126, 140), Segment(255, 255, 126, 140)]
    return PageGeometry(1, 600, 800, glyphs, horizontal, vertical), rows


def test_a_box_nested_in_a_ruled_header_heads_its_own_columns_under_the_box_over_it():
    page, rows = _nested_header_page()
    assert {(v.region_name, v.indicator, v.scope, v.value) for v in _values(page)} == {
        (label, indicator, scope, float(value)) for label, *values in rows
        for (indicator, scope), value in zip([("population", "city_total"), ("population", "urban_districts"),
                                              ("population_urban_registered", "city_total"),
                                              ("population_urban_registered", "urban_districts")], values)}


def test_a_chinese_name_printed_on_into_the_english_names_box_is_read_as_the_two_names():
    # "广西壮族自治区" runs a few points into "Guangxi" beside it: no cell of the line could be read, and the
    # whole table was refused as overprinted
    page = _sheet_page()
    province_bottom = 110.0
    moved = [glyph._replace(top=glyph.top + 12, bottom=glyph.bottom + 12) for glyph in page.glyphs
             if glyph.bottom >= province_bottom]
    page.glyphs = [glyph for glyph in page.glyphs if glyph.bottom < province_bottom] + moved + \
        _printed("广西壮族自治区", 45, province_bottom) + _printed("Guangxi", 97, province_bottom)
    result = _extracted(page)
    assert [row.label for row in result.rows][:2] == ["广西壮族自治区 Guangxi", "南京市"]
    assert {(v.region_name, v.indicator, v.scope, v.value) for v in result.values if v.value is not None} == \
        SHEET_VALUES


def test_a_header_printed_in_english_only_names_its_indicator():
    # a box too short for its wrapped bilingual text shows the English lines of it only: its Chinese
    # "地区生产总值" is not printed at all
    page = _sheet_page()
    page.glyphs = [glyph for glyph in page.glyphs if not (glyph.bottom == 76 and glyph.x0 < 240)] + \
        _printed("Gross Regional Product (Current Prices)", 122, 76, 5)
    assert {(v.region_name, v.indicator, v.scope, v.value) for v in _values(page)} == SHEET_VALUES


def test_an_english_header_whose_bracket_wraps_into_the_header_row_below_names_its_indicator():
    # the English name's bracket opens at the end of its box's line and closes on the next line, read into
    # the header row under it with the English copy below, drawn over it ("Gross Regional Product (" over
    # "Current Prices) (100 000 000 Gross Regional Product (Current Prices) (100 000 000 yuan)", 2021's 2-7):
    # the bracket's halves are a qualifier and a unit, not part of the name
    from cnstat_etl.extract.tables import Block
    result = ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    below = "Current Prices) (100 000 000 Gross Regional Product (Current Prices) (100 000 000 yuan)"
    tables.add(Block(["2-7 地区生产总值（2022年）"],
                     [["城市", "Gross Regional Product (", "Gross Regional Product ("], ["", below, below],
                      ["", "全市", "市辖区"], ["南京市", "1.87", "0.23"]], [1, 2, 3, 4], [1, 2, 3], page=1))
    tables.finish_table()
    assert {(v.indicator, v.scope, v.value, v.unit_as_printed) for v in result.values} == {
        ("gdp", "city_total", 1.87, "100 000 000 yuan"), ("gdp", "urban_districts", 0.23, "100 000 000 yuan")}


def test_a_glyph_drawn_off_its_runs_baseline_between_its_neighbours_is_read_in_its_run():
    # a font's box for "一" lies 3.5 pt over the baseline of "第" and "产业占" around it (2023's 2-8 printed
    # in the workbook's font): on a line of its own it made the header "一 第 产业占", no indicator
    raised = [glyph._replace(top=glyph.top - 3.5, bottom=glyph.bottom - 3.5) for glyph in _printed("一", 128, 84)]
    line, = text_lines(_printed("第", 120, 84) + raised + _printed("产业占", 136, 84))
    assert line.text == "第一产业占"
    # a glyph over a gap it does not fill (a wrapped line's last character) keeps its own line
    assert len(text_lines(_printed("第", 120, 84) + raised + _printed("产业占", 140, 84))) == 2


def test_a_descender_off_its_runs_baseline_in_texts_drawn_over_each_other_stays_in_its_run():
    # "Regional" drawn over another box's "Current Prices": the box of its "g" hangs 3 pt lower, a line of its
    # own, and the name read "Re ional", no indicator
    regional = _printed("Regional", 100, 84)
    glyphs = [g._replace(top=g.top + 3, bottom=g.bottom + 3) if g.text == "g" else g for g in regional]
    lines = text_lines(glyphs + _printed("Current Prices", 103, 84))
    line, = lines
    assert line.overprinted and "g" in [char.text for phrase in line.phrases for char in phrase.chars]


def test_a_negative_number_printed_right_after_its_label_is_a_value_not_part_of_the_label():
    # a label column as wide as its longest label: "-68952.5" (or with U+2212) follows the name a point apart
    glyphs = _printed("2-7 地区生产总值（2022年）", 60, 40, 10) + _printed("单位：亿元", 60, 56) + \
        _printed("地区生产总值", 155, 76) + _printed("城 市", 62, 84) + _printed("全市", 150, 92) + \
        _printed("市辖区", 200, 92)
    rows = [("张家界 Zhangjiajie", "-68952.5", "−12.5"), ("南京市", "1.87", "0.23")]
    bottom = 110.0
    for label, *values in rows:
        glyphs += _printed(label, 45, bottom) + _right_aligned(values[0], 160, bottom) + \
            _right_aligned(values[1], 235, bottom)
        bottom += 12
    page = PageGeometry(1, 600, 800, glyphs, [Segment(LEFT, 240, y, y) for y in (66, 97, bottom - 6)], [])
    result = _extracted(page)
    assert [row.label for row in result.rows] == ["张家界 Zhangjiajie", "南京市"]
    assert {(v.region_name, v.scope, v.value) for v in result.values} == {
        ("张家界", "city_total", -68952.5), ("张家界", "urban_districts", -12.5),
        ("南京市", "city_total", 1.87), ("南京市", "urban_districts", 0.23)}


def _read_with_scope_line(shown: list[Glyph], clipped: list[ClippedCell] = ()) -> set:
    """The sheet's values, its 全市 and 市辖区 header boxes (120-180, 180-240) printing `shown`."""
    page = _sheet_page()
    page.glyphs = [glyph for glyph in page.glyphs if not (glyph.bottom == 92 and glyph.x0 >= 140)] + shown
    page.clipped = list(clipped)
    return {(v.region_name, v.indicator, v.scope, v.value) for v in _values(page)}


def test_boxes_whose_texts_meet_at_a_clipped_edge_are_two_header_cells():
    # the 市辖区 box clips its text at its left edge: its first glyph, part hidden, is printed over the end
    # of the 全市 box's text, its centre just left of the edge; the two read as one phrase, all 全市's
    assert _read_with_scope_line(_printed("全市 Total", 134.1, 92) + _printed("市 辖 区", 176, 92),
                                 [ClippedCell(180, 80, 240, 97, "市 辖 区 Districts under City")]) == SHEET_VALUES


def test_a_box_text_whose_baseline_drifts_into_two_lines_reads_left_to_right():
    # 市辖区's glyphs sink a little from 市 to 区 (a CJK font's): 区 lies within a baseline's tolerance of
    # 全市's beside, 市辖 just past it, so the line finder parts them into two lines, 区's first
    shown = _printed("全市", 150, 92) + _printed("市辖", 185, 94.9) + _printed("区", 201, 94.4)
    assert _read_with_scope_line(shown) == SHEET_VALUES


def test_boxes_whose_texts_fill_them_and_overlap_at_the_rule_between_are_two_header_cells():
    # no clip: the 全市 box's text runs a little past the rule the 市辖区 box's text starts at
    assert _read_with_scope_line(_printed("全市（亿元）", 139.9, 92) + _printed("市辖区", 180, 92)) == SHEET_VALUES


def test_digit_groups_of_a_wrapped_english_unit_are_header_text_not_a_row():
    # "Utilised (10" | "000 000": a label and a number by its look, yet the digits lie inside the bracket
    # its first cell opens (the unit "(10 000 USD)" wrapped in its box); it was read as a body row
    line, = text_lines(_printed("Utilised (10", 125, 84) + _printed("000 000", 185, 84))
    assert not line.is_body
    row, = text_lines(_printed("Hohhot (Huhehaote)", 45, 84) + _printed("95000", 185, 84) + _printed("12.5", 245, 84))
    assert row.is_body


def test_a_box_line_just_over_the_rule_under_it_is_not_parted_by_the_rules_of_the_row_below():
    # the GDP box's last line has its middle a tenth of a point over the rule under the box, where the rule
    # parting 全市 | 市辖区 below starts (drawn from half a line width over that rule): the line is one cell
    page = _sheet_page()
    page.glyphs = [glyph for glyph in page.glyphs if not (glyph.text in "城市" and glyph.bottom == 84)] + \
        _printed("城 市", 62, 92) + _printed("Gross Regional", 125, 82.1, 5) + _printed("Product", 185, 82.1, 5)
    page.vertical = [Segment(180, 180, 79.5, 97) if rule.x0 == 180 else rule for rule in page.vertical]
    (_, table), = read_page(page, None, "sheet.pdf")[0]
    assert table.column_headers[:2] == ["地区生产总值 Gross Regional Product / 全市",
                                        "地区生产总值 Gross Regional Product / 市辖区"]


def test_two_box_texts_drawn_over_each_other_in_the_header_are_read_as_the_two_texts_drawn():
    # the GDP box's English copy overflows its short box, and the box above's wrapped English line is drawn
    # over it, a character at a time each: two runs, each reading cleanly, digits and all
    page = _sheet_page()
    page.glyphs += _printed("Gross Regional Product", 122, 88, 5) + _printed("(100 000 000 yuan)", 124, 88.2, 5)
    assert {(v.region_name, v.indicator, v.scope, v.value) for v in _values(page)} == SHEET_VALUES


GROWTH = [("南京市", "4.5", "4.1"), ("无锡市", "3.0", "2.8"), ("徐州市", "5.6", "6.2")]


def _values_only_page(number: int, rows: list[tuple[str, ...]], first_bottom: float = 110.0) -> PageGeometry:
    """The next block of the sheet's columns, printed on a page of its own without the row labels: the
    growth rates of `rows`, at the heights the labelled page prints those rows, from `first_bottom` down."""
    glyphs = _printed("地区生产总值增长率（%）", 50, 76) + _printed("全市", 70, 92) + _printed("市辖区", 120, 92)
    for index, (_, *values) in enumerate(rows):
        for right, value in zip([90, 140], values):
            glyphs += _right_aligned(value, right, first_bottom + 12 * index)
    return PageGeometry(number, 600, 800, glyphs, [], [])


def _read_with_labels_from(*pages: PageGeometry, labels_pages: int = 1) -> tuple[list, object]:
    """The pages read in turn, the first `labels_pages` printing the rows' labels and values, the rest values only."""
    return _paired_values(list(pages), labels_pages, labels_print_values=True)


def _paired_values(pages: list[PageGeometry], labels_pages: int, labels_print_values: bool) -> tuple[list, str | None]:
    """The pages read in turn, the first `labels_pages` printing the rows' labels (and their values, or not), the
    rest values only, paired by `pdf.labelled_blocks`: the values, or the reason the pairing is refused. A page of
    labels only is read with no problem."""
    from cnstat_etl.extract.pdf import labelled_blocks
    carried, read = None, []
    for page in pages:
        (found,), carried, problems = read_page(page, carried, "sheet.pdf")
        assert labels_print_values or not problems
        read.append(found)
    labelled, unlabelled = read[:labels_pages], read[labels_pages:]
    assert labels_print_values or all(not table.values_printed for _, table in labelled)
    assert all(not table.labels_printed for _, table in unlabelled)
    blocks = labelled_blocks(labelled, unlabelled, [page.number for page in pages])
    if isinstance(blocks, str):
        return [], blocks
    result = ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    for block in ([labels for labels, _ in labelled] if labels_print_values else []) + blocks:
        tables.add(block)
    tables.finish_table()
    return result.values, None


def test_a_page_of_values_without_row_labels_takes_them_from_the_page_printing_the_labels():
    values, refused = _read_with_labels_from(_sheet_page(), _values_only_page(2, GROWTH))
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, scope, float(value)) for label, *rates in GROWTH
        for scope, value in zip(["city_total", "urban_districts"], rates)}


def test_a_header_reaching_left_of_its_columns_numbers_on_a_page_of_values_heads_that_column():
    # one column of values: its bilingual header, centred over the box, starts and centres left of the
    # right-aligned numbers; a page of values prints no label column for that text to belong to
    glyphs = _printed("地区生产总值增长率", 50, 82) + _printed("GRP Growth Rate (%)", 52, 92)
    for index, (_, rate, _) in enumerate(GROWTH):
        glyphs += _right_aligned(rate, 150, 110.0 + 12 * index)
    values, refused = _read_with_labels_from(_sheet_page(), PageGeometry(2, 600, 800, glyphs, [], []))
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, "city_total", float(rate)) for label, rate, _ in GROWTH}


def _group_box_values_page(rules_top: float) -> PageGeometry:
    """A page of values under a group box (56-80) begun on the page before, its Chinese and English names on
    two lines; the grid's vertical rules (the columns' sides) start at `rules_top`."""
    page = _values_only_page(2, GROWTH)
    page.glyphs = [glyph for glyph in page.glyphs if glyph.bottom != 76] + _printed("地区生产总值增长率", 50, 66) \
        + _printed("GRP Growth Rate (%)", 50, 76)
    page.horizontal = [Segment(45, 145, 56, 56), Segment(45, 145, 80, 80), Segment(45, 145, 97, 97)]
    page.vertical = [Segment(45, 45, rules_top, 97), Segment(145, 145, rules_top, 97), Segment(95, 95, 80, 97)]
    return page


def _assert_growth_read(page: PageGeometry) -> None:
    values, refused = _read_with_labels_from(_sheet_page(), page)
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, scope, float(value)) for label, *rates in GROWTH
        for scope, value in zip(["city_total", "urban_districts"], rates)}


def test_an_english_line_over_a_rule_on_a_page_of_values_only_is_its_group_headers():
    # the group box's English line, alone above the rule under the box: on a labelled page that would be
    # the English title over the table's top rule, but a page of values prints no labels for a top rule
    # to be drawn over, and the line is the group header's
    _assert_growth_read(_group_box_values_page(56))


def test_a_group_box_begun_on_the_page_before_wrapping_its_text_onto_two_lines_heads_a_page_of_values():
    # the grid's rules start under the group's box, and its text wraps onto a second line well below the
    # box's top rule: that line is still the group's, ruled above as its box is, not a title over the grid
    page = _group_box_values_page(80)
    page.clipped = [ClippedCell(45, 58, 145, 66, "地区生产总值增长率"),
                    ClippedCell(45, 68, 145, 76, "GRP Growth Rate (%)")]
    _assert_growth_read(page)


def test_a_column_whose_scope_box_is_on_the_page_before_is_not_read_as_the_whole_citys():
    # 地区生产总值's 市辖区 column printed on the next page under its group text alone: the page before named
    # the indicator's scopes, so the column's is not the whole city's by default (its values are 市辖区's)
    from cnstat_etl.extract.tables import Block
    result = ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    tables.add(Block(["2-7 地区生产总值（2022年）", "单位：亿元"],
                     [["城市", "地区生产总值", "地区生产总值"], ["", "全市", "市辖区"], ["南京市", "1.87", "0.23"]],
                     [1, 2, 3], [1, 2, 3], page=1))
    tables.add(Block([], [["", "地区生产总值", "年末总人口"], ["南京市", "0.23", "17.20"]], [1, 2], [1, 4, 5], page=2))
    tables.finish_table()
    assert {(v.indicator, v.scope, v.value) for v in result.values} == {
        ("gdp", "city_total", 1.87), ("gdp", "urban_districts", 0.23), ("population", "city_total", 17.2)}
    assert [(p.page, p.column) for p in result.problems if "names no scope" in p.message] == [(2, 4)]


def test_a_clip_round_a_columns_numbers_is_the_pages_edge_not_a_boxs_text():
    # the page's first column clipped whole (its group box begun on the page before): its header and
    # numbers are read as printed, not as one box's text
    page = _values_only_page(2, GROWTH)
    page.clipped = [ClippedCell(45, 80, 95, 140, "全市 " + " ".join(rates[0] for _, *rates in GROWTH))]
    values, refused = _read_with_labels_from(_sheet_page(), page)
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, scope, float(value)) for label, *rates in GROWTH
        for scope, value in zip(["city_total", "urban_districts"], rates)}


def test_a_row_of_values_in_another_font_a_quarter_row_off_its_label_pairs_with_it():
    # 无锡市's values printed in a taller font: their line's top is 3 pt above the label's, a quarter of the
    # rows' pitch; the rows above and below are three times as far
    page = _values_only_page(2, GROWTH)
    page.glyphs = [glyph._replace(top=glyph.top - 3, bottom=glyph.bottom - 1) if glyph.bottom == 122 else glyph
                   for glyph in page.glyphs]
    values, refused = _read_with_labels_from(_sheet_page(), page)
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, scope, float(value)) for label, *rates in GROWTH
        for scope, value in zip(["city_total", "urban_districts"], rates)}


def test_a_page_of_values_whose_rows_lie_off_the_labelled_rows_is_refused_with_the_reason():
    # rows half a row lower than the labelled page prints them: which label is whose cannot be proven
    values, refused = _read_with_labels_from(_sheet_page(), _values_only_page(2, GROWTH, first_bottom=116.0))
    assert not values and "lies at the height of no one row page 1 labels" in refused


def test_a_header_line_hanging_over_the_first_row_of_values_is_no_label_wrapped_round_them():
    # the header's last wrapped line ("yuan）") reaches down over the first row's values and over their
    # left end: a label wrapped round its values is printed beside them, never over them, so the page is
    # still one of values only and every row pairs with its label
    page = _values_only_page(2, GROWTH)
    page.glyphs += _printed("yuan）", 72, 106)
    values, refused = _read_with_labels_from(_sheet_page(), page)
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, scope, float(value)) for label, *rates in GROWTH
        for scope, value in zip(["city_total", "urban_districts"], rates)}


def test_a_page_of_values_printing_text_not_read_as_a_row_below_its_last_row_is_refused_with_the_reason():
    # the page's rows of values stop after 无锡市 while the labelled page prints values down to 徐州市, and
    # the page prints a line at 徐州市's height that is no row of values: the rest of the page was not read
    # as rows, and its cities' cells are not blank
    page = _values_only_page(2, GROWTH[:2])
    page.glyphs += _printed("见附注", 70, 134)
    values, refused = _read_with_labels_from(_sheet_page(), page)
    assert not values and "徐州市" in refused


def test_a_labelled_city_printing_nothing_below_the_last_row_of_values_is_blank_there():
    # 徐州市 has no growth rates (blank cells in the workbook): the page of values ends at 无锡市 and prints
    # nothing below, so the rows pair as far as they print and 徐州市's cells there are blank
    values, refused = _read_with_labels_from(_sheet_page(), _values_only_page(2, GROWTH[:2]))
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth" and v.value is not None} \
        == {(label, scope, float(value)) for label, *rates in GROWTH[:2]
            for scope, value in zip(["city_total", "urban_districts"], rates)}


def _gridded(page: PageGeometry, bottom: float) -> PageGeometry:
    """The page of values with its cells ruled (gridlines printed) from the header down to `bottom`."""
    page.vertical = [Segment(45, 45, 56, bottom), Segment(145, 145, 56, bottom), Segment(95, 95, 80, bottom)]
    page.horizontal = [Segment(45, 145, y, y) for y in (56, 80, 97, 113, 125, 137) if y <= bottom]
    return page


def test_a_labelled_city_beside_grid_cells_drawn_empty_after_the_last_row_of_values_is_blank_there():
    # 徐州市 has no growth rates: the page of values stops after 无锡市, but its grid's cells run on empty
    # down past 徐州市's row, so the page prints that row blank
    values, refused = _read_with_labels_from(_sheet_page(), _gridded(_values_only_page(2, GROWTH[:2]), 137))
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth" and v.value is not None} \
        == {(label, scope, float(value)) for label, *rates in GROWTH[:2]
            for scope, value in zip(["city_total", "urban_districts"], rates)}


def test_a_grid_ending_above_the_labelled_rows_printing_values_proves_no_blank_row():
    # the grid stops with 无锡市's row: 徐州市's cells are not drawn on the page of values, so they are unknown
    values, refused = _read_with_labels_from(_sheet_page(), _gridded(_values_only_page(2, GROWTH[:2]), 125))
    assert not values and "徐州市" in refused


def test_a_labelled_city_printing_nothing_above_the_first_row_of_values_is_blank_there():
    # 南京市 has no growth rates (blank cells in the workbook): the page of values starts at 无锡市's height,
    # its header printed as close above it as any page's
    page = _values_only_page(2, GROWTH[1:], first_bottom=122.0)
    page.glyphs = [glyph._replace(top=glyph.top + 12, bottom=glyph.bottom + 12) if glyph.bottom < 100 else glyph
                   for glyph in page.glyphs]
    values, refused = _read_with_labels_from(_sheet_page(), page)
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth" and v.value is not None} \
        == {(label, scope, float(value)) for label, *rates in GROWTH[1:]
            for scope, value in zip(["city_total", "urban_districts"], rates)}


def test_a_glyph_a_box_edge_passes_through_is_the_boxs_its_middle_lies_in():
    # the 全市 box (120-180) and the 市辖区 box (180-240) each print their text a little past the edge between
    # them, each box clipping its own or neither: a glyph the edge passes through is the box's its middle
    # lies in (a box shows the glyphs whose middles it holds) ...
    spilled = [(_printed("全市 City", 141, 92) + _printed("市辖区", 179, 92),  # printed on from 全市's "y"
                [ClippedCell(120, 80, 180, 97, "全市 Total City")]),
               (_printed("全市 Total", 134.6, 92) + _printed("市辖区", 178.5, 92), []),  # after a word's gap
               # ... and where its middle is too near the edge to tell, the text's it runs on from: "y" ends
               # "全市 City", its middle just past the edge, a gap before the 辖 the 市辖区 box shows
               (_printed("全市 City", 144.5, 92) + _printed("辖区", 185, 92),
                [ClippedCell(180, 80, 240, 97, "市辖区 Districts")])]
    for shown, clipped in spilled:
        assert _read_with_scope_line(shown, clipped) == SHEET_VALUES


def test_digits_led_by_a_zero_are_a_wrapped_units_tail_not_a_value():
    # "Revenue" | "000 000": the unit "(100 000 000 yuan)" wrapped in its box, "(100" on the line above; read
    # as a label and a number, the header line was a body row
    header_then_row = (_printed("Revenue", 125, 84) + _printed("000 000", 185, 84)
                       + _printed("南京市", 45, 100) + _printed("0", 185, 100) + _printed("0.25", 245, 100))
    assert [line.is_body for line in text_lines(header_then_row)] == [False, True]


def test_a_glyph_an_edge_passes_through_at_the_start_of_its_phrase_stays_with_it():
    # both boxes clip at the edge they share: the 市辖区 box's spaced "市 辖 区" starts on a 市 the edge passes
    # through, its middle too near the edge to tell, printed over the 全市 box's "City" (the two lines read
    # apart by script): that 市 is its phrase's, not a cell of its own in the 全市 box
    assert _read_with_scope_line(_printed("全市 City", 141.7, 92) + _printed("市 辖 区", 175.8, 92),
                                 [ClippedCell(120, 80, 180, 97, "全市 Total City"),
                                  ClippedCell(180, 80, 240, 97, "市 辖 区 Districts")]) == SHEET_VALUES


def test_two_boxes_texts_printed_over_each_other_at_the_edge_between_them_are_read_apart_there():
    # each spills half a character over the edge, the 全市 box's 市 over the 市辖区 box's: no cell of the
    # line could be told, and the table was refused; each character is the box's its middle lies in
    assert _read_with_scope_line(_printed("全市", 165, 92) + _printed("市辖区", 177, 92)) == SHEET_VALUES


def test_a_negative_number_a_space_after_another_number_is_the_next_cell():
    # "34563.6 -74950.22", centred numbers in narrow columns: read as one cell, unreadable, and its own
    # column left blank was loaded as a value not printed
    line, = text_lines(_printed("抚 顺", 45, 84) + _printed("34563.6 -74950.22", 125, 84))
    assert [phrase.text for phrase in line.phrases] == ["抚 顺", "34563.6", "-74950.22"]
    # and printed close after the name too
    line, = text_lines(_printed("晋 中 Jinzhong 73779.25 -38628.1", 45, 84))
    assert [phrase.text for phrase in line.phrases] == ["晋 中 Jinzhong", "73779.25", "-38628.1"]


def test_a_header_box_right_of_the_label_column_heading_no_column_is_not_the_label_columns():
    # a ruled grid whose right edge is left unruled, one row that leaves the last column blank: the body
    # parts off one value column, reaching to the table's edge; the 全市 box heads none of it and was read as
    # the label column's, so 全市's number loaded under 市辖区
    glyphs = (_printed("2-7 年末总人口（2022年）", 45, 40, 10) + _printed("单位：万人", 45, 56)
              + _printed("年末总人口", 160, 76) + _printed("城 市", 62, 84) + _printed("全市", 132, 92)
              + _printed("市辖区", 188, 92) + _printed("南京市", 45, 110) + _right_aligned("931.47", 155, 110))
    horizontal = [Segment(LEFT, 240, 66, 66), Segment(LABEL_EDGE, 240, 80, 80), Segment(LEFT, 240, 97, 97),
                  Segment(LEFT, 240, 116, 116)]
    vertical = [Segment(x, x, 66, 116) for x in (LEFT, LABEL_EDGE, 160)] + [Segment(240, 240, 66, 97)]
    values = _values(PageGeometry(1, 600, 800, glyphs, horizontal, vertical))
    assert {(v.region_name, v.scope, v.value) for v in values if v.value is not None} <= {
        ("南京市", "city_total", 931.47)}


# Page 1 of 2021_2021-2-1.xlsx printed by LibreOffice (A3 landscape, fit to width, Noto Serif CJK, no
# gridlines, header not repeated): it clips the label columns' overflowing names ("Qinhuangd(ao)") to each
# column's strip of the page, one clip for the whole strip.
COLUMN_STRIP = Path(__file__).parent / "fixtures" / "pdf_traits" / "printed_column_strip_clip.pdf"
COLUMN_STRIP_WORKBOOK = SHARED_REAL / "ccsy_excel_chinautc" / "2021" / "2021_2021-2-1.xlsx"


def test_a_clip_round_a_columns_strip_is_a_cell_per_line_it_clips():
    page = next(pdfium.read_pages(COLUMN_STRIP))
    lines = text_lines(page.geometry.glyphs)
    for cell in page.geometry.clipped:
        assert sum(cell.top <= (line.top + line.bottom) / 2 <= cell.bottom for line in lines) <= 1, cell


@pytest.mark.skipif(not COLUMN_STRIP_WORKBOOK.is_file(), reason=f"{COLUMN_STRIP_WORKBOOK} is absent")
def test_a_page_whose_label_column_is_clipped_as_a_strip_reads_as_its_workbook():
    # read as one cell, the strip's text (every label on the page) was the first row's label, and nothing loaded
    def values(path: Path, options: ExtractOptions = ExtractOptions()) -> dict[tuple[str, str, str], float]:
        return {(v.region_name, v.indicator, v.scope): v.value for v in extract_file(path, options).values}

    printed_values = values(COLUMN_STRIP, ExtractOptions(edition=2021))
    workbook = values(COLUMN_STRIP_WORKBOOK)
    assert printed_values and all(workbook.get(key) == value for key, value in printed_values.items())
    # every city the page prints, in all four columns
    assert len({key[0] for key in printed_values}) * 4 == len(printed_values) > 100


def _labels_only_page() -> PageGeometry:
    """The sheet's label column alone on its page (a label column as wide as the paper): its title, the
    label header and the rows' labels, at the heights `_sheet_page` prints them, no number."""
    glyphs = _printed("2-7 地区生产总值（2022年）", 60, 40, 10) + _printed("城 市", 62, 84)
    for index, (label, *_) in enumerate(ROWS):
        glyphs += _printed(label, LEFT + 5, 110.0 + 12 * index)
    return PageGeometry(1, 600, 800, glyphs, [], [])


POPULATION = [("南京市", "931"), ("无锡市", "746"), ("徐州市", "908")]


def _population_page(number: int, first_bottom: float = 110.0) -> PageGeometry:
    """The sheet's third block of columns: 年末总人口 of the rows, one column, no labels."""
    glyphs = _printed("年末总人口（万人）", 50, 96)
    for index, (_, value) in enumerate(POPULATION):
        glyphs += _right_aligned(value, 90, first_bottom + 12 * index)
    return PageGeometry(number, 600, 800, glyphs, [], [])


def _read_with_labels_only(pages: list[PageGeometry], labels_pages: int = 1) -> tuple[list, str | None]:
    return _paired_values(pages, labels_pages, labels_print_values=False)


def test_a_page_printing_the_label_column_alone_names_the_rows_of_each_block_of_columns_after_it():
    # page 1 the labels, page 2 the growth rates, page 3 the population: both blocks' rows at its rows' heights
    values, refused = _read_with_labels_only([_labels_only_page(), _values_only_page(2, GROWTH), _population_page(3)])
    assert refused is None
    assert {(v.region_name, v.indicator, v.scope, v.value, v.table.year) for v in values} == {
        (label, "gdp_growth", scope, float(value), 2022) for label, *rates in GROWTH
        for scope, value in zip(["city_total", "urban_districts"], rates)} | {
        (label, "population", "city_total", float(value), 2022) for label, value in POPULATION}


def test_a_last_page_of_values_printing_one_row_pairs_with_its_page_of_labels():
    # the block's last page holds one row (南京市's growth rates) under its header: a page of values all the
    # same, so each page of labels keeps its page of values
    values, refused = _read_with_labels_only([_labels_only_page(), _values_only_page(2, GROWTH[:1])])
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.value is not None} == {
        ("南京市", scope, float(rate)) for scope, rate in zip(["city_total", "urban_districts"], GROWTH[0][1:])}


def test_a_block_of_columns_whose_last_row_is_alone_on_its_page_pairs_it_with_its_label():
    # the labelled pages' last prints one city, 常州市; so does the growth rates' last page, one line of
    # values, at its height, under no header
    second = PageGeometry(2, 600, 800, _body([("常州市", "1.01", "0.35", "5.30")], 110.0)[0], [], [])
    last = PageGeometry(4, 600, 800, _right_aligned("7.1", 90, 110.0) + _right_aligned("6.9", 140, 110.0), [], [])
    values, refused = _read_with_labels_from(_sheet_page(), second, _values_only_page(3, GROWTH), last, labels_pages=2)
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, scope, float(value)) for label, *rates in GROWTH + [("常州市", "7.1", "6.9")]
        for scope, value in zip(["city_total", "urban_districts"], rates)}


def test_one_line_of_values_is_no_table_on_a_page_continuing_none():
    page = PageGeometry(1, 600, 800, _right_aligned("7.1", 90, 110.0) + _right_aligned("6.9", 140, 110.0), [], [])
    assert read_page(page, None, "sheet.pdf")[0] == []


def test_pages_of_values_not_as_many_for_each_page_of_labels_are_refused_with_the_reason():
    # two pages of labels, each under the header, and three of values: which page's rows are whose cannot be
    # proven (where the header is not repeated, a page of values printing one begins a block of columns:
    # tests/test_printed_series.py)
    labels = _labels_only_page()
    second = PageGeometry(2, 600, 800, [g for g in labels.glyphs if g.bottom > 80], [], [])
    pages = [labels, second, _values_only_page(3, GROWTH), _population_page(4), _population_page(5)]
    values, refused = _read_with_labels_only(pages, labels_pages=2)
    assert not values and "do not pair" in refused


def test_a_block_of_columns_whose_rows_lie_off_the_label_pages_rows_is_refused_with_the_reason():
    values, refused = _read_with_labels_only([_labels_only_page(), _values_only_page(2, GROWTH),
                                              _population_page(3, first_bottom=116.0)])
    assert not values and "lies at the height of no one row page 1 labels" in refused


def test_a_page_of_labels_printing_a_number_is_no_page_of_labels_only():
    page = _labels_only_page()
    page.glyphs += _right_aligned("12", 300, 134)
    assert all(table.values_printed for _, table in read_page(page, None, "sheet.pdf")[0])


def test_a_number_printed_with_a_letter_for_a_digit_is_an_unreadable_value_not_a_rows_label():
    # a font mapping a digit's glyph to "G": read as a label, "2604G" made the page of values a labelled one,
    # and none of its rows paired; it is a value cell no one can read, refused, and the page pairs
    garbled = [("南京市", "4.5", "4.1"), ("无锡市", "2604G", "2.8"), ("徐州市", "5.6", "6.2")]
    values, refused = _read_with_labels_from(_sheet_page(), _values_only_page(2, garbled))
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, scope, float(value)) for label, *rates in garbled
        for scope, value in zip(["city_total", "urban_districts"], rates) if value != "2604G"}


# Page 2 of 2021_2021-3-3.xlsx printed by LibreOffice (A4 portrait, fit to width, AR PL UMing, gridlines,
# header repeated): the repeated header row is too short for its boxes' wrapped lines, and the row is
# clipped whole round the boxes, each clipping its own text; 第一产业增加值's and 第二产业增加值's boxes show none.
HEADER_STRIP = Path(__file__).parent / "fixtures" / "pdf_traits" / "printed_header_row_strip_clip.pdf"
HEADER_STRIP_WORKBOOK = SHARED_REAL / "ccsy_excel_chinautc" / "2021" / "2021_2021-3-3.xlsx"


def test_a_clip_round_boxes_that_clip_texts_of_their_own_is_no_cell():
    # read as a cell, the row's clip ("地区生产总值 Gross 城 市 City") stood for every header text in the row
    page = next(pdfium.read_pages(HEADER_STRIP))
    boxes = [(cell.x0, cell.top, cell.x1, cell.bottom) for cell in page.geometry.clipped]
    assert len(boxes) > 1 and not any(a != b and a[0] <= b[0] and b[2] <= a[2] and a[1] <= b[1] and b[3] <= a[3]
                                      for a in boxes for b in boxes)


def test_a_box_showing_none_of_its_text_heads_its_column_with_it():
    page = next(pdfium.read_pages(HEADER_STRIP))
    (_, table), = read_page(page.geometry, None, HEADER_STRIP.name)[0]
    hidden = [cell.text for cell in page.geometry.clipped
              if not any(cell.holds((g.x0 + g.x1) / 2, (g.top + g.bottom) / 2) for g in page.geometry.glyphs)]
    assert hidden and all(any(text in header for header in table.column_headers) for text in hidden)


@pytest.mark.skipif(not HEADER_STRIP_WORKBOOK.is_file(), reason=f"{HEADER_STRIP_WORKBOOK} is absent")
def test_a_page_whose_header_row_is_clipped_whole_reads_as_its_workbook():
    def values(path: Path, options: ExtractOptions = ExtractOptions()) -> dict[tuple[str, str, str], set[float]]:
        read: dict[tuple[str, str, str], set[float]] = {}
        for v in extract_file(path, options).values:
            read.setdefault((v.region_name, v.indicator, v.scope), set()).add(v.value)
        return read

    printed_values, workbook = values(HEADER_STRIP, ExtractOptions(edition=2021)), values(HEADER_STRIP_WORKBOOK)
    assert printed_values and all(workbook.get(key) == value for key, value in printed_values.items())
    # every county-level city the page prints, in all four columns
    assert len({key[0] for key in printed_values}) * 4 == len(printed_values) > 200


def _pages_of_a_group_cut_at_the_page_edge(continued: list[list[str]]) -> ExtractResult:
    """户籍人口 and 城镇户籍人口 over 全市 | 市辖区 each, the page cut after 城镇户籍人口's 全市: the next pages print
    the rest of its box, `continued` (header rows, then 南京市's row)."""
    from cnstat_etl.extract.tables import Block
    result = ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    tables.add(Block(["2-1 人口数（2022年）", "单位：万人"],
                     [["城市", "户籍人口 Household Resident Population", "户籍人口 Household Resident Population",
                       "城镇户籍人口 Urban Household Resident Population"],
                      ["", "全市", "市辖区", "全市"], ["南京市", "949", "949", "900"]],
                     [1, 2, 3], [1, 2, 3, 4], page=1))
    for page in (2, 3):
        tables.add(Block([], continued, list(range(1, len(continued) + 1)), [1, 2], page=page))
    tables.finish_table()
    return result


def test_a_group_box_begun_on_the_page_before_heads_the_next_pages_first_column():
    # the box's Chinese name and "Urban" print on page 1; pages 2 and 3 print "Household Resident
    # Population", 户籍人口's English whole, over 市辖区: the group continued is 城镇户籍人口's
    result = _pages_of_a_group_cut_at_the_page_edge([["", "Household Resident Population"], ["", "市辖区"],
                                                     ["南京市", "880"]])
    assert {(v.provenance.page, v.indicator, v.scope, v.value) for v in result.values if v.provenance.page > 1} == {
        (2, "population_urban_registered", "urban_districts", 880.0),
        (3, "population_urban_registered", "urban_districts", 880.0)}


def test_a_first_column_whose_english_group_is_not_the_end_of_the_last_columns_is_not_given_its_name():
    result = _pages_of_a_group_cut_at_the_page_edge([["", "Registered Population"], ["", "市辖区"], ["南京市", "880"]])
    assert not [v for v in result.values if v.provenance.page > 1 and not v.indicator.startswith("provisional:")]
    # nor the same scope as the last column's: that is no other part of its group
    result = _pages_of_a_group_cut_at_the_page_edge([["", "Household Resident Population"], ["", "全市"],
                                                     ["南京市", "880"]])
    assert not [v for v in result.values if v.provenance.page > 1 and v.indicator == "population_urban_registered"]


GRP_BOX = "地区生产总值（当年价格） （亿元） Gross Regional Product （Current Prices） （100 000 000 yuan）"


def _pages_of_a_bilingual_box_cut_at_the_page_edge(continued: list[list[str]]) -> ExtractResult:
    """地区生产总值's bilingual box over 全市 | 市辖区, the page cut after 全市: the next page prints the rest of
    the box, `continued` (header rows, then 南京市's row)."""
    from cnstat_etl.extract.tables import Block
    result = ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    tables.add(Block(["2-7 地区生产总值（2022年）"], [["城市", GRP_BOX], ["", "全市 Total City"], ["南京市", "1.87"]],
                     [1, 2, 3], [1, 2], page=1))
    tables.add(Block([], continued, list(range(1, len(continued) + 1)), [1, 2], page=2))
    tables.finish_table()
    return result


def test_a_group_box_whose_text_the_page_edge_cut_short_heads_the_next_pages_column_as_the_whole_box():
    # PDFium gives the box on the second page without the words drawn off the page's left edge
    # ("Product （"): a part of the group's text over the last column read, all its Chinese, another scope
    cut = "地区生产总值（当年价格） （亿元） Gross Regional Current Prices） （100 000 000 yuan）"
    result = _pages_of_a_bilingual_box_cut_at_the_page_edge([["", cut], ["", "市辖区 Districts under City"],
                                                             ["南京市", "0.23"]])
    assert {(v.provenance.page, v.indicator, v.scope, v.value) for v in result.values} == {
        (1, "gdp", "city_total", 1.87), (2, "gdp", "urban_districts", 0.23)}


def test_a_cut_short_group_text_naming_other_chinese_or_the_same_scope_is_not_given_the_boxs_name():
    for cut, scope in [("年末总人口（万人） Gross Regional Current Prices）", "市辖区 Districts under City"),
                       ("地区生产总值（当年价格） （亿元） Gross Regional Current Prices）", "全市 Total City")]:
        result = _pages_of_a_bilingual_box_cut_at_the_page_edge([["", cut], ["", scope], ["南京市", "0.23"]])
        assert not [v for v in result.values if v.provenance.page > 1], cut


def test_pages_whose_rows_no_column_of_their_header_places_are_each_refused_with_the_reason():
    # the group row of a block's header printed at the foot of the page before (CNKI's 2-1 continued 5 in
    # one print): the next page heads its columns with scopes alone, and neither it nor the page after it
    # loads a row; each column's refusal is said once, each page's lost rows on that page
    from cnstat_etl.extract.tables import Block
    result = ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    tables.add(Block(["2-1 人口数（2022年）"],
                     [["城市", "户籍人口（万人）", "户籍人口（万人）"], ["", "全市", "市辖区"],
                      ["南京市", "949", "700"]],
                     [1, 2, 3], [1, 2, 3], page=1))
    tables.add(Block([], [["城市", "全市 Total City", "市辖区 Districts under City"], ["玉林市", "717", "110"],
                          ["百色市", "417", "36"]], [1, 2, 3], [1, 2, 3], page=2))
    tables.add(Block([], [["贺州市", "243", "119"]], [1], [1, 2, 3], page=3))
    tables.finish_table()
    assert {v.provenance.page for v in result.values} == {1}
    assert [(p.page, p.column) for p in result.problems if p.kind == "unknown_column"] == [(2, 2), (2, 3)]
    assert [(p.page, p.row, p.column, p.message.split(":")[1]) for p in result.problems if p.kind == "no_header"] == [
        (2, None, None, " its rows of values (2) are not loaded"),
        (3, None, None, " its rows of values (1) are not loaded")]


def _table_whose_unit_is_in_its_first_pages_header(lines_above_page_2: list[str]) -> ExtractResult:
    """3-3's first page prints its title and unit inside the header band (read as the columns' header), the
    next block of columns under a header naming no unit, `lines_above_page_2` above it."""
    from cnstat_etl.extract.tables import Block
    result = ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions(edition=2021))  # the year its file's name gives
    tables.add(Block([], [["", "3-3 地区生产总值 （万元）"], ["城市", "地区生产总值"], ["辛集市", "4263981"]],
                     [1, 2, 3], [1, 2], page=1))
    tables.add(Block(lines_above_page_2, [["", "第二产业增加值"], ["辛集市", "1024145"]], [1, 2], [1, 2], page=2))
    tables.finish_table()
    return result


def test_a_continued_pages_unit_printed_above_it_is_its_columns_where_the_table_printed_none_apart():
    result = _table_whose_unit_is_in_its_first_pages_header(["地区生产总值 （万元）"])
    assert {(v.indicator, v.value, v.unit_as_printed) for v in result.values} == {
        ("gdp", 4263981.0, "万元"), ("gdp_secondary", 1024145.0, "万元")}
    # none printed above it: the column's unit is not known (the load refuses it, "no unit printed")
    result = _table_whose_unit_is_in_its_first_pages_header([])
    assert {(v.indicator, v.unit_as_printed) for v in result.values} == {("gdp", "万元"), ("gdp_secondary", None)}


def test_a_dash_printed_close_after_a_name_is_the_missing_value_after_it():
    # a tight label column: read as "山西省本级—", the row was no 本级 row, and its values loaded under that label
    line, = text_lines(_printed("山西省本级—", 40, 100) + _right_aligned("54087", 200, 100))
    assert [p.text for p in line.phrases] == ["山西省本级", "—", "54087"] and line.phrases[1].is_value


def _values_page_under_a_box_begun_before(ruled_above: bool) -> PageGeometry:
    """A page of values only, its one column 市辖区 ruled round from its header box down, under the rest of
    a group box begun on the page before: its English line, ruled under (the grid's top) and, if
    `ruled_above`, over; no side of that box on this page."""
    glyphs = _printed("Urban Household Resident Population", 56, 150) + _printed("市辖区", 70, 175)
    for index, value in enumerate(["1201", "833", "341"]):
        glyphs += _right_aligned(value, 130, 195 + 12 * index)
    horizontal = [Segment(54, 203, y, y) for y in ([137.0] if ruled_above else []) + [156.0, 184.0, 232.0]]
    return PageGeometry(2, 600, 800, glyphs, horizontal, [Segment(54, 54, 156, 232), Segment(203, 203, 156, 232)])


def test_a_group_box_begun_on_the_page_before_heads_a_page_of_values_under_its_grid():
    (_, table), = read_page(_values_page_under_a_box_begun_before(ruled_above=True), None, "sheet.pdf")[0]
    assert not table.labels_printed and table.column_headers == ["Urban Household Resident Population / 市辖区"]
    # not ruled above, the line over the grid's top rule is no box's: a title's, as before
    (block, table), = read_page(_values_page_under_a_box_begun_before(ruled_above=False), None, "sheet.pdf")[0]
    assert table.column_headers == ["市辖区"] and block.lines_above == ["Urban Household Resident Population"]


# Page 10 of 2021_2021-3-3.xlsx printed by LibreOffice (A4 portrait, scale 100, WenQuanYi Zen Hei,
# gridlines, header not repeated): the first page of its second block of columns, values only. The title
# row's box, clipped at the page's edge, reaches down over 第三产业增加值, the first line of a header box.
TITLE_OVER_HEADER = Path(__file__).parent / "fixtures" / "pdf_traits" / "printed_title_box_over_a_header_line.pdf"


def test_a_phrase_printing_none_of_a_clipped_boxs_text_is_not_that_boxs():
    # taken for the title box's, 第三产业增加值 went, and its column was read as the title's 地区生产总值 over the
    # English "Value-added of the Tertiary Industry": its 387 values loaded as GDP
    page = next(pdfium.read_pages(TITLE_OVER_HEADER))
    (_, table), = read_page(page.geometry, None, TITLE_OVER_HEADER.name)[0]
    assert not table.labels_printed
    assert [header.split(" / ")[-1] for header in table.column_headers] == [
        "第二产业增加值 Value-added of the Secondary Industry", "第三产业增加值 Value-added of the Tertiary Industry"]


# Page 1 of 2021_2021-2-7.xlsx printed by LibreOffice (letter portrait, scale 100, Noto Sans CJK, gridlines,
# header repeated): the per-capita column's strip clips its overflowing texts, and holds a cell's box.
COLUMN_STRIP_ROUND_A_BOX = Path(__file__).parent / "fixtures" / "pdf_traits" / "printed_column_strip_round_a_box.pdf"


def test_a_columns_strip_holding_a_box_is_still_read_a_line_at_a_time():
    # skipped as a strip round boxes, its header's English line lost "GRP (yuan)", and the column its unit
    page = next(pdfium.read_pages(COLUMN_STRIP_ROUND_A_BOX))
    (_, table), = read_page(page.geometry, None, COLUMN_STRIP_ROUND_A_BOX.name)[0]
    assert "人均地区生产总值 / Per Capita GRP (yuan)" in table.column_headers[-1]


# Page 11 of 2021_2021-3-3.xlsx printed by LibreOffice (letter portrait, scale 100, Noto Serif CJK, header
# repeated): the first page of the second block of columns. The 第二产业增加值 and 第三产业增加值 boxes, side by side,
# wrap their texts onto lines at other heights, each box clipping its own.
BOXES_WRAPPED_APART = Path(__file__).parent / "fixtures" / "pdf_traits" / "printed_boxes_wrapped_apart_in_one_row.pdf"


def test_the_texts_of_a_row_of_clipped_boxes_are_one_line_where_the_boxes_are():
    # as two lines at one height, 第三产业增加值's stacked over 第二产业增加值's in the first column, and the
    # second column was headed by the title's 地区生产总值 alone: its 387 values loaded as GDP
    page = next(pdfium.read_pages(BOXES_WRAPPED_APART))
    (_, table), = read_page(page.geometry, None, BOXES_WRAPPED_APART.name)[0]
    assert [header.split(" / ")[-1] for header in table.column_headers] == [
        "第二产业增加值 Value-added of the Secondary Industry", "第三产业增加值 Value-added of the Tertiary Industry"]


def test_a_group_box_continued_from_the_page_before_heads_a_page_of_values_read_by_its_boxes():
    # 户籍人口's box, begun on the page before, goes on over all three columns, its text clipped to it; under
    # it 城镇户籍人口's box spans the last two, its two lines spilling over its top and bottom rules. No rule
    # crosses the whole header (a page of values prints no label column's edge), yet the boxes are the cells
    rows = [("南京市", "700", "650", "500"), ("无锡市", "520", "300", "400"), ("徐州市", "610", "410", "380")]
    glyphs = (_printed("Household Resident Population", 47, 64) + _printed("城镇户籍人口 Urban", 100, 71)
              + _printed("Population", 120, 83) + _printed("市辖区", 55, 92) + _printed("全市", 110, 92)
              + _printed("市辖区", 155, 92))
    for index, (_, *values) in enumerate(rows):
        for right, value in zip([90, 140, 190], values):
            glyphs += _right_aligned(value, right, 110.0 + 12 * index)
    page = PageGeometry(2, 600, 800, glyphs,
                        [Segment(45, 195, 56, 56), Segment(95, 195, 66, 66), Segment(45, 195, 80, 80),
                         Segment(45, 195, 97, 97)],
                        [Segment(95, 95, 66, 97), Segment(45, 45, 80, 97), Segment(145, 145, 80, 97)],
                        [ClippedCell(45, 56, 195, 66, "户籍人口 Household Resident Population")])
    values, refused = _read_with_labels_from(_sheet_page(), page)
    assert refused is None
    assert {(v.region_name, v.indicator, v.scope, v.value) for v in values} == SHEET_VALUES | {
        (label, indicator, scope, float(value)) for label, *numbers in rows
        for (indicator, scope), value in zip([("population", "urban_districts"),
                                              ("population_urban_registered", "city_total"),
                                              ("population_urban_registered", "urban_districts")], numbers)}


def test_pages_printing_no_number_keep_their_places_so_the_pages_of_values_after_them_pair(monkeypatch):
    # page 2 prints the labels of two rows with no values in any block, page 4 (their page of values) prints
    # nothing: the growth rates on page 3 still pair with page 1's rows
    from cnstat_etl.extract import pdf
    second = PageGeometry(2, 600, 800, _printed("吐鲁番市", 45, 110) + _printed("哈密市", 45, 122), [], [])
    pages = [_sheet_page(), second, _values_only_page(3, GROWTH), PageGeometry(4, 600, 800, [], [], [])]
    monkeypatch.setattr(pdf.pdfium, "page_count", lambda path: len(pages))
    monkeypatch.setitem(pdf.READERS, "pdfium", lambda path, first, last: (
        pdfium.PageReading(page, False, 0) for page in pages[first - 1:last]))
    (result,) = pdf.extract_pdf(Path("sheet.pdf"), "0" * 64, ExtractOptions())
    assert not [p for p in result.problems if p.kind == "unlabelled_rows"]
    assert {(v.region_name, v.scope, v.value) for v in result.values if v.indicator == "gdp_growth"} == {
        (label, scope, float(value)) for label, *rates in GROWTH
        for scope, value in zip(["city_total", "urban_districts"], rates)}


def test_a_blank_page_after_a_tables_page_of_values_is_no_block_of_columns_of_its_own():
    # one page of labels, its page of values, then a page printing nothing: the table's, or after it
    from cnstat_etl.extract.pdf import labelled_blocks
    (labels,), carried, _ = read_page(_sheet_page(), None, "sheet.pdf")
    (values,), _, _ = read_page(_values_only_page(2, GROWTH), carried, "sheet.pdf")
    blocks = labelled_blocks([labels], [values, (None, None)], [1, 2, 3])
    assert isinstance(blocks, list) and len(blocks) == 1 and blocks[0] is not None


def test_a_labelled_row_whose_top_a_tall_glyph_lifts_still_pairs_with_its_row_of_values():
    # a fallback font boxes one glyph of 无锡市's row 3.5 pt taller: its top comes that far from the page of
    # values' row, and the one step it shortens is no measure of the rows' pitch
    page = _sheet_page()
    page.glyphs = [g._replace(top=g.top - 3.5) if g.text == "无" else g for g in page.glyphs]
    values, refused = _read_with_labels_from(page, _values_only_page(2, GROWTH))
    assert refused is None
    assert {(v.region_name, v.scope, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, scope, float(value)) for label, *rates in GROWTH
        for scope, value in zip(["city_total", "urban_districts"], rates)}


def _open_l_page() -> PageGeometry:
    """A sheet whose 建成区绿化覆盖面积 box (with its unit) is merged down the header's two rows, its text
    filling it, left open to the empty box over 公园绿地面积 beside it: the rule between them is drawn from
    that empty box's floor down only (as a CCSY workbook printed), and 公园绿地面积 prints no unit."""
    rights = [195, 275, 355]
    glyphs = (_printed("2-5 绿地面积（2017年）", 45, 40, 10) + _printed("城 市", 62, 96)
              + _printed("建成区绿化覆盖面积", 124, 78) + _printed("(公顷)", 145, 88) + _printed("Green Area", 130, 102)
              + _printed("公园绿地面积", 216, 102) + _printed("建成区绿化覆盖率", 288, 78) + _printed("(%)", 310, 88))
    body, bottom = _body(ROWS, 124.0, rights)
    glyphs += body
    right = 360
    horizontal = [Segment(LEFT, right, 66, 66), Segment(200, 280, 90, 90), Segment(LEFT, right, 110, 110),
                  Segment(LEFT, right, bottom - 6, bottom - 6)]
    vertical = [Segment(LEFT, LEFT, 66, bottom - 6), Segment(LABEL_EDGE, LABEL_EDGE, 66, bottom - 6),
                Segment(200, 200, 90, 110), Segment(280, 280, 66, 110),
                Segment(right, right, 66, 110)]
    return PageGeometry(1, 600, 800, glyphs, horizontal, vertical)


def test_a_unit_in_a_box_left_open_to_its_neighbours_empty_box_is_not_the_neighbours_unit():
    units = {(v.indicator, v.unit_as_printed) for v in _values(_open_l_page())}
    assert units == {("green_cover_area", "公顷"), ("park_green_area", None), ("green_cover_rate", "%")}


CITIES = [("南京市", "1.87", "4.5"), ("无锡市", "0.90", "3.0"), ("徐州市", "9.13", "5.6"), ("常州市", "2.10", "6.1"),
          ("苏州市", "2.40", "5.0")]


def _tables_page(number: int, parts: list[list[tuple[str, str, str]]], labels: bool) -> PageGeometry:
    """A page of a sheet holding its table a block of rows at a time, each block under its own title (in the
    label column: printed with the labels) and header: with `labels`, the labels and GDP, else the growth
    rates only, at the same heights."""
    glyphs, top = [], 30.0
    for part in parts:
        if labels:
            glyphs += _printed("2-7 续表 continued" if top > 30 else "2-7 地区生产总值（2022年）", 45, top + 10)
            glyphs += _printed("城 市", 62, top + 30) + _printed("地区生产总值（亿元）", 150, top + 30)
        else:
            glyphs += _printed("地区生产总值增长率（%）", 150, top + 30)
        for index, (label, gdp, growth) in enumerate(part):
            bottom = top + 50 + 12 * index
            glyphs += (_printed(label, 45, bottom) + _right_aligned(gdp, 235, bottom)) if labels else \
                _right_aligned(growth, 235, bottom)
        top += 50 + 12 * len(part) + 20
    return PageGeometry(number, 600, 800, glyphs, [], [])


def _read_tables_pages(pages: list[PageGeometry]) -> list | str:
    from cnstat_etl.extract.pdf import labelled_blocks
    carried, read, numbers = None, [], []
    for page in pages:
        found, carried, _ = read_page(page, carried, "sheet.pdf")
        read += found
        numbers += [page.number] * len(found)
    labelled = [pair for pair in read if pair[1].labels_printed]
    blocks = labelled_blocks(labelled, [pair for pair in read if not pair[1].labels_printed], numbers)
    if isinstance(blocks, str):
        return blocks
    result = ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    for block in [block for block, _ in labelled] + blocks:
        tables.add(block)
    tables.finish_table()
    return result.values


def test_pages_printing_two_tables_each_pair_their_tables_of_values_with_their_tables_of_labels_in_order():
    # CNKI's 2-1 printed a block of columns at a time: its blocks of rows (续表 1, 2...) each under a title and
    # header, two to some pages; the pages of values were refused as not pairing page by page
    pages = [_tables_page(1, [CITIES[:2], CITIES[2:4]], True), _tables_page(2, [CITIES[4:]], True),
             _tables_page(3, [CITIES[:2], CITIES[2:4]], False), _tables_page(4, [CITIES[4:]], False)]
    values = _read_tables_pages(pages)
    assert not isinstance(values, str), values
    assert {(v.region_name, v.value) for v in values if v.indicator == "gdp_growth"} == {
        (label, float(growth)) for label, _, growth in CITIES}


def test_pages_of_values_printing_their_tables_as_many_to_a_page_as_no_page_of_labels_are_refused():
    pages = [_tables_page(1, [CITIES[:2], CITIES[2:4]], True), _tables_page(2, [CITIES[4:]], True),
             _tables_page(3, [CITIES[:2]], False), _tables_page(4, [CITIES[2:4], CITIES[4:]], False)]
    assert "not printed as many to a page" in _read_tables_pages(pages)


def _moved(glyphs: list[Glyph], rules: list[Segment], shift: float) -> tuple[list[Glyph], list[Segment]]:
    return ([Glyph(g.text, g.x0, g.x1, g.top + shift, g.bottom + shift, g.size) for g in glyphs],
            [Segment(r.x0, r.x1, r.top + shift, r.bottom + shift) for r in rules])


def _read_in_turn(*pages: PageGeometry) -> ExtractResult:
    """The pages read in turn, each continuing the layout the page before leaves, their tables assembled."""
    carried, result = None, ExtractResult("sheet.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    for page in pages:
        found, carried, _ = read_page(page, carried, "sheet.pdf")
        for block, _ in found:
            tables.add(block)
    tables.finish_table()
    return result


FOOT = 600.0  # how far down page 1 its foot prints the next block's title and header
NEXT_ROWS = [("杭州市", "18.75", "17.31", "12.20"), ("宁波市", "15.70", "12.66", "9.61")]


def _page_with_foot(foot_header: list[Glyph], foot_rules: list[Segment]) -> PageGeometry:
    """`_sheet_page` with the next block's title and `foot_header` at its foot, no row under them."""
    page = _sheet_page()
    glyphs, rules = _moved(_printed("2-7 续表 1", 60, 50, 10) + foot_header, foot_rules, FOOT)
    page.glyphs = page.glyphs + glyphs
    page.horizontal = page.horizontal + [rule for rule in rules if rule.top == rule.bottom]
    page.vertical = page.vertical + [rule for rule in rules if rule.top != rule.bottom]
    return page


def test_a_province_heading_under_a_header_at_a_pages_foot_heads_the_rows_at_the_next_pages_head():
    # GRP per capita printed on A4: 续表 6's title, header and 西藏自治区 at page 7's foot, Lhasa's rows
    # from page 8's head, read under the province of the rows before (and not placed)
    header = _sheet_page()
    foot_header = [g for g in header.glyphs if 66 < g.bottom <= 97] + _printed("浙江省", 45, 110)
    foot_rules = [r for r in header.horizontal + header.vertical if r.bottom <= 97] + [
        Segment(LEFT, LEFT, 97, 104), Segment(LABEL_EDGE, LABEL_EDGE, 97, 104)]
    body, _ = _body(NEXT_ROWS, 60.0)
    rows = _read_in_turn(_page_with_foot(foot_header, foot_rules), PageGeometry(2, 600, 800, body, [], [])).rows
    assert [(row.name, row.has_values) for row in rows if row.page == 2] == [
        ("浙江省", False), ("杭州市", True), ("宁波市", True)]


def test_a_header_whose_group_row_is_at_a_pages_foot_and_scope_row_at_the_next_pages_head_heads_its_rows():
    # CNKI's 2-1 printed on letter paper, ruled: 续表 5's group row (年末户籍人口, ...) in its boxes at page
    # 8's foot, its scope row (全市 | 市辖区) atop page 9, whose rows were refused as headed by scopes alone
    sheet = _sheet_page()
    group = [g for g in sheet.glyphs if 66 < g.bottom <= 80]
    group_rules = [Segment(LEFT, RIGHT, 66, 66), Segment(LEFT, RIGHT, 80, 80)] + [
        Segment(x, x, 66, 80) for x in (LEFT, LABEL_EDGE, 240, RIGHT)]
    # the next page: the sheet's header from its scope row down, its rows the next block's
    body, bottom = _body(NEXT_ROWS, 110.0)
    glyphs = _printed("城 市", 62, 92) + [g for g in sheet.glyphs if 84 < g.bottom <= 97] + body
    horizontal = [Segment(LEFT, RIGHT, 80, 80), Segment(LEFT, RIGHT, 97, 97), Segment(LEFT, RIGHT, bottom - 6, bottom - 6)]
    vertical = [Segment(LEFT, LEFT, 80, bottom - 6), Segment(LABEL_EDGE, LABEL_EDGE, 80, bottom - 6),
                Segment(180, 180, 80, 97), Segment(240, 240, 80, 97), Segment(RIGHT, RIGHT, 80, 97)]
    values = _read_in_turn(_page_with_foot(group, group_rules),
                           PageGeometry(2, 600, 800, glyphs, horizontal, vertical)).values
    assert {(v.region_name, v.indicator, v.scope, v.value) for v in values if v.provenance.page == 2} == {
        (label, indicator, scope, float(value)) for label, *numbers in NEXT_ROWS
        for (indicator, scope), value in zip([("gdp", "city_total"), ("gdp", "urban_districts"),
                                              ("population", "city_total")], numbers)}


def test_a_header_at_a_pages_foot_is_not_read_over_a_next_page_opening_with_its_own_title():
    # the next page starts a table of its own: the foot's header is no part of it
    sheet = _sheet_page()
    foot_header = [g for g in sheet.glyphs if 66 < g.bottom <= 97]
    foot_rules = [r for r in sheet.horizontal + sheet.vertical if r.bottom <= 97]
    own = _sheet_page()
    own.number = 2
    alone = _read_in_turn(own).values
    after_foot = _read_in_turn(_page_with_foot(foot_header, foot_rules), own).values
    assert alone and {(v.region_name, v.indicator, v.scope, v.value) for v in after_foot
                      if v.provenance.page == 2} == {(v.region_name, v.indicator, v.scope, v.value) for v in alone}


NARROW_RULES = [LEFT, LABEL_EDGE, 160.0, 200.0, 240.0]  # value columns 40 points wide


def _narrow_grid_page(rows: list[tuple[str, list[tuple[str, float]]]], ruled: bool = True) -> PageGeometry:
    """A gridded sheet whose value columns are too narrow for its long numbers: 地区生产总值 over 全市 |
    市辖区, then 年末总人口; each row's label and its values as (text, x0), where a number too wide for its cell
    starts left of it, printed over the rule into its neighbour's cell (a spreadsheet prints it whole). Without
    `ruled`, the body is ruled only round the label column."""
    header = 6
    glyphs = (_printed("2-7 主要指标（2022年）", 60, 40, 10) + _printed("单位：万元", 60, 56)
              + _printed("地区生产总值", 162, 76, header) + _printed("城 市", 62, 84)
              + _printed("全市", 134, 92, header) + _printed("市辖区", 171, 92, header)
              + _printed("年末总人口", 205, 92, header))
    bottom = 110.0
    for label, values in rows:
        glyphs += _printed(label, 45, bottom)
        for text, x0 in values:
            glyphs += _printed(text, x0, bottom)
        bottom += 12
    end = bottom - 6
    horizontal = [Segment(LEFT, NARROW_RULES[-1], y, y) for y in (66, 97, end)] + [Segment(LABEL_EDGE, 200, 80, 80)]
    vertical = [Segment(x, x, 66 if x in (LEFT, LABEL_EDGE, 200.0, 240.0) else 80, end if ruled or x <= LABEL_EDGE
                        else 97) for x in NARROW_RULES]
    return PageGeometry(1, 600, 800, glyphs, horizontal, vertical)


def _in_cell(text: str, right_rule: float) -> tuple[str, float]:
    """A number right-aligned in the cell that ends at `right_rule`, a point's padding short of it."""
    return text, right_rule - 1 - 0.55 * SIZE * len(text)


def _cells_read(page: PageGeometry) -> tuple[dict, list]:
    result = _extracted(page)
    return ({(v.region_name, v.indicator, v.scope): v.value for v in result.values},
            [p for p in result.problems if p.kind == "unreadable_value"])


def test_a_number_overflowing_its_cell_across_the_rule_into_its_neighbours_is_refused_with_the_reason():
    # 市辖区's 100750702 is too wide for its cell and runs left across the rule into 全市's, right up to
    # 全市's 5050400: one glyph run "5050400100750702", whose digits either cell may hold
    page = _narrow_grid_page([
        ("南京市", [_in_cell("1234", 160), _in_cell("567", 200), _in_cell("89", 240)]),
        ("无锡市", [_in_cell("5050400", 160), _in_cell("100750702", 200), _in_cell("12", 240)])])
    cells, refused = _cells_read(page)
    assert cells == {("南京市", "gdp", "city_total"): 1234, ("南京市", "gdp", "urban_districts"): 567,
                     ("南京市", "population", "city_total"): 89, ("无锡市", "population", "city_total"): 12}
    assert sorted((p.row, p.column) for p in refused) == [(4, 2), (4, 3)]
    assert all(p.message.startswith("'5050400100750702' is printed across the rule between two columns")
               for p in refused)


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
def test_numbers_printed_a_space_apart_are_two_cells(ruled):
    # 0.38352 starts right of the rule; 60 ends a space's width (not a cell's gap) before it: the rule in that
    # gap parts them, and so does the gap alone, as no number's digits are spaced so (read as one,
    # "60 0.38352" was 600.38352)
    page = _narrow_grid_page([("南京市", [_in_cell("1234", 160), ("60", 190.6), ("0.38352", 201.0)])], ruled)
    cells, refused = _cells_read(page)
    assert not refused and cells == {("南京市", "gdp", "city_total"): 1234, ("南京市", "gdp", "urban_districts"): 60,
                                     ("南京市", "population", "city_total"): 0.38352}


def _spaced(*words: str, x0: float = 100.0, gap: float = 1.6) -> list[Glyph]:
    """The words as one run, each a gap wider than a space's (WORD_GAP) and narrower than a cell's apart."""
    glyphs = []
    for word in words:
        glyphs += _printed(word, x0, 100)
        x0 = glyphs[-1].x1 + gap
    return glyphs


@pytest.mark.parametrize("words, cells", [(("1", "234", "567.5"), ["1 234 567.5"]),
                                          (("60", "0.38352"), ["60", "0.38352"]),
                                          (("20,696", "91,738"), ["20,696", "91,738"]),
                                          (("73.25", "0.3619938"), ["73.25", "0.3619938"]),
                                          (("…", "3030254712297139"), ["…", "3030254712297139"])])
def test_digits_a_space_apart_are_one_number_only_where_the_spaces_group_them_in_threes(words, cells):
    # (a missing marker a space before a number is two cells too: read as one, the line was no row)
    (line,) = text_lines(_spaced(*words))
    assert [phrase.text for phrase in line.phrases] == cells


def test_a_number_a_spreadsheet_printed_in_powers_of_ten_is_refused_as_rounded_off():
    # LibreOffice shows 100113700 in a cell too narrow for it as 1E+08: read, it loaded 100000000
    page = _narrow_grid_page([("南京市", [_in_cell("1234", 160), _in_cell("1E+08", 200), _in_cell("89", 240)])])
    cells, refused = _cells_read(page)
    assert cells == {("南京市", "gdp", "city_total"): 1234, ("南京市", "population", "city_total"): 89}
    assert [(p.column, p.message.split(" is ")[0]) for p in refused] == [(3, "'1E+08'")]
    assert "powers of ten" in refused[0].message


def test_on_a_continued_unruled_page_a_number_is_refused_only_where_it_reaches_over_another_columns_values():
    # page 2 prints no header and is read by page 1's columns: 无锡市's 5050400 and 100750702 run together
    # over the edge between the GDP columns and over 全市's values; 徐州市's 5678901, wider than page 1's
    # 市辖区 values, reaches over that edge too, but over no 全市 value: it is 市辖区's
    first = _narrow_grid_page([("南京市", [_in_cell("1234", 160), _in_cell("567", 200), _in_cell("89", 240)])],
                              ruled=False)
    (_, carried), = read_page(first, None, "sheet.pdf")[0]
    glyphs = _printed("续表", 60, 40, 10)
    for bottom, (label, values) in zip((60, 72), [
            ("无锡市", [_in_cell("5050400", 160), _in_cell("100750702", 200), _in_cell("12", 240)]),
            ("徐州市", [_in_cell("1234", 160), _in_cell("5678901", 200), _in_cell("34", 240)])]):
        glyphs += _printed(label, 45, bottom)
        for text, x0 in values:
            glyphs += _printed(text, x0, bottom)
    (block, _), = read_page(PageGeometry(2, 600, 800, glyphs, [], []), carried, "sheet.pdf")[0]
    assert [[REFUSED_MARK in cell or cell for cell in row] for row in block.cells] == [
        ["无锡市", True, True, "12"], ["徐州市", "1234", "5678901", "34"]]


def test_an_unruled_table_with_two_numbers_run_together_refuses_those_cells_and_reads_the_rest():
    # 无锡市's 100750702 runs left up to 全市's 5050400: one run "5050400100750702" over both GDP columns. The
    # columns are found all the same from the other rows (the whole table was refused as not lining up)
    page = _narrow_grid_page([
        ("南京市", [_in_cell("1234", 160), _in_cell("567", 200), _in_cell("89", 240)]),
        ("无锡市", [_in_cell("5050400", 160), _in_cell("100750702", 200), _in_cell("12", 240)]),
        ("徐州市", [_in_cell("4321", 160), _in_cell("765", 200), _in_cell("98", 240)]),
        ("苏州市", [_in_cell("2222", 160), _in_cell("333", 200), _in_cell("44", 240)])], ruled=False)
    cells, refused = _cells_read(page)
    assert cells == {(city, indicator, scope): value for city, values in [
        ("南京市", (1234, 567, 89)), ("无锡市", (None, None, 12)), ("徐州市", (4321, 765, 98)),
        ("苏州市", (2222, 333, 44))] for (indicator, scope), value in zip(
            [("gdp", "city_total"), ("gdp", "urban_districts"), ("population", "city_total")], values)
        if value is not None}
    assert [(p.row, p.column) for p in refused] == [(4, 2), (4, 3)]
