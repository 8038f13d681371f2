"""`cnstat ingest` draws a progress bar on a terminal, and none when its output goes to a file or a CI log."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pypdfium2 as pdfium
import pyte
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


@pytest.mark.parametrize("told", [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}])
def test_output_the_environment_calls_a_terminal_gets_the_bars_though_it_is_a_pipe(tmp_path, told):
    done = subprocess.run(_ingest_args(tmp_path), capture_output=True, text=True, timeout=300,
                          env={**os.environ, **told})
    assert done.returncode == 0, done.stderr
    assert BAR in done.stdout and "2 files: 2 loaded" in done.stdout


def _on_a_terminal(args: list[str], columns: int = 120, rows: int = 50) -> tuple[int, bytes]:
    """Run a command on a pseudo-terminal of that size: its exit status and all it wrote there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "LINES": str(rows)}
    process = subprocess.Popen(args, stdout=follower, stderr=follower, env=env)
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
    return process.wait(timeout=300), shown


def test_a_terminal_gets_a_bar_of_files_beside_the_per_file_lines(tmp_path):
    status, shown = _on_a_terminal(_ingest_args(tmp_path))
    assert status == 0
    text = shown.decode("utf-8", errors="replace")
    assert BAR in text and "2/2" in text
    assert "pages" in text and f"{PAGES}/{PAGES}" in text
    assert "[2/2] loaded" in text and "2 files: 2 loaded" in text


def test_on_an_80_column_terminal_each_file_line_is_left_whole_and_no_bar_is_left_behind(tmp_path):
    # lines longer than the terminal is wide, printed while the bars are drawn below them
    folder = tmp_path / "a_folder_with_a_long_name_as_downloads_have"
    folder.mkdir()
    files = []
    for i, source in enumerate(FILES * 3):
        files.append(folder / f"{i}_{source.name}")
        files[-1].write_bytes(source.read_bytes() + (f"\n% copy {i}\n".encode() if source.suffix == ".pdf" else b""))
    args = [CNSTAT, "ingest", *map(str, files), "--db", str(tmp_path / "w.duckdb"), "--workers", "1"]
    piped = subprocess.run(args[:-4] + ["--db", str(tmp_path / "piped.duckdb"), "--workers", "1"],
                           capture_output=True, text=True, timeout=300)
    expected = [line for line in piped.stdout.splitlines() if line.startswith("[")]
    assert len(expected) == len(files) and all(len(line) > 80 for line in expected)
    status, shown = _on_a_terminal(args, columns=80, rows=200)
    assert status == 0
    screen = pyte.Screen(80, 200)
    pyte.Stream(screen).feed(shown.decode("utf-8"))
    # the rows run together, spaces folded: a line the terminal wrapped is whole again
    shown_text = " ".join("".join(screen.display).split())
    assert " ".join(" ".join(expected).split()) in shown_text
    assert BAR not in shown_text


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
