"""Property-based tests: arbitrary input never crashes the readers; well-formed input round-trips."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from cnstat_etl.harmonise.regions import regions_table
from cnstat_etl.harmonise.resolver import RegionResolver
from cnstat_etl.text import parse_number, split_bilingual, squash

FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


@given(st.text())
def test_parse_number_never_raises_on_any_text(text):
    number = parse_number(text)
    assert number.value is None or number.ok


@given(st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
       st.booleans(), st.booleans())
def test_printed_number_round_trips_with_separators_and_full_width_digits(value, separators, full_width):
    printed = f"{value:,.2f}" if separators else f"{value:.2f}"
    if full_width:
        printed = printed.translate(FULL_WIDTH)
    assert parse_number(printed).value == float(value)


@given(st.text())
def test_label_normalisation_never_raises_and_squash_is_idempotent(text):
    chinese, english = split_bilingual(text)
    assert " " not in chinese
    assert squash(squash(text)) == squash(text)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=1970, max_value=2030), st.one_of(st.none(), st.text()))
def test_resolver_never_raises_on_any_name_year_or_province(name, year, province):
    resolution = RegionResolver.default().resolve(name, year=year, province=province)
    assert (resolution.code is None) == (resolution.match_kind == "unresolved")


_PREFECTURES_2010 = regions_table().query(
    "level == 'prefecture' and valid_from <= 2010 and (valid_to.isna() or valid_to > 2010)", engine="python")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(_PREFECTURES_2010.itertuples(index=False), key=lambda r: r.code)),
       st.sampled_from(["full", "short", "padded", "full_width_space"]))
def test_every_prefecture_name_as_printed_resolves_to_its_code_in_its_province(region, form):
    name = {"full": region.name, "short": region.short_name,
            "padded": " ".join(region.short_name),
            "full_width_space": "\u3000".join(region.short_name)}[form]
    resolution = RegionResolver.default().resolve(unicodedata.normalize("NFC", name), year=2010,
                                                  province=region.province_code)
    assert resolution.code == region.code, resolution
