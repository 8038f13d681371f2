from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.pipeline import ingest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))  # the generator's truth module, for tests that read it
GOLDEN = FIXTURES / "golden"
SHARED_REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real"
# Derived reference data goes to a folder of this session (the CLI's subprocesses inherit it), not the user's.
os.environ["CNSTAT_CACHE_DIR"] = tempfile.mkdtemp(prefix="cnstat-user-cache-")
atexit.register(shutil.rmtree, os.environ["CNSTAT_CACHE_DIR"], ignore_errors=True)


@pytest.fixture(scope="session")
def samples_db(tmp_path_factory) -> Path:
    """A real DuckDB file holding the bundled samples, ingested once for the session."""
    db = tmp_path_factory.mktemp("warehouse") / "samples.duckdb"
    summary = ingest([SAMPLES_DIR], db, jobs=1)
    assert summary.count("failed") == 0, [f.reason for f in summary.files]
    return db
