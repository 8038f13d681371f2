"""Where the project's reviewable data lives, and loaders for it.

Per-source knowledge is data (PUDL's way): parsers/layout.toml, mappings/*.csv, warehouse/*.sql.
The folders stay at the top of the repository; setuptools maps them into the package
(cnstat_etl.mappings, .parsers, .warehouse), so an editable install and a wheel both find them through
importlib.resources.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.resources
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Callable, Hashable, Iterable, TypeVar

from cnstat_etl.errors import UserError
from cnstat_etl.settings import (Check, Checks, LayoutRules, OcrReview, SourceDescriptor, load_toml, read_descriptor,
                                 read_layout, read_typed)



def _data_folder(package: str) -> Path:
    # Installed packages live on the file system (wheels are unpacked), so the folder is a real path that
    # open(), pandas and pint can read.
    return Path(str(importlib.resources.files(package)))


PARSERS_DIR = _data_folder("cnstat_etl.parsers")
MAPPINGS_DIR = _data_folder("cnstat_etl.mappings")
WAREHOUSE_DIR = _data_folder("cnstat_etl.warehouse")
REPORT_DIR = WAREHOUSE_DIR / "report"

# A source checkout (editable install, `make`) has the sample sources and keeps the warehouse in
# warehouse/; an installed wheel has neither, so its default warehouse is ./cnstat.duckdb.
CHECKOUT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = CHECKOUT / "tests" / "fixtures" / "sources"
IN_CHECKOUT = (CHECKOUT / "pyproject.toml").is_file() and WAREHOUSE_DIR == CHECKOUT / "warehouse"
DEFAULT_DB = WAREHOUSE_DIR / "cnstat.duckdb" if IN_CHECKOUT else Path("cnstat.duckdb")


def default_cache_dir(db_path: Path) -> Path:
    """Where `cnstat ingest` keeps extracted tables: cache/ beside the warehouse file."""
    return Path(db_path).parent / "cache"


def user_cache_dir() -> Path:
    """Where data derived from the project's own files is kept between runs (the code history's periods
    and lineage, pint's parsed unit definitions): $CNSTAT_CACHE_DIR, else the user's cache folder."""
    import platformdirs

    return Path(os.environ.get("CNSTAT_CACHE_DIR") or platformdirs.user_cache_dir("cnstat-etl"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a reader never sees half of it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def fingerprint(seed: str, files: Iterable[tuple[Path, Path]] = ()) -> str:
    """The digest by which something derived from files is known: of `seed`, then of each (folder, file)
    the file's path within the folder and its bytes, in the order given."""
    digest = hashlib.sha256(seed.encode())
    for folder, path in files:
        digest.update(str(Path(path).relative_to(folder)).encode() + b"\0" + Path(path).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def files_in(folder: Path, patterns: Iterable[str]) -> list[tuple[Path, Path]]:
    """(folder, file) of the files in `folder` matching each of `patterns` in turn, sorted within each."""
    return [(folder, path) for pattern in patterns for path in sorted(folder.glob(pattern))]


Derived = TypeVar("Derived")

# Versions of one derived thing the user cache keeps, newest first: each change of the project's files
# writes a version, and without a limit the folder only grows. A few, so that checkouts of different
# commits side by side do not push each other's out and derive in turn.
KEPT_VERSIONS = 4


def keep_newest(folder: Path, pattern: str, keep: int = KEPT_VERSIONS) -> None:
    """All but the `keep` newest files in `folder` matching `pattern` removed. One another process removes,
    or still reads, first is no matter: a version read is read whole, and one missing is derived again."""
    dated = []
    for path in folder.glob(pattern):
        try:
            dated.append((path.stat().st_mtime_ns, path))
        except OSError:
            pass
    for _, path in sorted(dated, reverse=True)[keep:]:
        try:
            path.unlink()
        except OSError:
            pass


def derived_once(name: str, inputs: Iterable[Path], derive: Callable[[], Derived]) -> Derived:
    """`derive()`, kept in the user cache under a digest of `inputs` (data and the code that reads it), so
    seconds of derivation are paid once per change of them, not once per process. A stored copy that cannot
    be read back is derived again; a cache that cannot be written only costs the next run the time."""
    stored = _stored_path(name, inputs)
    derived = _stored(stored)
    if derived is _ABSENT:
        derived = derive()
        _store(stored, name, derived)
    return derived


def remembered(name: str, inputs: Iterable[Path], key: Hashable, work: Callable[[], Derived]) -> Derived:
    """`work()`, the answer to question `key`, kept in the user cache beside the answers to the others asked
    before, under a digest of `inputs` (as `derived_once`): for questions that cannot all be listed ahead
    (a unit as printed), each answered once per change of the inputs, not once per process."""
    stored = _stored_path(name, inputs)
    answers = _answers(stored)
    if key not in answers:
        answers[key] = work()
        # with what another process stored meanwhile: an answer lost between two writers is only asked again
        _store(stored, name, {**_answers_stored(stored), **answers})
    return answers[key]


@functools.lru_cache(maxsize=None)
def _answers(stored: Path) -> dict:
    return _answers_stored(stored)


def _answers_stored(stored: Path) -> dict:
    answers = _stored(stored)
    return answers if isinstance(answers, dict) else {}


def _stored_path(name: str, inputs: Iterable[Path]) -> Path:
    """Where `name` derived from `inputs` is kept: the digest holds the inputs' names and bytes, not where they
    are, so checkouts with the same files share one copy."""
    key = fingerprint(f"python {sys.version_info[:2]}\0", ((Path(path).parent, Path(path)) for path in inputs))
    return user_cache_dir() / f"{name}-{key}.pickle"


_ABSENT = object()


def _stored(stored: Path):
    try:
        return pickle.loads(stored.read_bytes())
    except Exception:  # absent, damaged or written by other code: derive again
        return _ABSENT


def _store(stored: Path, name: str, derived) -> None:
    try:
        stored.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(stored, pickle.dumps(derived, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        return
    keep_newest(stored.parent, f"{name}-{'?' * 16}.pickle")


def mappings_fingerprint() -> str:
    """A digest of every file in mappings/: a warehouse harmonised under another one is harmonised again."""
    return fingerprint("", ((MAPPINGS_DIR, path) for path in sorted(MAPPINGS_DIR.rglob("*"))
                            if path.is_file() and path.suffix not in (".py", ".pyc")))


def extra_hint(what: str, extra: str) -> str:
    """What to say when something needs an optional dependency (an extra of pyproject.toml) not installed."""
    return f"{what} needs the {extra} extra: pip install 'cnstat-etl[{extra}]'"


def default_db_path() -> Path:
    return Path(os.environ.get("CNSTAT_DB") or DEFAULT_DB)


def bundled_samples() -> Path:
    """The sample sources `cnstat ingest` loads when given no path; they ship with a source checkout only."""
    if not SAMPLES_DIR.is_dir():
        raise UserError("no PATH given, and this installation has no bundled samples (they come with a "
                        "source checkout, in tests/fixtures/sources): name the files or folders to ingest")
    return SAMPLES_DIR


@functools.lru_cache(maxsize=None)
def layout() -> LayoutRules:
    """parsers/layout.toml, checked (`cnstat_etl.settings`)."""
    return read_layout(PARSERS_DIR / "layout.toml")


@functools.lru_cache(maxsize=None)
def ocr_review() -> OcrReview:
    """mappings/ocr_review.toml, checked: how values read off a scan are doubted."""
    return read_typed(OcrReview, MAPPINGS_DIR / "ocr_review.toml", "mappings/ocr_review.toml")


def read_mapping_csv(name: str) -> list[dict[str, str]]:
    with open(MAPPINGS_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@functools.lru_cache(maxsize=None)
def report_settings() -> dict:
    """warehouse/report/report.toml: the periods, thresholds and colours of `cnstat report`."""
    return load_toml(REPORT_DIR / "report.toml", "warehouse/report/report.toml")


def validate_checks() -> tuple[Check, ...]:
    """warehouse/checks.toml, checked: the checks `cnstat validate` runs."""
    return read_typed(Checks, WAREHOUSE_DIR / "checks.toml", "warehouse/checks.toml").checks


def report_template(name: str) -> str:
    """A Jinja2 template of `cnstat report`, from warehouse/report/."""
    return (REPORT_DIR / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def source_descriptors() -> tuple[SourceDescriptor, ...]:
    """Every mappings/sources/*.toml, checked: what each column of a dataset means."""
    return tuple(read_descriptor(path) for path in sorted((MAPPINGS_DIR / "sources").glob("*.toml")))
