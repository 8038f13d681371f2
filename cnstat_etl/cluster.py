"""An ingest's extraction on a Dask distributed cluster (`cnstat ingest --dask ADDRESS`).

Each file the cache does not hold goes to the cluster with its bytes (the workers need not see this
machine's disks) and is read there by `extract_parts`, the function the local workers run. Its parts come
back one by one as they are read, each an Arrow IPC stream in the cache's layout, through a Dask queue of
the file's own that holds few of them at a time: the worker waits while the queue is full, so neither this
process nor the scheduler holds more than a few parts of a book, and this process harmonises and stages
the first parts while the worker reads on. Here each part is written to the cache, then harmonised and
staged, and the ingest loads the file as it loads one read locally: it stays the single writer.

A worker lost while it reads a file is the scheduler's to handle: it runs the task again on another worker
(up to `distributed.scheduler.allowed-failures` times), which sends the file's parts again from the first.
Reading is a pure function of the bytes, so the parts already taken here are passed over (each checked
to be the same, by digest) and the file's parts are taken once each, in order.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
import uuid
from collections import deque
from pathlib import Path
from typing import Iterator

import dask
import pyarrow as pa
from distributed import Client, Event, KilledWorker, Queue, rejoin, secede

from cnstat_etl.extract import ExtractOptions, cache, extract_parts
from cnstat_etl.model import ExtractResult, Problem

# How long the scheduler may take to answer before the ingest gives up on it (seconds).
CONNECT_TIMEOUT = 30
# Files sent ahead of the one being loaded, per thread of the cluster: enough to keep every worker busy
# while the ingest loads, few enough that the bytes in flight stay a handful of books.
AHEAD_PER_THREAD = 2
# Parts of one file waiting in its queue (on the scheduler) for this process to take them.
PARTS_QUEUED = 2


def read_on_worker(name: str, data: bytes, named: str, options: ExtractOptions, queue_name: str) -> int:
    """On a worker: the file's bytes (`name` and `named`: its name and path where it was found) read into
    its parts, each sent to the queue `queue_name` as it is read, then an end that counts them; each
    message carries the parser version that read it. Returns the count of parts sent. The reading stops
    when the ingest lets go of the file (sets the queue's event: interrupted, or the file failed there)."""
    queue, dropped = Queue(queue_name), Event(_dropped(queue_name))
    version, count = cache.parser_version(), 0
    try:
        with tempfile.TemporaryDirectory(prefix="cnstat-") as folder:
            copy = Path(folder) / name
            copy.write_bytes(data)
            for part in extract_parts(copy, options, named=Path(named)):
                if dropped.is_set():
                    return count
                _sent_back(queue, {"version": version, "index": count, "part": to_ipc(cache.part_to_arrow(part))})
                count += 1
        _sent_back(queue, {"version": version, "count": count})
    finally:
        queue.close()
    return count


def _sent_back(queue: Queue, message: dict) -> None:
    """`message` put in the queue. When it is full the task waits outside the worker's thread pool: the
    file the ingest waits for may be one still to run on this worker. (A queue put or get with a timeout
    would log an error on the scheduler each time it expires: nothing here waits with one.)"""
    if queue.qsize() >= PARTS_QUEUED:
        secede()
        queue.put(message)
        rejoin()
    else:
        queue.put(message)


def _dropped(queue_name: str) -> str:
    return f"{queue_name}-dropped"


def to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


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
    """The file's parts: read from the cache, or sent to the cluster now and taken as they come back."""
    try:
        data = path.read_bytes()
    except OSError:
        return extract_parts(path, options)  # it says why the file cannot be read
    entry = cache.cache_entry(path, options, cache_dir, hashlib.sha256(data).hexdigest()) if cache_dir else None
    cached = cache.read_entry(*entry) if entry else None
    if cached is not None:
        return cached
    queue = Queue(f"cnstat-parts-{uuid.uuid4().hex}", client=client, maxsize=PARTS_QUEUED)
    # The bytes travel in the task itself, so the scheduler can run it again when a worker is lost; Dask's
    # warning of a large task (data it could have loaded on the cluster itself) does not apply.
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": f"{len(data) + (10 << 20)}B"}):
        future = client.submit(read_on_worker, path.name, data, str(path), options, queue.name, pure=False)
    future.add_done_callback(functools.partial(_woken_if_failed, queue))
    parts = _collected(future, queue, path)
    return cache.caching(entry, parts) if entry else parts


def _woken_if_failed(queue: Queue, future) -> None:
    """A task that failed (its workers died each time it ran) sends no end: its queue is told instead. Put
    from the client's event loop, as the callbacks' one thread must not wait for room in a queue."""
    if future.status == "error":
        queue.client.loop.add_callback(queue._put, {"failed": True})


def _collected(future, queue: Queue, path: Path) -> Iterator[ExtractResult]:
    """The file's parts as the task sends them, each once and in order, whichever attempt sent it; a task
    that failed or ran other code fails the file (after the parts it sent: the failed part voids them)."""
    taken: list[str] = []  # the digest of each part handed on, by index
    ended = False
    try:
        while True:
            try:
                message = queue.get()
            except Exception as error:  # the scheduler lost
                yield _failed(path, f"reading it on the Dask cluster failed ({type(error).__name__}: {error})")
                return
            if "failed" in message:
                yield _task_failure(future, path)
                return
            if message["version"] != cache.parser_version():
                yield _failed(path, f"the Dask workers run another version of cnstat-etl (parser "
                                    f"{message['version']}, here {cache.parser_version()}): install this one on them")
                return
            if "count" in message:  # the end: every part it counts came before it
                ended = True
                if message["count"] != len(taken):
                    yield _failed(path, f"the Dask cluster sent {len(taken)} of its {message['count']} parts")
                return
            digest = hashlib.sha256(message["part"]).hexdigest()
            if message["index"] < len(taken):  # sent again by a later attempt
                if digest != taken[message["index"]]:
                    yield _failed(path, f"its part {message['index'] + 1} read otherwise when the Dask cluster "
                                        "read it again after losing a worker")
                    return
                continue
            taken.append(digest)
            yield cache.part_from_arrow(from_ipc(message.pop("part")))
    finally:
        if not ended:
            _let_go(queue)
        future.release()
        queue.close()


def _let_go(queue: Queue) -> None:
    """The file is no longer wanted: its task is told, and a put it waits on is let through."""
    try:
        Event(_dropped(queue.name), client=queue.client).set()
        queue.get(batch=True)
    except Exception:  # the scheduler lost: nothing waits there
        pass


def _task_failure(future, path: Path) -> ExtractResult:
    """Why the task failed."""
    try:
        future.result()
    except KilledWorker:
        return _failed(path, "the Dask workers reading it died each time it was tried (out of memory?)")
    except Exception as error:  # raised on the worker, or the cluster lost: this file fails alone
        return _failed(path, f"reading it on the Dask cluster failed ({type(error).__name__}: {error})")
    return _failed(path, "the Dask task reading it ended without sending its parts")


def _failed(path: Path, reason: str) -> ExtractResult:
    result = ExtractResult(path.name, "", "unknown")
    result.problems.append(Problem("unreadable_file", reason.splitlines()[0], path.name, severity="error"))
    return result
