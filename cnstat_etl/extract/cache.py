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
import os
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import cnstat_etl
from cnstat_etl import config
from cnstat_etl.extract import extract_parts, file_sha256, merged
from cnstat_etl.extract.tables import ExtractOptions, with_path_evidence
from cnstat_etl.model import BodyRow, ExtractedValue, ExtractResult, Problem, TableReport

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

# pyarrow is imported where an entry is read or written, not with this module: a book read afresh has its
# page workers started first, and its first part to write comes later (pyarrow costs 0.05 s CPU to import).

# The layout of an entry; bump it when the way a result is stored changes.
CACHE_FORMAT = 1

# The code extraction runs and the reviewable data it reads (harmonise's data is left out on purpose: a
# new alias must not cost a re-parse).
_EXTRACT_CODE = ("extract/*.py", "indicators.py", "unit_words.py", "text.py", "model.py", "config.py", "settings.py",
                 "source_kinds.py")
_EXTRACT_MAPPINGS = ("indicators.csv", "header_variants.csv", "unit_words.csv", "source_editions.csv",
                     "sources/*.toml")

# Records made from the cache's columns at a time.
_READ_BATCH = 10_000

_RECORD_LISTS = {"values": ExtractedValue, "rows": BodyRow, "tables": TableReport, "problems": Problem}


@functools.lru_cache(maxsize=1)
def parser_version() -> str:
    """A digest of the extract code and the data it reads: any edit to them makes every entry a miss."""
    return config.fingerprint(f"cache format {CACHE_FORMAT}\0",
                              config.files_in(Path(cnstat_etl.__file__).parent, _EXTRACT_CODE)
                              + config.files_in(config.PARSERS_DIR, ("*.toml",))
                              + config.files_in(config.MAPPINGS_DIR, _EXTRACT_MAPPINGS))


def extract_cached(path: Path, options: ExtractOptions, cache_dir: Path | None, workers: int = 1) -> ExtractResult:
    """`extract_file`, answered from the cache in `cache_dir` when it holds this file (None: no cache)."""
    return merged(extract_parts_cached(path, options, cache_dir, workers))


def extract_parts_cached(path: Path, options: ExtractOptions, cache_dir: Path | None, workers: int = 1,
                         on_page: Callable[[], None] | None = None, sha256: str | None = None
                         ) -> Iterator[ExtractResult]:
    """`extract_parts` (with `workers` processes for a long PDF's pages, `on_page` told of each page read),
    answered from the cache in `cache_dir` when it holds this file (None: no cache). A file read afresh is
    cached as its parts go by, so no more than a part is held here. `sha256` is the file's digest where
    the caller has it (else it is hashed here)."""
    path = Path(path)
    if cache_dir is None:
        yield from extract_parts(path, options, workers=workers, on_page=on_page, sha256=sha256)
        return
    try:
        entry = cache_entry(path, options, cache_dir, sha256)
    except OSError:
        yield from extract_parts(path, options)  # it says why the file cannot be read
        return
    cached = read_entry(*entry)
    if cached is not None:
        yield from cached
        return
    yield from caching(entry, extract_parts(path, options, workers=workers, on_page=on_page, sha256=entry[1]))


def cache_entry(path: Path, options: ExtractOptions, cache_dir: Path, sha256: str | None = None) -> tuple[Path, str]:
    """Where the file's entry is in `cache_dir`, and the content it is for (`sha256`, else read from the
    file: OSError when it cannot be read)."""
    sha256 = sha256 or file_sha256(path)
    # The edition the path names is part of the key: the same bytes in another folder may read another year.
    return entry_path(cache_dir, path.name, sha256, with_path_evidence(options, path)), sha256


def caching(entry: tuple[Path, str], parts: Iterable[ExtractResult]) -> Iterator[ExtractResult]:
    """The parts of a file read afresh (here or elsewhere), written to its `cache_entry` as they go by."""
    path, sha256 = entry
    with _EntryWriter(path) as writer:
        for part in parts:
            if part.failed or part.source_sha256 != sha256:
                writer.spoiled = True  # a failed read is not cached
            writer.write(part)
            yield part


