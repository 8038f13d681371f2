"""Time series and panels: NBS portal exports, long panels, and files a source descriptor explains.

Besides the yearbook's city tables (tables.py), sources come as
- wide series (NBS portal exports): metadata lines (数据库：…, 指标：国内生产总值(亿元) or 地区：广州), a header
  of years ("2017年"), places or indicators as rows, a source footer;
- long panels: one row per place and year, with a year column (年份 / year) or the year in a column's
  suffix (popu_2010);
- described files: a TOML in mappings/sources/ states what each column means (place code or name, year,
  indicator, scope and unit), matched by the file's hash or its column signature (PUDL's column maps). A
  descriptor of kind "code_list" names a file that is not a statistical table, which is then skipped (by
  its hash, a file of any format: a PDF too).
Column names that carry indicator, scope and unit are split by the rules in parsers/layout.toml [series].
The readers take a `Block` (tables.py), whatever file it came from: a sheet, or the page of a PDF table that
no title or edition dates (`SeriesTable`, which tables.TableAssembler hands such a table), so a printed
series is read as its workbook is, each value at its page, row and column.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from cnstat_etl.config import layout, source_descriptors
from cnstat_etl.extract.tables import (Block, ExtractOptions, _aggregate, _scope_in, catalogued_edition,
                                      find_header_rows, unreadable_message)
from cnstat_etl.extract.workbook import Grid
from cnstat_etl.indicators import match_header, provisional_id
from cnstat_etl.model import (NOT_STATISTICAL, BodyRow, ExtractedValue, ExtractResult, Problem, ProblemKind,
                              Provenance, Severity, TableContext, TableReport)
from cnstat_etl.settings import DescribedColumn, DescriptorKeys, SeriesRules, SourceDescriptor as Descriptor
from cnstat_etl.source_kinds import Source
from cnstat_etl.text import as_printed, fold, is_missing, matches_prefix, parse_number, squash


def _rules() -> SeriesRules:
    return layout().series


def _key(text: str) -> str:
    return squash(text).lower()


# ------------------------------------------------------------------------------------------ column names

@dataclass(frozen=True)
class ColumnName:
    """What a column name says: "地区生产总值_当年价格_全市_万元" -> (地区生产总值, city_total, 万元)."""

    indicator_text: str
    scope: str | None
    unit: str | None


_TRAILING_UNIT = re.compile(r"[(（]([^()（）]+)[)）]\s*$")


def split_column_name(header: str) -> ColumnName:
    rules = _rules()
    text = fold(header).strip()
    unit = None
    bracketed = _TRAILING_UNIT.search(text)
    if bracketed and _rules().unit_part_pattern.match(squash(bracketed.group(1))):
        unit, text = squash(bracketed.group(1)), text[:bracketed.start()]
    parts = [text]
    for separator in rules.name_separators:
        parts = [piece for part in parts for piece in part.split(separator)]
    parts = [part.strip() for part in parts if part.strip()]
    if unit is None and len(parts) > 1 and _rules().unit_part_pattern.match(squash(parts[-1])):
        unit = squash(parts.pop())
    scope = None
    kept = []
    for part in parts:
        if squash(part) in rules.dropped_qualifiers:
            continue
        found = _scope_in(part)
        if found and _scope_word_only(part):
            scope = found
            continue
        prefix = _scope_prefix(part)
        if prefix:
            scope, part = prefix
        kept.append(part)
    if unit is not None:
        unit = rules.unit_spellings.get(unit, unit)
    return ColumnName("_".join(kept) or text, scope, unit)


def _scope_words() -> list[tuple[str, str]]:
    return [(squash(word), scope) for scope, words in layout().scopes.items() for word in words]


def _scope_word_only(part: str) -> bool:
    return any(squash(part).lower() == word.lower() for word, _ in _scope_words())


def _scope_prefix(part: str) -> tuple[str, str] | None:
    """"市辖区地区生产总值" -> ("urban_districts", "地区生产总值"): a Chinese scope word opening the name."""
    squashed = squash(part)
    for word, scope in _scope_words():
        if re.match(r"[\u4e00-\u9fff]", word) and squashed.startswith(word) and len(squashed) > len(word):
            return scope, squashed[len(word):]
    return None


# ------------------------------------------------------------------------------------------- descriptors

def find_descriptor(sha256: str, headers: list[str]) -> Descriptor | None:
    """The descriptor naming this file's hash, else the one whose column signature its header row holds."""
    present = {_key(h) for h in headers}
    for descriptor in source_descriptors():
        if sha256 in descriptor.match.sha256:
            return descriptor
    for descriptor in source_descriptors():
        for signature in descriptor.match.signatures:
            if signature and {_key(c) for c in signature} <= present:
                return descriptor
    return None


