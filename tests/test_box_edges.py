"""Where a text meets the edge of its box: a header clipped through the glyph that touches its neighbour's
text, labels running past the label column's rule, a header's unit lines over a column a continued page
leaves blank. Each was a layout the fuzzer drew and the engine loaded wrong values from.

Pages are drawn as glyphs and rules (no font, no PDF), but for the clip, which only a PDF's reader sees.
"""

from __future__ import annotations

from cnstat_etl.extract import ExtractOptions, extract_file, pdfium
from cnstat_etl.extract.layout import ClippedCell, Glyph, PageGeometry, Segment, read_page, text_lines
from cnstat_etl.extract.tables import TableAssembler
from cnstat_etl.model import ExtractResult
from conftest import FIXTURES
from drawn_glyphs import printed, right_aligned

SIZE = 9


def _extracted(*pages: PageGeometry) -> ExtractResult:
    """The pages read in order, each continuing the table before it, and assembled as `extract_file` does."""
    result = ExtractResult("edges.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    carried = None
    for page in pages:
        found, carried, problems = read_page(page, carried, "edges.pdf")
        assert not problems, problems
        for block, _ in found:
            tables.add(block)
    tables.finish_table()
    return result


def test_a_box_whose_side_cuts_through_a_glyph_it_shows_clips_its_text_there():
    # "当年实际使用外资金额" overflows its box (75-147 pt) on both sides and is clipped there: each end glyph is
    # cut in half, its middle a tenth of a point inside, so no glyph is hidden. Its 当 abuts the label box's
    # "城市名称", the edge passes through its middle: read as one phrase with it, the column was headed
    # "城市名称当年实际使用外资金额" and its values loaded under that
    path = FIXTURES / "fuzz" / "fuzz_2309006719.pdf"
    page = next(pdfium.read_pages(path))
    assert [(round(cell.x0), round(cell.x1), cell.text) for cell in page.geometry.clipped] == [
        (75, 147, "当年实际使用外资金额")]
    (block, _), = read_page(page.geometry, None, path.name)[0]
    assert block.cells[0] == ["城市名称", "当年实际使用外资金额"]
    assert {(v.indicator, v.unit_as_printed) for v in extract_file(path).values} == {("fdi_utilised", "万美元")}


LABEL_EDGE = 120.0
RULES = [40.0, LABEL_EDGE, 200.0, 280.0]


def _ruled_grid(rows: list[tuple[str, float, str, str]], header: list[Glyph], header_bottom: float,
                number: int = 1, body_ruled: bool = True) -> PageGeometry:
    """A grid ruled round every column, the header above `header_bottom` (its body unruled but for its
    bottom rule, unless `body_ruled`): rows of (label, where it starts, first value, second value), the
    values right-aligned in their columns, a row a line apart."""
    glyphs = list(header)
    bottom = header_bottom + 14
    for label, start, first, second in rows:
        glyphs += printed(label, start, bottom, SIZE)
        glyphs += right_aligned(first, 195, bottom, SIZE) + right_aligned(second, 275, bottom, SIZE)
        bottom += 14
    top, end = 66.0, bottom - 8
    horizontal = [Segment(RULES[0], RULES[-1], y, y) for y in (top, header_bottom, end)]
    vertical = [Segment(x, x, top, end if body_ruled else header_bottom) for x in RULES]
    return PageGeometry(number, 600, 800, glyphs, horizontal, vertical)


def test_labels_running_past_the_label_columns_rule_stay_labels_and_their_values_load():
    # the cities, indented under their province and their values set tight after them, all run 3.5 points past
    # the rule closing the label column: the rule was taken for one inside the labels, the first value column
    # spread over them, and its values were read as part of the labels ("石家庄98984.6")
    header = (printed("2-7 主要指标（2007年）", 60, 40, 10) + printed("城市", 50, 84, SIZE)
              + printed("年末总人口（万人）", 121, 84, 8.5) + printed("地区生产总值（万元）", 200.5, 84, 7.8))
    rows = [("河北省", 42, "", ""), ("石家庄", 96.5, "98984.6", "82626"), ("张家口", 96.5, "66571", "42676")]
    values = _extracted(_ruled_grid(rows, header, 96.0)).values
    assert {(v.region_name, v.indicator, v.value) for v in values if v.region_name != "河北省"} == {
        ("石家庄", "population", 98984.6), ("石家庄", "gdp", 82626.0),
        ("张家口", "population", 66571.0), ("张家口", "gdp", 42676.0)}


def _wrapped_unit_header(title: str) -> list[Glyph]:
    """A header whose GDP box, the first, wraps its text on three lines, "（万元） GDP" and "(10 000 yuan)"
    under the name, beside a box of one line."""
    unit = printed("(10", 132, 100, SIZE) + printed("000 yuan)", 132 + 3.5 * 0.55 * SIZE, 100, SIZE)  # a font's space
    return (printed(title, 60, 40, 10) + printed("城市", 50, 80, SIZE) + printed("地区生产总值", 133, 80, SIZE)
            + printed("（万元） GDP", 130, 90, SIZE) + unit + printed("年末总人口（万人）", 201, 80, 8.5))


def test_a_continued_pages_header_unit_lines_over_a_column_its_rows_leave_blank_stay_header():
    # the continued page's one row prints no GDP: where the page's labels end was taken from its first value,
    # in the next column, so the GDP box's unit lines under the name were read as two label-only rows
    # (provinces) of the body, and the row's blank GDP loaded in "10 000 yuan"; they start right of the label
    # column the table before them printed
    first = _ruled_grid([("河北省", 42, "", ""), ("石家庄", 42, "82626", "98984.6")],
                        _wrapped_unit_header("2-7 主要指标（2007年）"), 104.0, body_ruled=False)
    continued = _ruled_grid([("唐山", 42, "", "66571")], _wrapped_unit_header("续表"), 104.0, number=2,
                            body_ruled=False)
    (_, table), = read_page(first, None, "edges.pdf")[0]
    (_, continued_table), = read_page(continued, table, "edges.pdf")[0]
    assert continued_table.column_headers == table.column_headers == [
        "地区生产总值 （万元） GDP (10 000 yuan)", "年末总人口（万人）"]
    values = _extracted(first, continued).values
    assert {(v.region_name, v.indicator, v.value, v.unit_as_printed) for v in values if v.region_name != "河北省"} == {
        ("石家庄", "gdp", 82626.0, "万元"), ("石家庄", "population", 98984.6, "万人"),
        ("唐山", "gdp", None, "万元"), ("唐山", "population", 66571.0, "万人")}



def test_boxes_clipping_texts_with_digits_printed_over_each_other_at_their_edge_are_read_apart_there():
    # two boxes (120-200, 200-280) each show the glyphs of their text whose middles they hold: the last the
    # first shows, "s" of "(10 000 persons", reaches a point past the edge, over the next box's first, 地, which
    # starts 3.5 points before it. The line was refused as overprinted because digits are printed on it, though
    # the clips say which box holds which
    population = printed("(10 000 persons", 201.45 - 15 * 0.55 * SIZE, 84, SIZE)
    gdp = printed("地区生产总值（万元", 196.5, 84, SIZE)
    header = printed("2-7 主要指标（2007年）", 60, 40, 10) + printed("城市", 50, 84, SIZE) + population + gdp
    page = _ruled_grid([("河北省", 42, "", ""), ("石家庄", 42, "98984.6", "82626")], header, 96.0)
    page.clipped = [ClippedCell(120, 66, 200, 96, "年末总人口（万人） Total Population (10 000 persons)"),
                    ClippedCell(200, 66, 280, 96, "地区生产总值（万元） GDP (10 000 yuan)")]
    assert text_lines(header)[-1].overprinted
    assert {(v.region_name, v.indicator, v.value, v.unit_as_printed) for v in _extracted(page).values
            if v.region_name != "河北省"} == {("石家庄", "population", 98984.6, "万人"), ("石家庄", "gdp", 82626.0, "万元")}


def test_a_continued_pages_wrapped_label_keeps_values_that_start_left_of_the_first_pages():
    # the first page's one city prints "—" right-aligned in its first column, so the table's labels seemed
    # to end there; the next page's "六盘水", wrapped around its values, has them start left of that, and its
    # first number was read as a label: "六盘" and "水" loaded as places, the number lost
    first = (printed("2-7 年末总人口（2018年）", 60, 40, 10) + printed("地区", 45, 90, SIZE)
             + printed("年末总人口（万人）", 130, 78, SIZE) + printed("全市", 125, 90, SIZE)
             + printed("市辖区", 192, 90, SIZE) + printed("贵州省", 45, 110, SIZE) + printed("毕节", 45, 126, SIZE)
             + right_aligned("—", 150, 126, SIZE) + right_aligned("58,587.76", 225, 126, SIZE))
    rows = [("安顺", 60, "54,726.8", "83,130"), ("", 80, "43,148.34", "35,420.9"), ("保定", 100, "77,782.82", "6,034.63")]
    continued = printed("续表", 60, 40, 10) + printed("六盘", 45, 75.5, SIZE) + printed("水", 45, 84.5, SIZE)
    for label, bottom, *values in rows:
        continued += printed(label, 45, bottom, SIZE) + right_aligned(values[0], 150, bottom, SIZE) \
            + right_aligned(values[1], 225, bottom, SIZE)
    values = _extracted(PageGeometry(1, 600, 800, first, [], []), PageGeometry(2, 600, 800, continued, [], [])).values
    assert {(v.region_name, v.scope, v.value) for v in values if v.region_name not in ("贵州省", "毕节")} == {
        ("安顺", "city_total", 54726.8), ("安顺", "urban_districts", 83130.0),
        ("六盘水", "city_total", 43148.34), ("六盘水", "urban_districts", 35420.9),
        ("保定", "city_total", 77782.82), ("保定", "urban_districts", 6034.63)}


def test_a_last_row_whose_number_the_text_layer_misreads_is_a_row_its_cell_refused_with_the_reason():
    # LibreOffice's AR PL UMing text layer maps a 0 to "G" ("2604G40"): a line with a cell no number was
    # taken for no body row, the table ended above it, and the row's other values were dropped unsaid
    header = printed("2-7 主要指标（2007年）", 60, 40, 10) + printed("城市", 50, 84, SIZE) + printed(
        "年末总人口（万人）", 121, 84, 8.5) + printed("地区生产总值（万元）", 200.5, 84, 7.8)
    page = _ruled_grid([("河北省", 42, "", ""), ("石家庄", 42, "98984.6", "82626"), ("张家口", 42, "66571", "426G6")],
                       header, 96.0)
    result = _extracted(page)
    assert {(v.region_name, v.indicator, v.value) for v in result.values if v.value is not None} == {
        ("石家庄", "population", 98984.6), ("石家庄", "gdp", 82626.0), ("张家口", "population", 66571.0)}
    row = next(v.provenance.row for v in result.values if v.region_name == "张家口")
    problem, = result.problems
    assert (problem.kind, problem.row, problem.column) == ("unreadable_value", row, 3) and "426G6" in problem.message


def _gdp_values_under_a_wrapped_unit(unit: list) -> set:
    """The values of a GDP box over 全市 | 市辖区 whose unit line, `unit`, wraps down past the box's bottom rule
    into the row of scope boxes, whose parting rule (x=200) starts a point above that bottom rule."""
    header = (printed("2-7 主要指标（2020年）", 60, 40, 10) + printed("城市", 50, 108, SIZE)
              + printed("地区生产总值", 173, 78, SIZE) + unit + printed("全市", 150, 112, SIZE)
              + printed("市辖区", 225, 112, SIZE))
    glyphs = header + printed("北京市", 45, 134, SIZE) + right_aligned("36103", 195, 134, SIZE) + right_aligned(
        "36103", 275, 134, SIZE) + printed("天津市", 45, 148, SIZE) + right_aligned("14084", 195, 148, SIZE) \
        + right_aligned("11310", 275, 148, SIZE)
    horizontal = [Segment(40, 280, 66, 66), Segment(120, 280, 80, 80), Segment(120, 280, 94, 94),
                  Segment(40, 280, 120, 120), Segment(40, 280, 154, 154)]
    vertical = [Segment(x, x, 66, 154) for x in (40, 120, 280)] + [Segment(200, 200, 93, 154)]
    page = PageGeometry(1, 600, 800, glyphs, horizontal, vertical)
    return {(v.region_name, v.indicator, v.scope, v.value, v.unit_as_printed) for v in _extracted(page).values}


GDP_UNDER_ITS_UNIT = {("北京市", "gdp", "city_total", 36103.0, "100 000 000 yuan"),
                      ("北京市", "gdp", "urban_districts", 36103.0, "100 000 000 yuan"),
                      ("天津市", "gdp", "city_total", 14084.0, "100 000 000 yuan"),
                      ("天津市", "gdp", "urban_districts", 11310.0, "100 000 000 yuan")}


def test_a_boxs_unit_wrapped_down_over_the_rule_parting_the_boxes_below_is_that_boxs_for_both_columns():
    # 2021's 2-7 printed by LibreOffice: the GDP box's unit, "(100 000 000 yuan)", wraps down past the box's
    # bottom rule. Cut at the rule parting the scope boxes, "（100" headed 全市 and "000 000 yuan）" 市辖区:
    # neither column had a unit, and GDP loaded as provisional. The rule cuts a bracket's text in two: the
    # text is the box's above, over both columns.
    unit = (printed("（100", 179.2, 99, SIZE) + printed("000", 201.0, 99, SIZE) + printed("000", 217.8, 99, SIZE)
            + printed("yuan）", 234.6, 99, SIZE))  # spaced as a font spaces them: one phrase
    assert _gdp_values_under_a_wrapped_unit(unit) == GDP_UNDER_ITS_UNIT


def test_a_boxs_unit_wrapped_over_the_rule_below_in_phrases_the_rule_runs_through_is_that_boxs():
    # the same unit spaced wider, as another font prints it: three phrases, the rule parting the scope boxes
    # running through the first 000. Each phrase was placed on its own, "（100" over 全市 and the rest over
    # 市辖区: together they are the bracket's text, the box's above
    unit = printed("（100", 170, 99, SIZE) + printed("000", 197.5, 99, SIZE) + printed("000 yuan）", 221, 99, SIZE)
    assert len(text_lines(unit)[0].phrases) == 3
    assert _gdp_values_under_a_wrapped_unit(unit) == GDP_UNDER_ITS_UNIT


def test_a_glyph_on_a_clipped_boxs_side_is_that_boxs_on_a_line_printed_over_elsewhere():
    # the population box (120-200) clips its text at its sides: its first glyph, 年, has its middle on the
    # side, abutting the label box's "城市名称" before it and 末 after it. The line is overprinted at the next
    # edge (its last glyph over the GDP box's first), and read apart there only where every glyph on an
    # edge could be placed: 年 was taken for undecidable, the box's clip not asked, and the table refused
    header = (printed("2-7 主要指标（2007年）", 60, 40, 10) + printed("城市名称", 79.9, 84, SIZE)
              + printed("年末总人口", 115.9, 84, SIZE) + printed("（万人", 203.4 - 22.95, 84, SIZE)
              + printed("地区生产总值（万元", 196.5, 84, SIZE))
    page = _ruled_grid([("河北省", 42, "", ""), ("石家庄", 42, "98984.6", "82626")], header, 96.0)
    page.clipped = [ClippedCell(120, 66, 200, 96, "年末总人口（万人）"), ClippedCell(200, 66, 280, 96, "地区生产总值（万元）")]
    assert text_lines(header)[-1].overprinted
    assert {(v.region_name, v.indicator, v.value, v.unit_as_printed) for v in _extracted(page).values
            if v.region_name != "河北省"} == {("石家庄", "population", 98984.6, "万人"), ("石家庄", "gdp", 82626.0, "万元")}
