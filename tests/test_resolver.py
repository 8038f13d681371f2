"""Printed names to codes in force, and codes to today's codes, on the real code history."""

from __future__ import annotations


import pytest

from cnstat_etl.harmonise.resolver import RegionResolver, latin_key, split_printed
from cnstat_etl.harmonise.rows import row_roles
from cnstat_etl.model import BodyRow


@pytest.fixture(scope="module")
def resolver() -> RegionResolver:
    return RegionResolver.default()


def _code(resolver, name, year, province=None):
    return resolver.resolve(name, year=year, province=province).code


@pytest.mark.parametrize(
    "printed, year, province, code",
    [
        ("达县地区", 1990, "四川", "513000"),
        ("渡口市", 1985, None, "510400"),
        ("渡口", 1985, None, "510400"),
        ("达川地区", 1998, None, "513000"),
        ("巴中地区", 1998, None, "513700"),
        ("雅安地区", 1998, None, "513100"),
        ("宜宾地区", 1995, None, "512500"),
        ("宿县地区", 1997, None, "342200"),
        ("莱芜市", 2017, None, "371200"),
        ("巢湖市", 2008, None, "341400"),
        ("襄樊", 2005, None, "420600"),
        ("思茅", 2005, None, "530800"),
        ("涪陵市", 1995, None, "511400"),
        ("眉山市", 2005, None, "511400"),
    ],
)
def test_old_names_resolve_in_their_years(resolver, printed, year, province, code):
    assert _code(resolver, printed, year, province) == code


@pytest.mark.parametrize(
    "printed", ["南京", "南京市", "南 京 Nanjing", "南  京", "南京市 Nanjing City", "Nanjing", "NANJING", "ＮＡＮＪＩＮＧ", "南京*"]
)
def test_spacing_width_suffix_and_english_do_not_matter(resolver, printed):
    assert _code(resolver, printed, 2010) == "320100"


@pytest.mark.parametrize(
    "printed, code", [("Tai'an", "370900"), ("Taian", "370900"), ("TAIAN", "370900"), ("Ma'anshan", "340500"),
                      ("Maanshan", "340500"), ("Xi'an", "610100"), ("Lüliang", "141100"), ("Lvliang", "141100")]
)
def test_pinyin_with_or_without_apostrophes_in_any_case(resolver, printed, code):
    result = resolver.resolve(printed, year=2010)
    assert (result.code, result.match_kind) == (code, "pinyin")


def test_traditional_characters_are_read_as_simplified(resolver):
    assert _code(resolver, "貴陽市", 2010) == "520100"
    assert _code(resolver, "襄樊", 2005) == "420600"


@pytest.mark.parametrize(
    "printed, province, code",
    [("宿州", "安徽", "341300"), ("Suzhou", "安徽", "341300"), ("Suzhou", "江苏省 Jiangsu", "320500"),
     ("Taizhou", "Zhejiang", "331000"), ("Taizhou", "江苏", "321200"), ("Fuzhou", "福建", "350100"),
     ("Fuzhou", "江西省", "361000")],
)
def test_homonyms_are_decided_by_the_province(resolver, printed, province, code):
    assert _code(resolver, printed, 2008, province) == code


@pytest.mark.parametrize("printed, expected", [("Suzhou", {"320500", "341300"}), ("Taizhou", {"321200", "331000"}),
                                                ("Fuzhou", {"350100", "361000"})])
def test_homonyms_without_province_stay_unresolved_with_all_candidates(resolver, printed, expected):
    result = resolver.resolve(printed, year=2008)
    assert result.code is None and result.match_kind == "unresolved"
    assert result.reason.startswith("ambiguous")
    assert expected <= {code for code, _ in result.candidates}


def test_municipalities_are_city_level(resolver):
    for printed in ("北京", "北京市", "Beijing"):
        result = resolver.resolve(printed, year=2010)
        assert (result.code, result.level) == ("110000", "municipality")


def test_chongqing_before_1997_is_the_sichuan_prefecture(resolver):
    assert resolver.resolve("重庆", year=1995).code == "510200"
    assert resolver.resolve("重庆", year=1995).level == "prefecture"
    assert resolver.resolve("重庆", year=2000).code == "500000"


