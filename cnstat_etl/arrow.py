"""Records (the model's dataclasses) as Arrow columns, with the schema their type hints imply.

The schema comes from the hints, not from the values: a part of a file in which every `region_code` is
None still has a string column, so the parts of one file, written one after another, share a schema.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
import typing

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
        arrays.append(structs(column, nested) if nested else pa.array(column, arrow_type(hint)))
    return pa.StructArray.from_arrays(arrays, fields=list(struct_type(cls)), mask=pa.array(missing, pa.bool_()))


def table(records: list, cls: type) -> pa.Table:
    """Flat records as a table, a column per field."""
    return pa.table({f.name: pa.array(_column(records, f.name), arrow_type(hints(cls)[f.name]))
                     for f in dataclasses.fields(cls)})


def _column(records: list, name: str, with_none: bool = False) -> list:
    """One field of every record (None for a None record); read in C where no record is None (a book's
    parts hold tens of thousands of records, a dozen fields each)."""
    if with_none:
        return [None if r is None else getattr(r, name) for r in records]
    return list(map(operator.attrgetter(name), records))