def _code_list(sha256: str, rows: list[list[str]]) -> Descriptor | None:
    """A code list whose header stands under a title, over several lines (CCSY 1-1: 城市合计 | 按行政级别分组 /
    县级市): its signature is looked for among all the lines above the first number."""
    header: list[str] = []
    for row in rows:
        if any(cell.strip() and parse_number(cell).ok for cell in row):
            break
        header += row
    descriptor = find_descriptor(sha256, header)
    return descriptor if descriptor and descriptor.kind == "code_list" else None


# ------------------------------------------------------------------------------------------------ panels

@dataclass(frozen=True)
class Measure:
    """A value column of a panel: its meaning, and the year it holds when the header says it."""

    column: int
    label: str
    indicator: str
    scope: str
    unit: str | None
    year: int | None = None


@dataclass
class PanelLayout:
    header_row: int
    place_column: int | None
    code_column: int | None = None
    province_column: int | None = None
    year_column: int | None = None
    fixed_year: int | None = None
    year_from: str = "column"
    measures: list[Measure] = field(default_factory=list)
    ignored: list[tuple[int, str, str]] = field(default_factory=list)  # (column, header, why)


def _find_column(headers: list[str], names: Sequence[str]) -> int | None:
    wanted = {_key(n) for n in names}
    return next((i for i, h in enumerate(headers) if _key(h) in wanted), None)


def _measure(column: int, header: str, year: int | None, spec: DescribedColumn | None,
             stem: str | None = None) -> Measure:
    """A column's meaning: what its descriptor entry states, else what its name (less a year suffix) says."""
    spec = spec or DescribedColumn()
    split = split_column_name(stem or header)
    indicator = spec.indicator or match_header(split.indicator_text, year) or provisional_id(
        [split.indicator_text])
    return Measure(column, as_printed(header), indicator, spec.scope or split.scope or "city_total",
                   (split.unit if spec.unit is None else spec.unit) or None, year)


def _year_suffix(header: str) -> tuple[str, int] | None:
    match = _rules().year_suffix_pattern.match(squash(header))
    return (match.group("stem"), int(match.group("year"))) if match else None


def panel_layout(rows: list[list[str]], descriptor: Descriptor | None,
                 default_year: int | None = None) -> PanelLayout | None:
    """Where a long panel keeps its places, years and values; None when the grid is not one."""
    rules = _rules()
    keys = descriptor.keys if descriptor else DescriptorKeys()
    header_row = next((i for i, row in enumerate(rows) if sum(bool(fold(c)) for c in row) > 1), None)
    if header_row is None:
        return None
    headers = rows[header_row]
    place = _find_column(headers, _named(keys.place_name, rules.place_name_headers))
    code = _find_column(headers, _named(keys.place_code, rules.place_code_headers))
    province = _find_column(headers, _named(keys.province, rules.province_headers))
    year_column = _find_column(headers, _named(keys.year, rules.year_column_headers))
    if (place is None and code is None) or (descriptor is None and header_row != 0):
        return None  # a yearbook table has its title above the header; a panel export starts with it
    layout_ = PanelLayout(header_row, place, code, province, year_column, keys.fixed_year)
    if year_column is None:
        layout_.year_from = "descriptor" if layout_.fixed_year else "suffix"
        if layout_.fixed_year is None and not any(_year_suffix(h) for h in headers):
            layout_.fixed_year, layout_.year_from = default_year, "catalogue or option"
    described = {_key(name): spec for name, spec in (descriptor.columns if descriptor else {}).items()}
    key_columns = {c for c in (place, code, province, year_column) if c is not None}
    for column, header in enumerate(headers):
        if column in key_columns or not fold(header):
            continue
        suffix = _year_suffix(header) if year_column is None and layout_.fixed_year is None else None
        stem, year = suffix if suffix else (header, None)
        spec = described.get(_key(header)) or described.get(_key(stem))
        if spec and spec.ignore is not None:
            layout_.ignored.append((column, as_printed(header), spec.ignore))
            continue
        if not _numeric_column(rows[header_row + 1:], column):
            layout_.ignored.append((column, as_printed(header), "holds text, not numbers"))
            continue
        layout_.measures.append(_measure(column, header, year or layout_.fixed_year, spec, stem))
    has_year = year_column is not None or layout_.fixed_year is not None or all(
        m.year is not None for m in layout_.measures)
    if not layout_.measures or not has_year:
        return None
    return layout_