def test_city_beats_the_province_it_is_named_after(resolver):
    assert resolver.resolve("吉林", year=2010).code == "220200"
    assert resolver.resolve("吉林省", year=2010).code == "220000"


def test_hainan_without_province_is_ambiguous_and_decided_by_province(resolver):
    unresolved = resolver.resolve("海南", year=2010)
    assert unresolved.code is None and {"460000", "632500"} <= {code for code, _ in unresolved.candidates}
    assert resolver.resolve("海南", year=2010, province="青海").code == "632500"


def test_prefecture_beats_county_namesakes(resolver):
    assert resolver.resolve("宜宾", year=1995).code == "512500"
    assert resolver.resolve("朝阳", year=2010).code == "211300"


def test_county_only_names_resolve_as_counties(resolver):
    result = resolver.resolve("和县", year=2010)
    assert (result.code, result.level) == ("341424", "county")


@pytest.mark.parametrize("printed, code", [("阿坝州", "513200"), ("凉山州", "513400"), ("延边州", "222400")])
def test_autonomous_prefecture_abbreviations(resolver, printed, code):
    assert _code(resolver, printed, 2010) == code


def test_reviewed_aliases(resolver):
    assert resolver.resolve("毫州市", year=2010).code == "341600"
    assert resolver.resolve("毫州市", year=2010).match_kind == "alias"
    assert resolver.resolve("Harbin", year=2010).code == "230100"
    assert resolver.resolve("Xigaze", year=2010).code == "542300"
    assert resolver.resolve("Xigaze", year=2020).code == "540200"


def test_a_name_changed_during_the_year_is_accepted_for_that_year(resolver):
    result = resolver.resolve("襄樊", year=2010)
    assert (result.code, result.name, result.match_kind) == ("420600", "襄阳市", "former_name")


def test_a_name_out_of_force_is_unresolved_with_the_reason(resolver):
    result = resolver.resolve("渡口市", year=2000)
    assert result.code is None and result.reason == "not in force in 2000"
    assert ("510400", "渡口市") in result.candidates


def test_unknown_names_are_unresolved(resolver):
    result = resolver.resolve("不存在市", year=2010)
    assert (result.code, result.reason) == (None, "unknown name")


def test_fuzzy_only_with_a_known_province(resolver):
    typo = "黔西南布依族苗族自治洲"
    assert resolver.resolve(typo, year=2010).code is None
    result = resolver.resolve(typo, year=2010, province="贵州")
    assert (result.code, result.match_kind) == ("522300", "fuzzy")
    assert resolver.resolve("南宁", year=2010, province="贵州").code is None


def test_romanised_name_one_letter_off_resolves_within_its_province(resolver):
    result = resolver.resolve("Benggu", year=2018, province="Anhui")
    assert (result.code, result.name, result.match_kind) == ("340300", "蚌埠市", "fuzzy")
    assert resolver.resolve("Benggu", year=2018).code is None  # no province: no fuzzy match


def _one_letter_off(key: str, rng) -> str:
    position = rng.randrange(len(key))
    letter = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != key[position]])
    return key[:position] + letter + key[position + 1:]


def test_fuzzy_match_never_leaves_the_province_it_was_given(resolver):
    import random

    from cnstat_etl.harmonise import regions

    rng = random.Random(12)
    provinces = sorted({p.province_code for p in regions.region_periods() if p.level == "province"})
    for period in regions.region_periods():
        if period.level != "prefecture" or not period.in_force(2018) or len(latin_key(period.name_en)) < 5:
            continue
        typo = _one_letter_off(latin_key(period.name_en), rng)
        other = rng.choice([p for p in provinces if p != period.province_code])
        result = resolver.resolve(typo, year=2018, province=other)
        assert result.code is None or result.province_code == other, (typo, other, result)
        own = resolver.resolve(typo, year=2018, province=period.province_code)
        assert own.code is None or own.province_code == period.province_code, (typo, own)


