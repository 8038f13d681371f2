"""`cnstat ingest` draws a progress bar on a terminal, and none when its output goes to a file or a CI log."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

CNSTAT = str(Path(sys.executable).parent / "cnstat")
SOURCES = Path(__file__).parent / "fixtures" / "sources"
FILES = [SOURCES / "ccsy2009_gdp_revenue_ruled.pdf", SOURCES / "sichuan1999_prefectures.xlsx"]
BAR = "━"  # rich's bar


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
    assert "[2/2] loaded" in text and "2 files: 2 loaded" in text
