"""Read spreadsheet-like files into plain cell grids, whatever their real format.

A `Grid` is what every spreadsheet parser downstream works on: cell text as displayed (numbers rendered
without float noise, formulas as their cached value) and the merged ranges. The header and row logic in
`cnstat_etl.extract.tables` never sees openpyxl, xlrd or HTML.

Yearbook downloads routinely lie about their format: CNKI ".xls" files are encrypted BIFF, HTML pages or
GBK CSV. `sniff_format` therefore decides from the bytes, never from the extension, and `read_grids`
dispatches on that. Anything that cannot be read raises `UnreadableSource` with a one-line reason.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

# The readers of each format import their library when a file of that format is read: together they cost
# a fifth of a second that a PDF never needs.
if TYPE_CHECKING:
    import xlrd

# Excel encrypts "read-only recommended" and many CNKI downloads with this built-in password, so the
# file opens without a prompt. Any other password means the publisher really locked the file.
EXCEL_DEFAULT_PASSWORD = "VelvetSweatshop"

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 8192


class UnreadableSource(Exception):
    """The file cannot be turned into grids; str(exc) is a one-line reason for the run report."""


@dataclass
class Grid:
    name: str  # sheet name ("" where the format has none)
    rows: list[list[str]]  # rectangular; "" for an empty cell
    # (first_row, last_row, first_col, last_col), 0-based and inclusive, as openpyxl and xlrd count
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


def cell_text(value) -> str:
    """Render a cell value as a person reads it: 1234.0 -> "1234", 0.1 -> "0.1", None -> ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return str(value)


# --------------------------------------------------------------------------------------------------
# Format sniffing


