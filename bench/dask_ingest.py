"""`cnstat ingest --dask` against its anchor, a local ingest of the same files in the same run (issue 32).

Ingests the bundled samples (or the files and folders named) into fresh warehouses: locally with 2 worker
processes, then on a LocalCluster of 2 worker processes of one thread each, its start timed apart. Prints
seconds, the CPU seconds of this process (which harmonises and loads in both), the ratio, and whether the
two warehouses are equal value for value. Run: `.venv/bin/python bench/dask_ingest.py [PATH...]`.
"""

from __future__ import annotations

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


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or [SAMPLES_DIR])
