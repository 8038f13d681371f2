"""Placing a firm's printed region code on the city in force in the survey year (facts read off GB/T 2260)."""

from __future__ import annotations

import pytest

from cnstat_etl.harmonise.firms import place_code

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
]
UNPLACED = [
    (None, 2005, "no region code"),
    ("  ", 2005, "no region code"),
    ("32010", 2005, "not 6 digits"),
    ("99AB01", 2005, "not 6 digits"),
    ("990101", 2005, "not in the GB/T 2260 code history"),
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