def _named(described: str | None, usual: tuple[str, ...]) -> tuple[str, ...]:
    """The header a descriptor names for a key column, else the headers such a column usually has."""
    return (described,) if described is not None else usual


def _numeric_column(body: list[list[str]], column: int) -> bool:
    filled = [row[column] for row in body if not is_missing(row[column])]
    return bool(filled) and sum(parse_number(c).ok for c in filled) > len(filled) / 2


class SeriesReader:
    """Collects one file's values from its series or panel blocks (a sheet, or a PDF table's page) into an
    ExtractResult."""

    def __init__(self, result: ExtractResult, title: str):
        self.result = result
        self.title = title
        self._contexts: dict[tuple[int, str], TableContext] = {}

    def context(self, year: int, year_from: str, unit_line: str | None = None,
                edition: int | None = None) -> TableContext:
        key = (year, year_from)
        if key not in self._contexts:
            self._contexts[key] = TableContext(None, self.title, year, year_from, unit_line, edition)
        return self._contexts[key]

    def body_row(self, block: Block, index: int, label: str, place: str, cells: list[str],
                 province: str | None = None) -> int:
        """Record a printed row (harmonise decides what it is); its index for the row's values.

        A total row (城市合计, 全国) is told by its words and kept apart to check sums against, never placed.
        """
        self.result.rows.append(BodyRow(
            table=len(self.result.tables), page=block.page, sheet=block.sheet, row=block.rows[index], label=label,
            name=place,
            indentation=0, has_values=any(not is_missing(c) for c in cells), total=_aggregate(place),
            standalone=True, province=province))
        return len(self.result.rows) - 1

    def value(self, body_row: int, column: int, context: TableContext, code: str | None, column_label: str,
              indicator: str, scope: str, unit: str | None, cell: str) -> bool:
        """Add one cell; False (and a problem) when it is neither a number nor a missing marker."""
        printed = self.result.rows[body_row]
        page, sheet, row = printed.page, printed.sheet, printed.row
        where = Provenance(self.result.source_file, self.result.source_sha256, page, sheet, row, column)
        number = parse_number(cell)
        if not number.ok:
            self.result.problems.append(Problem(ProblemKind.UNREADABLE_VALUE, unreadable_message(cell),
                                                self.result.source_file, page, sheet, row, column))
            return False
        self.result.values.append(ExtractedValue(
            provenance=where, table=context, body_row=body_row, row_label=printed.label, region_name=printed.name,
            column_label=column_label, indicator=indicator, scope=scope, unit_as_printed=unit,
            value_as_printed=as_printed(cell), value=number.value, region_code=code))
        return True

    def report(self, sheet: str, year: int | None, year_from: str, values: int, recognised: int,
               provisional: int) -> None:
        self.result.tables.append(TableReport(None, self.title, year, (), sheet, values, recognised, provisional,
                                              year_from))


