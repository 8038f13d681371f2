"""The kinds of source cnstat reads, in one table: what `--kind` names, how a file is recognised and read.

Each kind is one module of cnstat_etl.extract with two functions:

- `detects(source: Source) -> bool`: whether the file looks like one of this kind's (its name, its first
  bytes, the header of its grids); asked in the table's order, the first kind that says yes reads it;
- `reads(source: Source) -> Iterator[ExtractResult] | None`: the file's tables, values and problems with
  their provenance, in parts (a pure function of the file and the options, so that files can be read in
  other processes); None when a closer look finds the file is not one after all, and the next kind is asked.

A *streamed* kind (the firm survey: a year is too big to pass between processes) is only detected here; the
pipeline loads its files in chunks as it reads them (cnstat_etl.firm_ingest).

This module names the modules without importing them, so that the command knows the kinds' names without
loading any reader.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Iterator

from cnstat_etl.errors import UserError

if TYPE_CHECKING:
    from cnstat_etl.extract.tables import ExtractOptions
    from cnstat_etl.extract.workbook import Grid
    from cnstat_etl.model import ExtractResult


@dataclass(frozen=True)
class SourceKind:
    name: str  # as `--kind` names it
    module: str  # the module of cnstat_etl.extract with its `detects` and `reads`
    # The kinds a descriptor (mappings/sources/*.toml) may give a file this kind reads, recorded as the
    # source's kind in the warehouse (sources.kind).
    descriptor_kinds: tuple[str, ...] = ()
    streamed: bool = False

    def reader(self) -> ModuleType:
        return importlib.import_module(self.module)


KINDS = (
    SourceKind("firms", "cnstat_etl.extract.firms", streamed=True),
    SourceKind("series", "cnstat_etl.extract.series", ("nbs", "researcher_panel", "census", "code_list")),
    SourceKind("yearbook", "cnstat_etl.extract.yearbook"),
)
NAMES = tuple(kind.name for kind in KINDS)
DESCRIPTOR_KINDS = tuple(name for kind in KINDS for name in kind.descriptor_kinds)


def kind_named(name: str) -> SourceKind:
    found = next((kind for kind in KINDS if kind.name == name), None)
    if found is None:
        raise UserError(f"no source kind {name!r} (the kinds: {', '.join(NAMES)})")
    return found


@dataclass
class Source:
    """One file as the kinds see it: what is known of it before reading, and its grids read once for all."""

    path: Path
    sha256: str = ""
    file_format: str = ""  # as its bytes say (workbook.sniff_format)
    options: ExtractOptions | None = None
    seen: list | None = None  # a PDF's tables as the layout engine saw them (cnstat_etl.explain)
    workers: int = 1  # processes reading a long PDF's pages
    on_page: Callable[[], None] | None = None
    # what reads the grids: workbook.read_grids, as extraction names it (None: that one)
    grid_reader: Callable[[Path], list[Grid]] | None = None
    _grids: list[Grid] | None = field(default=None, repr=False)

    def grids(self) -> list[Grid]:
        """The file's sheets (or its one page of HTML, its one CSV table) as grids of cell text."""
        if self._grids is None:
            from cnstat_etl.extract.workbook import read_grids

            self._grids = (self.grid_reader or read_grids)(self.path)
        return self._grids


def streamed_kind(path: Path, forced: str | None = None) -> SourceKind | None:
    """The streamed kind the file is (or every file is, when `forced` names one), else None."""
    if forced is not None:
        kind = kind_named(forced)
        return kind if kind.streamed else None
    source = Source(Path(path))
    return next((kind for kind in KINDS if kind.streamed and kind.reader().detects(source)), None)


def read_source(source: Source, forced: str | None = None) -> Iterator[ExtractResult]:
    """The file read by the first kind that detects it and does not decline it (by `forced` alone when
    given); nothing when none does, which extraction reports as no table found."""
    kinds = [kind_named(forced)] if forced is not None else [kind for kind in KINDS if not kind.streamed]
    for kind in kinds:
        module = kind.reader()
        if kind.streamed or not (forced or module.detects(source)):
            continue
        parts = module.reads(source)
        if parts is not None:
            return parts
    return iter(())
