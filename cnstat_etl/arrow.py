"""Records (the model's dataclasses) as Arrow columns, with the schema their type hints imply.

The schema comes from the hints, not from the values: a part of a file in which every `region_code` is
None still has a string column, so the parts of one file, written one after another, share a schema.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import operator
import types
import typing

import numpy
import pyarrow as pa

_SCALARS = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}


def record_class(hint) -> type | None:
    """The dataclass a field holds (a nested record, which may be None), else None."""
    return next((option for option in _options(hint) if isinstance(option, type) and dataclasses.is_dataclass(option)),
                None)


def _options(hint) -> tuple:
    return typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)


@functools.lru_cache(maxsize=None)
def hints(cls: type) -> dict:
    return typing.get_type_hints(cls)


@functools.lru_cache(maxsize=None)
def struct_type(cls: type) -> pa.StructType:
    return pa.struct([pa.field(f.name, arrow_type(hints(cls)[f.name])) for f in dataclasses.fields(cls)])


def arrow_type(hint) -> pa.DataType:
    nested = record_class(hint)
    if nested:
        return struct_type(nested)
    option = next(option for option in _options(hint) if option is not type(None))
    if typing.get_origin(option) is tuple:
        return pa.list_(_SCALARS[typing.get_args(option)[0]])
    return _SCALARS[option]


def structs(records: list, cls: type) -> pa.StructArray:
    """The records as one column of structs (built column by column); a None record is a null struct."""
    arrays = []
    missing = [r is None for r in records]
    for f in dataclasses.fields(cls):
        column = _column(records, f.name, any(missing))
        hint = hints(cls)[f.name]
        nested = record_class(hint)
        arrays.append(structs(column, nested) if nested else array(column, arrow_type(hint)))
    # from buffers: a mask handed to StructArray.from_arrays is inverted by pyarrow.compute, a tenth of a
    # second to import
    return pa.Array.from_buffers(struct_type(cls), len(records), [_validity(missing)], null_count=sum(missing),
                                 children=arrays)


def table(records: list, cls: type) -> pa.Table:
    """Flat records as a table, a column per field."""
    fields = dataclasses.fields(cls)
    return pa.Table.from_arrays([array(_column(records, f.name), arrow_type(hints(cls)[f.name])) for f in fields],
                                names=[f.name for f in fields])


def dict_table(rows: list[dict]) -> pa.Table:
    """Rows as a table, the columns those of the first row, each typed as pyarrow would infer it."""
    return columns_table({name: [row.get(name) for row in rows] for name in rows[0]})


def columns_table(columns: dict[str, list]) -> pa.Table:
    """Columns of plain Python scalars as a table, each typed as pyarrow would infer it."""
    return pa.Table.from_arrays([array(column, inferred_type(column)) for column in columns.values()],
                                names=list(columns))


_INFERRED = (({bool}, pa.bool_()), ({int}, pa.int64()), ({int, float}, pa.float64()), ({str}, pa.string()),
             ({datetime.datetime}, pa.timestamp("us")))


def inferred_type(values: list) -> pa.DataType | None:
    """The type pyarrow infers for a column of plain Python scalars (None for any other column)."""
    kinds = {type(value) for value in values if value is not None}
    if datetime.datetime in kinds and any(value.tzinfo for value in values if isinstance(value, datetime.datetime)):
        return None
    if not kinds:
        return pa.null()
    return next((inferred for scalars, inferred in _INFERRED if kinds <= scalars), None)


# Types built from their buffers here, and numpy's dtype for those of fixed width.
_NUMPY_TYPES: dict[pa.DataType, typing.Any] = {pa.int64(): numpy.int64, pa.int32(): numpy.int32,
                                               pa.float64(): numpy.float64, pa.timestamp("us"): "datetime64[us]"}


def array(values: list, arrow_type: pa.DataType | None) -> pa.Array:
    """`pa.array(values, arrow_type)`. Built from buffers where the type is one the records hold: pyarrow's
    conversion of Python objects imports pandas on first use (to tell a Series from a list), a third of a
    second that an ingest of a page or two, which never uses pandas, would spend on it alone."""
    if arrow_type is None or not (arrow_type in _NUMPY_TYPES or pa.types.is_null(arrow_type)
                                  or pa.types.is_string(arrow_type) or pa.types.is_boolean(arrow_type)
                                  or pa.types.is_list(arrow_type)):
        return pa.array(values, arrow_type)
    nulls = values.count(None)
    if nulls == len(values):
        return pa.nulls(len(values), arrow_type)
    if pa.types.is_string(arrow_type):
        builder = pa.lib.StringBuilder()
        builder.append_values(values)
        return builder.finish()
    missing = [value is None for value in values] if nulls else []
    if pa.types.is_list(arrow_type):
        offsets = numpy.zeros(len(values) + 1, dtype=numpy.int32)
        numpy.cumsum([0 if value is None else len(value) for value in values], out=offsets[1:])
        items = array([item for value in values if value is not None for item in value], arrow_type.value_type)
        return pa.Array.from_buffers(arrow_type, len(values), [_validity(missing), pa.py_buffer(offsets)],
                                     null_count=nulls, children=[items])
    if nulls:
        values = [0 if value is None else value for value in values]
    data = _bits(values) if pa.types.is_boolean(arrow_type) else pa.py_buffer(
        numpy.array(values, dtype=_NUMPY_TYPES[arrow_type]))
    return pa.Array.from_buffers(arrow_type, len(values), [_validity(missing), data], null_count=nulls)


def _validity(missing: list[bool]) -> pa.Buffer | None:
    """Arrow's validity bitmap of a column whose `missing` values are null (None where none is)."""
    return _bits(numpy.logical_not(missing)) if any(missing) else None


def _bits(flags) -> pa.Buffer:
    """Booleans as Arrow's bitmap: a bit each, the first in the lowest bit."""
    return pa.py_buffer(numpy.packbits(numpy.asarray(flags, dtype=bool), bitorder="little"))


def _column(records: list, name: str, with_none: bool = False) -> list:
    """One field of every record (None for a None record); read in C where no record is None (a book's
    parts hold tens of thousands of records, a dozen fields each)."""
    if with_none:
        return [None if r is None else getattr(r, name) for r in records]
    return list(map(operator.attrgetter(name), records))
