"""The whole path for a set of files: extract -> harmonise (in worker processes) -> load (one writer)."""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import cnstat_etl
from cnstat_etl import interrupts
from cnstat_etl.config import (WAREHOUSE_DIR, bundled_samples, default_cache_dir, files_in, fingerprint, keep_newest,
                               mappings_fingerprint, user_cache_dir)
from cnstat_etl.errors import UserError, naming_the_path
from cnstat_etl.extract import FORMATS_BY_SUFFIX, ExtractOptions, file_sha256
from cnstat_etl.extract import pdfium
from cnstat_etl.extract.cache import extract_parts_cached
from cnstat_etl.extract.firms import FIRM_SUFFIXES
from cnstat_etl.load.staging import StagedFile
from cnstat_etl.load.warehouse import STORAGE_COMPATIBILITY, Warehouse, ingest_lock
from cnstat_etl.model import ExtractResult, Problem
from cnstat_etl.outcomes import FileOutcome, IngestInterrupted, IngestSummary
from cnstat_etl.source_kinds import kind_named, streamed_kind

if TYPE_CHECKING:
    from cnstat_etl.harmonise import HarmonisedFile


# What the reference tables and the researcher relations are made from, besides mappings/: the code that
# derives them and the analysis variables' definitions.
_REFERENCE_CODE = ("harmonise/*.py", "load/*.py")


def reference_digest(mappings: str | None = None) -> str:
    """A digest of everything the warehouse's reference tables and researcher relations are made from:
    an ingest refills them only when it changes (refilling costs a third of a second and a checkpoint).
    `mappings` is `mappings_fingerprint()` where the caller has it (hashing mappings/ again costs an
    ingest's start, before its page workers, a few milliseconds)."""
    return fingerprint(mappings or mappings_fingerprint(), files_in(Path(cnstat_etl.__file__).parent, _REFERENCE_CODE)
                       + files_in(WAREHOUSE_DIR, ("*.toml",)))


def source_files(paths: Iterable[Path]) -> list[Path]:
    """Files named (always), and the files below folders named whose endings extract reads, in a stable order.
    A path named that does not exist (a typo) raises UserError before anything is read or made."""
    paths = list(map(Path, paths))
    for path in paths:
        if not os.path.lexists(path):
            raise UserError(f"{path}: no such file or folder")
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            # A dangling link is listed too: it is reported as unreadable, not silently passed over.
            found += sorted(p for p in path.rglob("*") if (p.is_file() or p.is_symlink())
                            and (p.suffix.lower() in FORMATS_BY_SUFFIX or p.suffix.lower() in FIRM_SUFFIXES))
        else:
            found.append(path)
    return found


def harmonise(extracted: ExtractResult) -> HarmonisedFile:
    """`cnstat_etl.harmonise.harmonise`, imported with the first part: a book's page workers are started
    before harmonise (and pyarrow, for the cache and the staging) load, a tenth of a second sooner. DuckDB
    too, which only the load needs, is imported here, while the pages are read, not after the last one."""
    import duckdb  # noqa: F401

    from cnstat_etl.harmonise import harmonise as harmonised

    return harmonised(extracted)


def reference_tables():
    """`cnstat_etl.harmonise.reference_tables`, imported where it is needed (see `harmonise`)."""
    from cnstat_etl.harmonise import reference_tables as tables

    return tables()


def stage_file(path: Path, options: ExtractOptions, cache_dir: Path | None = None, page_workers: int = 1,
               on_page: Callable[[], None] | None = None, sha256: str | None = None) -> StagedFile:
    """The work for one file that needs no warehouse, part by part: safe to run in another process.
    `on_page()` is told of each PDF page as it is read; `sha256` is the file's digest where it is known."""
    return stage_parts(path, extract_parts_cached(path, options, cache_dir, page_workers, on_page, sha256))


