"""parsers/layout.toml and mappings/sources/*.toml are read into typed records, checked once: a mistake in
one is a MappingError naming the file and the key, not a KeyError or a wrong reading later."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from cnstat_etl.config import MAPPINGS_DIR, PARSERS_DIR, layout, ocr_review, source_descriptors, validate_checks
from cnstat_etl.errors import MappingError
from cnstat_etl.load.firms import definitions
from cnstat_etl.settings import read_descriptor, read_layout

LAYOUT = (PARSERS_DIR / "layout.toml").read_text(encoding="utf-8")


def written(tmp_path, text: str, name: str = "layout.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_project_toml_files_read_as_typed_records():
    rules = layout()
    assert isinstance(rules.table_number_pattern, re.Pattern)
    assert rules.series.city_suffix and all(isinstance(e.pattern, re.Pattern) for e in rules.editions)
    assert {d.name for d in source_descriptors()} == {p.stem for p in (MAPPINGS_DIR / "sources").glob("*.toml")}
    review = ocr_review()
    assert review.jumps.factor > 1 and all(len(pair) == 2 for pair in review.per_capita.of.values())
    assert {check.severity for check in validate_checks()} <= {"error", "warning"}
    assert "all" in definitions().groups and definitions().variables


def test_a_missing_key_is_named_with_its_file(tmp_path):
    text = re.sub(r"(?m)^city_suffix = .*$", "", LAYOUT)
    with pytest.raises(MappingError, match=r"parsers/layout.toml: missing key 'series.city_suffix'"):
        read_layout(written(tmp_path, text))


def test_a_misspelt_key_is_named_not_ignored(tmp_path):
    with pytest.raises(MappingError, match=r"unknown key 'footnote_prefixe'"):
        read_layout(written(tmp_path, LAYOUT.replace("footnote_prefixes =", "footnote_prefixe =")))


def test_a_value_of_the_wrong_type_is_named(tmp_path):
    text = LAYOUT.replace("data_year_offset = -1", 'data_year_offset = "-1"')
    with pytest.raises(MappingError, match=r"data_year_offset must be a whole number"):
        read_layout(written(tmp_path, text))


def test_a_pattern_that_does_not_compile_or_lacks_its_group_is_named(tmp_path):
    broken = re.sub(r"(?m)^table_number_pattern = .*$", "table_number_pattern = '(表'", LAYOUT)
    with pytest.raises(MappingError, match=r"table_number_pattern is not a regular expression"):
        read_layout(written(tmp_path, broken))
    ungrouped = LAYOUT.replace("(?P<edition>", "(", 1)
    with pytest.raises(MappingError, match=r"editions\[0\]\.pattern must have a group named 'edition'"):
        read_layout(written(tmp_path, ungrouped))


def test_a_descriptor_with_a_misspelt_column_entry_is_named(tmp_path):
    text = 'title = "t"\n[match]\nsignatures = [["city", "gdp"]]\n[columns.gdp]\nindicater = "gdp"\n'
    with pytest.raises(MappingError, match=r"mappings/sources/panel.toml: unknown key 'columns.gdp.indicater'"):
        read_descriptor(written(tmp_path, text, "panel.toml"))


def test_a_file_that_is_not_toml_is_named(tmp_path):
    with pytest.raises(MappingError, match=r"mappings/sources/panel.toml: not valid TOML"):
        read_descriptor(written(tmp_path, "title = \n", "panel.toml"))


def test_the_error_is_one_line_from_the_command(tmp_path):
    """The layout the command reads is the package's: a copy of the package with a broken one says so."""
    code = ("import sys, cnstat_etl.config as c, cnstat_etl.settings as s\n"
            f"c.PARSERS_DIR = __import__('pathlib').Path({str(tmp_path)!r})\n"
            "from cnstat_etl.cli import main\nmain(['extract', sys.argv[1]])")
    written(tmp_path, LAYOUT.replace("missing_markers =", "missing_marker ="))
    sample = tmp_path / "table.csv"
    sample.write_text("城市,地区生产总值\n广州市,1\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", code, str(sample)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: parsers/layout.toml: unknown key 'missing_marker' (known: " + ", ".join(
            f.name for f in __import__("dataclasses").fields(type(layout()))) + ")"]


def test_a_descriptor_of_a_kind_no_source_kind_reads_is_named(tmp_path):
    text = 'kind = "panel"\n[match]\nsignatures = [["city", "gdp"]]\n'
    with pytest.raises(MappingError, match=r"mappings/sources/panel.toml: kind 'panel' is not one a descriptor"):
        read_descriptor(written(tmp_path, text, "panel.toml"))
