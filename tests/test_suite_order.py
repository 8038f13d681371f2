"""The modules conftest runs first for pytest-xdist's sake are this suite's own: a renamed one would
silently fall back to its place in file order."""

from __future__ import annotations

from pathlib import Path

from conftest import LONGEST_FIRST


def test_every_module_run_first_exists_and_is_named_once():
    here = Path(__file__).resolve().parent
    assert sorted(set(LONGEST_FIRST)) == sorted(LONGEST_FIRST)
    assert [name for name in LONGEST_FIRST if not (here / name).is_file()] == []
