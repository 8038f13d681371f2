"""`cnstat ingest --dask` against its anchor, a local ingest of the same files in the same run (issue 32).

Ingests the bundled samples (or the files and folders named) into fresh warehouses: locally with 2 worker
processes, then on a LocalCluster of 2 worker processes of one thread each, its start timed apart. Prints
seconds, the CPU seconds of this process (which harmonises and loads in both), the ratio, and whether the
two warehouses are equal value for value.

With --book [COPIES], ingests instead bench/make_book.py's book (~405 pages, 13,570 values read, in parts
of ~5,400, about 2.3 MB of Arrow each), its pages printed COPIES times in one PDF (default 1), on one
LocalCluster twice, each time from a fresh process: with its parts streamed back one by one (the engine),
and returned whole (a file's parts in one result, as before streaming). Prints each ingesting process's
peak RSS (VmHWM) beside its RSS before the ingest, when it staged its first part, and its seconds.

Run: `.venv/bin/python bench/dask_ingest.py [--book [COPIES] | PATH...]`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_dask_ingest import contents  # noqa: E402 (the tests' value-by-value reading of a warehouse)

from cnstat_etl.config import SAMPLES_DIR  # noqa: E402
from cnstat_etl.pipeline import ingest  # noqa: E402


def timed(run) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main(paths: list[Path]) -> None:
    from dask.distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        local_db, dask_db = Path(tmp) / "local" / "cnstat.duckdb", Path(tmp) / "dask" / "cnstat.duckdb"
        local, local_wall, local_cpu = timed(lambda: ingest(paths, local_db, jobs=2))
        cluster, start_wall, _ = timed(lambda: LocalCluster(n_workers=2, threads_per_worker=1,
                                                            dashboard_address=None))
        with cluster:
            on_cluster, dask_wall, dask_cpu = timed(lambda: ingest(paths, dask_db, dask=cluster.scheduler_address))
        print(f"{len(local.files)} files, {local.values} values")
        print(f"{'engine':<24} {'seconds':>8} {'CPU s here':>10}")
        print(f"{'local, 2 processes':<24} {local_wall:8.2f} {local_cpu:10.2f}")
        print(f"{'LocalCluster, 2 workers':<24} {dask_wall:8.2f} {dask_cpu:10.2f}   (+{start_wall:.2f} s to start it)")
        print(f"dask / local: {dask_wall / local_wall:.2f} wall; warehouses equal: "
              f"{contents(local_db) == contents(dask_db)}; files loaded alike: "
              f"{[f.status for f in local.files] == [f.status for f in on_cluster.files]}")


def book(copies: int) -> None:
    import pypdfium2
    from dask.distributed import Client, LocalCluster

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_book import draw_book

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ccsy_book.pdf"
        draw_book(path)
        one, printed = pypdfium2.PdfDocument(path), pypdfium2.PdfDocument.new()
        for _ in range(copies):
            printed.import_pages(one)
        printed.save(path.with_stem("printed"))
        path = path.with_stem("printed")
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
            with Client(cluster.scheduler_address) as client:  # the workers' imports, paid before either run
                client.run(_warmed)
            runs = {mode: _client_run(mode, cluster.scheduler_address, Path(tmp) / mode / "cnstat.duckdb", path)
                    for mode in ("streamed", "whole")}
        print(f"book: {len(printed)} pages, {runs['streamed']['values']} values; "
              "the ingesting process (this machine's side):")
        print(f"{'parts returned':<15} {'RSS before':>10} {'peak staged':>11} {'peak':>6} {'first part s':>12} "
              f"{'seconds':>7}   (RSS in MB; peak staged: until the file's parts were all staged)")
        for mode, run in runs.items():
            print(f"{mode:<15} {run['before'] / 1024:10.0f} {run['staged'] / 1024:11.0f} {run['peak'] / 1024:6.0f} "
                  f"{run['first']:12.1f} {run['wall']:7.1f}")
        grown = {mode: run["staged"] - run["before"] for mode, run in runs.items()}
        print(f"growth until staged, streamed / whole: {grown['streamed'] / 1024:.0f} / {grown['whole'] / 1024:.0f} MB "
              f"= {grown['streamed'] / grown['whole']:.2f}; same values loaded: "
              f"{runs['streamed']['values'] == runs['whole']['values']}")


def _warmed() -> None:
    from cnstat_etl.extract import cache, pdf  # noqa: F401

    cache.parser_version()


def _client_run(mode: str, address: str, db: Path, path: Path) -> dict:
    run = subprocess.run([sys.executable, __file__, "--client", mode, address, str(db), str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout.splitlines()[-1])


def client(mode: str, address: str, db: Path, path: Path) -> None:
    """One ingest of `path` on the cluster at `address`, in this fresh process: prints its figures as JSON."""
    from cnstat_etl import cluster, pipeline

    if mode == "whole":
        cluster.parts_on_cluster = _whole_file_parts
    stage_parts, first, staged_peak = pipeline.stage_parts, [], []

    def timing_first(path, parts):
        def noted():
            for part in parts:
                first.append(first or time.perf_counter())
                yield part
            staged_peak.append(_status("VmHWM"))
        return stage_parts(path, noted())

    pipeline.stage_parts = timing_first
    before = _status("VmRSS")
    started = time.perf_counter()
    summary = ingest([path], db, use_cache=False, dask=address)
    print(json.dumps({"before": before, "staged": staged_peak[0], "peak": _status("VmHWM"), "first": first[0] - started,
                      "wall": time.perf_counter() - started, "values": summary.values}))


def _status(field: str) -> int:
    """A field of /proc/self/status, in kB."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1])


def _whole_file_parts(client, paths, options, cache_dir):
    """The anchor: each file's parts come back in one result, a list of Arrow tables."""
    for path in paths:
        tables = client.submit(_read_whole, path.name, Path(path).read_bytes(), str(path), options,
                               pure=False).result()
        yield (_part(tables) for _ in range(len(tables)))


def _part(tables):
    from cnstat_etl.extract import cache

    return cache.part_from_arrow(tables.pop(0))


def _read_whole(name, data, named, options):
    from cnstat_etl.extract import cache, extract_parts

    with tempfile.TemporaryDirectory(prefix="cnstat-") as folder:
        copy = Path(folder) / name
        copy.write_bytes(data)
        return [cache.part_to_arrow(part) for part in extract_parts(copy, options, named=Path(named))]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        client(sys.argv[2], sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]))
    elif sys.argv[1:2] == ["--book"]:
        book(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    else:
        main([Path(p) for p in sys.argv[1:]] or [SAMPLES_DIR])