def stage_parts(path: Path, parts: Iterator[ExtractResult]) -> StagedFile:
    """A file's extracted parts harmonised and staged one at a time, wherever they were extracted."""
    staged = StagedFile(Path(path).name)
    with closing(parts):
        for extracted in parts:
            if extracted.failed:
                from cnstat_etl.harmonise import HarmonisedFile

                staged.add(extracted, HarmonisedFile())
                continue
            try:
                harmonised = harmonise(extracted)
            except Exception as error:  # a bug met on this file: it fails alone, in one line; others still load
                reason = f"cnstat could not harmonise it ({type(error).__name__}: {error}); please report it"
                failure = ExtractResult(extracted.source_file, extracted.source_sha256, extracted.file_format)
                failure.problems.append(Problem("internal_error", reason.splitlines()[0], extracted.source_file,
                                                severity="error"))
                from cnstat_etl.harmonise import HarmonisedFile

                staged.add(failure, HarmonisedFile())
                break
            staged.add(extracted, harmonised)
    return staged


def _staged(paths: list[Path], digests: list[str | None], options: ExtractOptions, jobs: int,
            cache_dir: Path | None, pages: PageCount, client=None) -> Iterator[StagedFile]:
    if client is not None:
        from cnstat_etl.cluster import parts_on_cluster

        for path, parts in zip(paths, parts_on_cluster(client, paths, options, cache_dir)):
            yield stage_parts(path, parts)
            pages.file_done(path)
        return
    if jobs <= 1 or len(paths) <= 1:
        for path, sha256 in zip(paths, digests):  # a single file: the workers share its pages
            yield stage_file(path, options, cache_dir, page_workers=jobs, on_page=pages.read, sha256=sha256)
            pages.file_done(path)
        return
    import duckdb  # noqa: F401  (see `harmonise`: imported once here, not in each process forked below)

    with ProcessPoolExecutor(max_workers=jobs, initializer=interrupts.leave_interrupts_to_the_parent) as pool:
        count = len(paths)
        for path, staged in zip(paths, pool.map(stage_file, paths, [options] * count, [cache_dir] * count,
                                                [1] * count, [None] * count, digests)):
            pages.file_done(path)
            yield staged


class PageCount:
    """PDF pages read so far out of all the PDFs an ingest reads, for a progress bar: counted page by page
    where the file is read here, a file at a time where it is read in another process (or from the cache)."""

    def __init__(self, paths: list[Path], report: Callable[[int, int], None] | None):
        self.pages = {path: _pages_in(path) for path in paths} if report else {}
        self.total, self.done, self.report = sum(self.pages.values()), 0, report
        self._file_start = 0
        if report and self.total:
            report(0, self.total)

    def read(self) -> None:
        if self.report and self.done < self.total:
            self.done += 1
            self.report(self.done, self.total)

    def file_done(self, path: Path) -> None:
        self._file_start += self.pages.get(path, 0)
        if self.report and self.done != self._file_start:
            self.done = self._file_start
            self.report(self.done, self.total)


def _pages_in(path: Path) -> int:
    """A PDF's page count (0 for any other file, or a PDF that cannot be opened)."""
    try:
        with open(path, "rb") as f:
            if b"%PDF" not in f.read(1024):
                return 0
        return pdfium.page_count(path)
    except (OSError, pdfium.PdfiumError):
        return 0


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector made rarer, and blind to what exists already, until the block ends.

    A book makes millions of short-lived objects (glyphs, phrases, values) that reference counting frees,
    yet each one counts towards the next collection, and every full collection walks all the objects the
    imports made (pandas, pint, DuckDB...): 10-15 % of a book's reading went to collections finding
    nothing. Workers forked inside the block inherit the setting."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@_fewer_collections()