def test_fuzzy_match_refuses_a_misspelling_near_two_units():
    from cnstat_etl.harmonise.regions import RegionPeriod

    def unit(code, name, name_en):
        return RegionPeriod(code, name, name[:-1], name_en, "prefecture", "340000", 1981, None)

    province = RegionPeriod("340000", "安徽省", "安徽", "Anhui", "province", "340000", 1981, None)
    two_near = RegionResolver([province, unit("340300", "蚌埠市", "Bengbu"), unit("349900", "某某市", "Benghu")], [])
    result = two_near.resolve("Benggu", year=2018, province="340000")
    assert result.code is None
    one_near = RegionResolver([province, unit("340300", "蚌埠市", "Bengbu"), unit("349900", "某某市", "Hefei")], [])
    assert one_near.resolve("Benggu", year=2018, province="340000").code == "340300"


@pytest.mark.parametrize(
    "text, code",
    [("江苏省 Jiangsu", "320000"), ("江苏", "320000"), ("Jiangsu", "320000"), ("内蒙", "150000"),
     ("Nei Mongol", "150000"), ("Inner Mongolia Autonomous Region", "150000"), ("Shanxi", "140000"),
     ("Shaanxi", "610000"), ("廣東", "440000"), ("北京市", "110000"), ("重庆", "500000"), ("海南", "460000"),
     ("320000", "320000")],
)
def test_resolve_province(resolver, text, code):
    assert resolver.resolve_province(text) == code


@pytest.mark.parametrize(
    "label, code",
    [("广西壮族自治 Guangxi", "450000"), ("新疆维吾尔自治 Xinjiang", "650000"), ("宁夏回族 Ningxia", "640000"),
     # no English to prove it, the English another province's, or a name that is no start of its full name
     ("广西壮族自治", None), ("广西壮族自治 Guangdong", None), ("吉林市 Jilin", None), ("广西壮族自治区 Guangxi", None)],
)
def test_a_province_name_cut_short_resolves_where_its_english_names_the_province_it_starts(resolver, label, code):
    # a print clips 广西壮族自治区 at its box's edge: read whole, the cut name is no province
    assert resolver.resolve_cut_province(label) == code


@pytest.mark.parametrize("misread, province", [("斤江省 Zhejiang", "330000"), ("档 Zhejiang", "330000"),
                                               ("斤江省", None), ("斤江省 Guangzhou", None)])
def test_a_heading_whose_chinese_a_scan_misread_sets_the_province_its_english_names(resolver, misread, province):
    # OCR read 浙江省 as 斤江省: its cities were sought in 江苏省, the province above, and none placed; no English
    # (or a city's) is no proof, and they stay there (refused, never placed elsewhere)
    rows = [BodyRow(0, 1, None, 1, "江苏省 Jiangsu", "江苏省", 0, False, False),
            BodyRow(0, 1, None, 2, "南京市 Nanjing", "南京市", 0, True, False),
            BodyRow(0, 1, None, 3, misread, misread.split()[0], 0, False, False),
            BodyRow(0, 1, None, 4, "杭州市 Hangzhou", "杭州市", 0, True, False)]
    roles, _ = row_roles(rows, {0: 2022}, "scan.pdf", resolver)
    assert roles[2].kind == ("heading" if province else "unit")
    assert resolver.resolve("杭州市", year=2022, province=roles[3].province).code == ("330100" if province else None)


@pytest.mark.parametrize(
    "code, year, vintage, targets",
    [("513000", 1990, None, {"511700"}), ("510400", 1985, None, {"510400"}), ("341300", 2008, None, {"341300"}),
     ("512500", 1995, None, {"511500"}), ("342200", 1997, None, {"341300"}), ("371200", 2017, 2024, {"370100"}),
     ("371200", 2017, 2017, {"371200"}), ("511400", 1995, None, {"500000"}), ("511400", 2005, None, {"511400"})],
)
def test_harmonised_targets(resolver, code, year, vintage, targets):
    found = resolver.harmonised_targets(code, year, vintage)
    assert {c for c, _ in found} == targets
    assert sum(w for _, w in found) == pytest.approx(1.0)


def test_dissolved_chaohu_is_shared_among_its_successors(resolver):
    found = dict(resolver.harmonised_targets("341400", 2008))
    assert set(found) == {"340100", "340200", "340500"}
    assert sum(found.values()) == pytest.approx(1.0)