def sniff_format(path: Path) -> str:
    """Return the real format of `path` from its content: "pdf", "xlsx", "xls", "html" or "csv".

    - "xls": an OLE2 compound file holding a BIFF workbook (encrypted or not).
    - "xlsx": a ZIP holding `xl/`, or an OLE2 file holding an encrypted OOXML package (Excel stores
      password-protected xlsx that way).
    - "html": markup whose first 8 KiB mention `<html` or `<table` (CNKI pages start with blank lines and
      a comment, so the start of the file is not enough).
    - "csv": anything else that decodes as text (any delimiter; see `read_grids`).

    Raises `UnreadableSource` for an empty or blank file, for a recognisable non-spreadsheet (Word,
    OpenDocument, images, other XML) and for binary content it does not know.
    """
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head.strip():
        raise UnreadableSource("empty file")
    if b"%PDF-" in head[:1024]:  # the PDF spec allows junk before the header
        return "pdf"
    if head.startswith(OLE2_MAGIC):
        return _sniff_ole2(path)
    if head.startswith(ZIP_MAGIC):
        return _sniff_zip(path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"  # Excel's "Unicode text" export: UTF-16 with BOM, tab-separated
    if b"\x00" in head:
        raise UnreadableSource(f"not a spreadsheet: unknown binary content (starts {head[:8].hex(' ')})")
    text_head = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if text_head.startswith(b"<"):
        return _sniff_markup(text_head)
    return "csv"


def _sniff_ole2(path: Path) -> str:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except Exception as exc:  # olefile raises OSError, struct errors and others on damaged containers
        raise UnreadableSource(f"truncated or corrupt xls (OLE2 container): {exc}") from None
    if streams & {"Workbook", "Book"}:  # "Book" is the BIFF5 (Excel 95) stream name
        return "xls"
    if "EncryptedPackage" in streams:
        return "xlsx"
    if "WordDocument" in streams:
        raise UnreadableSource("not a spreadsheet: looks like a Word .doc file")
    raise UnreadableSource(f"not a spreadsheet: OLE2 file without a workbook stream ({sorted(streams)[:5]})")


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableSource(f"truncated or corrupt xlsx (zip): {exc}") from None
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    if any(name.startswith("word/") for name in names):
        raise UnreadableSource("not a spreadsheet: looks like a Word .docx file")
    if "mimetype" in names:
        raise UnreadableSource("not a spreadsheet we read: OpenDocument file (save it as .xlsx)")
    raise UnreadableSource("not a spreadsheet: zip archive without an xl/ folder")


def _sniff_markup(text_head: bytes) -> str:
    if b"<html" in text_head or b"<table" in text_head:
        return "html"
    if b"urn:schemas-microsoft-com:office:spreadsheet" in text_head:
        raise UnreadableSource("not a spreadsheet we read: Excel 2003 XML (save it as .xlsx)")
    raise UnreadableSource("not a spreadsheet: looks like XML or markup without a table")


# --------------------------------------------------------------------------------------------------
# Reading


def read_grids(path: Path) -> list[Grid]:
    """Read every sheet (xls/xlsx), the page (html) or the file (csv) of `path` into grids.

    Cell text is kept as printed: leading spaces / U+00A0 indentation and `\\r\\n` inside header cells
    survive, because indentation is how prefecture rows are told from province rows. An HTML page gives
    one grid, like Excel opening it: loose text outside tables (title, `单位:万元`, the trailing source
    note) becomes one-cell rows in document order around the table rows. Raises `UnreadableSource`.
    """
    path = Path(path)
    fmt = sniff_format(path)
    if fmt == "pdf":
        raise UnreadableSource("not a spreadsheet: PDF (use the PDF extractor)")
    data = path.read_bytes()
    if data.startswith(OLE2_MAGIC):
        data = _decrypt_if_encrypted(data)
    if fmt == "xlsx":
        return _read_xlsx_guarded(data)
    if fmt == "xls":
        return _read_xls(data)
    if fmt == "html":
        return [_read_html(_decode_text(data))]
    return [_read_csv(_decode_text(data))]


def read_xlsx(source: Path | BinaryIO) -> list[Grid]:
    # A file object, not a path: openpyxl refuses paths whose extension is not .xlsx, and real xlsx files
    # arrive named ".xls". data_only=True gives the value Excel cached for a formula cell, which is what
    # the yearbook printed.
    if isinstance(source, (str, Path)):
        with open(source, "rb") as f:
            return read_xlsx(f)
    import openpyxl

    workbook = openpyxl.load_workbook(source, data_only=True)
    grids = []
    for sheet in workbook.worksheets:
        rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        merged = [
            (rng.min_row - 1, rng.max_row - 1, rng.min_col - 1, rng.max_col - 1)
            for rng in sheet.merged_cells.ranges
        ]
        grids.append(Grid(name=sheet.title, rows=_rectangular(rows), merged=merged))
    return grids


def _read_xlsx_guarded(data: bytes) -> list[Grid]:
    try:
        return read_xlsx(io.BytesIO(data))
    except Exception as exc:  # openpyxl surfaces KeyError, BadZipFile, XML errors... for damaged files
        raise UnreadableSource(f"truncated or corrupt xlsx: {type(exc).__name__}: {exc}") from None


def _decrypt_if_encrypted(data: bytes) -> bytes:
    """Decrypt an OLE2 workbook (BIFF or OOXML package) in memory with Excel's default password."""
    import msoffcrypto

    try:
        office_file = msoffcrypto.OfficeFile(io.BytesIO(data))
        if not office_file.is_encrypted():
            return data
        office_file.load_key(password=EXCEL_DEFAULT_PASSWORD)
        decrypted = io.BytesIO()
        office_file.decrypt(decrypted)
    except msoffcrypto.exceptions.FileFormatError:
        return data  # e.g. an Excel 95 "Book" stream msoffcrypto does not parse; xlrd judges it
    except msoffcrypto.exceptions.InvalidKeyError:
        raise UnreadableSource("encrypted with a password other than Excel's default") from None
    except Exception as exc:  # msoffcrypto raises its own, struct and index errors on damaged files
        raise UnreadableSource(f"truncated, corrupt or unsupported encrypted workbook: {exc}") from None
    return decrypted.getvalue()


def _read_xls(data: bytes) -> list[Grid]:
    import xlrd

    try:
        # formatting_info=True is what makes xlrd report merged cells; the log sink swallows xlrd's
        # chatter ("file size not 512 + multiple of sector size") that it would print to stdout.
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, logfile=io.StringIO())
        return [_xls_sheet_grid(sheet, book.datemode) for sheet in book.sheets()]
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct.error, IndexError... on damage
        raise UnreadableSource(f"truncated or corrupt xls: {type(exc).__name__}: {exc}") from None