def ingest(paths: Iterable[Path] | None, db_path: Path, options: ExtractOptions = ExtractOptions(),
           jobs: int | None = None, on_file: Callable[[int, int, FileOutcome], None] | None = None,
           vintage: int | None = None, kind: str | None = None, use_cache: bool = True,
           on_pages: Callable[[int, int], None] | None = None, dask: str | None = None) -> IngestSummary:
    """Ingest files and folders (the bundled samples when none are given) into the warehouse at db_path.

    Extraction and harmonisation run with the warehouse closed; it is opened only to load one file at a
    time (one short transaction each), so readers get in between files. A file is its content at its
    full path: see `Warehouse.load_file`.

    `vintage` is the year whose units the harmonised views use; by default the warehouse keeps the one it
    has, and a new warehouse takes the latest year of the code history. `kind` (a name of
    `source_kinds.KINDS`) reads every file as that kind; by default each file is read as the first kind
    that detects it.

    Extracted files are cached beside the warehouse (`default_cache_dir`; `use_cache` False re-reads every
    file). A file loaded before under other mappings/ is harmonised again, from the cache when it is there.

    `on_file(index, total, outcome)` is told of each file done; `on_pages(done, total)` of the PDF pages
    read so far, out of all those the ingest reads. Ctrl-C stops the workers and raises IngestInterrupted,
    which says how many files were done.

    `dask`, the address of a Dask scheduler (tcp://host:8786), extracts the files on its cluster instead
    of local processes (`cnstat_etl.cluster`); the warehouse and the cache come out the same.
    """
    if vintage is not None:
        from cnstat_etl.harmonise.regions import history_years

        if vintage not in history_years():
            raise UserError(f"vintage {vintage} is outside the code history {history_years()[0]}-"
                            f"{history_years()[-1]}")
    files = source_files(paths or [bundled_samples()])
    if kind is not None and not kind_named(kind).streamed:
        options = dataclasses.replace(options, kind=kind)
    summary = IngestSummary()
    with naming_the_path():
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)  # a place it cannot be made fails now
    with interrupts.noted(), _connected(dask) as client:
        try:
            with ingest_lock(db_path):
                _ingest_files(files, summary, db_path, options, jobs or os.cpu_count() or 1, on_file, vintage,
                              kind, use_cache, on_pages, client)
            if interrupts.interrupted():
                # a library turned it into an error the ingest handled (DuckDB's "interrupted" opening the
                # template: no template, then): still the interrupt
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            interrupts.stop_workers()
            raise IngestInterrupted(summary, len(files)) from None
        except Exception:
            if not interrupts.interrupted():
                raise
            interrupts.stop_workers()  # an error the interrupt caused: still the interrupt
            raise IngestInterrupted(summary, len(files)) from None
    return summary


@contextmanager
def _connected(address: str | None):
    """A Dask client of the scheduler at `address` (None: none), connected before anything is read or made."""
    if not address:
        yield None
        return
    from cnstat_etl.cluster import connected  # Dask, an optional dependency: only an ingest on a cluster needs it

    with connected(address) as client:
        yield client


def _ingest_files(files: list[Path], summary: IngestSummary, db_path: Path, options: ExtractOptions, jobs: int,
                  on_file, vintage: int | None, kind: str | None, use_cache: bool, on_pages, client) -> None:
    """`ingest` of the files listed, each file's outcome added to `summary` as it is done."""
    fingerprint = mappings_fingerprint()
    digest = reference_digest(fingerprint)
    new = not Path(db_path).exists()
    if new:
        # nothing loaded yet: the template is copied, or the schema made with the reference tables, beside
        # the reading (DuckDB is not even imported before the page workers start)
        current, by_path, loaded, stale = False, {}, {}, set()
    else:
        with Warehouse(db_path) as warehouse:  # fails at once if a process other than an ingest holds it
            current = warehouse.reference_is(digest)
            by_path, loaded = warehouse.source_states()
            stale = warehouse.harmonised_otherwise(fingerprint)
    # (closed first: a process forked with the warehouse open would share this one's connection to it; none
    # is forked beside the threads of a Dask client, and its cluster leaves this process's cores free)
    reference = None if current else _ReferenceRefill(db_path, digest, aside=jobs > 1 and client is None, new=new)
    pending: list[tuple[Path, str, str]] = []
    duplicates: list[tuple[Path, str, str]] = []  # recorded once the copy they repeat has loaded
    for path in files:
        key = os.path.abspath(path)
        try:
            sha256 = file_sha256(path) if path.is_file() else ""
        except OSError:
            sha256 = ""  # extraction reports why it cannot be read
        if (sha256 and by_path.get(key) in ((sha256, "loaded"), (sha256, "duplicate"), (sha256, "skipped"))
                and key not in stale):
            _record(summary, FileOutcome(path, "unchanged", reason="already loaded"), len(files), on_file)
        elif sha256 and loaded.get(sha256, key) != key:
            duplicates.append((path, key, sha256))
        else:
            pending.append((path, key, sha256))
            if sha256:
                loaded.setdefault(sha256, key)  # a second copy later in this run is a duplicate of this one
    firm_files = [item for item in pending if streamed_kind(item[0], kind)]
    pending = [item for item in pending if item not in firm_files]
    if firm_files and reference:
        reference.wait()
    for path, key, sha256 in firm_files:
        with _loading(db_path) as warehouse, interrupts.held():
            _record(summary, _load_firms(warehouse, path, key, sha256, options.year, fingerprint), len(files),
                    on_file)
    to_read = [path for path, _, _ in pending]
    # each file hashed once: its digest goes down to extraction and the cache (None: it could not be read)
    staged_files = _staged(to_read, [sha256 or None for _, _, sha256 in pending], options, jobs,
                           default_cache_dir(db_path) if use_cache else None, PageCount(to_read, on_pages), client)
    warehouse = None
    try:
        for index, ((path, key, sha256), staged) in enumerate(zip(pending, staged_files)):
            sha256 = sha256 or staged.source_sha256
            try:
                if reference:
                    reference.wait()
                warehouse = _loading(db_path)
                with interrupts.held():
                    warehouse.load_file(key, sha256, staged, fingerprint)
                    _record(summary, _outcome(path, staged, by_path.get(key), sha256), len(files), on_file)
            finally:
                staged.discard()
            if index < len(pending) - 1:  # readers get in while the next file is read; after the last, the
                warehouse.close()  # duplicates and the harmonisation are written on the same opening
                warehouse = None
        if reference:
            reference.wait()
        warehouse = warehouse or _loading(db_path)
        for path, key, sha256 in duplicates:
            with interrupts.held():
                warehouse.record_duplicate(key, sha256, loaded[sha256])
                _record(summary, FileOutcome(path, "duplicate", reason=f"same bytes as {loaded[sha256]}"),
                        len(files), on_file)
        from cnstat_etl.harmonise import COUNTY_PANEL_LEVELS, harmonisation_rows
        from cnstat_etl.harmonise.regions import history_years, last_year

        vintage = vintage or warehouse.vintage() or last_year()
        vintages = history_years()
        years = warehouse.unharmonised_years(vintages)
        county_years = warehouse.unharmonised_years(vintages, county=True)
        warehouse.store_harmonisation(vintage, years, harmonisation_rows(years, vintages), vintages, county_years,
                                      harmonisation_rows(county_years, vintages, COUNTY_PANEL_LEVELS))
    finally:
        if warehouse is not None:
            warehouse.close()


