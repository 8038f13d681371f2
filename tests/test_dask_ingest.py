"""`cnstat ingest --dask`: files extracted on a Dask cluster of worker processes, loaded here, make the
warehouse and the cache a local ingest makes, even when a worker dies while it reads a file, after it sent
some of its parts."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from distributed import Client, Event, LocalCluster

from cnstat_etl import cluster as dask_cluster
from cnstat_etl.extract import ExtractOptions, cache, extract_parts, pdf
from cnstat_etl.pipeline import ingest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CNSTAT = str(Path(sys.executable).parent / "cnstat")
# Text PDFs, a CSV and a workbook; with a scan read by OCR, every kind of reading goes to the workers.
TEXT_FILES = [FIXTURES / "sources" / name for name in ("ccsy2006_fiscal_three_line.pdf",
                                                       "ccsy2012_two_tables_ruled.pdf", "jiangsu2010_cities_gbk.csv",
                                                       "sichuan1999_prefectures.xlsx")]
FILES = TEXT_FILES + [FIXTURES / "scans" / "ccsy1986_old_ruled.pdf"]
HELD = TEXT_FILES[1]  # two tables: two parts, each part cut after a table (as the workers' preload cuts them)


@pytest.fixture(autouse=True)
def part_per_table(monkeypatch):
    """As the workers' preload has it: a part per table, a part at a time in a file's queue."""
    monkeypatch.setattr(pdf, "PART_VALUES", 1)
    monkeypatch.setattr(dask_cluster, "PARTS_QUEUED", 1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two worker processes of one thread; a worker reading HELD holds it after its first part while the
    test's hold folder exists."""
    hold = tmp_path_factory.mktemp("hold") / "armed" / "pid"
    with pytest.MonkeyPatch.context() as patch:  # the worker processes inherit it
        patch.setenv("CNSTAT_TEST_HOLD", HELD.name)
        patch.setenv("CNSTAT_TEST_HOLD_PID", str(hold))
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          preload=[str(FIXTURES / "dask_hold_worker.py")]) as local_cluster:
            yield local_cluster, hold


def local_ingest(db: Path, files: list[Path], jobs: int = 2) -> Path:
    summary = ingest(files, db, ExtractOptions(ocr=True), jobs=jobs)
    assert [f.status for f in summary.files] == ["loaded"] * len(files), [f.reason for f in summary.files]
    return db


def contents(db: Path) -> dict[str, list[str]]:
    """Every table and view, its rows in a stable order, each value as written (loading times left out)."""
    with duckdb.connect(str(db), read_only=True) as connection:
        columns = connection.execute(
            "SELECT table_name, list(column_name ORDER BY ordinal_position) FILTER (data_type NOT LIKE 'TIMESTAMP%') "
            "FROM information_schema.columns WHERE table_schema = 'main' GROUP BY table_name").fetchall()
        return {table: sorted(map(repr, connection.execute(
                    f'SELECT {", ".join(chr(34) + c + chr(34) for c in names)} FROM "{table}"').fetchall()))
                for table, names in columns}


def cache_entries(db: Path) -> dict[str, object]:
    return {path.name: pq.read_table(path) for path in sorted((db.parent / "cache").rglob("*.parquet"))}


def assert_same_warehouse(db: Path, local: Path, files: list[Path]) -> None:
    found, expected = contents(db), contents(local)
    assert found.keys() == expected.keys()
    assert expected["observations"] and expected["harmonised_observations"]
    for name in expected:
        assert found[name] == expected[name], name
    cached, local_cached = cache_entries(db), cache_entries(local)
    assert cached.keys() == local_cached.keys() and len(cached) == len(files)
    assert all(cached[name].equals(local_cached[name]) for name in cached)


