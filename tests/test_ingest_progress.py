"""`cnstat ingest` draws a progress bar on a terminal, and none when its output goes to a file or a CI log."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from cnstat_etl.pipeline import ingest
from test_pdf_workers import _book

CNSTAT = str(Path(sys.executable).parent / "cnstat")
SOURCES = Path(__file__).parent / "fixtures" / "sources"
FILES = [SOURCES / "ccsy2009_gdp_revenue_ruled.pdf", SOURCES / "sichuan1999_prefectures.xlsx"]
BAR = "━"  # rich's bar
PAGES = len(pdfium.PdfDocument(str(FILES[0])))


def _ingest_args(tmp_path) -> list[str]:
    return [CNSTAT, "ingest", *map(str, FILES), "--db", str(tmp_path / "w.duckdb"), "--workers", "1"]


def test_no_progress_bar_when_output_is_not_a_terminal(tmp_path):
    done = subprocess.run(_ingest_args(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert BAR not in done.stdout + done.stderr and "\x1b[" not in done.stdout
    assert "[2/2] loaded" in done.stdout and "2 files: 2 loaded" in done.stdout


def test_a_terminal_gets_a_bar_of_files_beside_the_per_file_lines(tmp_path):
    leader, follower = pty.openpty()
    process = subprocess.Popen(_ingest_args(tmp_path), stdout=follower, stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command has exited and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait(timeout=300) == 0
    text = shown.decode("utf-8", errors="replace")
    assert BAR in text and "2/2" in text
    assert "pages" in text and f"{PAGES}/{PAGES}" in text
    assert "[2/2] loaded" in text and "2 files: 2 loaded" in text


@pytest.mark.parametrize("workers", [1, 2])
def test_pages_are_counted_up_to_every_pdfs_total(tmp_path, workers):
    book = _book(tmp_path)[0]
    files = [book, *FILES]
    told = []
    ingest(files, tmp_path / "w.duckdb", jobs=workers, on_pages=lambda done, total: told.append((done, total)))
    total = sum(len(pdfium.PdfDocument(str(path))) for path in (book, FILES[0]))
    assert told[0] == (0, total) and told[-1] == (total, total)
    assert [done for done, _ in told] == sorted(done for done, _ in told)
    assert {t for _, t in told} == {total}


def test_a_single_book_is_counted_page_by_page_as_its_workers_read_it(tmp_path):
    book, pages = _book(tmp_path)
    told = []
    ingest([book], tmp_path / "w.duckdb", jobs=2, on_pages=lambda done, total: told.append(done))
    assert told == list(range(pages + 1))
