"""Every cell of every fixture, read back from a real DuckDB warehouse, equals the generator's truth."""

from __future__ import annotations

import csv
import math

import duckdb
import pytest

from conftest import GOLDEN

GOLDEN_FILES = sorted(GOLDEN.glob("*.csv"))
KEY = ("source_file", "page", "sheet", "row", "column")
COMPARED = ("row_label", "region_code", "year", "indicator", "scope", "value", "unit", "value_as_printed",
            "unit_as_printed")


def _golden(path) -> dict[tuple, dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return {tuple(r[k] for k in KEY): r for r in csv.DictReader(f)}


def _as_text(value) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("golden_file", GOLDEN_FILES, ids=lambda p: p.stem)
def test_warehouse_holds_exactly_the_golden_cells(samples_db, golden_file):
    expected = _golden(golden_file)
    source_file = next(iter(expected.values()))["source_file"]
    with duckdb.connect(str(samples_db), read_only=True) as con:
        columns_sql = ", ".join(f'"{c}"' for c in KEY + COMPARED)
        cursor = con.execute(f"SELECT {columns_sql} FROM observations WHERE source_file = ?", [source_file])
        columns = [d[0] for d in cursor.description]
        loaded = {}
        for row in cursor.fetchall():
            record = dict(zip(columns, row))
            loaded[tuple(_as_text(record[k]) for k in KEY)] = record
    assert sorted(loaded) == sorted(expected), "cells loaded differ from the golden cells"
    mismatches = []
    for key, truth in expected.items():
        got = loaded[key]
        for column in COMPARED:
            want = truth[column]
            have = got[column]
            if column == "value":
                same = (want == "" and have is None) or (
                    have is not None and want != "" and math.isclose(have, float(want), rel_tol=1e-12))
            else:
                same = _as_text(have) == want
            if not same:
                mismatches.append(f"{key} {column}: want {want!r}, got {have!r}")
    assert not mismatches, "\n".join(mismatches)
