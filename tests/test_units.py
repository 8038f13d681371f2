"""Printed units read through the project's pint registry and convert to canonical units."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnstat_etl.harmonise import units
from cnstat_etl.harmonise.units import IncompatibleUnit, UnknownUnit, parse_unit, to_canonical


@pytest.mark.parametrize("printed, value, canonical, expected", [
    ("万元", 38145300, "CNY", 381_453_000_000),
    ("亿元", 1000.13, "CNY", 100_013_000_000),
    ("万人", 1003.56, "person", 10_035_600),
    ("元/人", 52840, "CNY/person", 52840),
    ("(10 000 yuan)", 2.5, "CNY", 25_000),
    ("10 000 persons", 3, "person", 30_000),
    ("万美元", 12.5, "USD", 125_000),
    ("%", 6.7, "percent", 6.7),
    ("（万元）", 1234.56, "CNY", 12_345_600),
])
def test_printed_unit_converts_to_the_canonical_unit_exactly(printed, value, canonical, expected):
    assert to_canonical(value, printed, canonical) == expected


def test_us_dollars_never_convert_to_yuan_implicitly():
    with pytest.raises(IncompatibleUnit):
        to_canonical(1, "万美元", "CNY")


@pytest.mark.parametrize("printed", ["万斤", "万", "", "billion"])
def test_unknown_unit_is_an_error_naming_the_unit(printed):
    with pytest.raises(UnknownUnit, match="unit"):
        parse_unit(printed)


def test_a_unit_registry_cache_another_process_is_writing_does_not_stop_the_units(tmp_path, monkeypatch):
    monkeypatch.setenv("CNSTAT_CACHE_DIR", str(tmp_path))
    units.registry.cache_clear()
    units.registry()  # writes pint's parsed definitions into the cache
    written = list((tmp_path / "pint").glob("*.pickle"))
    assert written
    for path in written:
        path.write_bytes(b"")  # what a reader sees while pint (not atomically) writes it again
    units.registry.cache_clear()
    units.conversion_factor.cache_clear()  # asked of pint again, not of this process's answers
    try:
        assert to_canonical(1.5, "万元", "CNY") == 15_000
    finally:
        units.registry.cache_clear()
        units.conversion_factor.cache_clear()


def answers_in_a_new_process(cache: Path) -> tuple[list, bool]:
    """Factors and base units of a few units (one that does not convert), from a new process, and whether it
    imported pint to answer."""
    code = """
import sys
from cnstat_etl.harmonise import units
answers = []
for printed, canonical in [("万元", "CNY"), ("(10 000 persons)", "person"), ("元/人", "CNY/person"), ("万美元", "CNY")]:
    try:
        answers.append(str(units.conversion_factor(printed, canonical)))
    except units.IncompatibleUnit as error:
        answers.append(str(error))
answers += [str(units.to_base_unit(2.5, "亿吨")), repr(units._base_unit("万斤"))]
print(repr((answers, "pint" in sys.modules)))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "CNSTAT_CACHE_DIR": str(cache)})
    return ast.literal_eval(done.stdout.strip())


def test_a_units_answer_is_pints_and_the_next_process_reads_it_from_the_user_cache(tmp_path):
    asked, asked_pint = answers_in_a_new_process(tmp_path)
    kept, kept_pint = answers_in_a_new_process(tmp_path)
    assert asked_pint and not kept_pint
    assert kept == asked
    assert float(asked[0]) == 10_000 and "does not convert" in asked[3]
