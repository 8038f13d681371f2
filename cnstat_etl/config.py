"""Where the project's reviewable data lives, and loaders for it.

Per-source knowledge is data (PUDL's way): parsers/layout.toml, mappings/*.csv, warehouse/*.sql.
The package is installed editable (`make` does this), so these folders are found beside it.
"""

from __future__ import annotations

import csv
import functools
import os
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PARSERS_DIR = ROOT / "parsers"
MAPPINGS_DIR = ROOT / "mappings"
WAREHOUSE_DIR = ROOT / "warehouse"
SAMPLES_DIR = ROOT / "tests" / "fixtures" / "sources"
DEFAULT_DB = WAREHOUSE_DIR / "cnstat.duckdb"


def default_db_path() -> Path:
    return Path(os.environ.get("CNSTAT_DB") or DEFAULT_DB)


@functools.lru_cache(maxsize=None)
def layout() -> dict:
    with open(PARSERS_DIR / "layout.toml", "rb") as f:
        return tomllib.load(f)


def read_mapping_csv(name: str) -> list[dict[str, str]]:
    with open(MAPPINGS_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@functools.lru_cache(maxsize=None)
def source_descriptors() -> tuple[tuple[str, dict], ...]:
    """(name, content) of every mappings/sources/*.toml: what each column of a dataset means."""
    found = []
    for path in sorted((MAPPINGS_DIR / "sources").glob("*.toml")):
        with open(path, "rb") as f:
            found.append((path.stem, tomllib.load(f)))
    return tuple(found)
