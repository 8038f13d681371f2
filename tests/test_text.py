"""Reading printed cells: padding, widths, numbers and missing markers."""

from __future__ import annotations

import pytest

from cnstat_etl.text import parse_number, split_bilingual


@pytest.mark.parametrize("label, chinese, english", [
    ("南 京 Nanjing", "南京", "Nanjing"),
    ("马鞍山 Ma'anshan", "马鞍山", "Ma'anshan"),
    ("江苏省 Jiangsu", "江苏省", "Jiangsu"),
    ("全　省", "全省", ""),
    ("Total City", "", "Total City"),
])
def test_bilingual_label_splits_into_unpadded_chinese_and_english(label, chinese, english):
    assert split_bilingual(label) == (chinese, english)


@pytest.mark.parametrize("printed, value", [
    ("38145300", 38145300.0), ("１２３４.５", 1234.5), ("1,234,567", 1234567.0), ("-0.89", -0.89),
    ("12.5*", 12.5), ("  6.70 ", 6.7),
])
def test_printed_number_is_read_with_widths_separators_and_marks(printed, value):
    number = parse_number(printed)
    assert number.ok and number.value == value


@pytest.mark.parametrize("printed", ["", "…", "...", "—", "-", "／", "\xa0"])
def test_missing_marker_reads_as_no_value_not_zero(printed):
    number = parse_number(printed)
    assert number.ok and number.value is None


@pytest.mark.parametrize("printed", ["南京", "12a", "1.2.3"])
def test_text_that_is_no_number_is_flagged(printed):
    assert not parse_number(printed).ok
