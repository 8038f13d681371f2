"""A long PDF's pages read in worker processes give exactly what reading them in order gives.

The book here is every sample PDF in turn, the continued table among them twice, so tables start, go on
across pages and follow one another on one page; with a run of pages as short as one page per worker,
runs begin inside continued tables, where a worker cannot know the layout carried into its first page.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from cnstat_etl.extract import extract_file, extract_parts, merged
from cnstat_etl.extract import pdf
from cnstat_etl.extract.tables import Block, ExtractOptions, TableAssembler, with_body_read
from cnstat_etl.model import ExtractResult
from conftest import FIXTURES

SAMPLES = sorted((FIXTURES / "sources").glob("*.pdf"))
CONTINUED = FIXTURES / "sources" / "ccsy2010_population_continued.pdf"


def _book(folder: Path) -> tuple[Path, int]:
    book = pdfium.PdfDocument.new()
    for path in SAMPLES + [CONTINUED]:
        source = pdfium.PdfDocument(str(path))
        book.import_pages(source)
        source.close()
    out = folder / "book.pdf"
    book.save(str(out))
    pages = len(book)
    book.close()
    return out, pages


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return _book(tmp_path_factory.mktemp("book"))


@pytest.fixture(scope="module")
def serial(book):
    result = extract_file(book[0])
    assert result.values and len(result.tables) > len(SAMPLES)  # several tables, some over several pages
    return result


@pytest.mark.parametrize("workers", [2, 3, 5, 99])  # 99: a run per page
def test_pages_read_in_workers_give_the_serial_read(book, serial, monkeypatch, workers):
    path, pages = book
    monkeypatch.setattr(pdf, "PAGES_PER_RUN", 1)  # split even this short book
    runs = pdf.page_runs(1, pages, workers)
    assert len(runs) > 1 and [page for start, end in runs for page in range(start, end + 1)] == list(range(1, pages + 1))
    parallel = extract_file(path, workers=workers)
    assert parallel.values == serial.values
    assert parallel.rows == serial.rows
    assert parallel.tables == serial.tables
    assert parallel.problems == serial.problems


def test_workers_read_only_the_pages_asked_for(book, monkeypatch):
    path, pages = book
    monkeypatch.setattr(pdf, "PAGES_PER_RUN", 1)
    options = pdf.ExtractOptions(pages=(3, pages - 2))
    assert extract_file(path, options, workers=3).values == extract_file(path, options).values


def test_a_short_file_is_read_in_one_run():
    short = 2 * pdf.PAGES_PER_RUN - 1
    assert pdf.page_runs(1, short, workers=8) == [(1, short)]
    assert pdf.page_runs(1, 405, workers=1) == [(1, 405)]
    assert len(pdf.page_runs(1, 100, workers=2)) == 2 * pdf.RUNS_PER_WORKER


def test_a_long_book_starts_with_short_runs_that_grow_so_its_first_tables_are_assembled_early():
    lengths = [end - start + 1 for start, end in pdf.page_runs(1, 405, workers=2)]
    ramp = lengths[:lengths.index(max(lengths))]
    assert ramp[0] == pdf.PAGES_PER_RUN and len(ramp) >= 2
    assert all(later == max(earlier + 1, round(earlier * pdf.RUN_GROWTH)) for earlier, later in zip(ramp, ramp[1:]))
    assert max(lengths) - min(lengths[len(ramp):]) <= 1  # then even runs


@pytest.mark.parametrize("pages", [405, 1620, 8000])
def test_a_long_book_is_read_in_runs_of_bounded_length(pages):
    runs = pdf.page_runs(1, pages, workers=2)
    assert [page for start, end in runs for page in range(start, end + 1)] == list(range(1, pages + 1))
    assert max(end - start + 1 for start, end in runs) <= pdf.MOST_PAGES_PER_RUN


def test_a_book_cut_into_a_part_per_table_merges_back_to_the_serial_read(book, serial, monkeypatch):
    monkeypatch.setattr(pdf, "PART_VALUES", 1)
    monkeypatch.setattr(pdf, "PAGES_PER_RUN", 1)
    parts = list(extract_parts(book[0], workers=3))
    assert len(parts) == len(serial.tables) and all(len(part.tables) == 1 for part in parts)
    assert merged(parts) == serial



def test_a_worker_reads_its_run_with_the_layout_the_page_before_leaves_so_no_page_is_read_twice_where_that_is_the_serial_one(
        book, monkeypatch):
    monkeypatch.setattr(pdf, "PAGES_PER_RUN", 1)
    path, pages = book
    options = ExtractOptions()
    in_order = [None] + [page.carried for page in pdf.read_page_run(path, options, 1, pages)]  # into page p: [p - 1]
    alone = [None, None] + [next(pdf.read_page_run(path, options, p - 1, p - 1)).carried for p in range(2, pages + 1)]
    runs = pdf.page_runs(1, pages, 3)
    read_again = []
    reading = pdf.read_page_run

    def recorded(*args, **kwargs):  # in this process only: the workers' reads are their own
        for page in reading(*args, **kwargs):
            read_again.append(page.number)
            yield page

    monkeypatch.setattr(pdf, "read_page_run", recorded)
    list(extract_parts(path, workers=3))
    differing = {start for start, _ in runs if alone[start] != in_order[start - 1]}
    assert len(runs) > 2 and len(differing) < len(runs) - 1
    assert {next(start for start, end in runs if start <= page <= end) for page in read_again} == differing


def _assembled(blocks: list[Block], read_ahead: bool) -> ExtractResult:
    result = ExtractResult("book.pdf", "0" * 64, "pdf")
    tables = TableAssembler(result, ExtractOptions())
    for block in blocks:
        tables.add(with_body_read(block) if read_ahead else block)
    tables.finish_table()
    return result


def test_a_continued_page_whose_body_a_worker_read_for_its_own_label_columns_is_read_for_its_tables():
    # the table's header makes its code column a label column; the continued page alone would read that
    # column's numbers as values, and its labels without the codes
    def blocks() -> list[Block]:
        return [Block(["中国城市统计年鉴—2009", "2-1 地区生产总值", "单位：万元"],
                      [["城市", "代码", "地区生产总值"], ["南京", "甲", "100"], ["无锡", "乙", "200"]],
                      [1, 2, 3], [1, 2, 3], page=1),
                Block(["续表"], [["苏州", "1", "400"], ["南通", "2", "—"]], [1, 2], [1, 2, 3], page=2)]

    ahead = _assembled(blocks(), read_ahead=True)
    assert [value.row_label for value in ahead.values] == ["南京 甲", "无锡 乙", "苏州 1", "南通 2"]
    assert ahead == _assembled(blocks(), read_ahead=False)

# Run in a fresh interpreter (this one has them all imported): records what the main process has imported
# when the page workers are forked, then finishes the ingest.
_MODULES_AT_FORK = """
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cnstat_etl.extract import pdf
from cnstat_etl.pipeline import ingest

pdf.PAGES_PER_RUN = 1
start = ProcessPoolExecutor.__init__
seen = []


def recording(self, *args, **kwargs):
    seen.append(sorted(name for name in ("pyarrow", "cnstat_etl.harmonise") if name in sys.modules))
    start(self, *args, **kwargs)


ProcessPoolExecutor.__init__ = recording
summary = ingest([Path(sys.argv[1])], Path(sys.argv[2]), jobs=2)
print(json.dumps({"at_fork": seen, "values": summary.values}))
"""


def test_a_books_page_workers_start_before_the_main_process_imports_pyarrow_and_harmonise(book, tmp_path):
    done = subprocess.run([sys.executable, "-c", _MODULES_AT_FORK, str(book[0]), str(tmp_path / "w.duckdb")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ran = json.loads(done.stdout.splitlines()[-1])
    # the pool of page workers started (once), before the main process loaded what only it needs
    assert ran["at_fork"] == [[]] and ran["values"] > 0
