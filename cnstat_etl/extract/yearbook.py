"""The yearbook kind (cnstat_etl.source_kinds): a city statistical yearbook's tables, printed in a PDF
(pdf.py, layout.py) or saved as workbooks, HTML or CSV (sheets.py, tables.py). It is the last kind asked
and reads any file the others leave: a table is a header over columns of numbers."""

from __future__ import annotations

from typing import Iterator

from cnstat_etl.extract.pdf import extract_pdf
from cnstat_etl.extract.sheets import extract_grids
from cnstat_etl.extract.tables import ExtractOptions
from cnstat_etl.model import ExtractResult
from cnstat_etl.source_kinds import Source


def detects(source: Source) -> bool:
    return True


def reads(source: Source) -> Iterator[ExtractResult]:
    options = source.options or ExtractOptions()
    if source.file_format == "pdf":
        return extract_pdf(source.path, source.sha256, options, source.seen, source.workers, source.on_page)
    return iter([extract_grids(source.grids(), source.path.name, source.sha256, source.file_format, options)])
