"""Firm-survey files (中国工业企业数据库): one file a year as Stata .dta, .csv (GBK or UTF-8) or .xlsx.

Which column holds which field is found by name: every name mappings/firm_survey_columns.csv knows a
field by, in any year (cnstat_etl.firm_columns); a .dta file may carry the name as its variable name or
as the variable's label. The columns no name places are left for harmonise to recognise by their content
(`sample_values`). Files are read in chunks of rows, never whole: a year of the survey is up to 330,000
firms and a decade does not fit in memory as one frame.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from cnstat_etl.firm_columns import COLUMN_MAP, MappedColumn, column_map, field_of_name
from cnstat_etl.extract.workbook import UnreadableSource
from cnstat_etl.source_kinds import Source
from cnstat_etl.text import squash

if TYPE_CHECKING:  # only a firm file is read with pandas: a yearbook ingest does not import it
    import pandas as pd

# Fields a file must have to be aggregated at all; the measures may be absent in a year.
REQUIRED_FIELDS = ("firm_id", "region_code", "registration_type")
CODE_FIELDS = ("firm_id", "region_code", "registration_type", "holding_status")  # read as text, not numbers
# Fields no yearbook table has a column for: one of them, and one more firm field, make a firm file.
FIRM_ONLY_FIELDS = ("firm_id", "registration_type")
FIRM_SUFFIXES = {".dta", ".csv", ".xlsx"}
CHUNK_ROWS = 250_000
_SNIFF_BYTES = 1 << 16
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")


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
    seen: list[str] = field(default_factory=list)  # every column, as "name" or "name (label)"
    unnamed: list[str] = field(default_factory=list)  # columns no known name places: content may
    absent: list[MappedColumn] = field(default_factory=list)  # the year's fields no column holds
    passed_over: dict[str, list[str]] = field(default_factory=dict)  # field -> other columns that name it too

    def place(self, field_name: str, column: str) -> None:
        """Read `column` as `field_name` (a column recognised by its content)."""
        self.columns[field_name] = column
        self.unnamed.remove(column)
        self.absent = [m for m in self.absent if m.field != field_name]

    def missing(self, fields: tuple[str, ...] = REQUIRED_FIELDS) -> list[str]:
        return [f for f in fields if f not in self.columns]

    def preferred_name(self, field_name: str) -> str | None:
        return next((m.name for m in column_map()[self.year] if m.field == field_name), None)


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


def _known(name: str, labels: dict[str, str]) -> MappedColumn | None:
    """The map's row for a column's name or, failing that, its label."""
    return field_of_name().get(squash(name)) or field_of_name().get(squash(labels.get(name) or ""))


def looks_like_firm_file(path: Path) -> bool:
    """A file with a column for a field only firm files have (firm id, registration type) and one more
    firm field, under any of their known names."""
    if Path(path).suffix.lower() not in FIRM_SUFFIXES:
        return False
    try:
        _, names, labels, _, _ = _read_header(Path(path))
    except Exception:  # unreadable here means "not recognisably a firm file"; the yearbook path reports why
        return False
    fields = {known.field for known in (_known(n, labels) for n in names) if known}
    return len(fields) >= 2 and any(f in fields for f in FIRM_ONLY_FIELDS)


def detects(source: Source) -> bool:
    """The firm kind (cnstat_etl.source_kinds) is streamed: the pipeline reads its files in chunks."""
    return looks_like_firm_file(source.path)


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
    """Read the header and place each field on the column that carries one of its names.

    Two columns naming one field: the one under the year's name is read, else the first. Raises
    UnreadableSource with a one-line reason when the year has no column map.
    """
    path = Path(path)
    if path.suffix.lower() not in FIRM_SUFFIXES:
        raise UnreadableSource(f"firm files are read from {', '.join(sorted(FIRM_SUFFIXES))}, not {path.suffix}")
    survey_year = file_year(path, year)
    if survey_year not in column_map():
        raise UnreadableSource(f"no column map for {survey_year} in mappings/{COLUMN_MAP}")
    file_format, names, labels, encoding, delimiter = _read_header(path)
    preferred = {squash(m.name) for m in column_map()[survey_year]}
    candidates: dict[str, list[str]] = {}
    unnamed = []
    for name in names:
        known = _known(name, labels)
        if known is None:
            unnamed.append(name)
        else:
            candidates.setdefault(known.field, []).append(name)
    columns, passed_over = {}, {}
    for field_name, found in candidates.items():
        chosen = next((n for n in found if {squash(n), squash(labels.get(n) or "")} & preferred), found[0])
        columns[field_name] = chosen
        if len(found) > 1:
            passed_over[field_name] = [n for n in found if n != chosen]
    units = {}
    for field_name, name in columns.items():
        year_row = next((m for m in column_map()[survey_year] if m.field == field_name), None)
        unit = (year_row or _known(name, labels)).unit
        if unit:
            units[field_name] = unit
    absent = [m for m in column_map()[survey_year] if m.field not in columns]
    seen = [f"{n} ({labels[n]})" if labels.get(n) else n for n in names]
    return FirmFileLayout(path, file_format, survey_year, encoding, delimiter, columns, units, seen, unnamed,
                          absent, passed_over)


def sample_values(layout: FirmFileLayout, columns: list[str], rows: int) -> dict[str, list[str | None]]:
    """The first `rows` values of each column as text (None when blank): what recognising a column by
    its content looks at."""
    if not columns:
        return {}
    import pandas as pd

    chunk = next(_chunks(layout, {c: c for c in columns}, set(columns), rows), pd.DataFrame(columns=columns))
    return {c: [None if pd.isna(v) or str(v).strip() == "" else str(v) for v in chunk[c]] for c in columns}


def iter_chunks(layout: FirmFileLayout, rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The file's placed columns, renamed to their fields, `rows` firms at a time. Codes come as text
    (csv, xlsx) or as stored (.dta numbers); measures as stored, in the file's unit."""
    rename = {column: f for f, column in layout.columns.items()}
    text = {layout.columns[f] for f in CODE_FIELDS if f in layout.columns}
    yield from _chunks(layout, rename, text, rows)


