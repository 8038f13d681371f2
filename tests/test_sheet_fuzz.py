"""Every cell of the sheet fuzzer's workbooks loads right, or not at all: never wrong.

tests/fixtures/sheet_fuzzer.py writes the layout fuzzer's tables as xlsx and xls files with traits of
their own; the set of SEEDS is written afresh (no font needed, the same bytes of truth from the same seed)
and checked cell by cell against its truth. `CNSTAT_FUZZ_SEED=N` also writes FRESH_SHEETS new ones from
seed N; `bench/sheet_fresh_seeds.py` checks thousands.
"""

from __future__ import annotations

import ast
import csv
import os

import pytest

from layout_fuzzer import check, read_traits
from sheet_fuzzer import sheet_traits, write_set

SEEDS = range(1000, 1200)
FRESH_SHEETS = 200


def _truth_values(folder) -> dict[tuple[str, str, str, str], str]:
    with open(folder / "truth.csv", encoding="utf-8", newline="") as f:
        return {(r["file"], r["place"], r["indicator"], r["scope"]): r["value"] for r in csv.DictReader(f)}


def _cell(refused: str) -> tuple[str, str, str]:
    """(place, indicator, scope) of a `Score.refused` line: "('萍乡', 'population', 'city_total'): not loaded"."""
    return ast.literal_eval(refused.removesuffix(": not loaded"))


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sheet_fuzz")
    write_set(folder, SEEDS)
    return folder


def test_the_set_combines_every_sheet_trait_with_both_header_shapes():
    drawn = [sheet_traits(seed).describe() for seed in SEEDS]
    for trait in ("file_format=xlsx", "file_format=xls", "file_format=csv", "file_format=html", "numbers=text",
                  "numbers=number", "header_cells=stacked", "header_cells=joined", "merged=True", "merged=False",
                  "english_column=True", "spacers=0", "encoding=gbk", "digits=fullwidth", "line_break='\\r\\n'"):
        assert any(trait in t.split(", ") for t in drawn), f"no sheet with {trait}"


def test_every_cell_of_every_fuzzed_sheet_loads_right(sheets):
    traits = read_traits(sheets)
    failures = [f"{name} ({traits[name]}):\n  " + "\n  ".join(score.wrong + score.refused)
                for name, score in check(sheets).items() if score.wrong or score.refused]
    assert not failures, "\n".join(failures)


def test_the_fuzzer_writes_the_same_tables_from_the_same_seeds(tmp_path):
    for folder in (tmp_path / "one", tmp_path / "two"):
        write_set(folder, SEEDS[:10])
    for name in ("truth.csv", "traits.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert sheet_traits(SEEDS[0]) != sheet_traits(SEEDS[1])


@pytest.mark.skipif("CNSTAT_FUZZ_SEED" not in os.environ, reason="set CNSTAT_FUZZ_SEED=N for fresh sheets")
def test_fresh_sheets_from_a_new_seed_load_right_or_leave_out_only_cells_printed_blank(tmp_path):
    first = int(os.environ["CNSTAT_FUZZ_SEED"])
    write_set(tmp_path, range(first, first + FRESH_SHEETS))
    traits, truth = read_traits(tmp_path), _truth_values(tmp_path)
    scores = check(tmp_path)
    wrong = [f"{name} ({traits[name]}):\n  " + "\n  ".join(s.wrong) for name, s in scores.items() if s.wrong]
    assert not wrong, "\n".join(wrong)
    # a city row that prints no number first on a page without a header reads as no row (as in the PDFs)
    left_out = [f"{name}: {line}" for name, s in scores.items() for line in s.refused
                if not line.startswith("  problem") and truth[(name, *_cell(line))] != ""]
    assert not left_out, "\n".join(left_out)
