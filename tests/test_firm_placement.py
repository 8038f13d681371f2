"""Placing a firm's printed region code on the city in force in the survey year (facts read off GB/T 2260)."""

from __future__ import annotations

import pytest

from cnstat_etl.harmonise.firms import field_code, place_code, recognise_columns

PLACED = [
    ("320102", 2005, "320100", "in_force"),  # 南京 玄武区
    (320102.0, 2005, "320100", "in_force"),  # a code stored as a number in a .dta
    ("320102001000", 2005, "320100", "in_force"),  # a 12-digit township code: its county's
    ("320101", 2005, "320100", "urban_districts"),  # 南京 市辖区
    ("110105", 2005, "110000", "in_force"),  # 北京 朝阳区: the municipality is the unit
    ("110103", 2010, "110000", "successor"),  # 崇文区, joined 东城区 in 2010
    ("330181", 2004, "330100", "successor"),  # 萧山市, 萧山区 330109 since 2001
    ("320586", 2003, "320500", "successor"),  # 吴县市, split in 2000 into two districts of 苏州
    ("533521", 2002, "533500", "in_force"),  # 临沧县 under 临沧地区
    ("533521", 2004, "530900", "successor"),  # the same code after 临沧市 replaced 临沧地区 in 2003
    ("320500", 2005, "320500", "in_force"),  # a prefecture's own code
    ("320583102000", 2005, "320500", "in_force"),  # 昆山市 as a 12-digit village code
    ("320583102", 2005, "320500", "in_force"),  # and as a 9-digit township code
    ("320583.0", 2005, "320500", "in_force"),  # a Stata float written out as text
    ("320 583", 2005, "320500", "in_force"),  # text with spaces
    (" 320583  ", 2005, "320500", "in_force"),
]
UNPLACED = [
    (None, 2005, "no region code"),
    ("  ", 2005, "no region code"),
    ("32010", 2005, "not 6 digits"),
    ("99AB01", 2005, "not 6 digits"),
    ("990101", 2005, "not in the GB/T 2260 code history"),
    ("990101102000", 2005, "not in the GB/T 2260 code history"),
    ("3205831020", 2005, "not 6 digits"),  # ten digits: no county code printed that way
    ("320000", 2005, "a province"),
    ("429004", 2005, "directly under its province"),  # 仙桃市
    ("530902", 2001, "not in force until 2003"),  # 临翔区 before it existed
    ("341424", 2012, "2 cities (340200, 340500)"),  # 和县 2011: part to 芜湖, part to 马鞍山
]


@pytest.mark.parametrize("printed, year, city, how", PLACED)
def test_a_firm_is_placed_on_the_city_its_code_belonged_to_that_year(printed, year, city, how):
    placement = place_code(printed, year)
    assert (placement.region_code, placement.how) == (city, how), placement.reason


@pytest.mark.parametrize("printed, year, words", UNPLACED)
def test_a_code_that_names_no_single_city_is_not_placed_and_says_why(printed, year, words):
    placement = place_code(printed, year)
    assert placement.region_code is None and placement.how == "unplaced"
    assert words in placement.reason


@pytest.mark.parametrize("field, printed, code", [
    ("registration_type", "310", "310"), ("registration_type", 310, "310"), ("registration_type", "310.0", "310"),
    ("registration_type", "中外合资经营企业", "310"), ("registration_type", "合资经营企业（港或澳、台资）", "210"),
    ("registration_type", "港、澳、台商独资经营企业", "230"), ("holding_status", 1.0, "1"),
    ("holding_status", "国有控股", "1"),
])
def test_a_registration_type_or_holding_status_printed_as_number_or_name_reads_as_its_code(field, printed, code):
    assert field_code(field, printed) == code


@pytest.mark.parametrize("printed", ["31", "3100", "合资", None, " "])
def test_what_is_neither_a_code_nor_a_listed_name_reads_as_no_code(printed):
    assert field_code("registration_type", printed) is None


REGION_CODES = ["320583102000", "110105001001", "533521100000", "990101000000"]  # one invalid in four
POSTCODES = ["215300", "100020", "518000", "200030"]


def test_a_column_of_region_codes_is_recognised_by_its_content_and_postcodes_are_not():
    samples = {"所在地区划码": REGION_CODES * 10, "邮编": POSTCODES * 10, "企业类型": ["310", "110"] * 20}
    recognised, ambiguous = recognise_columns(samples, ["region_code"])
    assert [(r.field, r.column) for r in recognised] == [] and ambiguous == {}  # 75% fit: too few to guess
    samples["所在地区划码"] = REGION_CODES[:3] * 10 + [None] * 5
    recognised, _ = recognise_columns(samples, ["region_code", "registration_type"])
    assert [(r.field, r.column, r.share) for r in recognised] == [
        ("region_code", "所在地区划码", 1.0), ("registration_type", "企业类型", 1.0)]


def test_two_columns_that_both_fit_a_field_are_not_guessed_between():
    samples = {"a": ["320583"] * 20, "b": ["320583102000"] * 20}
    assert recognise_columns(samples, ["region_code"]) == ([], {"region_code": ["a", "b"]})

