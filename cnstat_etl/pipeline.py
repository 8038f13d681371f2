"""The whole path for a set of files: extract -> harmonise (in worker processes) -> load (one writer)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.extract import FORMATS_BY_SUFFIX, ExtractOptions, extract_file, file_sha256
from cnstat_etl.harmonise import HarmonisedFile, harmonise, harmonisation_rows, reference_tables
from cnstat_etl.harmonise.regions import last_year
from cnstat_etl.load.warehouse import Warehouse
from cnstat_etl.model import ExtractResult


@dataclass
class FileOutcome:
    path: Path
    status: str  # loaded / unchanged / failed
    tables: int = 0
    values: int = 0
    unresolved: int = 0
    warnings: int = 0
    errors: int = 0
    reason: str = ""  # why a failed file failed


@dataclass
class IngestSummary:
    files: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def values(self) -> int:
        return sum(f.values for f in self.files)

    @property
    def tables(self) -> int:
        return sum(f.tables for f in self.files)

    @property
    def unresolved(self) -> int:
        return sum(f.unresolved for f in self.files)

    @property
    def problems(self) -> int:
        return sum(f.warnings + f.errors for f in self.files)


def source_files(paths: Iterable[Path]) -> list[Path]:
    """Files named (always), and the files below folders named whose endings extract reads, in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            # A dangling link is listed too: it is reported as unreadable, not silently passed over.
            found += sorted(p for p in path.rglob("*") if (p.is_file() or p.is_symlink())
                            and p.suffix.lower() in FORMATS_BY_SUFFIX)
        else:
            found.append(path)
    return found


def extract_and_harmonise(path: Path, options: ExtractOptions) -> tuple[ExtractResult, HarmonisedFile]:
    """The work for one file that needs no warehouse: safe to run in another process."""
    extracted = extract_file(path, options)
    if extracted.failed:
        return extracted, HarmonisedFile()
    return extracted, harmonise(extracted)


def _results(paths: list[Path], options: ExtractOptions, jobs: int
             ) -> Iterator[tuple[Path, tuple[ExtractResult, HarmonisedFile]]]:
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            yield path, extract_and_harmonise(path, options)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from zip(paths, pool.map(extract_and_harmonise, paths, [options] * len(paths)))


def ingest(paths: Iterable[Path] | None, db_path: Path, options: ExtractOptions = ExtractOptions(),
           jobs: int | None = None, on_file: Callable[[int, int, FileOutcome], None] | None = None,
           vintage: int | None = None) -> IngestSummary:
    """Ingest files and folders (the bundled samples when none are given) into the warehouse at db_path.

    `vintage` is the year whose units the harmonised views use; by default the warehouse keeps the one it
    has, and a new warehouse takes the latest year of the code history.
    """
    files = source_files(paths or [SAMPLES_DIR])
    summary = IngestSummary()
    with Warehouse(db_path) as warehouse:
        for table, frame in reference_tables().items():
            warehouse.replace_table(table, frame)
        warehouse.create_researcher_relations()
        pending = []
        for path in files:
            try:
                unchanged = path.is_file() and warehouse.is_loaded(path.name, file_sha256(path))
            except OSError:
                unchanged = False  # extraction reports why it cannot be read
            if unchanged:
                _record(summary, FileOutcome(path, "unchanged"), len(files), on_file)
            else:
                pending.append(path)
        for path, (extracted, harmonised) in _results(pending, options, jobs or min(4, os.cpu_count() or 1)):
            warehouse.load_file(path, extracted, harmonised)
            problems = extracted.problems + harmonised.problems
            errors = [p for p in problems if p.severity == "error"]
            _record(summary, FileOutcome(
                path=path,
                status="failed" if extracted.failed else "loaded",
                tables=len(extracted.tables),
                values=len(harmonised.observations),
                unresolved=len(harmonised.unresolved),
                warnings=len(problems) - len(errors),
                errors=len(errors),
                reason=extracted.failure_reason,
            ), len(files), on_file)
        vintage = vintage or warehouse.vintage() or last_year()
        warehouse.store_harmonisation(vintage, harmonisation_rows(warehouse.unharmonised_years(vintage), vintage))
    return summary


def _record(summary: IngestSummary, outcome: FileOutcome, total: int, on_file) -> None:
    summary.files.append(outcome)
    if on_file:
        on_file(len(summary.files), total, outcome)
