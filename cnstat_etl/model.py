"""The records that travel between the three steps: extract -> harmonise -> load.

Extraction turns one source file into `ExtractedValue`s (a printed number with everything needed to
place it: where it was printed, under which header, in which table), the `BodyRow`s they sit in, and
`Problem`s. Harmonisation turns
those into `Observation`s (codes, base units) plus more `Problem`s. Problems are typed records, not
exceptions, so one bad row or column never hides the others (the frictionless-py way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class _Word(str, Enum):
    """A member that is its word wherever a string goes: stored, printed, compared, written as JSON."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        return str.__format__(self, spec)


class ProblemKind(_Word):
    """What went wrong; a new kind is added here (its word is what the warehouse stores)."""

    AMBIGUOUS_COLUMN = "ambiguous_column"
    BAD_UNIT = "bad_unit"
    COLUMN_CHECK_FAILED = "column_check_failed"
    CONTINUES_NO_TABLE = "continues_no_table"
    COUNTY_ROW = "county_row"  # no longer made, but stored in warehouses ingested before issue 30 closed
    DUPLICATE_FIRM = "duplicate_firm"
    GARBLED_TEXT = "garbled_text"
    GUESSED_COLUMN = "guessed_column"
    IGNORED_COLUMN = "ignored_column"
    IMPLAUSIBLE_VALUE = "implausible_value"
    INTERNAL_ERROR = "internal_error"  # a bug in cnstat met on a file: reported as such, never as a bad file
    MISNAMED_FILE = "misnamed_file"
    MISSING_COLUMN = "missing_column"
    NO_EXPLAIN = "no_explain"
    NO_HEADER = "no_header"
    NO_SUCH_PAGE = "no_such_page"
    NO_TABLE = "no_table"
    NO_TEXT_LAYER = "no_text_layer"
    NOT_STATISTICAL = "not_statistical"
    OVERPRINTED_TEXT = "overprinted_text"
    REPLACED_FILE = "replaced_file"
    SKIPPED_ROW = "skipped_row"
    UNKNOWN_COLUMN = "unknown_column"
    UNKNOWN_YEAR = "unknown_year"
    UNIT_NOT_PRINTED = "unit_not_printed"
    UNLABELLED_ROWS = "unlabelled_rows"
    UNREADABLE_CODE = "unreadable_code"
    UNREADABLE_FILE = "unreadable_file"
    UNREADABLE_TABLE = "unreadable_table"
    UNREADABLE_VALUE = "unreadable_value"
    # a row no place could be decided for (the `unresolved` table): listed by `cnstat problems`, never stored
    # in `problems`, so that a row is recorded once
    UNRESOLVED_ROW = "unresolved_row"


