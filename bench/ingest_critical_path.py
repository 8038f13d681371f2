"""Which process bounds a book's ingest: the main process's CPU beside its page workers', and how long it waited.

Usage: .venv/bin/python bench/ingest_critical_path.py [BOOK.pdf]   (default: bench/make_book.py's book)

A book's pages are read by workers while the main process assembles their tables, harmonises, caches and
loads them. Starting the workers earlier (before the main process imports DuckDB, pyarrow and harmonise)
can only save the time the main process waits for them; when its own CPU exceeds each worker's, it is the
critical path, and only work taken off it shortens the ingest. Prints, for one ingest in this process: the
imports' CPU, the main process's CPU after them, the workers' CPU, and the main process's waits for the
workers' page runs (the first, and in all), with the load average, which stretches the waits. Then the
main process's CPU in its three stretches: before the page workers fork (nothing runs beside it), while
the pages are read (the workers share the cores with it), and after the last page is read (the tail:
the last part, the load, the harmonisation, the checkpoint; nothing runs beside it either). On two cores,
CPU before the fork and in the tail counts in full on the wall clock, CPU while the pages are read about
half.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path

waits: list[float] = []
_result = Future.result


def _timed_result(self, timeout=None):
    started = time.perf_counter()
    try:
        return _result(self, timeout)
    finally:
        waits.append(time.perf_counter() - started)


marks: dict[str, float] = {}
_fork = os.fork


def _marked_fork() -> int:
    marks["forked"] = time.process_time()  # the last fork before the first page: the page workers'
    return _fork()


def _page_read(done: int, total: int) -> None:
    if done == total:
        marks["last page"] = time.process_time()


# The tail's steps, each one's CPU after the last page: what shrinking or overlapping it could save.
TAIL_STEPS = {"cnstat_etl.pipeline": ("harmonise", "_loading"),
              "cnstat_etl.load.warehouse:Warehouse": ("load_file", "unharmonised_years", "store_harmonisation",
                                                      "close")}
tail: dict[str, float] = {}


def _in_tail(name: str, step):
    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return step(*args, **kwargs)
        finally:
            if "last page" in marks:
                tail[name] = tail.get(name, 0.0) + time.process_time() - started
    return timed


def _time_tail_steps() -> None:
    import importlib

    for where, names in TAIL_STEPS.items():
        module, _, cls = where.partition(":")
        owner = getattr(importlib.import_module(module), cls) if cls else importlib.import_module(module)
        for name in names:
            setattr(owner, name, _in_tail(name, getattr(owner, name)))


def main(book: Path | None) -> None:
    Future.result = _timed_result  # every wait of the main process for a worker's run goes through it
    os.fork = _marked_fork
    started = time.process_time()
    from cnstat_etl.pipeline import ingest

    imports = time.process_time() - started
    _time_tail_steps()  # (after the imports are timed: the load's module is imported here, not in them)
    with tempfile.TemporaryDirectory() as tmp:
        if book is None:
            import make_book  # beside this script

            book = Path(tmp) / "book.pdf"
            make_book.draw_book(book)
        print("load average at the start: " + " ".join(f"{load:.2f}" for load in os.getloadavg()))
        started, wall = time.process_time(), time.perf_counter()
        ingest([book], Path(tmp) / "bench.duckdb", jobs=os.cpu_count(), on_pages=_page_read)
        ended = time.process_time()
        main_cpu, wall = ended - started, time.perf_counter() - wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"imports {imports:.2f} s CPU; ingest {wall:.2f} s wall, main process {main_cpu:.2f} s CPU, its workers "
          f"{children.ru_utime + children.ru_stime:.2f} s CPU ({os.cpu_count()} workers, and a reference refill "
          "when no template was kept)")
    print(f"main process waited for the workers' runs {sum(waits):.2f} s wall in {len(waits)} waits, the first "
          f"{waits[0] if waits else 0:.2f} s")
    if {"forked", "last page"} <= marks.keys():
        print(f"main process CPU before its page workers fork {marks['forked'] - started:.2f} s (imports aside), "
              f"while the pages are read {marks['last page'] - marks['forked']:.2f} s, after the last page "
              f"{ended - marks['last page']:.2f} s")
        print("of which " + ", ".join(f"{name} {cpu:.3f} s" for name, cpu in tail.items())
              + f", the rest {ended - marks['last page'] - sum(tail.values()):.3f} s (the last part's assembly, "
              "its cache and staging writes, the harmonisation rows)")
    print("load average at the end: " + " ".join(f"{load:.2f}" for load in os.getloadavg()))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