def read_panel(reader: SeriesReader, block: Block, panel: PanelLayout, start: int | None = None,
               edition: int | None = None) -> int:
    """The panel's rows into the reader, from under its header row, or from `start` in a block continuing a
    table (a PDF's next page) that prints no header of its own; the values loaded. `edition`: the one a file
    without any year of its own was taken from (catalogue or command line)."""
    rows = block.cells
    source = reader.result.source_file
    if start is None:
        header = block.rows[panel.header_row]
        for column, text, why in panel.ignored:
            reader.result.problems.append(Problem(ProblemKind.IGNORED_COLUMN, f"column {text!r} not loaded: {why}",
                                                  source, block.page, block.sheet, header, block.columns[column]))
        _report_provisional(reader, block, header, panel.measures)
        start = panel.header_row + 1
    # a year taken from the edition is recorded with it, as a yearbook table's is
    edition = edition if panel.fixed_year and panel.year_from == "catalogue or option" else None
    loaded = 0
    for index in range(start, len(rows)):
        row = rows[index]
        if not any(fold(c) for c in row):
            continue
        place = squash(row[panel.place_column]) if panel.place_column is not None else ""
        code = squash(row[panel.code_column]) if panel.code_column is not None else None
        if matches_prefix(place, layout().footnote_prefixes):
            continue
        row_year = None
        if panel.year_column is not None:
            parsed = parse_number(row[panel.year_column])
            if not parsed.ok or parsed.value is None or not parsed.value.is_integer():
                reader.result.problems.append(Problem(
                    ProblemKind.UNKNOWN_YEAR, f"year {row[panel.year_column]!r} is not a year; the row is not loaded",
                    source, block.page, block.sheet, block.rows[index], block.columns[panel.year_column], "error"))
                continue
            row_year = int(parsed.value)
        province = as_printed(row[panel.province_column]) if panel.province_column is not None else None
        label = as_printed(" ".join(c for c in (
            row[panel.place_column] if panel.place_column is not None else "", code or "") if c))
        body_row = reader.body_row(block, index, label, place, [row[m.column] for m in panel.measures], province)
        for measure in panel.measures:
            year = measure.year or row_year
            context = reader.context(year, "column" if row_year else panel.year_from,
                                     edition=None if row_year else edition)
            if reader.value(body_row, block.columns[measure.column], context, code, measure.label, measure.indicator,
                            measure.scope, measure.unit, row[measure.column]):
                loaded += 1
    return loaded


def _report_panel(reader: SeriesReader, sheet: str | None, panel: PanelLayout, loaded: int) -> None:
    reader.report(sheet, panel.fixed_year, panel.year_from, loaded,
                  sum(not m.indicator.startswith("provisional:") for m in panel.measures),
                  sum(m.indicator.startswith("provisional:") for m in panel.measures))


def _report_provisional(reader: SeriesReader, block: Block, row: int, measures: list[Measure]) -> None:
    seen = set()
    for measure in measures:
        if measure.indicator.startswith("provisional:") and measure.column not in seen:
            seen.add(measure.column)
            reader.result.problems.append(Problem(
                ProblemKind.UNKNOWN_COLUMN,
                f"header {measure.label!r} names no indicator in mappings/header_variants.csv; "
                f"loaded as {measure.indicator!r}", reader.result.source_file, block.page, block.sheet, row,
                block.columns[measure.column]))


# -------------------------------------------------------------------------------------------- wide (NBS)

def _metadata(rows: list[list[str]]) -> tuple[dict[str, str], int]:
    """The metadata lines above an NBS export's header, and the header's row index."""
    found: dict[str, str] = {}
    for index, row in enumerate(rows):
        filled = [fold(c) for c in row if fold(c)]
        items = _metadata_items(filled[0]) if len(filled) == 1 else None
        if items:
            found |= items
        elif filled or not found:
            return found, index
        # a blank row amid the metadata lines (a print's line ran into the one above) is passed over
    return found, len(rows)


def _metadata_items(text: str) -> dict[str, str] | None:
    """A metadata line's key and value, or those of the lines a print ran into one ("数据库：… 指标：…")."""
    match = _rules().metadata_pattern.match(text)
    if not match:
        return None
    value = match.group("value")
    for space in re.finditer(r"\s+", value):
        rest = _metadata_items(value[space.end():])
        if rest:
            return {match.group("key"): value[:space.start()].strip()} | rest
    return {match.group("key"): value.strip()}


def _year_columns(headers: list[str]) -> dict[int, int]:
    years = {}
    for column, header in enumerate(headers):
        match = _rules().year_header_pattern.match(squash(header))
        if match:
            years[column] = int(match.group("year"))
    return years


@dataclass(frozen=True)
class WideLayout:
    """Years as columns: the year and header of each, and what the metadata lines fix for every row."""

    years: dict[int, int]
    headers: dict[int, str]
    indicator: str | None  # 指标: the rows are places
    place: str | None  # 地区: the rows are indicators
    cities: bool  # the database's places are cities, printed bare


def wide_layout(metadata: dict[str, str], headers: list[str], fewest_years: int = 2) -> WideLayout | None:
    years = _year_columns(headers)
    if len(years) < fewest_years:
        return None
    rules = _rules()
    return WideLayout(years, {column: as_printed(headers[column]) for column in years},
                      metadata.get(rules.metadata_indicator), metadata.get(rules.metadata_place),
                      metadata.get(rules.metadata_database) in rules.city_databases)


