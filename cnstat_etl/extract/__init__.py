"""Extract: one source file in, values with provenance out.

`extract_file` is a pure function of the file's bytes and the options (it reads only the project's
reviewable data besides), so files can be extracted in parallel processes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from cnstat_etl.extract.pdf import TableSeen, extract_pdf
from cnstat_etl.extract.pdfium import PdfiumError
from cnstat_etl.extract.series import read_series
from cnstat_etl.extract.sheets import extract_grids
from cnstat_etl.extract.tables import ExtractOptions
from cnstat_etl.extract.workbook import UnreadableSource, read_grids, sniff_format
from cnstat_etl.model import ExtractResult, Problem

__all__ = ["FORMATS_BY_SUFFIX", "ExtractOptions", "extract_file", "file_sha256"]


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
    path = Path(path)
    try:
        sha256 = file_sha256(path)
        file_format = sniff_format(path)
        if file_format == "pdf":
            result = extract_pdf(path, sha256, options, seen, workers)
        else:
            grids = read_grids(path)
            result = (read_series(grids, path.name, sha256, file_format, options)
                      or extract_grids(grids, path.name, sha256, file_format, options))
    except UnreadableSource as error:
        return _unreadable(path, str(error))
    except OSError as error:
        return _unreadable(path, f"cannot read the file: {error.strerror or error}")
    except PdfminerException as error:
        return _unreadable(path, _pdf_reason(error))
    except PdfiumError as error:
        return _unreadable(path, ENCRYPTED if error.encrypted else f"truncated or corrupt PDF ({error})")
    except Exception as error:  # a parser library choking on a corrupt file: report it, keep going
        return _unreadable(path, f"{type(error).__name__}: {error}".splitlines()[0])
    promised = FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if promised and promised != file_format and not (promised == "xls" and file_format in ("html", "csv")):
        result.problems.insert(0, Problem("misnamed_file", f"named {path.suffix} but holds {file_format}; "
                                          f"read as {file_format}", path.name))
    if not result.values and not result.failed and not result.skipped and _nothing_readable(result):
        result.problems.append(Problem("no_table", _why_nothing(result), path.name, severity="error"))
    return result


def _unreadable(path: Path, reason: str) -> ExtractResult:
    result = ExtractResult(path.name, "", "unknown")
    result.problems.append(Problem("unreadable_file", reason, path.name, severity="error"))
    return result


ENCRYPTED = "encrypted PDF: it needs a password (decrypt a copy, e.g. qpdf --decrypt, and ingest that)"


def _pdf_reason(error: PdfminerException) -> str:
    cause = error.args[0] if error.args else error
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return ENCRYPTED
    return f"truncated or corrupt PDF ({type(cause).__name__}: {cause})".splitlines()[0]


def _nothing_readable(result: ExtractResult) -> bool:
    """No table with any value column, or an error kept every table from loading.

    A yearbook table whose columns are all indicators the dictionary does not know yet is not a bad
    file: it loads no values and its columns are listed in the extraction report.
    """
    has_columns = any(t.columns_recognised + t.columns_unrecognised for t in result.tables)
    return not has_columns or any(p.severity == "error" for p in result.problems)


def _why_nothing(result: ExtractResult) -> str:
    """One line on why a readable file gave no values at all."""
    notes = [p.message for p in result.problems if p.kind == "misnamed_file"]
    errors = [p.message for p in result.problems if p.severity == "error"]
    if errors:
        notes.append(errors[0] + (f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""))
    else:
        notes.append("no table found: no header over columns of numbers")
    return "; ".join(notes)