def test_lineage_of_shows_code_reuse(resolver):
    lineage = resolver.lineage_of("511400")
    assert [p["name"] for p in lineage["periods"]] == ["涪陵市", "眉山市"]
    assert {e["code"] for e in lineage["successors"]} == {"500000"}
    assert {e["code"] for e in lineage["predecessors"]} >= {"512300", "513800"}


def test_helpers_split_and_key_printed_names():
    assert split_printed("南 京 Nanjing") == ("南京", "Nanjing")
    assert latin_key("Ma'an Shan City") == latin_key("MAANSHAN") == "maanshan"


@pytest.mark.parametrize("code, printed, year, expected", [
    ("520500", "毕节市", 2010, "522400"),  # 毕节地区 became 毕节市 whole in 2011
    ("540300", "昌都市", 2010, "542100"),
    ("331100", "丽水市", 1999, "332500"),  # the name alone would be the county-level 丽水市 332501
])
def test_a_code_created_later_is_the_unit_whose_whole_area_it_was(resolver, code, printed, year, expected):
    result = resolver.resolve_coded(code, printed, year=year)
    assert (result.code, result.level, result.match_kind) == (expected, "prefecture", "code_lineage")


def test_a_code_created_later_from_parts_is_not_put_on_its_county_namesake(resolver):
    # 秦皇岛市 130300 (1983) took in more than the county-level 秦皇岛市 132701 of 1982.
    result = resolver.resolve_coded("130300", "秦皇岛市", year=1982)
    assert result.code is None and "132701" in result.reason and "county-level" in result.reason
    assert resolver.resolve("秦皇岛市", year=1982).code == "132701"


def test_a_code_created_from_parts_with_no_namesake_then_stays_unresolved(resolver):
    result = resolver.resolve_coded("659005", "北屯市", year=2010)
    assert (result.code, result.reason) == (None, "not in force in 2010")


@pytest.mark.parametrize("printed", ["榆林55,104.2", "榆 林 55104", "榆林 3.5"])
def test_a_label_printing_a_value_is_never_resolved(resolver, printed):
    # the name would resolve without the digits; with them the row's cells are shifted by one
    assert resolver.resolve(printed, year=2004).code is None
    assert "number" in resolver.resolve(printed, year=2004).reason
    assert resolver.resolve("榆林", year=2004).code == "610800"


def test_an_english_name_another_units_name_goes_on_from_is_refused_as_perhaps_clipped(resolver):
    # "Fangchenggang" clipped at its box's edge prints "Fangcheng", the whole name of 防城区 in the same
    # province: placed by pinyin, 防城港's values loaded as 防城区's
    clipped = resolver.resolve("Fangcheng", year=2020, province="Guangxi")
    assert clipped.code is None and "Fangchenggang" in clipped.reason
    assert {code for code, _ in clipped.candidates} == {"450603", "450600"}
    assert resolver.resolve("Fangchenggang", year=2020, province="Guangxi").code == "450600"
    assert resolver.resolve("防城区", year=2020, province="广西壮族自治区").code == "450603"


def test_a_city_named_whole_in_english_stays_that_city_though_a_district_s_name_goes_on_from_it(resolver):
    # 黄石港区 is Huangshigang, 岳阳楼区 Yueyanglou: a city outranks a county of its name, clipped or not
    assert resolver.resolve("Huangshi", year=2020, province="Hubei").code == "420200"
    assert resolver.resolve("Yueyang", year=2020, province="Hunan").code == "430600"


def test_a_misread_or_unread_chinese_name_leaves_a_pinyin_naming_a_city_and_its_county_level_namesake_ambiguous(
        resolver):
    # 阿克苏地区 and 阿克苏市 are both "Akesu": only the Chinese tells them apart
    assert resolver.resolve("Akesu", year=2022, province="新疆").code == "652900"
    assert resolver.resolve("阿克苏市 Akesu", year=2022, province="新疆").code == "652901"
    for printed in ("同克苏市 Akesu", "\ufffd\ufffd\ufffd Akesu"):
        unresolved = resolver.resolve(printed, year=2022, province="新疆")
        assert unresolved.code is None and {"652900", "652901"} <= {code for code, _ in unresolved.candidates}