def read_wide(reader: SeriesReader, block: Block, wide: WideLayout, start: int) -> tuple[int, dict[str, Measure]]:
    """The rows from `start` (under the header row, or the top of a block continuing a table that prints
    none) into the reader: places (指标 given above) or indicators (地区 given above). The values loaded and
    the indicators read."""
    rows = block.cells
    # A year column the export pads with nothing (NBS's latest year) prints no value: it is not loaded.
    filled = {column: year for column, year in wide.years.items()
              if any(not is_missing(row[column]) for row in rows[start:])}
    for column in range(1, len(rows[0])):
        if column not in wide.years and any(not is_missing(row[column]) for row in rows[start:]):
            # said of the page: each of its places' years there goes unread, as a yearbook's unread row would
            reader.result.problems.append(Problem(
                ProblemKind.UNKNOWN_COLUMN, f"column {block.columns[column]} prints values under no year in its "
                "header: not loaded", reader.result.source_file, block.page, block.sheet))
    measures: dict[str, Measure] = {}
    loaded = 0
    for index in range(start, len(rows)):
        row = rows[index]
        label = as_printed(row[0])
        if not label or matches_prefix(label, layout().footnote_prefixes):
            continue
        indicator_text, place = (wide.indicator, label) if wide.indicator else (label, wide.place or "")
        place = _as_city(place) if wide.cities else place
        measure = _measure(0, indicator_text, None, None)
        measures.setdefault(measure.indicator, measure)
        body_row = reader.body_row(block, index, label, squash(place), [row[c] for c in filled])
        for column, year in filled.items():
            context = reader.context(year, "column")
            if reader.value(body_row, block.columns[column], context, None,
                            f"{as_printed(indicator_text)} / {wide.headers[column]}",
                            _measure(0, indicator_text, year, None).indicator, measure.scope, measure.unit,
                            row[column]):
                loaded += 1
    return loaded, measures


def _report_provisional_rows(reader: SeriesReader, block: Block, measures: dict[str, Measure]) -> None:
    for indicator, measure in measures.items():
        if indicator.startswith("provisional:"):
            reader.result.problems.append(Problem(
                ProblemKind.UNKNOWN_COLUMN, f"indicator {measure.label!r} names no indicator in "
                f"mappings/header_variants.csv; loaded as {indicator!r}", reader.result.source_file, block.page,
                block.sheet))


def _as_city(name: str) -> str:
    """A place of a city database read as the city ("南宁" -> "南宁市", [series] city_suffix); a total (全国)
    stays as printed."""
    suffix = _rules().city_suffix
    return name if not name or name.endswith(suffix) or _aggregate(squash(name)) else name + suffix


# ------------------------------------------------------------------------------------------ PDF tables

