from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import pytest

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.pipeline import ingest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))  # the generator's truth module, for tests that read it
GOLDEN = FIXTURES / "golden"
SHARED_REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real"
CNSTAT = str(Path(sys.executable).parent / "cnstat")
# Derived reference data goes to a folder of this run, not the user's: made by the first process of the run,
# which the CLI's subprocesses and pytest-xdist's workers inherit, so that they derive it once between them.
if "CNSTAT_TEST_CACHE_DIR" not in os.environ:
    os.environ["CNSTAT_TEST_CACHE_DIR"] = tempfile.mkdtemp(prefix="cnstat-user-cache-")
    atexit.register(shutil.rmtree, os.environ["CNSTAT_TEST_CACHE_DIR"], ignore_errors=True)
os.environ["CNSTAT_CACHE_DIR"] = os.environ["CNSTAT_TEST_CACHE_DIR"]


# The modules that take longest run first (each 15 to 85 CPU seconds alone, measured 2026-12-07).
# pytest-xdist hands a worker a module at a time in the order they are collected; its own order (most
# tests first) put test_dask_ingest, four tests and 40 s, last, leaving the other core idle. Those that
# share real_db are spread out, so that one worker does not wait long on the other's ingest of it.
LONGEST_FIRST = ["test_reliability.py", "test_real_series.py", "test_dask_ingest.py", "test_pdf_readers.py",
                 "test_report.py", "test_county_panel.py", "test_cli.py", "test_real_prints.py", "test_ocr.py",
                 "test_firms.py", "test_wheel.py", "test_cli_errors.py", "test_real_chinautc.py",
                 "test_panel_export.py"]


def pytest_configure(config) -> None:
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist's ordering, whose place LONGEST_FIRST takes
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items) -> None:
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest stay in file order


def _run_folder(tmp_path_factory) -> Path:
    """The run's temporary folder: with pytest-xdist, the one the workers' folders share."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder `make(folder)` filled once for the whole run: with pytest-xdist, by whichever worker comes
    first while the others wait for it, rather than once per worker (seconds to minutes each)."""
    root = _run_folder(tmp_path_factory)
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def samples_db(tmp_path_factory) -> Path:
    """A real DuckDB file holding the bundled samples, ingested once for the run."""
    def make(folder: Path) -> None:
        summary = ingest([SAMPLES_DIR], folder / "samples.duckdb", jobs=1)
        assert summary.count("failed") == 0, [f.reason for f in summary.files]

    return once_per_run(tmp_path_factory, "samples_warehouse", make) / "samples.duckdb"


@pytest.fixture(scope="session")
def real_extract_cache(tmp_path_factory) -> Path:
    """One cache of extracted tables for the run's ingests of real files (real_db's and the real-material
    modules' own warehouses), so that a file is read once a run rather than once a warehouse. An entry is
    keyed by the file's bytes, the extract code and data, and the options (cnstat_etl/extract/cache.py):
    none can stand for another file or code, and entries are written whole, so workers may share it."""
    folder = _run_folder(tmp_path_factory) / "real_extract_cache"
    folder.mkdir(exist_ok=True)
    return folder


def warehouse_in(folder: Path, name: str, extract_cache: Path) -> Path:
    """A warehouse path in `folder` whose ingests keep their extracted tables in `extract_cache` (an
    ingest keeps them in cache/ beside the warehouse)."""
    (folder / "cache").symlink_to(extract_cache, target_is_directory=True)
    return folder / name


@pytest.fixture(scope="session")
def real_db(tmp_path_factory, real_extract_cache) -> tuple[Path, subprocess.CompletedProcess]:
    """All of ../shared/real ingested once for the run by `cnstat ingest`, with what it printed."""
    if not SHARED_REAL.is_dir():
        pytest.skip(f"{SHARED_REAL} is absent: real files not available")

    def make(folder: Path) -> None:
        db = warehouse_in(folder, "real.duckdb", real_extract_cache)
        run = subprocess.run([CNSTAT, "ingest", "--db", str(db), str(SHARED_REAL)],
                             capture_output=True, text=True, timeout=900)
        assert "Traceback" not in run.stderr, run.stderr
        for name, text in (("stdout", run.stdout), ("stderr", run.stderr), ("returncode", str(run.returncode))):
            (folder / name).write_text(text, encoding="utf-8")

    folder = once_per_run(tmp_path_factory, "real_warehouse", make)
    run = subprocess.CompletedProcess([], int((folder / "returncode").read_text()),
                                      (folder / "stdout").read_text(encoding="utf-8"),
                                      (folder / "stderr").read_text(encoding="utf-8"))
    return folder / "real.duckdb", run
