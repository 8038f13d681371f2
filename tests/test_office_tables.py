"""Tables as provincial finance offices print them: numbered labels, 本级 and 小计 rows, titles that print the table number, year and unit their own way."""

from __future__ import annotations

import pytest

from cnstat_etl.extract import ExtractOptions
from cnstat_etl.extract.tables import Block, TableAssembler, table_context
from cnstat_etl.harmonise import roles_of
from cnstat_etl.model import ExtractResult


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
                                         ("七台河市", "七台河市")])
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