class SeriesTable:
    """A PDF table that prints no year of its own but is a series or panel (years as its header cells, or a
    year column), read block by block (page by page) as a workbook's sheet is. A block printing no header of
    its own continues the layout of the one before, as a yearbook table's continuation page does."""

    def __init__(self, reader: SeriesReader, block: Block, wide: WideLayout | None, panel: PanelLayout | None,
                 descriptor: Descriptor | None, metadata: dict[str, str], header_row: int):
        self.reader = reader
        self.wide, self.panel, self.descriptor = wide, panel, descriptor
        self.width = len(block.cells[0])
        self.metadata = metadata
        self.corner = fold(block.cells[header_row][0]) if wide else ""
        self.values = 0
        self.indicators: dict[str, Measure] = {}
        self._read_one = False

    @classmethod
    def of(cls, block: Block, result: ExtractResult) -> SeriesTable | None:
        """The block's table read as a series, or None where it is none. The years must be the table's own
        (a year column, years as headers or as a header's suffix): a catalogued edition dates a yearbook
        table, not a series."""
        if not block.cells or not block.cells[0]:
            return None
        above, _ = _metadata([[line] for line in block.lines_above])
        inside, header_row = _metadata(block.cells)
        metadata = above | inside
        if metadata and header_row < len(block.cells):
            wide = wide_layout(metadata, block.cells[header_row])
            if wide is not None:
                return cls(SeriesReader(result, _title(metadata, result.source_file)), block, wide, None, None,
                           metadata, header_row)
        block = _key_headers_apart(block)
        descriptor = find_descriptor(result.source_sha256, block.cells[0])
        if descriptor is not None and descriptor.kind == "code_list":
            return None
        panel = panel_layout(block.cells, descriptor, None)
        if panel is None:
            return None
        title = descriptor.title or result.source_file if descriptor else result.source_file
        return cls(SeriesReader(result, title), block, None, panel, descriptor, {}, panel.header_row)

    def add(self, block: Block) -> None:
        """Read the table's next block (its first, given to `of`, included)."""
        first, self._read_one = not self._read_one, True
        if self.wide is not None:
            self._add_wide(block, first)
        else:
            self._add_panel(_key_headers_apart(block), first)

    def _add_wide(self, block: Block, first: bool) -> None:
        metadata, header_row = _metadata(block.cells)
        metadata = self.metadata | metadata
        headers = block.cells[header_row] if header_row < len(block.cells) else []
        if first or self._years_header(headers):
            # a page repeating the header, or a block of further year columns (the next page across)
            wide, start = wide_layout(metadata, headers, 1), header_row + 1
        elif self._continues_body(block):
            wide, start = self.wide, 0
        else:
            self._not_read(block)
            return
        self.wide, self.width, self.metadata = wide, len(block.cells[0]), metadata
        loaded, measures = read_wide(self.reader, block, wide, start)
        self.values += loaded
        _report_provisional_rows(self.reader, block, {i: m for i, m in measures.items() if i not in self.indicators})
        self.indicators |= measures

    def _years_header(self, cells: list[str]) -> bool:
        """A row of years heading every column it fills, under the first block's corner cell or a blank one:
        a body row printing numbers that read as years has its place there."""
        filled = [column for column, cell in enumerate(cells) if column and fold(cell)]
        return bool(filled) and set(filled) == set(_year_columns(cells)) and fold(cells[0]) in ("", self.corner)

    def _add_panel(self, block: Block, first: bool) -> None:
        if first:
            self.values += read_panel(self.reader, block, self.panel)
            return
        own = panel_layout(block.cells, self.descriptor, None)
        if own is not None and [(m.column, m.indicator) for m in own.measures] == \
                [(m.column, m.indicator) for m in self.panel.measures]:
            self.values += read_panel(self.reader, block, own, own.header_row + 1)  # the header repeated
        elif own is None and self._continues_body(block):
            self.values += read_panel(self.reader, block, self.panel, 0)
        else:
            self._not_read(block)

    def _continues_body(self, block: Block) -> bool:
        """A block printing body rows only, as wide as the table: a page the header is not repeated on. A block
        with a header that is not the table's (another block of columns, its header unread) is not one."""
        return find_header_rows(block.cells) == 0 and len(block.cells[0]) == self.width

    def _not_read(self, block: Block) -> None:
        self.reader.result.problems.append(Problem(
            ProblemKind.NO_HEADER, "a block continuing the series prints other columns than its header, and no "
            "header of its own: not read", self.reader.result.source_file, block.page, block.sheet))

    def report(self) -> tuple[int, int]:
        """The table's indicators recognised and provisional."""
        named = [m.indicator for m in self.panel.measures] if self.panel else list(self.indicators)
        return sum(not i.startswith("provisional:") for i in named), sum(i.startswith("provisional:") for i in named)


def _key_headers_apart(block: Block) -> Block:
    """The block with two key columns' headers run into one cell ("城市 年份"), the next cell blank, put each
    over its column: a print aligns a header left and the numbers under it right, so the year column's header
    is read into the label column's cell."""
    rules = _rules()
    keys = {_key(name) for names in (rules.place_name_headers, rules.place_code_headers, rules.year_column_headers,
                                     rules.province_headers) for name in names}
    header = list(block.cells[0]) if block.cells else []
    for column in range(len(header) - 1):
        words = fold(header[column]).split()
        if len(words) == 2 and not fold(header[column + 1]) and all(_key(word) in keys for word in words):
            header[column], header[column + 1] = words
    return block if header == block.cells[0] else dataclasses.replace(block, cells=[header] + block.cells[1:])


# ------------------------------------------------------------------------------------------------- entry

KIND_OF_LAYOUT = {"wide": "nbs", "panel": "researcher_panel"}


def as_block(grid: Grid) -> Block:
    """A sheet as the block of cells series and tables read: its rows and columns numbered from 1."""
    return Block([], grid.rows, list(range(1, len(grid.rows) + 1)),
                 list(range(1, len(grid.rows[0]) + 1 if grid.rows else 1)), sheet=grid.name)


