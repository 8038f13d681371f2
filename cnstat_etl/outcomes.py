"""What an ingest tells of each file and of the whole run: typed records the command prints and a caller
reads. Kept apart from the pipeline, whose imports take a second, so that the command starts at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


# What happened to each file, in the words the summary prints.
STATUS_WORDS = {
    "loaded": "loaded",
    "replaced": "replaced",  # new bytes at a path loaded before: its earlier rows are gone
    "unchanged": "unchanged",  # the same bytes at the same path: nothing to do
    "duplicate": "duplicate",  # the same bytes as a file loaded from another path: loaded once
    "no_values": "no values",  # read, but no value loaded (no value column read, or no row placed)
    "skipped": "skipped",  # not a statistical table (a code list): named as such, not a failure
    "failed": "failed",
}


@dataclass
class FileOutcome:
    path: Path
    status: str  # a key of STATUS_WORDS
    tables: int = 0
    values: int = 0  # of the prefecture panel
    unresolved: int = 0
    warnings: int = 0
    errors: int = 0
    reason: str = ""  # why a failed file failed, why a file loaded no value, whose duplicate it is
    firms: int = 0  # firm-survey files: firms read, and placed on a city; their sales (yuan)
    firms_placed: int = 0
    sales: float = 0.0
    sales_placed: float = 0.0
    county_values: int = 0  # of the county panel (county-level units, 本级)


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C during an ingest: every file done before it stays loaded; running it again does the rest."""

    def __init__(self, summary: IngestSummary, total: int):
        super().__init__(f"interrupted: {len(summary.files)} of {total} files done and kept; "
                         "the same command again does the rest")
        self.summary, self.total = summary, total


@dataclass
class IngestSummary:
    files: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def values(self) -> int:
        return sum(f.values for f in self.files)

    @property
    def county_values(self) -> int:
        return sum(f.county_values for f in self.files)

    @property
    def tables(self) -> int:
        return sum(f.tables for f in self.files)

    @property
    def unresolved(self) -> int:
        return sum(f.unresolved for f in self.files)

    @property
    def problems(self) -> int:
        return sum(f.warnings + f.errors for f in self.files)

    def placed_shares(self) -> tuple[float, float] | None:
        """Share of the firms, and of their sales, placed on a city; None when no firm file loaded."""
        firms = sum(f.firms for f in self.files)
        if not firms:
            return None
        sales = sum(f.sales for f in self.files)
        return (sum(f.firms_placed for f in self.files) / firms,
                sum(f.sales_placed for f in self.files) / sales if sales else 1.0)