def entry_path(cache_dir: Path, name: str, sha256: str, options: ExtractOptions) -> Path:
    # The name is part of the key: the result quotes it (provenance) and its ending (a misnamed file).
    key = config.fingerprint(f"{parser_version()}\0{name}\0{options!r}")
    return Path(cache_dir) / sha256[:2] / f"{sha256}-{key}.parquet"


def read_entry(path: Path, sha256: str) -> Iterator[ExtractResult] | None:
    """The parts cached at `path` for content `sha256`, one at a time, or None when there is none to trust.

    The whole entry is checked against its digest first, so a bad entry is a miss before any part is
    handed out."""
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != _digest_path(path).read_text(encoding="ascii").strip():
            return None
        import pyarrow as pa
        import pyarrow.parquet as pq

        entry = pq.ParquetFile(pa.BufferReader(data))
        first = part_from_arrow(entry.read_row_group(0, use_threads=False))
    except Exception:  # missing, unreadable or not what this code wrote: extract again
        return None
    if first.source_sha256 != sha256:
        return None
    del data  # the reader keeps its own buffer

    def parts() -> Iterator[ExtractResult]:
        yield first
        for group in range(1, entry.num_row_groups):
            yield part_from_arrow(entry.read_row_group(group, use_threads=False))
    return parts()


class _EntryWriter:
    """Writes an entry part by part; it is kept only if no part spoiled it (a failed read, a write that
    failed) and the writing finished. A cache that cannot be written only costs the next run a re-parse."""

    def __init__(self, path: Path):
        self.path = path
        self.partial = path.with_name(path.name + f".{os.getpid()}.partial")
        self.writer: pq.ParquetWriter | None = None
        self.spoiled = False

    def write(self, part: ExtractResult) -> None:
        if self.spoiled:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            if self.writer is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.writer = pq.ParquetWriter(self.partial, _schema())
            self.writer.write_table(part_to_arrow(part))
        except (OSError, pa.ArrowException):
            self.spoiled = True

    def __enter__(self) -> "_EntryWriter":
        return self

    def __exit__(self, error_type, *_) -> None:
        try:
            if self.writer is not None:
                self._finish(keep=not self.spoiled and error_type is None)
        finally:
            try:
                self.partial.unlink(missing_ok=True)
            except OSError:
                pass  # (its folder could not be made: there is nothing to remove)

    def _finish(self, keep: bool) -> None:
        import pyarrow as pa

        try:
            self.writer.close()
            if keep:
                data = self.partial.read_bytes()
                # The digest goes last: until it is in place the entry is a miss, so a killed write is
                # never read.
                os.replace(self.partial, self.path)
                config.write_atomically(_digest_path(self.path), hashlib.sha256(data).hexdigest().encode("ascii"))
        except (OSError, pa.ArrowException):
            pass


def _digest_path(path: Path) -> Path:
    return path.with_suffix(".sha256")


_FILE_FIELDS = ("source_file", "source_sha256", "file_format", "source_kind")


@functools.lru_cache(maxsize=1)
def _schema() -> pa.Schema:
    import pyarrow as pa

    from cnstat_etl import arrow

    return pa.schema([pa.field(name, pa.string()) for name in _FILE_FIELDS]
                     + [pa.field(name, pa.list_(arrow.struct_type(cls))) for name, cls in _RECORD_LISTS.items()])


def part_to_arrow(result: ExtractResult) -> pa.Table:
    """One row: the file's fields, and each list of records as a list of structs (built column by column)."""
    import pyarrow as pa

    from cnstat_etl import arrow

    columns = [arrow.array([getattr(result, name)], pa.string()) for name in _FILE_FIELDS]
    for name, cls in _RECORD_LISTS.items():
        records = getattr(result, name)
        columns.append(pa.ListArray.from_arrays(arrow.array([0, len(records)], pa.int32()),
                                                arrow.structs(records, cls)))
    return pa.Table.from_arrays(columns, schema=_schema())


def part_from_arrow(table: pa.Table) -> ExtractResult:
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
    import pyarrow as pa

    from cnstat_etl import arrow

    columns = []
    for f in dataclasses.fields(cls):
        hint = arrow.hints(cls)[f.name]
        column = structs.field(f.name)
        if arrow.record_class(hint):
            columns.append([record if present else None for record, present
                            in zip(_records(column, arrow.record_class(hint), shared=True),
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
