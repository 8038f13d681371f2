"""Yearbook PDFs: a reader turns each page into geometry, the layout engine rebuilds its tables.

Two readers give the same `layout.PageGeometry` (character boxes and rule segments): PDFium
(`extract/pdfium.py`, the default, fast) and pdfplumber (the reference, and what `--explain` draws with;
a test holds the two to the same cells on every fixture). Per page: check the text layer (scans and fonts
without a Unicode map are reported, never read), and let `layout.read_page` find its tables;
`tables.TableAssembler` reads them. A page whose title says 续表 / continued, or that carries no table
number of its own, continues the table of the page before. Pages are read one at a time and released
before the next, so memory stays flat however long the book.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from itertools import accumulate, chain, islice
from pathlib import Path
from typing import Callable, Generator, Iterator

from cnstat_etl.extract import pdfium
from cnstat_etl.extract.layout import (DESCENT, Glyph, PageGeometry, Segment, TableLayout, printed_count, read_page,
                                      text_lines)
from cnstat_etl.extract.pdfium import PageReading
from cnstat_etl.extract.series import SeriesTable
from cnstat_etl.extract.tables import (Block, ExtractOptions, TableAssembler, find_header_rows, find_label_columns,
                                      with_body_read)
from cnstat_etl.model import ExtractedValue, ExtractResult, OcrRead, Problem, ProblemKind, Severity
from cnstat_etl.text import plural
from cnstat_etl.interrupts import leave_interrupts_to_the_parent

# Share of characters that must decode to real text before a page is read at all.
GARBLED_SHARE = 0.05


def page_text_problem(page: PageReading, source: str) -> Problem | None:
    """A per-page reason not to read the page: no text layer, or text that did not decode."""
    printed = printed_count(page.geometry.glyphs)
    number = page.geometry.number
    if not printed:
        what = "an image only (a scan?)" if page.has_images else "no text"
        return Problem(ProblemKind.NO_TEXT_LAYER, f"page has no text layer: {what}; OCR it (--ocr)", source,
                       page=number, severity=Severity.ERROR)
    if page.undecoded / printed > GARBLED_SHARE:
        return Problem(ProblemKind.GARBLED_TEXT, f"page text does not decode: {page.undecoded} of {printed} characters "
                       "have no Unicode text (a font without a Unicode map: pdfminer prints them as "
                       "'(cid:NN)'); nothing on it is loaded unless it is OCR'd (--ocr)", source, page=number,
                       severity=Severity.ERROR)
    return None


def plumber_pages(path: Path, first: int = 1, last: int | None = None) -> Iterator[PageReading]:
    """The reference reader: pages first..last through pdfplumber, each page's cache flushed after use."""
    import pdfplumber  # a fifth of a second to import, which the default reader does without

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages[first - 1:last]:
            try:
                chars = [c for c in page.chars if c["text"].strip()]
                undecoded = sum(1 for c in chars if c["text"].startswith("(cid:") or "\ufffd" in c["text"])
                yield PageReading(geometry_of(page), bool(page.images), undecoded)
            finally:
                page.close()  # pdfplumber keeps every parsed page's objects otherwise


READERS = {"pdfium": pdfium.read_pages, "pdfplumber": plumber_pages}


def geometry_of(page) -> PageGeometry:
    """The page as the layout engine reads it: character boxes and the rules printed (lines, thin boxes)."""
    glyphs = [Glyph(c["text"], c["x0"], c["x1"], *_box_on_baseline(c)) for c in page.chars]
    horizontal, vertical = [], []
    for edge in page.edges:
        segment = Segment(edge["x0"], edge["x1"], edge["top"], edge["bottom"])
        if edge["orientation"] == "h":
            horizontal.append(segment)
        else:
            vertical.append(segment)
    return PageGeometry(page.page_number, page.width, page.height, glyphs, horizontal, vertical)


