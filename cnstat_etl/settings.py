"""The project's TOML files as frozen, typed records, read and checked once.

A key that is missing, misspelt or of the wrong type, or a pattern that does not compile, is a MappingError
naming the file and the key when the file is first read, not a KeyError deep inside a reader. The records'
fields are the files' keys: a new key is a new field here and a line in the file.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cnstat_etl.errors import MappingError
from cnstat_etl.source_kinds import DESCRIPTOR_KINDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Record = TypeVar("Record")


def _groups(*names: str) -> dict[str, tuple[str, ...]]:
    """The metadata of a pattern field whose matches the code reads these named groups of."""
    return {"groups": names}


@dataclass(frozen=True)
class EditionPattern:
    pattern: re.Pattern = field(metadata=_groups("edition"))


@dataclass(frozen=True)
class PathEditionPattern:
    pattern: re.Pattern = field(metadata=_groups("edition", "again"))


@dataclass(frozen=True)
class SeriesRules:
    """[series] of parsers/layout.toml: NBS portal exports, long panels and their column names."""

    metadata_pattern: re.Pattern = field(metadata=_groups("key", "value"))
    metadata_database: str
    metadata_indicator: str
    metadata_place: str
    city_databases: tuple[str, ...]
    city_suffix: str
    year_header_pattern: re.Pattern = field(metadata=_groups("year"))
    year_suffix_pattern: re.Pattern = field(metadata=_groups("stem", "year"))
    year_column_headers: tuple[str, ...]
    place_name_headers: tuple[str, ...]
    place_code_headers: tuple[str, ...]
    province_headers: tuple[str, ...]
    name_separators: tuple[str, ...]
    dropped_qualifiers: tuple[str, ...]
    unit_part_pattern: re.Pattern
    unit_spellings: dict[str, str]


@dataclass(frozen=True)
class LayoutRules:
    """parsers/layout.toml: what yearbook pages print around and inside their tables."""

    missing_markers: tuple[str, ...]
    aggregate_labels: tuple[str, ...]
    aggregate_suffixes: tuple[str, ...]
    own_level_suffixes: tuple[str, ...]
    row_number_pattern: re.Pattern
    footnote_prefixes: tuple[str, ...]
    continued_markers: tuple[str, ...]
    continued_lines: tuple[str, ...]
    label_headers: tuple[str, ...]
    header_qualifiers: tuple[str, ...]
    component_marks: re.Pattern
    formula_cell_pattern: re.Pattern
    table_number_pattern: re.Pattern
    unit_line_pattern: re.Pattern = field(metadata=_groups("unit"))
    title_year_pattern: re.Pattern = field(metadata=_groups("year"))
    data_year_offset: int
    scopes: dict[str, tuple[str, ...]]
    editions: tuple[EditionPattern, ...]
    path_editions: tuple[PathEditionPattern, ...]
    series: SeriesRules


@dataclass(frozen=True)
class DescriptorMatch:
    sha256: tuple[str, ...] = ()
    signatures: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class DescriptorKeys:
    """The columns of a described file that hold its places and years (or the one year it holds)."""

    place_name: str | None = None
    place_code: str | None = None
    province: str | None = None
    year: str | None = None
    fixed_year: int | None = None


@dataclass(frozen=True)
class DescribedColumn:
    indicator: str | None = None
    scope: str | None = None
    unit: str | None = None  # "" states that the column has no unit
    ignore: str | None = None  # why the column is not loaded


@dataclass(frozen=True)
class SourceDescriptor:
    """One mappings/sources/*.toml: what each column of a dataset means."""

    name: str  # the file's stem
    kind: str = "researcher_panel"  # the source kind its files are recorded as
    title: str | None = None
    match: DescriptorMatch = DescriptorMatch()
    keys: DescriptorKeys = DescriptorKeys()
    columns: dict[str, DescribedColumn] = field(default_factory=dict)


@dataclass(frozen=True)
class PerCapitaCheck:
    ratio: float
    of: dict[str, tuple[str, str]]  # per-capita indicator -> (total, population)


@dataclass(frozen=True)
class JumpCheck:
    factor: float
    years: int


@dataclass(frozen=True)
class OcrReview:
    """mappings/ocr_review.toml: how values read off a scan are doubted."""

    per_capita: PerCapitaCheck
    jumps: JumpCheck


@dataclass(frozen=True)
class Check:
    name: str
    severity: str  # error / warning
    description: str
    sql: str


@dataclass(frozen=True)
class Checks:
    """warehouse/checks.toml: the checks `cnstat validate` runs."""

    checks: tuple[Check, ...]


@dataclass(frozen=True)
class FirmGroup:
    """A firm group: the firms matching every condition given (None: not a condition)."""

    label: str
    registration_types: tuple[str, ...] | None = None
    holding_status: tuple[str, ...] | None = None
    within: str | None = None
    sales_over_yuan: float | None = None


@dataclass(frozen=True)
class FirmVariable:
    name: str
    label_en: str
    label_zh: str
    numerator: str  # group.measure
    denominator: str


@dataclass(frozen=True)
class FirmDefinitions:
    """mappings/firm_definitions.toml: the firm survey's groups and the shares built from them."""

    groups: dict[str, FirmGroup]
    variables: tuple[FirmVariable, ...]


def load_toml(path: Path, shown: str) -> dict:
    """A TOML file's content; one that does not parse is a MappingError naming it (`shown`)."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{shown}: not valid TOML ({error})") from None


def typed(cls: type[Record], data: Any, shown: str, key: str = "", **given: Any) -> Record:
    """`data` (a TOML table) as a `cls`, every key checked against the field's type; `given` fills fields
    that are not keys of the file (a descriptor's name). `shown` and `key` name the file and the key in
    the error."""
    if not isinstance(data, dict):
        raise MappingError(f"{shown}: {key or 'the file'} must be a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in given}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise MappingError(f"{shown}: unknown key {_dotted(key, unknown[0])!r} (known: {', '.join(fields)})")
    values = dict(given)
    for name, spec in fields.items():
        if name in data:
            values[name] = _value(hints[name], data[name], shown, _dotted(key, name), spec.metadata.get("groups", ()))
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise MappingError(f"{shown}: missing key {_dotted(key, name)!r}")
    return cls(**values)


def _dotted(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _value(hint: Any, value: Any, shown: str, key: str, groups: tuple[str, ...]) -> Any:
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # X | None
        return _value(next(a for a in arguments if a is not type(None)), value, shown, key, groups)
    if hint is re.Pattern:
        return _pattern(value, shown, key, groups)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return typed(hint, value, shown, key)
    if origin is tuple:
        if not isinstance(value, list):
            raise MappingError(f"{shown}: {key} must be a list")
        if arguments[-1] is not Ellipsis and len(value) != len(arguments):
            raise MappingError(f"{shown}: {key} must be a list of {len(arguments)}")
        return tuple(_value(arguments[0], item, shown, f"{key}[{index}]", groups) for index, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise MappingError(f"{shown}: {key} must be a table")
        return {name: _value(arguments[1], item, shown, f"{key}.{name}", groups) for name, item in value.items()}
    wanted = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}[hint]
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        if not (hint is float and isinstance(value, int) and not isinstance(value, bool)):
            raise MappingError(f"{shown}: {key} must be {wanted}, not {value!r}")
    return value


def _pattern(value: Any, shown: str, key: str, groups: tuple[str, ...]) -> re.Pattern:
    if not isinstance(value, str):
        raise MappingError(f"{shown}: {key} must be a regular expression in a string, not {value!r}")
    try:
        pattern = re.compile(value)
    except re.error as error:
        raise MappingError(f"{shown}: {key} is not a regular expression ({error})") from None
    absent = [g for g in groups if g not in pattern.groupindex]
    if absent:
        raise MappingError(f"{shown}: {key} must have a group named {absent[0]!r}: (?P<{absent[0]}>...)")
    return pattern


def read_typed(cls: type[Record], path: Path, shown: str, **given: Any) -> Record:
    """The TOML file at `path` (`shown` in errors: "parsers/layout.toml") as a checked `cls`."""
    return typed(cls, load_toml(path, shown), shown, **given)


def read_layout(path: Path) -> LayoutRules:
    return read_typed(LayoutRules, path, "parsers/layout.toml")


def read_descriptor(path: Path) -> SourceDescriptor:
    shown = f"mappings/sources/{path.name}"
    descriptor = read_typed(SourceDescriptor, path, shown, name=path.stem)
    if descriptor.kind not in DESCRIPTOR_KINDS:
        raise MappingError(f"{shown}: kind {descriptor.kind!r} is not one a descriptor may give "
                           f"(cnstat_etl/source_kinds.py: {', '.join(DESCRIPTOR_KINDS)})")
    return descriptor