class _ReferenceRefill:
    """The reference tables refilled (a new warehouse, or mappings/ changed): with cores to spare, in a
    process of its own while the files are read, else here. A third of a second nothing needs until the
    first load (a new warehouse copied from the template, a few hundredths); `wait()` before it. Should
    the other process fail, the refill is done again here, so that its error is reported as any other."""

    def __init__(self, db_path: Path, digest: str, aside: bool, new: bool):
        self.db_path, self.digest, self.new, self.process = db_path, digest, new, None
        if aside:
            # started before any pool of readers, so that no process is forked beside a running thread
            self.process = multiprocessing.Process(target=_refill_reference, args=(db_path, digest, new),
                                                   daemon=True)
            self.process.start()
        else:
            _refill_reference(db_path, digest, new, here=True)

    def wait(self) -> None:
        if self.process is None:
            return
        self.process.join()
        failed, self.process = self.process.exitcode != 0, None
        if failed:
            _refill_reference(self.db_path, self.digest, self.new, here=True)


def _refill_reference(db_path: Path, digest: str, new: bool, here: bool = False) -> None:
    """The reference tables refilled; a `new` warehouse is a copy of the template when there is one, else
    made with its schema, refilled, and kept as the template of the next new one."""
    if not here:
        interrupts.leave_interrupts_to_the_parent()
    try:
        if new and _copied_template(db_path, digest):
            return
        with _loading(db_path, new) as warehouse:
            warehouse.refresh_reference(digest, reference_tables)
    except Exception:
        if here:
            raise
        sys.exit(1)  # quietly: the ingest refills them itself and reports why it cannot
    if new:
        _keep_as_template(db_path, digest)


def _template_path(digest: str) -> Path:
    """Where a new warehouse holding only the reference tables made from `digest` is kept, for the DuckDB
    release, storage format and schema that wrote it."""
    import duckdb

    key = fingerprint(f"{digest}\0{duckdb.__version__}\0{STORAGE_COMPATIBILITY}\0",
                      files_in(WAREHOUSE_DIR, ("*.sql", "migrations/*.sql")))
    return user_cache_dir() / f"warehouse-{key}.duckdb"


