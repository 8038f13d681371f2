"""Firm-survey files (中国工业企业数据库): one file a year as Stata .dta, .csv (GBK or UTF-8) or .xlsx.

Which column holds which field in which year is data (mappings/firm_survey_columns.csv, PUDL's column
maps); a .dta file may carry the Chinese name as its variable name or as the variable's label. Files are
read in chunks of rows, never whole: a year of the survey is up to 330,000 firms and a decade does not
fit in memory as one frame.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from cnstat_etl.config import read_mapping_csv
from cnstat_etl.extract.workbook import UnreadableSource
from cnstat_etl.text import squash

if TYPE_CHECKING:  # only a firm file is read with pandas: a yearbook ingest does not import it
    import pandas as pd

COLUMN_MAP = "firm_survey_columns.csv"
# Fields a file must have to be aggregated at all; the measures may be absent in a year.
REQUIRED_FIELDS = ("firm_id", "region_code", "registration_type")
CODE_FIELDS = ("firm_id", "region_code", "registration_type", "holding_status")  # read as text, not numbers
FIRM_SUFFIXES = {".dta", ".csv", ".xlsx"}
CHUNK_ROWS = 250_000
_SNIFF_BYTES = 1 << 16
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")


@dataclass(frozen=True)
class MappedColumn:
    field: str
    name: str  # the map's name for the field in this year
    unit: str  # the unit the values are printed in ("" for codes)


@dataclass
class FirmFileLayout:
    """What the header of one firm file says: its format, year and which source column holds each field."""

    path: Path
    file_format: str  # dta / csv / xlsx
    year: int
    encoding: str | None  # csv only
    delimiter: str | None  # csv only
    columns: dict[str, str]  # field -> the column's name in the file
    units: dict[str, str]  # measure field -> unit as the map gives it
    absent: list[MappedColumn] = field(default_factory=list)  # listed in the map for the year, not in the file


@lru_cache(maxsize=1)
def column_map() -> dict[int, tuple[MappedColumn, ...]]:
    by_year: dict[int, list[MappedColumn]] = {}
    for row in read_mapping_csv(COLUMN_MAP):
        by_year.setdefault(int(row["year"]), []).append(MappedColumn(row["field"], row["column"], row["unit"]))
    return {year: tuple(columns) for year, columns in by_year.items()}


@lru_cache(maxsize=1)
def _names_by_field() -> dict[str, frozenset[str]]:
    """Every name any year gives each field, squashed: how a firm file is recognised by its columns."""
    names: dict[str, set[str]] = {}
    for columns in column_map().values():
        for column in columns:
            names.setdefault(column.field, set()).add(squash(column.name))
    return {f: frozenset(n) for f, n in names.items()}


def _csv_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the start decodes as UTF-8, else GB18030 (a superset of GBK)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut at the end of the sample
            return "gb18030"
    return "utf-8"


def _read_header(path: Path) -> tuple[str, list[str], dict[str, str], str | None, str | None]:
    """(format, column names, {column: its label}, csv encoding, csv delimiter) from the start of the file."""
    suffix = path.suffix.lower()
    if suffix == ".dta":
        import pandas as pd

        with pd.io.stata.StataReader(path) as reader:
            labels = reader.variable_labels()
            return "dta", list(labels), labels, None, None
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            first = next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        finally:
            workbook.close()
        return "xlsx", ["" if c is None else str(c) for c in first], {}, None, None
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if not head.strip():
        raise UnreadableSource("empty file")
    if b"\x00" in head:
        raise UnreadableSource("not a text file")
    encoding = _csv_encoding(head)
    first_line = head.decode(encoding, errors="replace").splitlines()[0]
    delimiter = max(",\t;|", key=first_line.count)
    names = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    return "csv", names, {}, encoding, delimiter


def _match(names: list[str], labels: dict[str, str], wanted: set[str]) -> str | None:
    """The column whose name, or else whose label, is one of the wanted (squashed) names."""
    for name in names:
        if squash(name) in wanted:
            return name
    for name in names:
        if squash(labels.get(name) or "") in wanted:
            return name
    return None


def looks_like_firm_file(path: Path) -> bool:
    """A file whose columns include a firm id, a region code and a registration type under any year's names."""
    if Path(path).suffix.lower() not in FIRM_SUFFIXES:
        return False
    try:
        _, names, labels, _, _ = _read_header(Path(path))
    except Exception:  # unreadable here means "not recognisably a firm file"; the yearbook path reports why
        return False
    return all(_match(names, labels, set(_names_by_field()[f])) for f in REQUIRED_FIELDS)


