"""Columns built from their buffers (arrow.array, arrow.dict_table) are the ones pyarrow's own conversion makes."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from cnstat_etl import arrow

MOMENT = datetime.datetime(2026, 12, 7, 14, 5, 1, 123456)


@pytest.mark.parametrize("values, arrow_type", [
    ([1.5, None, 2, -0.0, float("nan"), 1e300, 0.1 + 0.2], pa.float64()),
    ([1, None, -5, 2**62], pa.int64()),
    ([0, 7], pa.int32()),
    (["南京 Nanjing", None, "", "万元"], pa.string()),
    ([True, None, False] * 7, pa.bool_()),
    ([(1, 2), None, (), (3,)], pa.list_(pa.int64())),
    ([MOMENT, None], pa.timestamp("us")),
    ([None, None], pa.string()),
    ([], pa.float64()),
    ([Decimal("1.5"), None], pa.decimal128(4, 1)),  # a type not built here: pyarrow's own conversion
])
def test_a_column_is_the_array_pyarrow_converts(values, arrow_type):
    built, converted = arrow.array(values, arrow_type), pa.array(values, arrow_type)
    built.validate(full=True)
    assert built.type == converted.type
    assert repr(built.to_pylist()) == repr(converted.to_pylist())  # repr: NaN and -0.0 as they are


def test_rows_of_dicts_are_typed_as_pyarrow_infers_them():
    rows = [{"count": 1, "nothing": None, "name": "南京", "share": 1.5, "at": MOMENT, "flag": True},
            {"count": None, "nothing": None, "name": None, "share": 2, "at": None, "flag": None, "extra": 5}]
    built, converted = arrow.dict_table(rows), pa.Table.from_pylist(rows)
    assert built.schema == converted.schema
    assert built.equals(converted)


def test_a_column_of_zoned_times_or_mixed_kinds_is_left_to_pyarrow():
    zoned = [datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)]
    assert arrow.inferred_type(zoned) is None
    assert arrow.inferred_type([True, 1]) is None
    assert arrow.dict_table([{"at": zoned[0]}]).schema == pa.Table.from_pylist([{"at": zoned[0]}]).schema


@dataclasses.dataclass
class Inner:
    count: int
    name: str | None


@dataclasses.dataclass
class Outer:
    inner: Inner | None
    pages: tuple[int, ...]
    share: float | None


def test_records_with_records_and_none_among_them_are_the_structs_pyarrow_converts():
    records = [Outer(Inner(1, "a"), (1, 2), 0.5), None, Outer(None, (), None), Outer(Inner(2, None), (3,), 1.0)]
    built = arrow.structs(records, Outer)
    built.validate(full=True)
    converted = pa.array([None if r is None else dataclasses.asdict(r) for r in records], arrow.struct_type(Outer))
    assert built.equals(converted)