def _box_on_baseline(char: dict) -> tuple[float, float, float]:
    """top, bottom and size of a character's box placed by its baseline (`layout.DESCENT`), not by its
    font's declared descent: pdfminer's box bottom is at its matrix's origin plus the descent."""
    size = char["size"]
    bottom = char["bottom"] + (char["y0"] - char["matrix"][5]) + DESCENT * size
    return bottom - size, bottom, size


@dataclass
class TableSeen:
    """One table on one page as the engine saw it, with what the assembler made of it (for --explain)."""

    page: int
    layout: TableLayout
    block: Block
    values: list[ExtractedValue]
    problems: list[Problem]
    body_rows: range  # its rows' indexes in ExtractResult.rows
    scan: object | None = None  # the page's `ocr.OcrPage` when it was read by OCR (its image and words)


# Values a part of a book holds before it is cut at the next table (see extract_parts): few enough that
# the ingest harmonises and loads a part while the workers read on, and that the last part, which nothing
# overlaps, is short; enough that a part is not a page or two.
PART_VALUES = 5_000
# A row of values lies at the height of a labelled row when their tops are less than this share of the
# labelled rows' pitch apart: the next row is then twice as far.
PITCH_SHARE = 0.33


def extract_pdf(path: Path, sha256: str, options: ExtractOptions, seen: list[TableSeen] | None = None,
                workers: int = 1, on_page: Callable[[], None] | None = None) -> Iterator[ExtractResult]:
    """Every table of the file read into values, in parts cut between tables once a part holds
    PART_VALUES values; `seen`, if given, collects each page's tables as read (and keeps the file one part,
    as its row numbers count over the file).

    With `workers` > 1 a long book's pages are read in that many processes (`page_reads`); the tables
    are assembled here, in page order, so the result is the serial read's. `on_page()` is told of each page
    as it is read (a progress bar).
    """
    result = ExtractResult(path.name, sha256, "pdf")
    first, last = options.pages or (1, None)
    pages = pdfium.page_count(path)
    if not 1 <= first <= pages:
        # a page the file does not have is the caller's mistake, not a corrupt file or a page with no table
        result.problems.append(Problem(ProblemKind.NO_SUCH_PAGE,
                                       f"no page {first}: the file has {plural(pages, 'page')}", path.name,
                                       severity=Severity.ERROR))
        yield result
        return
    tables: TableAssembler | None = None
    # the current table's pages that print their row labels, and those printing values only (see
    # `labelled_blocks`), these read once the table ends
    labelled: list[tuple[PageRead, Block, TableLayout]] = []
    unlabelled: list[tuple[PageRead, Block, TableLayout]] = []

    def add(page: PageRead, block: Block, table: TableLayout) -> None:
        values_before, problems_before, rows_before = len(result.values), len(result.problems), len(result.rows)
        tables.add(block)
        if page.scan:
            result.values[values_before:] = [_with_ocr_read(value, table, page.scan)
                                             for value in result.values[values_before:]]
        if seen is not None:
            seen.append(TableSeen(page.number, table, block, result.values[values_before:],
                                  result.problems[problems_before:], range(rows_before, len(result.rows)),
                                  page.scan))

    def add_unlabelled() -> None:
        blocks = labelled_blocks([(b, t) for _, b, t in labelled], [(b, t) for _, b, t in unlabelled],
                                 [p.number for p, _, _ in labelled + unlabelled])
        if isinstance(blocks, str):
            result.problems.extend(Problem(ProblemKind.UNLABELLED_ROWS,
                                           f"the table at y={table.body_top:.0f} prints values without their row "
                                           f"labels, and {blocks}: not read", path.name, page=page.number)
                                   for page, _, table in unlabelled if table is not None)
        else:
            for (page, _, table), block in zip(unlabelled, blocks):
                if block is not None:
                    add(page, block, table)
        unlabelled.clear()

    def add_labelled(page: PageRead, block: Block, table: TableLayout) -> None:
        while labelled and labelled[-1][2] is None:
            labelled.pop()  # a page printing no number between two labelled pages is none of the runs
        labelled.append((page, block, table))

    def keep_place(page: PageRead) -> None:
        # a page printing no number amid a wide table's runs of pages (the labels of rows with no values in
        # this block, or a block's page of values for rows printing none) keeps its place in them, so the
        # pages after it still pair page by page
        if unlabelled:
            unlabelled.append((page, None, None))
        elif labelled:
            labelled.append((page, None, None))

    for page in page_reads(path, options, first, last, workers):
        if on_page:
            on_page()
        if tables is None:
            # the first page's top lines (running header, edition) date a table that prints no year
            opening = page.top_lines if first == 1 else _top_lines(next(iter(READERS[options.pdf_reader](path, 1, 1)),
                                                                         None))
            tables = TableAssembler(result, options, fallback_lines=opening, series=SeriesTable.of)
        if page.prints_no_number:
            keep_place(page)
        if page.text_problem:
            result.problems.append(page.text_problem)
            continue
        result.problems.extend(page.problems)
        for block, table in page.found:
            if not table.labels_printed:
                unlabelled.append((page, block, table))
                continue
            if not table.values_printed:
                # a page of labels only names the rows of the pages of values after it (or between it and the
                # next such page): it ends a table whose labelled pages print values
                if any(t is not None and t.values_printed for _, _, t in labelled):
                    if unlabelled:
                        add_unlabelled()
                    labelled.clear()
                add_labelled(page, block, table)
                continue
            if not tables.continues(block) or any(t is not None and not t.values_printed for _, _, t in labelled):
                if unlabelled:
                    add_unlabelled()
                labelled.clear()
                if seen is None and len(result.values) >= PART_VALUES:
                    tables.finish_table()
                    yield result
                    result = tables.result = ExtractResult(path.name, sha256, "pdf")
            add_labelled(page, block, table)
            add(page, block, table)
    if unlabelled:
        add_unlabelled()
    if tables is not None:
        tables.finish_table()
    yield result


