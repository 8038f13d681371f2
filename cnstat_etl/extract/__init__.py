"""Extract: one source file in, values with provenance out.

`extract_file` is a pure function of the file's bytes and the options (it reads only the project's
reviewable data besides), so files can be extracted in parallel processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator

from cnstat_etl.errors import MissingExtra
from cnstat_etl.extract.pdf import TableSeen
from cnstat_etl.extract.pdfium import PdfiumError
from cnstat_etl.extract.tables import ExtractOptions, with_path_evidence
from cnstat_etl.extract.workbook import UnreadableSource, read_grids, sniff_format
from cnstat_etl.model import ExtractResult, Problem, ProblemKind, Severity
from cnstat_etl.source_kinds import Source, read_source

__all__ = ["FORMATS_BY_SUFFIX", "ExtractOptions", "extract_file", "extract_parts", "file_sha256", "merged"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# What a file's name promises, to warn when its bytes say otherwise (CNKI's HTML saved as .xls); in a
# folder, files with these endings are the ones ingested.
FORMATS_BY_SUFFIX = {".pdf": "pdf", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".csv": "csv",
                     ".htm": "html", ".html": "html"}


def extract_file(path: Path, options: ExtractOptions = ExtractOptions(), seen: list[TableSeen] | None = None,
                 workers: int = 1) -> ExtractResult:
    """Every value the file prints under a recognised indicator, and every problem met on the way.

    Bad input never raises: a file that cannot be read, or holds no table with a recognised indicator,
    comes back failed, with a one-line reason. `seen`, if given, collects a PDF's tables as the layout
    engine saw them (for `cnstat_etl.explain`). `workers` > 1 reads a long PDF's pages in that many
    processes, with the same result.
    """
    return merged(extract_parts(path, options, seen, workers))


def extract_parts(path: Path, options: ExtractOptions = ExtractOptions(), seen: list[TableSeen] | None = None,
                  workers: int = 1, on_page: Callable[[], None] | None = None, sha256: str | None = None,
                  named: Path | None = None) -> Iterator[ExtractResult]:
    """`extract_file` in parts, cut between tables, so that a long book is never held whole.

    Each part stands alone: its values point into its own rows, and its rows into its own tables. A file
    that turns out to be unreadable, or to hold nothing readable, ends with a part that says so (`failed`):
    the parts before it are then not to be loaded. `on_page()` is told of each PDF page as it is read.
    `sha256` is the file's digest where the caller has it (else it is hashed here). `named` is the path
    the file has where it was found, when `path` is a copy of it (on a Dask worker): its folders are the
    edition evidence, as they are of the file itself.
    """
    path = Path(path)
    options = with_path_evidence(options, Path(named or path))
    whole = _Summary()
    try:
        sha256 = sha256 or file_sha256(path)
        file_format = sniff_format(path)
        parts = read_source(Source(path, sha256, file_format, options, seen, workers, on_page, read_grids),
                            options.kind)
        promised = FORMATS_BY_SUFFIX.get(path.suffix.lower())
        if promised and promised != file_format and not (promised == "xls" and file_format in ("html", "csv")):
            whole.misnamed = Problem(ProblemKind.MISNAMED_FILE, f"named {path.suffix} but holds {file_format}; "
                                     f"read as {file_format}", path.name)
        for index, part in enumerate(parts):
            if index == 0 and whole.misnamed:
                part.problems.insert(0, whole.misnamed)
            whole.add(part)
            yield part
    except (UnreadableSource, MissingExtra) as error:
        yield _unreadable(path, str(error))
        return
    except OSError as error:
        yield _unreadable(path, f"cannot read the file: {error.strerror or error}")
        return
    except PdfiumError as error:
        yield _unreadable(path, ENCRYPTED if error.encrypted else f"truncated or corrupt PDF ({error})")
        return
    except Exception as error:  # pdfplumber choking on a corrupt PDF, else a bug met on this file
        reason = _pdfminer_reason(error)
        yield _unreadable(path, reason) if reason else _internal_error(path, error)
        return
    if whole.nothing_readable():
        last = ExtractResult(path.name, sha256, file_format, source_kind=whole.source_kind)
        last.problems.append(Problem(ProblemKind.NO_TABLE, whole.why_nothing(), path.name, severity=Severity.ERROR))
        yield last


class _Summary:
    """What the parts of a file add up to, as far as deciding that it held nothing readable needs."""

    def __init__(self):
        self.misnamed: Problem | None = None
        self.values = self.failed = self.skipped = self.has_columns = False
        self.errors: list[str] = []
        self.source_kind = "yearbook"

    def add(self, part: ExtractResult) -> None:
        self.source_kind = part.source_kind
        self.values |= bool(part.values)
        self.failed |= part.failed
        self.skipped |= part.skipped
        # A yearbook table whose columns are all indicators the dictionary does not know yet is not a bad
        # file: it loads no values and its columns are listed in the extraction report.
        self.has_columns |= any(t.columns_recognised + t.columns_unrecognised for t in part.tables)
        self.errors += [p.message for p in part.problems if p.severity == "error"]

    def nothing_readable(self) -> bool:
        """No value, and no table with any value column or an error kept every table from loading."""
        return not (self.values or self.failed or self.skipped) and (not self.has_columns or bool(self.errors))

    def why_nothing(self) -> str:
        """One line on why a readable file gave no values at all."""
        notes = [self.misnamed.message] if self.misnamed else []
        if self.errors:
            more = len(self.errors) - 1
            notes.append(self.errors[0] + (f" (and {more} more errors)" if more else ""))
        else:
            notes.append("no table found: no header over columns of numbers")
        return "; ".join(notes)


def merged(parts: Iterable[ExtractResult]) -> ExtractResult:
    """The parts of one file as one new result (a part that finds the file unreadable stands for it all)."""
    result = None
    for part in parts:
        if any(p.kind in (ProblemKind.UNREADABLE_FILE, ProblemKind.INTERNAL_ERROR) for p in part.problems):
            return part  # nothing read before it counts
        if result is None:
            result = ExtractResult(part.source_file, part.source_sha256, part.file_format,
                                   source_kind=part.source_kind)
        rows, tables = len(result.rows), len(result.tables)
        result.values += [dataclasses.replace(v, body_row=v.body_row + rows) if rows else v for v in part.values]
        result.rows += [dataclasses.replace(r, table=r.table + tables) if tables else r for r in part.rows]
        result.tables += part.tables
        result.problems += part.problems
    return result


def _unreadable(path: Path, reason: str, kind: ProblemKind = ProblemKind.UNREADABLE_FILE) -> ExtractResult:
    result = ExtractResult(path.name, "", "unknown")
    result.problems.append(Problem(kind, reason, path.name, severity=Severity.ERROR))
    return result


def _internal_error(path: Path, error: Exception) -> ExtractResult:
    """A reader's bug met on this file: said to be cnstat's, not the file's, so that it gets reported."""
    detail = f"{type(error).__name__}: {error}".splitlines()[0]
    return _unreadable(path, f"cnstat could not read it ({detail}); this is a bug in cnstat, please report it",
                       ProblemKind.INTERNAL_ERROR)


ENCRYPTED = "encrypted PDF: it needs a password (decrypt a copy, e.g. qpdf --decrypt, and ingest that)"


def _pdfminer_reason(error: Exception) -> str | None:
    """Why pdfplumber (the reference reader) could not read a PDF; None for an error that is not its. Only
    a file read with pdfplumber raises its errors, so where it was never imported the error is not one."""
    exceptions = sys.modules.get("pdfplumber.utils.exceptions")
    if exceptions is None or not isinstance(error, exceptions.PdfminerException):
        return None
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    cause = error.args[0] if error.args else error
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return ENCRYPTED
    return f"truncated or corrupt PDF ({type(cause).__name__}: {cause})".splitlines()[0]
