"""Extract: one source file in, values with provenance out.

`extract_file` is a pure function of the file's bytes and the options (it reads only the project's
reviewable data besides), so files can be extracted in parallel processes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cnstat_etl.extract.pdf import extract_pdf
from cnstat_etl.extract.sheets import extract_grids
from cnstat_etl.extract.tables import ExtractOptions
from cnstat_etl.extract.workbook import UnreadableSource, read_grids, sniff_format
from cnstat_etl.model import ExtractResult, Problem

__all__ = ["ExtractOptions", "extract_file", "file_sha256"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def extract_file(path: Path, options: ExtractOptions = ExtractOptions()) -> ExtractResult:
    """Every value the file prints under a recognised indicator, and every problem met on the way.

    Bad input never raises: it comes back as an `unreadable_file` problem naming the reason.
    """
    path = Path(path)
    try:
        sha256 = file_sha256(path)
        file_format = sniff_format(path)
        if file_format == "pdf":
            return extract_pdf(path, sha256, options)
        return extract_grids(read_grids(path), path.name, sha256, file_format, options)
    except UnreadableSource as error:
        reason = str(error)
    except OSError as error:
        reason = f"cannot read the file: {error.strerror or error}"
    except Exception as error:  # a parser library choking on a corrupt file: report it, keep going
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
    result = ExtractResult(path.name, "", "unknown")
    result.problems.append(Problem("unreadable_file", reason, path.name, severity="error"))
    return result
