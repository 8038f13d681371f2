"""An ingest's extraction on a Dask distributed cluster (`cnstat ingest --dask ADDRESS`).

Each file the cache does not hold goes to the cluster with its bytes (the workers need not see this
machine's disks) and is read there by `extract_parts`, the function the local workers run. Its parts come
back as Arrow tables in the cache's layout, one per part; here each is written to the cache, then
harmonised and staged, and the ingest loads the file as it loads one read locally: it stays the single
writer. A worker lost while it reads a file is the scheduler's to handle: it runs the task again on
another worker (up to `distributed.scheduler.allowed-failures` times).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import deque
from pathlib import Path
from typing import Iterator

import dask
from distributed import Client, KilledWorker

from cnstat_etl.extract import ExtractOptions, cache, extract_parts
from cnstat_etl.model import ExtractResult, Problem

# How long the scheduler may take to answer before the ingest gives up on it (seconds).
CONNECT_TIMEOUT = 30
# Files sent ahead of the one being loaded, per thread of the cluster: enough to keep every worker busy
# while the ingest loads, few enough that the bytes in flight stay a handful of books.
AHEAD_PER_THREAD = 2


def read_on_worker(name: str, data: bytes, named: str, options: ExtractOptions) -> tuple[str, list]:
    """On a worker: the file's bytes (`name` and `named`: its name and path where it was found) read into
    its parts as Arrow tables, with the parser version that read them."""
    with tempfile.TemporaryDirectory(prefix="cnstat-") as folder:
        copy = Path(folder) / name
        copy.write_bytes(data)
        parts = [cache.part_to_arrow(part) for part in extract_parts(copy, options, named=Path(named))]
    return cache.parser_version(), parts


def connected(address: str) -> Client:
    """A client of the scheduler at `address`, to use in a `with`: closing it cancels the tasks of files
    not collected (Ctrl-C, an error while loading). OSError: the scheduler cannot be reached."""
    return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)


def parts_on_cluster(client: Client, paths: list[Path], options: ExtractOptions,
                     cache_dir: Path | None) -> Iterator[Iterator[ExtractResult]]:
    """Each file's parts, in the order of `paths`: from the cache where it holds the file, else read on the
    client's cluster (and cached here as they arrive)."""
    # A worker's threads may come and go: the count at the start sets how far ahead files are sent.
    ahead = AHEAD_PER_THREAD * max(1, sum(client.nthreads().values()))
    waiting: deque[Iterator[ExtractResult]] = deque()
    for path in paths:
        waiting.append(_sent(client, Path(path), options, cache_dir))
        if len(waiting) >= ahead:
            yield waiting.popleft()
    while waiting:
        yield waiting.popleft()


def _sent(client: Client, path: Path, options: ExtractOptions, cache_dir: Path | None) -> Iterator[ExtractResult]:
    """The file's parts: read from the cache, or sent to the cluster now and collected when iterated."""
    try:
        data = path.read_bytes()
    except OSError:
        return extract_parts(path, options)  # it says why the file cannot be read
    entry = cache.cache_entry(path, options, cache_dir, hashlib.sha256(data).hexdigest()) if cache_dir else None
    cached = cache.read_entry(*entry) if entry else None
    if cached is not None:
        return cached
    # The bytes travel in the task itself, so the scheduler can run it again when a worker is lost; Dask's
    # warning of a large task (data it could have loaded on the cluster itself) does not apply.
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": f"{len(data) + (10 << 20)}B"}):
        future = client.submit(read_on_worker, path.name, data, str(path), options, pure=False)
    parts = _collected(future, path)
    return cache.caching(entry, parts) if entry else parts


def _collected(future, path: Path) -> Iterator[ExtractResult]:
    """The parts the task sent back, once it is done; a task that failed or ran other code fails the file."""
    try:
        try:
            version, tables = future.result()
        except KilledWorker:
            yield _failed(path, "the Dask workers reading it died each time it was tried (out of memory?)")
            return
        except Exception as error:  # raised on the worker, or the cluster lost: this file fails alone
            yield _failed(path, f"reading it on the Dask cluster failed ({type(error).__name__}: {error})")
            return
        if version != cache.parser_version():
            yield _failed(path, f"the Dask workers run another version of cnstat-etl (parser {version}, "
                                f"here {cache.parser_version()}): install this one on them")
            return
        while tables:
            yield cache.part_from_arrow(tables.pop(0))  # a part's records at a time, never the book's
    finally:
        future.release()


def _failed(path: Path, reason: str) -> ExtractResult:
    result = ExtractResult(path.name, "", "unknown")
    result.problems.append(Problem("unreadable_file", reason.splitlines()[0], path.name, severity="error"))
    return result