def labelled_blocks(labelled: list[tuple[Block | None, TableLayout | None]],
                    unlabelled: list[tuple[Block | None, TableLayout | None]], pages: list[int],
                    ) -> list[Block | None] | str:
    """The blocks of a wide table's pages that print values only, each given the rows of the page that
    prints their labels; or why that cannot be proven. An office prints a table too wide for the paper a
    block of columns at a time, the rows' labels with the first block only (or alone: a label column as
    wide as the paper): each later page prints the rows of one labelled page, at the same heights, in one
    of two orders: the labelled pages, then each later block's pages in the same order; or each labelled
    page followed by its own. So the runs of pages must be as long and cover their pages with no gap (a
    page not read would shift the pairs), each block's first page printing its header, and pair page by
    page: every row of values at the height of one row printing a label. A labelled row with no row of
    values beside it (a province heading, a city with none in these columns) is kept, its cells blank:
    the rows after it are placed under it.
    A page printing no number, (None, None), keeps its place in a run: beside it, a page of values prints
    none (its block None), a page of labels no row. After the last page of values such pages may be pages
    after the table: as many are dropped there as leave runs that pair (dropped last, they shift no pair).
    """
    blank_after = next((k for k in range(len(unlabelled), 0, -1) if all(
        block is None for block, _ in unlabelled[-k:]) and labelled and (len(unlabelled) - k) % len(labelled) == 0),
        0)
    unlabelled, pages = unlabelled[:len(unlabelled) - blank_after], pages[:len(pages) - blank_after]
    # (a page may print two tables or more: a sheet's blocks each under its own title and header)
    label_pages, value_pages = pages[:len(labelled)], pages[len(labelled):]
    printed = sorted(set(pages))
    uneven = (f"its {len(unlabelled)} pages of values do not pair with the {len(labelled)} pages printing the "
              "labels, page by page")
    if not labelled or not unlabelled or printed != list(range(min(pages), min(pages) + len(printed))):
        return uneven
    if max(label_pages) < min(value_pages):
        # the labelled pages, then each block of columns in their order: where there are two or more, each
        # begins at the sheet's top rows, under its header
        # (the tables pair in order where each page of values prints as many as its page of labels)
        starts = [value_pages[j - j % len(labelled)] for j in range(len(unlabelled))]
        if len(unlabelled) % len(labelled):
            reason = uneven
        elif len(unlabelled) > len(labelled) and any(table is None or table.header_top is None
                                                     for _, table in unlabelled[::len(labelled)]):
            reason = (f"its {len(unlabelled)} pages of values do not begin a block of columns under a header every "
                      f"{len(labelled)} pages, as the labels' pages do")
        elif any(page - start != label_pages[j % len(labelled)] - label_pages[0]
                 for j, (page, start) in enumerate(zip(value_pages, starts))):
            reason = (f"its {len(unlabelled)} tables of values are not printed as many to a page as the "
                      f"{len(labelled)} tables printing the labels")
        else:
            paired = _pair_pages([labelled[j % len(labelled)] for j in range(len(unlabelled))], unlabelled)
            if not isinstance(paired, str):
                return paired
            reason = paired
        # a block of columns lacking pages (all blank, so not printed): its headers or its rows may place them,
        # where each page prints one table (rows at a page's heights pair with any table's printed there)
        places = None if len(printed) != len(pages) else \
            _places_in_blocks(labelled, unlabelled) or _places_by_rows(labelled, unlabelled)
        return reason if places is None else _pair_pages([labelled[place] for place in places], unlabelled)
    if len(printed) != len(pages):
        return "a page prints two tables, and its pages of values do not follow its pages of labels in one run"
    # each labelled page followed by as many pages of values
    own = [max((i for i, page in enumerate(label_pages) if page < value_page), default=-1)
           for value_page in value_pages]
    if len(unlabelled) % len(labelled):
        return uneven
    if any(own.count(i) != len(unlabelled) // len(labelled) for i in range(len(labelled))):
        return (f"its {len(unlabelled)} pages of values do not follow the {len(labelled)} pages printing the "
                "labels as many after each")
    return _pair_pages([labelled[i] for i in own], unlabelled)


def _pair_pages(labels_of: list[tuple[Block | None, TableLayout | None]],
                unlabelled: list[tuple[Block | None, TableLayout | None]]) -> list[Block | None] | str:
    """Each page of values paired with the page of labels given for it, or why one does not pair."""
    blocks: list[Block | None] = []
    for (labels, labels_table), (values, values_table) in zip(labels_of, unlabelled):
        if values is None:
            blocks.append(None)
            continue
        if labels is None:
            return f"page {values.page} prints values in the place of a page printing no row label"
        block = _paired(labels, labels_table, values, values_table)
        if isinstance(block, str):
            return block
        blocks.append(block)
    return blocks


def _paired(labels: Block, labels_table: TableLayout, values: Block, values_table: TableLayout) -> Block | str:
    """A page of values given the rows of the page printing their labels, or why they do not pair: every row
    of values at the height of one row printing a label (see labelled_blocks)."""
    label_width = len(find_label_columns(labels.cells, find_header_rows(labels.cells)))
    tolerance = 0.2 * min(labels_table.indent_size, values_table.indent_size)
    label_rows = [i for i, top in enumerate(labels_table.row_tops) if top >= labels_table.body_top - tolerance
                  and any(cell.strip() for cell in labels.cells[i][:label_width])]
    # A row printed in another font (a bold municipality) has its line's top off the labelled row's by
    # more than that; well within a third of the rows' pitch, it is still at that row's height and no other.
    # The pitch is the usual one: a glyph boxed tall lifts its row's top, shortening one step
    tops = [labels_table.row_tops[i] for i in label_rows]
    if len(tops) > 1:
        steps = sorted(b - a for a, b in zip(tops, tops[1:]))
        tolerance = max(tolerance, PITCH_SHARE * steps[len(steps) // 2])
    value_rows = {i: top for i, top in enumerate(values_table.row_tops) if top >= values_table.body_top - tolerance}
    beside: dict[int, int] = {}
    for row, top in value_rows.items():
        level = [i for i in label_rows if abs(labels_table.row_tops[i] - top) <= tolerance]
        if len(level) != 1 or level[0] in beside.values():
            return (f"a row of values on page {values.page} lies at the height of no one row page {labels.page} "
                    "labels")
        beside[row] = level[0]
    # A labelled row beside no row of values is blank above or between rows of values (a city with none in
    # these columns); after the last, only where the values' page provably prints nothing down past it:
    # text there, or a grid ending above it, is rows not read as such (its body cut short), cells unknown.
    printing = [i for i in label_rows if any(cell.strip() for cell in labels.cells[i][label_width:])]
    proven_blank = bool(printing) and values_table.blank_to is not None and \
        labels_table.row_tops[printing[-1]] + labels_table.indent_size <= values_table.blank_to + tolerance
    if printing and beside and max(beside.values()) < printing[-1] and not proven_blank:
        return (f"page {values.page} prints no row of values at the height of "
                f"{' '.join(labels.cells[printing[-1]][:label_width]).strip()!r}, which page {labels.page} "
                "prints values for, after its last row of values, not proven blank there (text, or its grid "
                "ending, above it)")
    of_label = {label: row for row, label in beside.items()}
    header = [i for i in range(len(values.cells)) if i not in value_rows]
    blank = [""] * (len(values.cells[0]) - 1)
    cells = [[""] * label_width + values.cells[i][1:] for i in header] + [
        labels.cells[i][:label_width] + (values.cells[of_label[i]][1:] if i in of_label else blank)
        for i in label_rows]
    # a row the values' page does not print takes the number of the row printed before it
    numbers = [values.rows[i] for i in header]
    for i in label_rows:
        numbers.append(values.rows[of_label[i]] if i in of_label else numbers[-1] if numbers else 1)
    # the title of a table whose label column fills its own pages prints there, left of the values
    lines_above = values.lines_above or ([] if labels_table.values_printed else labels.lines_above)
    return Block(lines_above, cells, numbers, labels.columns[:label_width] + values.columns[1:], page=values.page)


def _places_in_blocks(labelled: list[tuple[Block | None, TableLayout | None]],
                      unlabelled: list[tuple[Block | None, TableLayout | None]]) -> list[int] | None:
    """Where a table prints its header atop a block of columns' first page only (the labels' pages after the
    first print none), each page of values' place in its block: a page printing the header begins one. An
    office (LibreOffice) prints no page whose cells are all blank, so a block may lack pages; which is proven
    only where it keeps its first page alone (the header is always printed) or all of them. None where the
    header is repeated, or the blocks do not prove so."""
    if len(labelled) < 2 or any(table is None or table.header_top is not None for _, table in labelled[1:]):
        return None
    places: list[int] = []
    for _, table in unlabelled:
        if table is None or table.header_top is None and not places:
            return None
        places.append(0 if table.header_top is not None else places[-1] + 1)
    starts = [i for i, place in enumerate(places) if place == 0] + [len(places)]
    if any(end - start not in (1, len(labelled)) for start, end in zip(starts, starts[1:])):
        return None
    return places


def _places_by_rows(labelled: list[tuple[Block | None, TableLayout | None]],
                    unlabelled: list[tuple[Block | None, TableLayout | None]]) -> list[int] | None:
    """Each page of values' page of labels, where its rows pair with those of one page of labels only (a row
    printed lower than another page's last): the pages of labels, then each block of columns in their order,
    any page missing (printed blank, so not printed), leaves every page of values free to be any labels'.
    None where a page pairs with none or several."""
    places = []
    for values, values_table in unlabelled:
        fitting = [k for k, (labels, labels_table) in enumerate(labelled) if values is not None and labels is not None
                   and not isinstance(_paired(labels, labels_table, values, values_table), str)]
        if len(fitting) != 1:
            return None
        places.append(fitting[0])
    return places


@dataclass
class PageRead:
    """One page as the layout engine read it, before its tables are assembled: what a worker hands back."""

    number: int
    text_problem: Problem | None  # a reason the page was not read (no text layer, text that does not decode)
    found: list[tuple[Block, TableLayout]]
    problems: list[Problem]
    carried: TableLayout | None  # the layout the next page continues, as this page leaves it
    scan: object | None = None  # the page's OCR read (ocr.OcrPage) when its text layer was unusable
    top_lines: list[str] = dataclasses.field(default_factory=list)  # page 1 only: dates a table printing no year
    # no table, no digit and no image: a wide table's page whose rows print no values in its block of columns
    prints_no_number: bool = False


def read_page_run(path: Path, options: ExtractOptions, first: int, last: int | None,
                  carried: TableLayout | None = None, pages: Iterator[PageReading] | None = None
                  ) -> Generator[PageRead, None, None]:
    """Pages first..last through the layout engine, one at a time, `carried` continued by the first;
    `pages` are those pages' readings when they have been read already."""
    for page in pages or READERS[options.pdf_reader](path, first, last):
        number = page.geometry.number
        top_lines = _top_lines(page) if number == 1 else []
        problem = page_text_problem(page, path.name)
        scan = None
        if problem and options.ocr:
            scan = _ocr(path, number)
        elif problem:
            yield PageRead(number, problem, [], [], carried, top_lines=top_lines,
                           prints_no_number=problem.kind == ProblemKind.NO_TEXT_LAYER and _prints_no_number(page))
            continue
        found, carried, problems = read_page(scan.geometry if scan else page.geometry, carried, path.name)
        yield PageRead(number, None, found, problems, carried, scan, top_lines,
                       prints_no_number=not found and not scan and _prints_no_number(page))


def _prints_no_number(page: PageReading) -> bool:
    return not page.has_images and not any(char.isdigit() for glyph in page.geometry.glyphs for char in glyph.text)


# Pages a run must have before a book is split among processes: a worker's start-up (a process, its
# first page's imports and data) costs about what it reads in a few pages, so a short file (the
# fixtures, a single table) is read in this process.
PAGES_PER_RUN = 10
# A worker reads at least this many runs in turn: the tables of the first runs are assembled here while
# the workers read on, and a worker that finishes early takes the next run.
RUNS_PER_WORKER = 4
# Pages a run may have at most, and runs read ahead of the one being assembled per worker: what a worker
# hands back, and what waits here, stays the same however long the book.
MOST_PAGES_PER_RUN = 50
RUNS_AHEAD_PER_WORKER = 2
# Each of the first, short runs is this many times as long as the one before (see page_runs).
RUN_GROWTH = 1.5


def page_reads(path: Path, options: ExtractOptions, first: int, last: int | None, workers: int
               ) -> Iterator[PageRead]:
    """Pages first..last read in order: in this process, or split into runs of pages read by workers.

    A worker reads its run with the layout the page before it leaves when read alone (`_read_run`), which
    is nearly always the one it leaves read in order: a book prints its header on every page. Where it is
    not, the run's first pages are read again here with the layout carried in, until the two readings
    leave the same layout to the next page; from there on the worker's pages are the serial read's. So
    the result never depends on where the book was split. The worker hands back its first page's geometry
    too: that page, nearly always the only one read again, is not parsed twice.
    """
    runs = [(first, last)]
    if workers > 1:
        try:
            count = pdfium.page_count(path)
            runs = page_runs(first, min(last or count, count), workers)
        except pdfium.PdfiumError:
            pass  # the reader says why it cannot be read
    if len(runs) == 1:
        yield from read_page_run(path, options, first, last)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(runs)),
                             initializer=leave_interrupts_to_the_parent) as pool:
        pending = iter(runs)
        ahead = deque(pool.submit(_read_run, path, options, start, end)
                      for start, end in islice(pending, workers * RUNS_AHEAD_PER_WORKER))
        carried = None
        for start, end in runs:
            theirs, opening, assumed = ahead.popleft().result()
            ahead.extend(pool.submit(_read_run, path, options, start, end) for start, end in islice(pending, 1))
            if carried != assumed:
                agreed = 0
                # (the reader opens the file only if a second page is asked for)
                readings = chain([opening], READERS[options.pdf_reader](path, start + 1, end))
                with closing(read_page_run(path, options, start, end, carried, readings)) as again:
                    for mine in again:
                        yield mine
                        carried = mine.carried
                        agreed += 1
                        if mine.carried == theirs[agreed - 1].carried:
                            break
                theirs = theirs[agreed:]
            for page in theirs:
                yield page
                carried = page.carried


def page_runs(first: int, last: int, workers: int) -> list[tuple[int, int]]:
    """Pages first..last as runs (first, last) in order: RUNS_PER_WORKER a worker or more, each of
    PAGES_PER_RUN to MOST_PAGES_PER_RUN pages; one run when there are too few pages (or one worker).

    The first runs are short, each RUN_GROWTH times the one before, up to the others' even length: the
    tables of the first pages are assembled here as soon as a few are read, not after a whole run."""
    pages = last - first + 1
    runs = max(workers * RUNS_PER_WORKER, -(-pages // MOST_PAGES_PER_RUN)) if workers > 1 else 1
    runs = min(runs, pages // PAGES_PER_RUN)
    if runs < 2:
        return [(first, last)]
    even = -(-pages // runs)
    lengths: list[int] = []
    length = PAGES_PER_RUN
    while length < even and sum(lengths) + length < pages:
        lengths.append(length)
        length = max(length + 1, round(length * RUN_GROWTH))
    count = -(-(pages - sum(lengths)) // even)
    base, longer = divmod(pages - sum(lengths), count)
    lengths += [base + 1] * longer + [base] * (count - longer)
    ends = list(accumulate(lengths, initial=first - 1))
    return [(start + 1, end) for start, end in zip(ends, ends[1:])]


def _read_run(path: Path, options: ExtractOptions, first: int, last: int
              ) -> tuple[list[PageRead], PageReading, TableLayout | None]:
    """The run's pages read, its first page's reading, and the layout carried into that page: the one the
    page before the run leaves when read alone (see page_reads; None for the book's first page, and where
    pages are OCR'd, as reading one more costs seconds). The bodies of the tables that print both labels
    and values are read here too, in the worker: what is left to the process assembling the tables is
    placing their values (`tables.read_body`)."""
    before = first - 1 if first > 1 and not options.ocr else first
    readings = READERS[options.pdf_reader](path, before, last)
    carried = None
    if before < first:
        carried = next(read_page_run(path, options, before, before, pages=islice(readings, 1))).carried
    opening = next(readings)
    pages = list(read_page_run(path, options, first, last, carried, pages=chain([opening], readings)))
    for page in pages:
        for block, table in page.found:
            if table.labels_printed and table.values_printed:
                with_body_read(block)
    return pages, opening, carried


def _top_lines(page: PageReading | None, count: int = 3) -> list[str]:
    return [line.text for line in text_lines(page.geometry.glyphs)[:count]] if page else []


def _ocr(path: Path, number: int):
    """The page read by OCR (its scan's resolution comes from pdfplumber's image records)."""
    import pdfplumber

    from cnstat_etl.extract.ocr import ocr_page  # onnxruntime loads only when a scan needs it

    with pdfplumber.open(path) as pdf:
        return ocr_page(path, pdf.pages[number - 1])


def _with_ocr_read(value: ExtractedValue, table: TableLayout, scan) -> ExtractedValue:
    """The value with how its cell was read: the words inside the cell's stretch of the page."""
    where = value.provenance
    left, right = (table.left, table.label_right) if where.column == 1 else table.regions[where.column - 2]
    tops = table.row_tops + [table.bottom + 1]
    read = scan.cell_read(left, tops[where.row - 1] - 1, right, tops[where.row] - 1)
    return dataclasses.replace(value, ocr=read or OcrRead(0.0, left, tops[where.row - 1], right, tops[where.row]))
