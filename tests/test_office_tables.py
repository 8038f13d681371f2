"""Tables as provincial finance offices print them: a ruled header with a formula row, numbered labels,
本级 and 小计 rows, labels wrapped around their values, a grid ruled in groups of rows.

Every page here is drawn as glyphs and rules (no font, no PDF), so each rule is pinned on its own.
"""

from __future__ import annotations

import pytest

from cnstat_etl.extract import ExtractOptions
from cnstat_etl.extract.layout import Glyph, PageGeometry, Segment, read_page
from cnstat_etl.extract.tables import Block, TableAssembler, table_context
from cnstat_etl.harmonise import harmonise, roles_of
from cnstat_etl.model import ExtractResult
from cnstat_etl.text import parse_number
from drawn_glyphs import printed, right_aligned

SIZE = 9
LEFT, LABEL_EDGE, RIGHT = 40.0, 120.0, 300.0
COLUMN_EDGES = [LABEL_EDGE, 180.0, 240.0]  # the body's vertical rules: none at the table's right edge
ROW_PITCH = 14


def _printed(text: str, x0: float, bottom: float, size: float = SIZE) -> list[Glyph]:
    return printed(text, x0, bottom, size)


def _right_aligned(text: str, right: float, bottom: float) -> list[Glyph]:
    return right_aligned(text, right, bottom, SIZE)


def _debt_page(rows: list[tuple[str, ...]], wrapped: tuple[str, str, tuple[str, ...]] | None = None) -> PageGeometry:
    """A finance office's debt table: title and unit line above a ruled grid whose header box
    "2019年债务限额" spans the three value columns, its underline only the two right ones (as printed:
    the total column's box runs down to the formula row), the formula row under it, the right edge ruled
    beside the header only, and body rows ruled apart only under the first (the province's). `wrapped`
    adds a row whose label wraps around its values."""
    glyphs = (_printed("河北省2019年地方政府债务限额情况表", 60, 40, 12)
              + _printed(".", LEFT, 66) + _printed("单位：亿元", 250, 66)
              + _printed("2019年债务限额", 178, 81) + _printed("地 区", 62, 90)
              + _printed("一般债务", 192, 95) + _printed("专项债务", 252, 95)
              + _printed("公 式", 62, 109) + _printed("A=B+C", 137, 109) + _printed("B", 208, 109)
              + _printed("C", 268, 109))
    bottom = 126.0
    body_rows = []
    for label, *values in rows:
        body_rows.append(bottom)
        glyphs += _printed(label, 45, bottom)
        for right, value in zip([175, 235, 295], values):
            glyphs += _right_aligned(value, right, bottom)
        bottom += ROW_PITCH
    if wrapped:
        upper, lower, values = wrapped
        glyphs += _printed(upper, 45, bottom - 5) + _printed(lower, 45, bottom + 5)
        for right, value in zip([175, 235, 295], values):
            glyphs += _right_aligned(value, right, bottom)
        bottom += ROW_PITCH
    body_bottom = bottom - ROW_PITCH + 4
    horizontal = [Segment(LEFT, RIGHT, 70, 70), Segment(180, RIGHT, 84, 84), Segment(LEFT, RIGHT, 98, 98),
                  Segment(LEFT, RIGHT, 112, 112), Segment(LEFT, RIGHT, body_bottom, body_bottom)]
    horizontal += [Segment(LEFT, RIGHT, body_rows[0] + 3, body_rows[0] + 3)] if body_rows else []
    vertical = [Segment(LABEL_EDGE, LABEL_EDGE, 70, body_bottom), Segment(180, 180, 84, body_bottom),
                Segment(240, 240, 84, body_bottom), Segment(RIGHT, RIGHT, 70, 112)]
    return PageGeometry(1, 600, 800, glyphs, horizontal, vertical)


ROWS = [("河北省", "100.00", "60.00", "40.00"), ("河北省本级", "10.00", "6.00", "4.00"),
        ("市县小计", "90.00", "54.00", "36.00"), ("（一）石家庄市", "50.00", "30.00", "20.00"),
        ("石家庄市本级", "20.00", "12.00", "8.00"), ("长安区", "30.00", "18.00", "12.00"),
        ("唐山市", "1,040.00", "−2.50", "1,042.50")]


