"""One file's rows, harmonised and waiting to load: written part by part, so a long book is never held.

Its observations (the many rows) go to Parquet in a folder of their own as each part comes, and the
warehouse reads them from there inside the file's one transaction; the few rows (tables found, problems,
totals, unresolved names, OCR cell boxes) are kept in lists. Nothing here needs the warehouse, so a file
is staged in a worker process while the warehouse stays closed.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cnstat_etl.model import Aggregate, ExtractResult, Observation, Problem, TableReport, Unresolved

if TYPE_CHECKING:  # pyarrow and harmonise load with the first part staged: a book's page workers start before
    from cnstat_etl.harmonise import HarmonisedFile


COUNTY_PART = "county-"


@dataclass
class StagedFile:
    source_file: str
    source_sha256: str = ""
    file_format: str = "unknown"
    source_kind: str = "yearbook"
    tables: list[TableReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # extract's, then harmonise's, part by part
    aggregates: list[Aggregate] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    ocr_cells: list[dict] = field(default_factory=list)
    observations: int = 0
    county_observations: int = 0  # in Parquet beside the observations, with the prefix COUNTY_PART
    values_read: bool = False  # extract read any value (placed or not)
    failed: bool = False
    skipped: bool = False
    failure_reason: str = ""
    folder: Path | None = None  # the observations' Parquet files, one per part that had any

    def add(self, extracted: ExtractResult, harmonised: HarmonisedFile) -> None:
        """Take one part of the file; a failed part means the file failed, whatever came before it."""
        if extracted.failed:
            self._fail(extracted)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        from cnstat_etl import arrow

        self.source_sha256, self.file_format = extracted.source_sha256, extracted.file_format
        self.source_kind = extracted.source_kind
        self.skipped |= extracted.skipped
        self.failure_reason = self.failure_reason or extracted.failure_reason
        self.values_read |= bool(extracted.values)
        self.tables += extracted.tables
        self.problems += extracted.problems + harmonised.problems
        self.aggregates += harmonised.aggregates
        self.unresolved += harmonised.unresolved
        self.ocr_cells += [{"source_file": extracted.source_file, "page": v.provenance.page,
                            "row": v.provenance.row, "column": v.provenance.column, "x0": v.ocr.x0,
                            "top": v.ocr.top, "x1": v.ocr.x1, "bottom": v.ocr.bottom}
                           for v in extracted.values if v.ocr]
        # uncompressed: the files live until the file loads, and DuckDB reads them back sooner so
        if harmonised.observations:
            pq.write_table(arrow.table(harmonised.observations, Observation), self._part(""), compression="none")
            self.observations += len(harmonised.observations)
        if harmonised.county_observations:
            county = harmonised.county_observations
            rows = arrow.table([c.observation for c in county], Observation)
            pq.write_table(rows.append_column("unit_kind", arrow.array([c.unit_kind for c in county], pa.string())),
                           self._part(COUNTY_PART), compression="none")
            self.county_observations += len(harmonised.county_observations)

    def _part(self, prefix: str) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="cnstat-staged-"))
        return self.folder / f"{prefix}{len(list(self.folder.iterdir())):05d}.parquet"

    def _fail(self, extracted: ExtractResult) -> None:
        """Only the failing part's problems stand: what was read before it is not loaded."""
        self.discard()
        self.failed, self.failure_reason = True, extracted.failure_reason
        self.problems, self.tables, self.aggregates, self.unresolved, self.ocr_cells = (
            list(extracted.problems), [], [], [], [])
        self.values_read, self.observations, self.county_observations = False, 0, 0
        self.source_sha256, self.file_format = extracted.source_sha256, extracted.file_format

    def observation_files(self) -> list[str]:
        return self._files(lambda name: not name.startswith(COUNTY_PART))

    def county_observation_files(self) -> list[str]:
        return self._files(lambda name: name.startswith(COUNTY_PART))

    def _files(self, wanted) -> list[str]:
        return sorted(str(path) for path in self.folder.iterdir() if wanted(path.name)) if self.folder else []

    def discard(self) -> None:
        """Remove the staged Parquet (after loading, or when the file failed)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    @classmethod
    def of(cls, extracted: ExtractResult, harmonised: HarmonisedFile) -> "StagedFile":
        staged = cls(extracted.source_file)
        staged.add(extracted, harmonised)
        return staged