def _keep_as_template(db_path: Path, digest: str) -> None:
    """A copy of the new warehouse, schema and reference tables only, for the next new one: making them
    costs a third of a second of CPU, copying them a few milliseconds. A template that cannot be written
    only costs the next new warehouse that time."""
    template = _template_path(digest)
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=template.parent, prefix=template.name, suffix=".tmp")
        os.close(handle)
        try:
            shutil.copyfile(db_path, temporary)
            os.replace(temporary, template)  # whole or not at all
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except OSError:
        return
    keep_newest(template.parent, f"warehouse-{'?' * 16}.duckdb")


def _copied_template(db_path: Path, digest: str) -> bool:
    """A new warehouse made as a copy of the template for `digest`; False (and nothing at db_path) when
    there is none, or it does not open as a warehouse with reference tables from `digest`."""
    import duckdb

    template = _template_path(digest)
    if not template.is_file():
        return False
    temporary = Path(f"{db_path}.{os.getpid()}.template")
    try:
        shutil.copyfile(template, temporary)
        with Warehouse(temporary, read_only=True) as copy:
            if not copy.reference_is(digest):
                return False
        os.link(temporary, db_path)  # never over a warehouse another ingest has made meanwhile
        return True
    except (OSError, duckdb.Error):
        return False
    finally:
        temporary.unlink(missing_ok=True)


def _load_firms(warehouse: Warehouse, path: Path, key: str, sha256: str, year: int | None,
                harmonised_with: str) -> FileOutcome:
    """Firm files stream straight into the warehouse (no worker process: a year is too big to pass along;
    nor through the cache: after a change in mappings/ they are read again)."""
    from cnstat_etl.firm_ingest import load_firm_file  # pandas: only firm files need it

    loaded = load_firm_file(warehouse, path, key, sha256, year, harmonised_with)
    errors = sum(1 for p in loaded.problems if p.severity == "error")
    return FileOutcome(path, "failed" if loaded.failure_reason else "loaded", warnings=len(loaded.problems) - errors,
                       errors=errors, reason=loaded.failure_reason, firms=loaded.firms,
                       firms_placed=loaded.firms_placed, sales=loaded.sales, sales_placed=loaded.sales_placed)


def _quietly(holder: str | None) -> None:
    """An ingest waits for a reader without a word: readers hold the warehouse briefly."""


# DuckDB's buffers while files load: what a file's load holds beyond it is one row group of its rows
# (122,880), so the ingest's memory stays flat however long the book (bench/pdf_speed.py).
LOAD_MEMORY_LIMIT = "64MB"


def _loading(db_path: Path, new: bool = False) -> Warehouse:
    """The warehouse opened to load into, between files (a `new` one given its schema)."""
    return Warehouse(db_path, wait=_quietly, apply_schema=new, memory_limit=LOAD_MEMORY_LIMIT)


def _outcome(path: Path, staged: StagedFile, earlier: tuple[str, str] | None, sha256: str) -> FileOutcome:
    errors = sum(1 for p in staged.problems if p.severity == "error")
    outcome = FileOutcome(path, "loaded", len(staged.tables), staged.observations, len(staged.unresolved),
                          len(staged.problems) - errors, errors)
    outcome.county_values = staged.county_observations
    if staged.failed:
        outcome.status, outcome.reason = "failed", staged.failure_reason
    elif staged.skipped:
        outcome.status, outcome.reason = "skipped", staged.failure_reason
    elif not staged.observations and not staged.county_observations:
        outcome.status, outcome.reason = "no_values", _why_no_values(staged, errors)
    elif earlier and earlier[1] != "failed" and earlier[0] != sha256:
        outcome.status, outcome.reason = "replaced", "new content at this path; its earlier rows are replaced"
    return outcome


def _why_no_values(staged: StagedFile, errors: int) -> str:
    if not staged.values_read:
        # A header naming no indicator loads as a provisional one: nothing read means no column had a
        # header to load under (or no number under it).
        seen = [p.message for p in staged.problems if p.kind == "unknown_column"]
        return "no value read; columns seen: " + ("; ".join(seen) or "none")
    return f"no row placed: {len(staged.unresolved)} unresolved, {errors} errors"


def _record(summary: IngestSummary, outcome: FileOutcome, total: int, on_file) -> None:
    summary.files.append(outcome)
    if on_file:
        on_file(len(summary.files), total, outcome)