def test_an_ingest_on_a_dask_cluster_makes_the_local_ingests_warehouse_and_cache(cluster, tmp_path, monkeypatch):
    local_db = local_ingest(tmp_path / "cnstat.duckdb", FILES)
    db = tmp_path / "dask" / "cnstat.duckdb"
    run = subprocess.run([CNSTAT, "ingest", "--ocr", "--dask", cluster[0].scheduler_address, "--db", str(db),
                          *map(str, FILES)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert f"{len(FILES)} files: {len(FILES)} loaded" in run.stdout
    assert_same_warehouse(db, local_db, FILES)

    def read_again(path, *args, **keywords):
        raise AssertionError(f"{path} was read again")

    # a later ingest beside it (here, where the patch holds) finds every file in the cache the cluster filled
    monkeypatch.setattr(cache, "extract_parts", read_again)
    assert_same_warehouse(local_ingest(db.parent / "again.duckdb", FILES, jobs=1), local_db, FILES)


def test_a_worker_killed_after_sending_part_of_a_file_has_it_read_again_and_each_part_loaded_once(cluster, tmp_path):
    local_cluster, hold = cluster
    local_db = local_ingest(tmp_path / "cnstat.duckdb", TEXT_FILES)
    hold.parent.mkdir()
    db = tmp_path / "dask" / "cnstat.duckdb"
    ingesting = subprocess.Popen([CNSTAT, "ingest", "--ocr", "--dask", local_cluster.scheduler_address, "--db",
                                  str(db), *map(str, TEXT_FILES)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with Client(local_cluster.scheduler_address, set_as_default=False) as client:
            assert Event("cnstat-held", client=client).wait(timeout=300)
        os.kill(int(hold.read_text()), signal.SIGKILL)
        out, err = ingesting.communicate(timeout=600)
    finally:
        ingesting.kill()
        shutil.rmtree(hold.parent)  # no later reading of HELD is held
    assert ingesting.returncode == 0, err
    assert f"{len(TEXT_FILES)} files: {len(TEXT_FILES)} loaded" in out
    assert_same_warehouse(db, local_db, TEXT_FILES)
    # the worker was lost between HELD's two parts
    assert [len(t) for t in cache_entries(db).values() if t.column("source_file")[0].as_py() == HELD.name] == [2]


def test_a_files_first_part_comes_back_while_its_worker_still_reads_it_and_the_rest_after_a_retry(cluster):
    local_cluster, hold = cluster
    hold.parent.mkdir()
    try:
        with Client(local_cluster.scheduler_address, set_as_default=False) as client:
            parts = next(dask_cluster.parts_on_cluster(client, [HELD], ExtractOptions(), None))
            first = next(parts)
            for _ in range(300):  # the worker holding the rest writes its pid once its first part is sent
                if hold.exists():
                    break
                time.sleep(0.1)
            assert any(client.processing().values())  # its task still reads the file
            os.kill(int(hold.read_text()), signal.SIGKILL)
            streamed = [first, *parts]
    finally:
        shutil.rmtree(hold.parent)
    local = list(extract_parts(HELD, ExtractOptions()))
    assert len(local) == 2
    assert [cache.part_to_arrow(p) for p in streamed] == [cache.part_to_arrow(p) for p in local]


def readme_cluster_script() -> str:
    """The README's LocalCluster script: the Python block of its section on a Dask cluster."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## On a Dask cluster", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readmes_local_cluster_script_runs_and_leaves_a_harmonised_warehouse_and_its_cache(tmp_path):
    (tmp_path / "cluster_ingest.py").write_text(readme_cluster_script(), encoding="utf-8")
    source = TEXT_FILES[1]
    run = subprocess.run([sys.executable, "cluster_ingest.py", str(source)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "files loaded into cnstat.duckdb: 1 of 1" in run.stdout
    with duckdb.connect(str(tmp_path / "cnstat.duckdb"), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM harmonised_observations").fetchone()[0] > 0
    assert len(list((tmp_path / "cache").rglob("*.parquet"))) == 1


def test_a_file_read_by_another_version_of_cnstat_on_the_workers_fails_saying_so_and_is_not_cached(
        cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "parser_version", lambda: "0123456789abcdef")  # this side's code is another
    summary = ingest([HELD], tmp_path / "cnstat.duckdb", dask=cluster[0].scheduler_address)
    assert [f.status for f in summary.files] == ["failed"]
    assert "the Dask workers run another version of cnstat-etl" in summary.files[0].reason
    assert not list((tmp_path / "cache").rglob("*.parquet"))