def _read(page: PageGeometry) -> tuple[Block, ExtractResult]:
    (block, _), = read_page(page, None, "debt.pdf")[0]
    result = ExtractResult("debt.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    tables.add(block)
    tables.finish_table()
    return block, result


def _header_paths(block: Block) -> list[list[str]]:
    header = [row for row in block.cells if not any(parse_number(cell).ok and cell for cell in row[1:])]
    return [[row[column] for row in header if row[column]] for column in range(1, len(block.cells[0]))]


def test_the_title_and_unit_line_above_a_ruled_grid_are_no_header_and_the_unit_line_is_read():
    block, result = _read(_debt_page(ROWS))
    assert all("情况表" not in cell and "单位" not in cell for row in block.cells for cell in row)
    assert {v.unit_as_printed for v in result.values} == {"亿元"}


def test_a_ruled_header_box_heads_the_columns_it_spans_whatever_is_printed_beside_it():
    # "一般债务" is printed nearer the total column's middle than the group's: by alignment it headed both
    block, _ = _read(_debt_page(ROWS))
    assert _header_paths(block) == [["2019年债务限额", "A=B+C"], ["2019年债务限额", "一般债务", "B"],
                                    ["2019年债务限额", "专项债务", "C"]]


def test_values_right_of_the_last_rule_are_a_column_of_their_own():
    block, _ = _read(_debt_page(ROWS))
    assert ["市县小计", "90.00", "54.00", "36.00"] in block.cells


def test_rows_of_a_grid_ruled_in_groups_of_rows_are_its_lines():
    block, _ = _read(_debt_page(ROWS))
    labels = [row[0].strip() for row in block.cells if row[1] and parse_number(row[1]).value is not None]
    assert labels == [label for label, *_ in ROWS]


def test_a_heading_under_the_last_row_of_a_group_ruled_only_under_the_group_is_a_row_of_its_own():
    # one line of numbers between each two rules, so the stretches read as rows: but 山西省 sits a row's
    # pitch under 石家庄, not as the next line of its cell ("石家庄 山西省" was one label)
    glyphs = (_printed("城市", 45, 90) + _printed("年末总人口", 130, 90) + _printed("单位：万人", 45, 70)
              + _printed("河北省", 45, 110) + _printed("石家庄", 54, 124) + _printed("1234", 170, 124)
              + _printed("山西省", 45, 138) + _printed("太原", 54, 152) + _printed("5678", 170, 152))
    horizontal = [Segment(LEFT, 200, y, y) for y in (78, 96, 128, 156)]
    vertical = [Segment(x, x, 78, 156) for x in (LEFT, LABEL_EDGE, 200)]
    (block, _), = read_page(PageGeometry(1, 600, 800, glyphs, horizontal, vertical), None, "groups.pdf")[0]
    assert [(row[0].strip(), row[1]) for row in block.cells[-4:]] == [
        ("河北省", ""), ("石家庄", "1234"), ("山西省", ""), ("太原", "5678")]


def test_a_label_wrapped_around_its_values_is_one_row_with_them():
    block, result = _read(_debt_page(ROWS, ("井陉矿", "区", ("3.00", "2.00", "1.00"))))
    assert block.cells[-1][1:] == ["3.00", "2.00", "1.00"]
    assert result.rows[-1].name == "井陉矿区"


def test_a_page_whose_first_row_is_a_wrapped_label_reads_it():
    block, result = _read(_debt_page([], ("井陉矿", "区", ("3.00", "2.00", "1.00"))))
    assert [row.name for row in result.rows] == ["井陉矿区"] and block.cells[-1][1:] == ["3.00", "2.00", "1.00"]



def test_a_label_wrapped_around_a_number_wider_than_every_labelled_rows_first_value_is_one_row_with_it():
    # unruled, tight rows: the only labelled row with values prints a missing marker first, right-aligned
    # well right of where the wrapped row's wide number starts; taken for that row's label, the number left
    # 莆 and 田 two rows of blanks, under places that do not exist
    glyphs = (_printed("城市", 45, 90) + _printed("年末总户数", 140, 90) + _printed("单位：户", 45, 70)
              + _printed("福建省", 45, 106) + _printed("莆", 54, 115) + _printed("田", 45, 125)
              + _right_aligned("1036462", 175, 120) + _right_aligned("41953", 235, 120)
              + _printed("市县小计", 45, 138) + _right_aligned("…", 175, 138) + _right_aligned("98874", 235, 138))
    block, result = _read(PageGeometry(1, 600, 800, glyphs, [], []))
    assert [(row[0].strip(), row[1:]) for row in block.cells[-3:]] == [
        ("福建省", ["", ""]), ("莆 田", ["1036462", "41953"]), ("市县小计", ["…", "98874"])]
    assert [row.name for row in result.rows] == ["福建省", "莆田", "市县小计"]

@pytest.mark.parametrize("label", ["", "公 式"])
def test_a_formula_row_of_column_letters_is_header_not_a_row(label):
    # unruled: "A" alone under the header sits in the label column's reach, as a province row printed alone
    glyphs = (_printed("城市", 40, 90) + _printed("年末总人口", 120, 90) + _printed("单位：万人", 40, 70)
              + _printed(label, 40, 104) + _printed("A", 138, 104)
              + _printed("河北省", 40, 120) + _printed("石家庄", 49, 134) + _printed("1234", 130, 134))
    (block, _), = read_page(PageGeometry(1, 600, 800, glyphs, [], []), None, "formula.pdf")[0]
    result = ExtractResult("formula.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions(year=2019))
    tables.add(block)
    assert [row.name for row in result.rows] == ["河北省", "石家庄"]
    assert [(v.region_name, v.indicator, v.value) for v in result.values] == [
        ("河北省", "population", None), ("石家庄", "population", 1234.0)]


def test_the_formula_row_is_header_and_names_the_total_and_its_parts():
    _, result = _read(_debt_page(ROWS))
    assert {v.column_label: v.indicator for v in result.values} == {
        "2019年债务限额 / A=B+C": "debt_limit", "2019年债务限额 / 一般债务 / B": "debt_limit_general",
        "2019年债务限额 / 专项债务 / C": "debt_limit_special"}
    assert {v.table.year for v in result.values} == {2019}


def test_only_the_prefectures_load_not_their_own_level_the_subtotal_or_their_districts():
    _, result = _read(_debt_page(ROWS))
    observations = harmonise(result).observations
    assert {(o.region_code, o.indicator, o.value) for o in observations} == {
        ("130100", "debt_limit", 50e8), ("130100", "debt_limit_general", 30e8), ("130100", "debt_limit_special", 20e8),
        ("130200", "debt_limit", 1040e8), ("130200", "debt_limit_general", -2.5e8),
        ("130200", "debt_limit_special", 1042.5e8)}


def _roles(labels: list[tuple[str, int]]) -> dict[str, str]:
    """Each row's role in a one-column table of (label, indentation) rows, all holding a value."""
    result = ExtractResult("rows.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions(year=2019))
    tables.add(Block([], [["地区", "债务余额"]] + [[" " * indent + label, "1.00"] for label, indent in labels],
                     list(range(len(labels) + 1)), [1, 2], page=1))
    tables.finish_table()
    roles, _ = roles_of(result)
    return {row.label: role.kind for row, role in zip(result.rows, roles)}


@pytest.mark.parametrize("label, name", [("（一）成都市", "成都市"), ("二、市（州）合计", "市(州)合计"),
                                         ("1.长春市", "长春市"), ("12、长春市", "长春市"), ("三门峡市", "三门峡市"),
                                         ("七台河市", "七台河市"), ("3乐山", "乐山")])  # a scan's 3.乐山, its dot lost
def test_a_numbered_label_names_its_place_without_the_number(label, name):
    result = ExtractResult("rows.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions(year=2019))
    tables.add(Block([], [["地区", "债务余额"], [label, "1.00"]], [1, 2], [1, 2], page=1))
    assert result.rows[0].name == name


def test_an_own_level_row_is_not_the_place_it_names_and_the_rows_under_it_stay_its_prefectures():
    roles = _roles([("吉林省", 0), ("吉林省本级", 1), ("延边朝鲜族自治州", 1), ("延边朝鲜族自治州本级", 2),
                    ("延吉市", 2)])
    assert roles == {"吉林省": "subtotal", "吉林省本级": "own_level", "延边朝鲜族自治州": "unit",
                     "延边朝鲜族自治州本级": "own_level", "延吉市": "county"}


@pytest.mark.parametrize("label", ["市县小计", "二、市（州）合计", "全省总计"])
def test_a_label_ending_in_a_total_word_is_a_total(label):
    assert _roles([("湖南省", 0), (label, 0)])[label] == "total"


def test_a_header_naming_another_year_than_the_tables_is_not_that_years_indicator():
    result = ExtractResult("rows.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    tables.add(Block(["湖南省2019年地方政府债务情况表", "单位：亿元"],
                     [["地区", "2018年债务余额", "2019年债务余额"], ["长沙市", "1.00", "2.00"]], [1, 2], [1, 2, 3],
                     page=1))
    assert [v.indicator for v in result.values] == ["provisional:2018年债务余额", "debt_balance"]


@pytest.mark.parametrize("lines, number, title, year", [
    (["表4-1", "22 吉林省2019年地方政府债务限额及余额决算情况表"], "4-1",
     "表4-1 22 吉林省2019年地方政府债务限额及余额决算情况表", 2019),
    (["43 湖南省2019年地方政府债务限额及余额决算情况表", ". 单位：亿元"], None,
     "43 湖南省2019年地方政府债务限额及余额决算情况表", 2019)])
def test_a_finance_offices_title_gives_the_table_number_title_year_and_unit(lines, number, title, year):
    context = table_context(lines + [". 单位：亿元"], ExtractOptions())
    assert (context.table_number, context.table_title, context.year, context.year_from, context.unit_line) == (
        number, title, year, "title", "亿元")


def test_a_column_only_a_formula_rows_letter_heads_is_refused_not_loaded_under_the_letter():
    # its own header lost (read into the next column's box), the column kept only the formula row's "C":
    # loaded as provisional:C, its values were under no indicator they are
    result = ExtractResult("rows.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    tables.add(Block(["湖南省2019年地方政府债务情况表", "单位：亿元"],
                     [["地区", "2019年债务余额", ""], ["", "A", "C"], ["长沙市", "1.00", "2.00"]], [1, 2, 3],
                     [1, 2, 3], page=1))
    assert [v.indicator for v in result.values] == ["debt_balance"]
    assert [(p.kind, p.column) for p in result.problems] == [("unknown_column", 3)]
