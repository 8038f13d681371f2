"""Where the project's reviewable data lives, and loaders for it.

Per-source knowledge is data (PUDL's way): parsers/layout.toml, mappings/*.csv, warehouse/*.sql.
The folders stay at the top of the repository; setuptools maps them into the package
(cnstat_etl.mappings, .parsers, .warehouse), so an editable install and a wheel both find them through
importlib.resources.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import os
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib



def _data_folder(package: str) -> Path:
    # Installed packages live on the file system (wheels are unpacked), so the folder is a real path that
    # open(), pandas and pint can read.
    return Path(str(importlib.resources.files(package)))


PARSERS_DIR = _data_folder("cnstat_etl.parsers")
MAPPINGS_DIR = _data_folder("cnstat_etl.mappings")
WAREHOUSE_DIR = _data_folder("cnstat_etl.warehouse")

# A source checkout (editable install, `make`) has the sample sources and keeps the warehouse in
# warehouse/; an installed wheel has neither, so its default warehouse is ./cnstat.duckdb.
CHECKOUT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = CHECKOUT / "tests" / "fixtures" / "sources"
IN_CHECKOUT = (CHECKOUT / "pyproject.toml").is_file() and WAREHOUSE_DIR == CHECKOUT / "warehouse"
DEFAULT_DB = WAREHOUSE_DIR / "cnstat.duckdb" if IN_CHECKOUT else Path("cnstat.duckdb")


def default_db_path() -> Path:
    return Path(os.environ.get("CNSTAT_DB") or DEFAULT_DB)


def bundled_samples() -> Path:
    """The sample sources `cnstat ingest` loads when given no path; they ship with a source checkout only."""
    if not SAMPLES_DIR.is_dir():
        raise FileNotFoundError("no PATH given, and this installation has no bundled samples (they come with a "
                                "source checkout, in tests/fixtures/sources): name the files or folders to ingest")
    return SAMPLES_DIR


@functools.lru_cache(maxsize=None)
def layout() -> dict:
    with open(PARSERS_DIR / "layout.toml", "rb") as f:
        return tomllib.load(f)


def read_mapping_csv(name: str) -> list[dict[str, str]]:
    with open(MAPPINGS_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