def read_series(grids: list[Grid], source: str, sha256: str, file_format: str,
                options: ExtractOptions) -> ExtractResult | None:
    """The file read as series or panels, or None when it is not one (a yearbook table: tables.py reads it)."""
    for grid in grids:
        if not grid.rows:
            continue
        metadata, header_row = _metadata(grid.rows)
        if header_row >= len(grid.rows):
            continue
        descriptor = find_descriptor(sha256, grid.rows[header_row]) or _code_list(sha256, grid.rows)
        if descriptor and descriptor.kind == "code_list":
            return _skipped(descriptor, source, sha256, file_format)
        if metadata and _year_columns(grid.rows[header_row]):
            reader = SeriesReader(ExtractResult(source, sha256, file_format, source_kind=KIND_OF_LAYOUT["wide"]),
                                  _title(metadata, source))
            return reader.result if _read_all(reader, grids) else None
        default_year = _default_year(sha256, options)
        panel = panel_layout(grid.rows, descriptor, default_year)
        if panel is not None:
            kind = descriptor.kind if descriptor else KIND_OF_LAYOUT["panel"]
            title = descriptor.title or source if descriptor else source
            reader = SeriesReader(ExtractResult(source, sha256, file_format, source_kind=kind), title)
            edition = _default_edition(sha256, options)
            _report_panel(reader, grid.name, panel, read_panel(reader, as_block(grid), panel, edition=edition))
            for other in grids:
                other_panel = (panel_layout(other.rows, descriptor, default_year)
                               if other is not grid and other.rows else None)
                if other_panel is not None:
                    _report_panel(reader, other.name, other_panel, read_panel(reader, as_block(other), other_panel,
                                                                                   edition=edition))
            return reader.result
    return None


def _skipped(descriptor: Descriptor, source: str, sha256: str, file_format: str) -> ExtractResult:
    """A file its descriptor says is a code list: named as such, not read."""
    result = ExtractResult(source, sha256, file_format, source_kind="code_list")
    result.problems.append(Problem(NOT_STATISTICAL, "not a statistical table: a code list "
                                   f"({descriptor.title or descriptor.name}; mappings/sources/{descriptor.name}.toml)",
                                   source, severity=Severity.INFO))
    return result


# ------------------------------------------------------------------------------ the kind (source_kinds.py)

def detects(source: Source) -> bool:
    """A workbook, HTML or CSV file (read as a series when its grids are one), or a file of any format a
    descriptor names by its SHA-256 (a PDF that is a code list)."""
    return source.file_format != "pdf" or find_descriptor(source.sha256, []) is not None


def reads(source: Source) -> Iterator[ExtractResult] | None:
    described = find_descriptor(source.sha256, [])
    if described is not None and described.kind == "code_list":
        return iter([_skipped(described, source.path.name, source.sha256, source.file_format)])
    if source.file_format == "pdf":
        return None  # a described PDF is otherwise read as a yearbook's
    result = read_series(source.grids(), source.path.name, source.sha256, source.file_format,
                         source.options or ExtractOptions())
    return None if result is None else iter([result])


def _default_year(sha256: str, options: ExtractOptions) -> int | None:
    """The data year a file without any year of its own has: its catalogued edition, else the command line."""
    edition = _default_edition(sha256, options)
    return edition - 1 if edition else options.year


def _default_edition(sha256: str, options: ExtractOptions) -> int | None:
    """The edition a file without any year of its own was taken from, where the catalogue or the command line
    says; None where --year alone gives its year."""
    catalogued = catalogued_edition(sha256)
    return catalogued or (None if options.year else options.edition)


def _title(metadata: dict[str, str], source: str) -> str:
    return " ".join(v for v in metadata.values() if v) or source


def _read_all(reader: SeriesReader, grids: list[Grid]) -> bool:
    any_read = False
    for grid in grids:
        if grid.rows:
            metadata, header_row = _metadata(grid.rows)
            wide = wide_layout(metadata, grid.rows[header_row]) if header_row < len(grid.rows) else None
            if wide is not None:
                block = as_block(grid)
                loaded, measures = read_wide(reader, block, wide, header_row + 1)
                _report_provisional_rows(reader, block, measures)
                provisional = sum(i.startswith("provisional:") for i in measures)
                reader.report(grid.name, None, "column", loaded, len(measures) - provisional, provisional)
                any_read = True
    return any_read
