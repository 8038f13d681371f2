"""A cache of extracted files: one Parquet file per (content, parser version, options).

Extraction is a pure function of the file's bytes, the extract code and the data it reads, and the
options; so a cached result keyed by all of them is the result. A change in the data harmonise reads (an
alias, a unit) then re-harmonises from the cache without opening a PDF.

An entry is written beside a digest of its bytes; one whose bytes do not match, or that cannot be read
back, is a miss (the file is extracted again), never a wrong value.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import types
import typing
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import cnstat_etl
from cnstat_etl import config
from cnstat_etl.extract import extract_file, file_sha256
from cnstat_etl.extract.tables import ExtractOptions
from cnstat_etl.model import BodyRow, ExtractedValue, ExtractResult, Problem, TableReport

# The layout of an entry; bump it when the way a result is stored changes.
CACHE_FORMAT = 1

# The code extraction runs and the reviewable data it reads (harmonise's data is left out on purpose: a
# new alias must not cost a re-parse).
_EXTRACT_CODE = ("extract/*.py", "indicators.py", "unit_words.py", "text.py", "model.py", "config.py")
_EXTRACT_MAPPINGS = ("indicators.csv", "header_variants.csv", "unit_words.csv", "source_editions.csv",
                     "sources/*.toml")

# Records made from the cache's columns at a time.
_READ_BATCH = 10_000

_RECORD_LISTS = {"values": ExtractedValue, "rows": BodyRow, "tables": TableReport, "problems": Problem}


def _digest_files(digest, folder: Path, patterns: tuple[str, ...]) -> None:
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")


@functools.lru_cache(maxsize=1)
def parser_version() -> str:
    """A digest of the extract code and the data it reads: any edit to them makes every entry a miss."""
    digest = hashlib.sha256(f"cache format {CACHE_FORMAT}\0".encode())
    _digest_files(digest, Path(cnstat_etl.__file__).parent, _EXTRACT_CODE)
    _digest_files(digest, config.PARSERS_DIR, ("*.toml",))
    _digest_files(digest, config.MAPPINGS_DIR, _EXTRACT_MAPPINGS)
    return digest.hexdigest()[:16]


def extract_cached(path: Path, options: ExtractOptions, cache_dir: Path | None, workers: int = 1) -> ExtractResult:
    """`extract_file` (with `workers` processes for a long PDF's pages), answered from the cache in
    `cache_dir` when it holds this file (None: no cache)."""
    path = Path(path)
    if cache_dir is None:
        return extract_file(path, options, workers=workers)
    try:
        sha256 = file_sha256(path)
    except OSError:
        return extract_file(path, options)  # it says why the file cannot be read
    cached = read_entry(cache_dir, path.name, sha256, options)
    if cached is not None:
        return cached
    result = extract_file(path, options, workers=workers)
    if not result.failed and result.source_sha256 == sha256:
        write_entry(cache_dir, path.name, result, options)
    return result


def entry_path(cache_dir: Path, name: str, sha256: str, options: ExtractOptions) -> Path:
    # The name is part of the key: the result quotes it (provenance) and its ending (a misnamed file).
    key = hashlib.sha256(f"{parser_version()}\0{name}\0{options!r}".encode()).hexdigest()[:16]
    return Path(cache_dir) / sha256[:2] / f"{sha256}-{key}.parquet"


def read_entry(cache_dir: Path, name: str, sha256: str, options: ExtractOptions) -> ExtractResult | None:
    """The cached result of the file `name` with content `sha256`, or None when there is none to trust."""
    path = entry_path(cache_dir, name, sha256, options)
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != _digest_path(path).read_text(encoding="ascii").strip():
            return None
        # One thread, no dataset layer: a fraction of read_table's peak memory for a file's one row.
        result = _from_arrow(pq.ParquetFile(pa.BufferReader(data)).read(use_threads=False))
    except Exception:  # missing, unreadable or not what this code wrote: extract again
        return None
    return result if result.source_sha256 == sha256 else None


def write_entry(cache_dir: Path, name: str, result: ExtractResult, options: ExtractOptions) -> None:
    """Store a result; a cache that cannot be written only costs the next run a re-parse."""
    path = entry_path(cache_dir, name, result.source_sha256, options)
    try:
        sink = pa.BufferOutputStream()
        pq.write_table(_to_arrow(result), sink)
        data = sink.getvalue().to_pybytes()
        path.parent.mkdir(parents=True, exist_ok=True)
        # The digest goes last: until it is in place the entry is a miss, so a killed write is never read.
        config.write_atomically(path, data)
        config.write_atomically(_digest_path(path), hashlib.sha256(data).hexdigest().encode("ascii"))
    except (OSError, pa.ArrowException):
        pass


def _digest_path(path: Path) -> Path:
    return path.with_suffix(".sha256")


def _to_arrow(result: ExtractResult) -> pa.Table:
    """One row: the file's fields, and each list of records as a list of structs (built column by column)."""
    columns = {"source_file": [result.source_file], "source_sha256": [result.source_sha256],
               "file_format": [result.file_format], "source_kind": [result.source_kind]}
    for name, cls in _RECORD_LISTS.items():
        records = getattr(result, name)
        columns[name] = pa.ListArray.from_arrays(pa.array([0, len(records)], pa.int32()), _structs(records, cls))
    return pa.table(columns)


def _record_class(hint) -> type | None:
    """The dataclass a field holds (a nested record, which may be None), else None."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    return next((option for option in options if dataclasses.is_dataclass(option)), None)


def _structs(records: list, cls: type) -> pa.StructArray:
    hints = typing.get_type_hints(cls)
    arrays, names = [], []
    for f in dataclasses.fields(cls):
        column = [None if r is None else getattr(r, f.name) for r in records]
        nested = _record_class(hints[f.name])
        arrays.append(_structs(column, nested) if nested else pa.array(column))
        names.append(f.name)
    return pa.StructArray.from_arrays(arrays, names=names, mask=pa.array([r is None for r in records], pa.bool_()))


def _from_arrow(table: pa.Table) -> ExtractResult:
    row = {name: table.column(name)[0] for name in table.column_names}
    result = ExtractResult(row["source_file"].as_py(), row["source_sha256"].as_py(), row["file_format"].as_py(),
                           source_kind=row["source_kind"].as_py())
    for name, cls in _RECORD_LISTS.items():
        structs = row[name].values
        # A slice at a time: the columns in Python are a slice's, not a book's.
        setattr(result, name, [record for start in range(0, len(structs), _READ_BATCH)
                               for record in _records(structs.slice(start, _READ_BATCH), cls)])
    return result


def _records(structs: pa.StructArray, cls: type, shared: bool = False) -> list:
    """The records of a column of structs. Text repeated down a column (a file name, a unit) is one string,
    and with `shared` equal records (a table's context) are one record: a 1,600-page book's values
    would otherwise hold a copy of each per value."""
    hints = typing.get_type_hints(cls)
    columns = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        column = structs.field(f.name)
        if _record_class(hint):
            columns.append([record if present else None for record, present
                            in zip(_records(column, _record_class(hint), shared=True),
                                   column.is_valid().to_pylist())])
        elif typing.get_origin(hint) is tuple:
            columns.append([tuple(item) for item in column.to_pylist()])
        elif pa.types.is_string(column.type):
            encoded = column.dictionary_encode()
            distinct = encoded.dictionary.to_pylist()
            columns.append([None if index is None else distinct[index] for index in encoded.indices.to_pylist()])
        else:
            columns.append(column.to_pylist())
    if not shared:
        return [cls(*fields) for fields in zip(*columns)]
    made: dict[tuple, object] = {}
    return [made.get(fields) or made.setdefault(fields, cls(*fields)) for fields in zip(*columns)]