def _chunks(layout: FirmFileLayout, rename: dict[str, str], text: set[str], rows: int) -> Iterator[pd.DataFrame]:
    import pandas as pd

    wanted = list(rename)
    if layout.file_format == "dta":
        with pd.read_stata(layout.path, columns=wanted, chunksize=rows, convert_categoricals=False,
                           convert_dates=False) as reader:
            for chunk in reader:
                yield chunk.rename(columns=rename)
    elif layout.file_format == "csv":
        with pd.read_csv(layout.path, encoding=layout.encoding, sep=layout.delimiter, usecols=wanted,
                         dtype={c: str for c in text}, chunksize=rows) as reader:
            for chunk in reader:
                yield chunk.rename(columns=rename)
    else:
        yield from _xlsx_chunks(layout, rename, text, rows)


def _xlsx_chunks(layout: FirmFileLayout, rename: dict[str, str], text: set[str], rows: int
                 ) -> Iterator[pd.DataFrame]:
    import pandas as pd
    from openpyxl import load_workbook

    workbook = load_workbook(layout.path, read_only=True, data_only=True)
    try:
        sheet_rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = ["" if c is None else str(c) for c in next(sheet_rows)]
        positions = [header.index(column) for column in rename]
        # a code cell may hold a number in one row and text in the next: one type per column for DuckDB
        as_text = [column in text for column in rename]
        fields = list(rename.values())
        batch: list[tuple] = []
        for row in sheet_rows:
            batch.append(tuple(_cell(row, i, t) for i, t in zip(positions, as_text)))
            if len(batch) == rows:
                yield pd.DataFrame(batch, columns=fields, dtype=object)
                batch = []
        if batch:
            yield pd.DataFrame(batch, columns=fields, dtype=object)
    finally:
        workbook.close()


def _cell(row: tuple, position: int, as_text: bool) -> object:
    value = row[position] if position < len(row) else None
    return str(value) if as_text and value is not None else value