def file_year(path: Path, year: int | None = None) -> int:
    found = set(_YEAR_IN_NAME.findall(Path(path).stem))
    if len(found) == 1:
        return int(found.pop())
    if year is not None:
        return year
    if found:
        raise UnreadableSource(f"its name holds several years ({', '.join(sorted(found))}): pass --year")
    raise UnreadableSource("no survey year in the file name (e.g. asif2005.dta): pass --year")


def open_firm_file(path: Path, year: int | None = None) -> FirmFileLayout:
    """Read the header and place each field of the year's column map on a column of the file.

    Raises UnreadableSource with a one-line reason when the year has no column map or a required field
    has no column.
    """
    path = Path(path)
    if path.suffix.lower() not in FIRM_SUFFIXES:
        raise UnreadableSource(f"firm files are read from {', '.join(sorted(FIRM_SUFFIXES))}, not {path.suffix}")
    survey_year = file_year(path, year)
    if survey_year not in column_map():
        raise UnreadableSource(f"no column map for {survey_year} in mappings/{COLUMN_MAP}")
    file_format, names, labels, encoding, delimiter = _read_header(path)
    columns, units, absent = {}, {}, []
    for mapped in column_map()[survey_year]:
        found = _match(names, labels, {squash(mapped.name)})
        if found is None:
            absent.append(mapped)
            continue
        columns[mapped.field] = found
        if mapped.unit:
            units[mapped.field] = mapped.unit
    missing = [m for m in absent if m.field in REQUIRED_FIELDS]
    if missing:
        raise UnreadableSource("no column for " + ", ".join(f"{m.field} ({m.name})" for m in missing)
                               + f" as mappings/{COLUMN_MAP} names it for {survey_year}")
    return FirmFileLayout(path, file_format, survey_year, encoding, delimiter, columns, units, absent)


def iter_chunks(layout: FirmFileLayout, rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The file's mapped columns, renamed to their fields, `rows` firms at a time. Codes come as text or
    numbers as stored; measures as stored, in the file's unit."""
    import pandas as pd

    rename = {column: f for f, column in layout.columns.items()}
    wanted = list(layout.columns.values())
    if layout.file_format == "dta":
        with pd.read_stata(layout.path, columns=wanted, chunksize=rows, convert_categoricals=False,
                           convert_dates=False) as reader:
            for chunk in reader:
                yield chunk.rename(columns=rename)
    elif layout.file_format == "csv":
        text_columns = {layout.columns[f]: str for f in CODE_FIELDS if f in layout.columns}
        with pd.read_csv(layout.path, encoding=layout.encoding, sep=layout.delimiter, usecols=wanted,
                         dtype=text_columns, chunksize=rows) as reader:
            for chunk in reader:
                yield chunk.rename(columns=rename)
    else:
        yield from _xlsx_chunks(layout, rename, rows)


def _xlsx_chunks(layout: FirmFileLayout, rename: dict[str, str], rows: int) -> Iterator[pd.DataFrame]:
    import pandas as pd
    from openpyxl import load_workbook

    workbook = load_workbook(layout.path, read_only=True, data_only=True)
    try:
        sheet_rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = ["" if c is None else str(c) for c in next(sheet_rows)]
        positions = [header.index(column) for column in rename]
        fields = list(rename.values())
        batch: list[tuple] = []
        for row in sheet_rows:
            batch.append(tuple(row[i] if i < len(row) else None for i in positions))
            if len(batch) == rows:
                yield pd.DataFrame(batch, columns=fields, dtype=object)
                batch = []
        if batch:
            yield pd.DataFrame(batch, columns=fields, dtype=object)
    finally:
        workbook.close()