def _xls_sheet_grid(sheet: xlrd.sheet.Sheet, datemode: int) -> Grid:
    rows = [[_xls_cell_text(cell, datemode) for cell in sheet.row(r)] for r in range(sheet.nrows)]
    # xlrd gives (rlo, rhi, clo, chi) with exclusive upper bounds; Grid uses inclusive ones.
    merged = [(rlo, rhi - 1, clo, chi - 1) for rlo, rhi, clo, chi in sheet.merged_cells]
    return Grid(name=sheet.name, rows=_rectangular(rows), merged=merged)


def _xls_cell_text(cell: xlrd.sheet.Cell, datemode: int) -> str:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return cell_text(cell.value)
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode).isoformat()
        except xlrd.xldate.XLDateError:  # a number formatted as a date but out of the date range
            return cell_text(cell.value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return cell_text(bool(cell.value))
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value if cell.ctype == xlrd.XL_CELL_TEXT else ""


def _decode_text(data: bytes) -> str:
    """Decode a text file: UTF-16 if it has that BOM, else UTF-8 (with or without BOM), else GB18030.

    GB18030 is a superset of GBK and GB2312, which is what Chinese Excel and NBS exports write. UTF-8 comes
    first because GB18030 decodes much UTF-8 as mojibake, while the converse almost never succeeds.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_or_explain(data, "utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            # A UTF-8 file cut inside its last character (truncated download): keep what is there
            # rather than re-reading the whole file as GB18030 mojibake.
            return data[: exc.start].decode("utf-8-sig")
    return _decode_or_explain(data, "gb18030")


def _decode_or_explain(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableSource(f"text file that is neither UTF-8 nor {encoding.upper()}: {exc}") from None


# --------------------------------------------------------------------------------------------------
# CSV

CSV_DELIMITERS = (",", "\t", ";")
CSV_SAMPLE_CHARS = 65536


def _read_csv(text: str) -> Grid:
    try:
        # newline="" keeps "\r\n" inside quoted cells, as the csv module requires.
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_pick_delimiter(text)))
    except csv.Error as exc:  # NUL bytes past the sniffed head, a field over csv's size limit
        raise UnreadableSource(f"not a readable CSV: {exc}") from None
    return Grid(name="", rows=_rectangular(rows))


def _pick_delimiter(text: str) -> str:
    """The delimiter that splits the most sampled records into the same number (>1) of fields.

    Counted over records rather than taken from the first line, because NBS exports open with one-field
    metadata lines (`数据库：…`). csv.Sniffer is not used because it raises on single-column files
    instead of falling back. Ties go to the comma.
    """
    sample = text[:CSV_SAMPLE_CHARS]

    def consistent_records(delimiter: str) -> int:
        records = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        if len(text) > CSV_SAMPLE_CHARS:
            records = records[:-1]  # cut by the sample
        widths = Counter(len(r) for r in records[:200] if len(r) > 1)
        return widths.most_common(1)[0][1] if widths else 0

    return max(CSV_DELIMITERS, key=consistent_records)  # max keeps the first (comma) on ties


# --------------------------------------------------------------------------------------------------
# HTML


def _read_html(text: str) -> Grid:
    parser = _HtmlGridParser()
    parser.feed(text)
    parser.close()
    return parser.grid()


class _HtmlGridParser(HTMLParser):
    """Lays out tables and the loose text between them as one grid, top to bottom.

    Cell text follows HTML rendering: runs of ASCII whitespace (source formatting) collapse to one space
    and are trimmed at the cell edges; U+00A0 from `&nbsp;` is kept, since that is the indentation the
    page prints (a cell holding only `&nbsp;` reads as a lone U+00A0); `<br>` becomes a newline. Text
    outside cells becomes a one-cell row. Tables nested inside a cell are not supported (CNKI pages have none).
    """

    SKIPPED = {"head", "title", "style", "script"}
    BLOCKS = {"div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "li", "table", "tr", "body"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.merged: list[tuple[int, int, int, int]] = []
        self.skip_depth = 0
        self.text: list[str] = []  # text since the last block or cell boundary
        self.table: _TableLayout | None = None

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skip_depth += 1
        elif tag == "br":
            self.text.append("\n")
        elif tag in ("td", "th") and self.table is not None:
            self._close_cell()
            self._flush_loose_text()
            attrs = dict(attrs)
            self.table.open_cell(_span(attrs.get("rowspan")), _span(attrs.get("colspan")))
        elif tag in self.BLOCKS:
            self._close_cell()
            self._flush_loose_text()
            if tag == "table":
                self._finish_table()
                self.table = _TableLayout()
            elif tag == "tr" and self.table is not None:
                self.table.start_row()

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in ("td", "th"):
            self._close_cell()
        elif tag in self.BLOCKS:
            self._close_cell()
            self._flush_loose_text()
            if tag == "table":
                self._finish_table()

    def handle_data(self, data):
        if not self.skip_depth:
            self.text.append(_ASCII_WHITESPACE.sub(" ", data))

    def close(self):
        super().close()
        self._close_cell()
        self._flush_loose_text()
        self._finish_table()

    def grid(self) -> Grid:
        return Grid(name="", rows=_rectangular(self.rows), merged=self.merged)

    def _close_cell(self) -> None:
        if self.table is not None and self.table.cell_open:
            self.table.close_cell(_rendered_text(self.text))
            self.text = []

    def _flush_loose_text(self) -> None:
        # Text inside a <table> but outside cells lands here too; browsers also print it above the table.
        text = _rendered_text(self.text)
        self.text = []
        if text:
            self.rows.append([text])

    def _finish_table(self) -> None:
        if self.table is None:
            return
        top = len(self.rows)
        last_row = len(self.table.rows) - 1
        self.rows.extend(self.table.rows)
        # A rowspan reaching past the last row is cut there, as browsers do.
        self.merged.extend(
            (top + r0, top + min(r1, last_row), c0, c1) for r0, r1, c0, c1 in self.table.merged
        )
        self.table = None


class _TableLayout:
    """Places cells of one table on a grid, skipping slots taken by earlier rowspan/colspan."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.merged: list[tuple[int, int, int, int]] = []  # relative to the table's first row
        self.occupied: set[tuple[int, int]] = set()
        self.cell_open = False
        self._cell: tuple[int, int, int, int] = (0, 0, 1, 1)  # row, col, rowspan, colspan

    def start_row(self) -> None:
        self.rows.append([])

    def open_cell(self, rowspan: int, colspan: int) -> None:
        if not self.rows:  # a <td> before any <tr>
            self.start_row()
        row, col = len(self.rows) - 1, 0
        while (row, col) in self.occupied:
            col += 1
        self._cell = (row, col, rowspan, colspan)
        self.cell_open = True

    def close_cell(self, text: str) -> None:
        row, col, rowspan, colspan = self._cell
        self.cell_open = False
        self.occupied.update((r, c) for r in range(row, row + rowspan) for c in range(col, col + colspan))
        line = self.rows[row]
        line.extend([""] * (col + 1 - len(line)))
        line[col] = text
        if rowspan > 1 or colspan > 1:
            self.merged.append((row, row + rowspan - 1, col, col + colspan - 1))


def _span(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:  # colspan="2px" and similar junk: browsers fall back to 1
        return 1


# Source-formatting whitespace; deliberately not \s, which would also eat the U+00A0 indentation.
_ASCII_WHITESPACE = re.compile(r"[ \t\r\n\f]+")


def _rendered_text(pieces: list[str]) -> str:
    text = re.sub(r" *\n *", "\n", re.sub(" +", " ", "".join(pieces)))
    return text.strip(" \n")


def _rectangular(rows: list[list[str]]) -> list[list[str]]:
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]