class Severity(_Word):
    INFO = "info"  # said for the record (a code list skipped)
    WARNING = "warning"  # reported; the rest loads
    ERROR = "error"  # the file, table or value did not load


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where one printed value sits in its source file."""

    source_file: str
    source_sha256: str
    page: int | None  # 1-based PDF page; None for spreadsheets
    sheet: str | None  # sheet name; None for PDFs
    row: int  # 1-based row within the page's table or the sheet
    column: int  # 1-based column within the table or the sheet


@dataclass(frozen=True, slots=True)
class TableContext:
    """What a table says about all of its values: title, data year, unit line."""

    table_number: str | None  # "2-9"
    table_title: str  # the Chinese title as printed, whitespace folded
    year: int | None  # data year; None when the table does not say and no default was given
    year_from: str  # where `year` came from: title / edition / catalogue / path: <the part> / option / none
    unit_line: str | None  # "万元" from "单位：万元 (10 000 yuan)"
    edition: int | None = None  # the yearbook edition, where the file or the catalogue says it


@dataclass(frozen=True, slots=True)
class BodyRow:
    """A labelled row of a table's body as printed, in reading order: a place, a heading, a total.

    Extract does not decide what a row is: whether "吉 林" is the province or the city, or "河北省" a
    heading, takes the code history, so harmonise reads the rows in order (the province printed above,
    the row it is indented under) and decides there.
    """

    table: int  # the table's position among the file's tables (ExtractResult.tables)
    page: int | None
    sheet: str | None
    row: int  # 1-based, as in Provenance
    label: str  # as printed, whitespace folded: "南 京 Nanjing"
    name: str  # the place name in the label, inner padding removed: "南京" (else the English name)
    indentation: int  # leading blanks printed before the label: a row is nested under a less indented one
    has_values: bool  # any value column holds something other than a missing marker
    total: bool  # labelled as a total (全 省, 合计: parsers/layout.toml) or unlabelled with values
    own_level: bool = False  # a government's own level ("长沙市本级"), not the place it names
    # A row of a panel or list (one row per place and year, in any order): what it is does not depend on
    # the rows above it, and its province is the one its own province column prints, if any.
    standalone: bool = False
    province: str | None = None


@dataclass(frozen=True, slots=True)
class ExtractedValue:
    """One printed number (or missing marker) under a recognised indicator column."""

    provenance: Provenance
    table: TableContext
    body_row: int  # index of the value's row in ExtractResult.rows
    row_label: str  # the row's label as printed (whitespace folded), e.g. "南 京 Nanjing"
    region_name: str  # the Chinese place name from the row label, inner padding removed: "南京"
    column_label: str  # the header path as printed, joined with " / "
    indicator: str  # id from mappings/indicators.csv
    scope: str  # city_total / urban_districts
    unit_as_printed: str | None  # "万元"; None when the indicator is unitless
    value_as_printed: str  # the cell text as printed
    value: float | None  # the printed number parsed (still in the printed unit); None = missing
    region_code: str | None = None  # a 6-digit code the source prints beside the name (census, code-keyed panels)
    ocr: OcrRead | None = None  # read off a scan: how sure, and where (None: read from a text layer)


# A scanned cell read with at least this confidence (its characters' mean) is taken as read; below it the
# recogniser reads it again, and a value still that unsure is reviewed. PP-OCR reads clean digits at 0.99
# and above; misread digits on the scanned fixtures came out lower.
SURE_READ = 0.97
# A scanned word (not a number) whose letters are read less surely than this is not taken as read: each of
# its characters is given as UNREAD, which names nothing (a header holding one is refused, a label places
# nowhere). The recogniser's guess at a line a box clips through its middle comes out at 0.4-0.7 ("城误/
# 箱入日"), a printed word at 0.9 and above.
SURE_TEXT = 0.8
UNREAD = "\ufffd"


@dataclass(frozen=True, slots=True)
class OcrRead:
    """How a value was read off a scanned page: the recogniser's lowest confidence over the cell's words,
    and the cell's box in page points (for the review crop); which reading of the least sure word that is,
    and for an unsure number the likeliest reading of another text at another scale (for the checks)."""

    confidence: float
    x0: float
    top: float
    x1: float
    bottom: float
    # "first": as read; "agreed": a read at another scale agreed surely; "second": the read at another scale
    # (harmonise sets it when the table's checks confirm `second` and refute the first)
    reading: str = "first"
    second: str | None = None
    second_confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a step could not do, located precisely enough to look at in the source."""

    kind: str  # a ProblemKind: a plain word given is made one, and one that is none is an error
    message: str
    source_file: str
    page: int | None = None
    sheet: str | None = None
    row: int | None = None
    column: int | None = None
    severity: str = Severity.WARNING  # a Severity, as `kind`

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ProblemKind(self.kind))
        object.__setattr__(self, "severity", Severity(self.severity))

    def location(self) -> str:
        parts = [self.source_file]
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class TableReport:
    """One logical table found in a file (a table continued over pages counts once)."""

    table_number: str | None
    table_title: str
    year: int | None
    pages: tuple[int, ...]
    sheet: str | None
    values: int  # cells under recognised columns (missing markers too) of rows printing a value, totals aside
    columns_recognised: int
    columns_unrecognised: int
    year_from: str = ""  # the year's evidence, as TableContext.year_from


