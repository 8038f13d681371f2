"""Problems are typed: a kind and a severity from their enums, stored and printed as the same words; a bug
met while reading a file is cnstat's internal error, never the file's fault."""

from __future__ import annotations

import json
import shutil

import pytest

from cnstat_etl import extract
from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.model import Problem, ProblemKind, Severity
from cnstat_etl.pipeline import ingest

SAMPLE = SAMPLES_DIR / "jiangsu2010_cities_gbk.csv"


def test_a_problem_of_no_known_kind_or_severity_is_an_error():
    with pytest.raises(ValueError, match="no_such_kind"):
        Problem("no_such_kind", "message", "a.pdf")
    with pytest.raises(ValueError, match="fatal"):
        Problem("no_table", "message", "a.pdf", severity="fatal")


def test_a_problem_given_plain_words_holds_its_kind_and_severity_and_prints_them_as_those_words():
    problem = Problem("unknown_column", "message", "a.pdf", severity="error")
    assert problem.kind is ProblemKind.UNKNOWN_COLUMN and problem.severity is Severity.ERROR
    assert (f"{problem.kind}", str(problem.severity), json.dumps([problem.kind])) == (
        "unknown_column", "error", '["unknown_column"]')


def _broken_reader(*_args, **_kwargs):
    raise KeyError("a reader's bug")


def test_a_bug_in_a_reader_is_an_internal_error_that_names_the_file_and_asks_for_a_report(monkeypatch):
    monkeypatch.setattr(extract, "read_grids", _broken_reader)
    result = extract.extract_file(SAMPLE)
    problem, = result.problems
    assert (problem.kind, problem.severity, problem.source_file) == ("internal_error", "error", SAMPLE.name)
    assert "KeyError" in problem.message and "please report it" in problem.message
    assert result.failed


def test_an_ingest_says_a_reader_bug_is_cnstats_and_not_the_files(tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "read_grids", _broken_reader)
    source = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE, source)
    outcome, = ingest([source], tmp_path / "w.duckdb", jobs=1, use_cache=False).files
    assert outcome.status == "failed" and "bug in cnstat" in outcome.reason


def test_a_damaged_file_is_still_unreadable_not_an_internal_error(tmp_path):
    damaged = tmp_path / "book.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    problem, = extract.extract_file(damaged).problems
    assert problem.kind == "unreadable_file"
