"""The code history as derived by `regions`: periods, names, levels, lineage and weights."""

from __future__ import annotations


import pytest

from cnstat_etl.harmonise import regions

YEARS = range(1981, 2025)


@pytest.mark.parametrize("year", YEARS)
def test_prefectures_in_force_equal_the_yearly_list(year):
    listed = {code for code in regions.yearly_list(year) if code.endswith("00") and not code.endswith("0000")}
    assert regions.prefectures_in_force(year) == listed


@pytest.mark.parametrize("year", YEARS)
def test_every_listed_unit_is_in_force_under_its_listed_name(year):
    listed = regions.yearly_list(year)
    in_force = {p.code: p.name for p in regions.region_periods() if p.in_force(year)}
    assert in_force == listed


def test_municipalities_are_city_level_units_beside_prefectures():
    municipalities = {p.code for p in regions.region_periods() if p.level == "municipality"}
    assert municipalities == {"110000", "120000", "310000", "500000"}
    assert regions.prefectures_in_force(2010, include_municipalities=True) >= {"110000", "500000", "320100"}


def test_chongqing_was_a_sichuan_prefecture_until_1997():
    assert regions.period_in_force("510200", 1996).province_code == "510000"
    assert regions.period_in_force("510200", 1997) is None
    assert regions.period_in_force("500000", 1997).level == "municipality"


def test_code_reuse_keeps_two_periods_apart():
    fuling, meishan = regions.periods_of("511400")
    assert (fuling.name, fuling.valid_from, fuling.valid_to) == ("涪陵市", 1995, 1997)
    assert (meishan.name, meishan.valid_from, meishan.valid_to) == ("眉山市", 2000, None)


@pytest.mark.parametrize(
    "full_name, short",
    [
        ("阿坝藏族羌族自治州", "阿坝"),
        ("海西蒙古族藏族自治州", "海西"),
        ("巴音郭楞蒙古自治州", "巴音郭楞"),
        ("达川地区", "达川"),
        ("锡林郭勒盟", "锡林郭勒"),
        ("广西壮族自治区", "广西"),
        ("内蒙古自治区", "内蒙古"),
        ("六枝特区", "六枝"),
        ("鄂温克族自治旗", "鄂温克"),
        ("鄂伦春自治旗", "鄂伦春"),
        ("和县", "和县"),
        ("万柏林区", "万柏林"),
        ("马鞍山市", "马鞍山"),
    ],
)
def test_short_name_removes_the_suffix_and_the_ethnic_part(full_name, short):
    assert regions.short_name(full_name) == short


def test_current_prefecture_short_names_match_the_pinyin_source():
    """Where the xiangyuecn list gives a suffix-less name for a current prefecture, ours is the same."""
    by_code_name, _, _ = regions._current_pinyin()
    differing = [
        (p.code, p.name, p.short_name, by_code_name[(p.code, p.name)][0])
        for p in regions.region_periods()
        if p.level == "prefecture" and p.valid_to is None and (p.code, p.name) in by_code_name
        and by_code_name[(p.code, p.name)][0] != p.short_name
    ]
    # xiangyuecn keeps 市 on 吉林市 to tell it from the province; that is its convention, not a suffix rule.
    assert differing == [("220200", "吉林市", "吉林", "吉林市")]


@pytest.mark.parametrize(
    "code, year, name_en",
    [("370900", 2010, "Tai'an"), ("340500", 2010, "Ma'anshan"), ("610100", 2010, "Xi'an"),
     ("140400", 2010, "Changzhi"), ("141100", 2010, "Lüliang"), ("510400", 1985, "Dukou"),
     ("420600", 2005, "Xiangfan"), ("513000", 1990, "Daxian"), ("150600", 2010, "E'erduosi")],
)
def test_name_en_is_title_case_pinyin_with_apostrophes(code, year, name_en):
    assert regions.period_in_force(code, year).name_en == name_en


def test_every_prefecture_and_county_has_an_english_name():
    assert all(p.name_en and p.name_en[0].isupper() for p in regions.region_periods())


def test_regions_table_has_the_documented_columns():
    table = regions.regions_table()
    assert list(table.columns) == [
        "code", "name", "short_name", "name_en", "level", "province_code", "valid_from", "valid_to"
    ]
    assert table["code"].str.fullmatch(r"\d{6}").all()


def _edges(from_code):
    return {(e.to_code, e.year, e.kind): e.weight for e in regions.lineage_edges() if e.from_code == from_code}


def test_same_code_new_name_is_a_rename():
    assert _edges("510400")[("510400", 1987, "rename")] == 1.0
    assert _edges("513000")[("513000", 1993, "rename")] == 1.0


def test_prefecture_to_city_with_new_code_is_an_upgrade():
    assert _edges("513000")[("511700", 1999, "upgrade")] == 1.0
    assert _edges("512500")[("511500", 1996, "upgrade")] == 1.0
    assert _edges("342200")[("341300", 1998, "upgrade")] == 1.0


def test_laiwu_merges_into_jinan():
    assert {key: w for key, w in _edges("371200").items() if key[2] != "transfer"} == {("370100", 2018, "merge"): 1.0}


def test_chaohu_splits_by_share_of_its_counties():
    edges = _edges("341400")
    assert {to for to, _, kind in edges if kind == "split"} == {"340100", "340200", "340500"}
    # 居巢区 and 庐江县 to 合肥, 无为县 to 芜湖, 含山县 to 马鞍山, 和县 half to each of 芜湖 and 马鞍山.
    assert edges[("340100", 2011, "split")] == pytest.approx(0.4)
    assert edges[("340200", 2011, "split")] == pytest.approx(0.3)
    assert sum(edges.values()) == pytest.approx(1.0)


def test_counties_leaving_a_continuing_prefecture_are_transfers():
    edges = _edges("513000")
    assert edges[("513700", 1993, "transfer")] == pytest.approx(4 / 13)


def test_weights_of_every_ended_unit_sum_to_one():
    totals: dict[tuple[str, int], float] = {}
    for edge in regions.lineage_edges():
        if edge.kind in ("upgrade", "merge", "split") or (edge.kind == "transfer" and edge.weight is not None
                                                           and regions.period_in_force(edge.from_code, edge.year) is None):
            totals[(edge.from_code, edge.year)] = totals.get((edge.from_code, edge.year), 0.0) + edge.weight
    assert totals and all(total == pytest.approx(1.0) for total in totals.values())


def test_every_retired_prefecture_has_successors():
    lost = [
        (p.code, p.name, p.valid_to)
        for p in regions.region_periods()
        if p.level == "prefecture" and p.valid_to is not None and regions.period_in_force(p.code, p.valid_to) is None
        and not regions.successor_shares(p.code, p.valid_to - 1)
    ]
    assert lost == []


def test_successor_shares_follow_renames_and_upgrades_to_the_vintage():
    assert regions.successor_shares("513000", 1990) == {"511700": 1.0}
    assert regions.successor_shares("510400", 1985) == {"510400": 1.0}
    assert regions.successor_shares("371200", 2017, 2017) == {"371200": 1.0}
    assert regions.successor_shares("510200", 1990) == {"500000": 1.0}


def test_lineage_table_columns():
    table = regions.lineage_table()
    assert list(table.columns) == ["from_code", "to_code", "year", "kind", "weight", "level"]
    assert set(table["kind"]) == {"rename", "upgrade", "merge", "split", "transfer"}