@dataclass(slots=True)
class ExtractResult:
    """Everything one source file yields; a pure function of the file and the extract options."""

    source_file: str
    source_sha256: str
    file_format: str  # pdf / xlsx / xls / csv / html
    values: list[ExtractedValue] = field(default_factory=list)
    rows: list[BodyRow] = field(default_factory=list)
    tables: list[TableReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # yearbook / nbs / census / researcher_panel: the panel prefers them in this order
    source_kind: str = "yearbook"

    @property
    def skipped(self) -> bool:
        """True when the file is readable but holds no statistics (a code list, a crosswalk)."""
        return any(p.kind == NOT_STATISTICAL for p in self.problems)

    @property
    def failed(self) -> bool:
        """True when the file as a whole could not be read (nothing of it may load)."""
        return any(p.kind in FILE_LEVEL_FAILURES for p in self.problems)

    @property
    def failure_reason(self) -> str:
        return next((p.message for p in self.problems if p.kind in FILE_LEVEL_FAILURES | {NOT_STATISTICAL}), "")


# Problems that mean the whole file is unusable, as opposed to one page, table, row or column.
FILE_LEVEL_FAILURES = frozenset({ProblemKind.UNREADABLE_FILE, ProblemKind.NO_TABLE, ProblemKind.NO_SUCH_PAGE,
                                 ProblemKind.INTERNAL_ERROR})
# A readable file that is not a statistical table (a code list): skipped, not failed.
NOT_STATISTICAL = ProblemKind.NOT_STATISTICAL


# Not frozen, though nothing changes one once made (dataclasses.replace makes another): harmonise makes one
# per value of a book, and a frozen dataclass's __init__, setting each of its 27 fields through
# object.__setattr__, took four times as long, a tenth of a second of a 400-page book's main process.
# Hashed by value as a frozen one is.
@dataclass(slots=True, unsafe_hash=True)
class Observation:
    """One harmonised value: a row of the warehouse's `observations` relation."""

    region_code: str
    # In the warehouse's vintage, set there by store_harmonisation for every row (None: the unit split, and
    # the harmonised view allocates it by weight); harmonise leaves it None.
    harmonised_code: str | None
    region_name: str
    province_code: str
    year: int
    indicator: str
    scope: str
    value: float | None
    unit: str
    value_as_printed: str
    unit_as_printed: str | None
    source_file: str
    source_sha256: str
    page: int | None
    sheet: str | None
    table_title: str
    row_label: str
    column_label: str
    match_kind: str
    row: int
    column: int
    edition: int | None
    needs_review: bool = False  # a check doubts the value (OCR): the panel leaves it out unless asked
    ocr_confidence: float | None = None  # recognition confidence of the cell, for values read off a scan
    review_reasons: str | None = None  # why it needs review, "; "-separated
    ocr_reading: str | None = None  # which reading of a scanned cell loaded (`OcrRead.reading`)


@dataclass(frozen=True, slots=True)
class CountyObservation:
    """A value of a county-level unit (县, 县级市, 市辖区, 旗, 林区, 特区 ...) or of a government's own level
    (长沙市本级): a row of the warehouse's `county_observations`, beside the prefecture panel and never
    summed into it. `observation.region_code` is the county's code in force in the data year, or for
    an own level the code of the government it names."""

    unit_kind: str  # county / own_level
    observation: Observation


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A total row's value (全 省, a province subtotal): kept to check the places' sum, never a place."""

    source_file: str
    page: int | None
    sheet: str | None
    row: int
    row_label: str
    province_code: str | None
    table_title: str
    year: int
    indicator: str
    scope: str
    value: float | None


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A row whose place could not be decided: kept for review, never guessed."""

    source_file: str
    page: int | None
    sheet: str | None
    row: int
    printed_name: str
    province_context: str | None
    year: int | None
    reason: str
    candidates: str  # "320500 苏州市; 341300 宿州市"

