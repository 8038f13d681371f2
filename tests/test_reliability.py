"""Bad input, killed runs, re-runs and concurrent use lose nothing already in the warehouse."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.load.warehouse import Warehouse
from conftest import FIXTURES
from workbooks import write_table

CNSTAT = str(Path(sys.executable).parent / "cnstat")
BAD = FIXTURES / "bad"

# The reason each bad fixture must be reported with (a part of the one-line message).
BAD_REASONS = {
    "empty.pdf": "empty file",
    "truncated.pdf": "truncated or corrupt PDF",
    "notes_named.pdf": "named .pdf but holds csv",
    "encrypted.pdf": "encrypted PDF",
    "csv_named.xlsx": "named .xlsx but holds csv",
    "contents_page.xlsx": "no table found",
    "moved_away.xlsx": "cannot read the file",
}


def cnstat(*args: str, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("timeout", 300)
    return subprocess.run([CNSTAT, *args], capture_output=True, text=True, **kwargs)


def scalar(db: Path, sql: str, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchone()[0]


def good_workbooks(folder: Path, count: int) -> list[Path]:
    return [write_table(folder / f"good_{i}.xlsx", f"各市主要指标（{2000 + i}年）", ["地区", "地区生产总值（亿元）"],
                        [["南京市", 1000.0 + i], ["无锡市", 900.0 + i]]) for i in range(count)]


def write_distinct_copies(pdf: Path, folder: Path, count: int) -> list[Path]:
    """Copies of a PDF that differ by a trailing comment: distinct files (the same bytes would load once)."""
    copies = [folder / f"page_{i:03d}.pdf" for i in range(count)]
    for i, copy in enumerate(copies):
        copy.write_bytes(pdf.read_bytes() + f"\n% copy {i}\n".encode())
    return copies


# Files of an ingest stopped at its third: enough that it is stopped mid-run even where the machine is busy
# (the test reads the line, then signals); each is loaded once, by the stopped run or the re-run, so more
# would cost CPU and pin nothing more.
STOPPED_RUN_COPIES = 16


def test_folder_of_good_and_bad_files_loads_the_good_names_each_bad_and_exits_non_zero(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    good_workbooks(folder, 5)
    for bad in BAD.iterdir():
        shutil.copy(bad, folder / bad.name)
    (folder / "moved_away.xlsx").symlink_to(tmp_path / "no_such_file.xlsx")
    db = tmp_path / "w.duckdb"
    result = cnstat("ingest", str(folder), "--db", str(db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    failed_lines = [line for line in result.stderr.splitlines() if line.startswith("  failed: ")]
    assert len(failed_lines) == len(BAD_REASONS)
    for name, reason in BAD_REASONS.items():
        line = next(line for line in failed_lines if name in line)
        assert reason in line, line
    assert "5 loaded" in result.stdout and f"{len(BAD_REASONS)} failed" in result.stdout
    assert scalar(db, "select count(distinct source_file) from observations") == 5
    assert scalar(db, "select count(*) from sources where status = 'failed'") == len(BAD_REASONS)


def test_unreadable_file_in_place_of_a_loaded_one_keeps_the_earlier_rows(tmp_path):
    source, = good_workbooks(tmp_path, 1)
    db = tmp_path / "w.duckdb"
    assert cnstat("ingest", str(source), "--db", str(db)).returncode == 0
    source.write_bytes(source.read_bytes()[:200])  # the re-download was cut off
    result = cnstat("ingest", str(source), "--db", str(db))
    assert result.returncode == 1 and "good_0.xlsx" in result.stderr
    assert scalar(db, "select count(*) from observations where source_file = 'good_0.xlsx'") == 2
    assert scalar(db, "select count(*) from problems where source_file = 'good_0.xlsx' "
                      "and kind = 'unreadable_file'") == 1


def test_changed_file_replaces_its_rows_without_stale_or_duplicate_rows(tmp_path):
    path = tmp_path / "table.xlsx"
    write_table(path, "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"], [["南京市", 3000.0], ["无锡市", 4000.0]])
    db = tmp_path / "w.duckdb"
    assert cnstat("ingest", str(path), "--db", str(db)).returncode == 0
    write_table(path, "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"], [["南京市", 3814.53]])
    assert cnstat("ingest", str(path), "--db", str(db)).returncode == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select region_code, value from observations").fetchall() == [("320100", 381_453_000_000.0)]
        assert con.execute("select count(*) from sources").fetchone()[0] == 1


def test_killed_ingest_leaves_every_committed_file_whole_and_no_partial_file(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    total = STOPPED_RUN_COPIES
    write_distinct_copies(SAMPLES_DIR / "ccsy2009_gdp_revenue_ruled.pdf", folder, total)
    db = tmp_path / "w.duckdb"
    process = subprocess.Popen([CNSTAT, "ingest", str(folder), "--db", str(db), "--jobs", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if line.startswith("[3/"):
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    with duckdb.connect(str(db)) as con:
        loaded = con.execute("select source_file, values_loaded from sources where status = 'loaded'").fetchall()
        assert 3 <= len(loaded) < total, "the ingest was not killed mid-run"
        for source_file, values_loaded in loaded:
            count = con.execute("select count(*) from observations where source_file = ?", [source_file]).fetchone()
            assert count[0] == values_loaded > 0
        orphans = con.execute("select count(*) from observations where source_file not in "
                              "(select source_file from sources)").fetchone()[0]
        assert orphans == 0
    again = cnstat("ingest", str(folder), "--db", str(db))
    assert again.returncode == 0 and f"{len(loaded)} unchanged" in again.stdout


@pytest.mark.parametrize("workers, to_whom", [(1, "group"), (2, "group"), (2, "ingest")])
def test_ctrl_c_stops_an_ingest_with_one_line_and_status_130_and_a_rerun_does_the_rest(tmp_path, workers, to_whom):
    # A terminal's Ctrl-C reaches the whole process group (workers too); `kill -INT` the ingest alone.
    folder = tmp_path / "many"
    folder.mkdir()
    total = STOPPED_RUN_COPIES
    write_distinct_copies(SAMPLES_DIR / "ccsy2009_gdp_revenue_ruled.pdf", folder, total)
    db = tmp_path / "w.duckdb"
    process = subprocess.Popen([CNSTAT, "ingest", str(folder), "--db", str(db), "--workers", str(workers)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    for line in process.stdout:
        if line.startswith("[3/"):
            if to_whom == "group":
                os.killpg(process.pid, signal.SIGINT)
            else:
                os.kill(process.pid, signal.SIGINT)
            break
    rest, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    done = scalar(db, "select count(*) from sources where status = 'loaded'")
    assert 3 <= done < total, "the ingest was not interrupted mid-run"
    assert err.splitlines() == [f"interrupted: {done} of {total} files done and kept; "
                                "the same command again does the rest"]
    again = cnstat("ingest", str(folder), "--db", str(db))
    assert again.returncode == 0 and f"{done} unchanged, " in again.stdout and f"{total - done} loaded" in again.stdout


def test_second_ingest_while_one_holds_the_warehouse_fails_fast_with_a_clear_message(tmp_path):
    db = tmp_path / "w.duckdb"
    with Warehouse(db):
        ingest_again = cnstat("ingest", "--db", str(db), timeout=60)
    assert ingest_again.returncode != 0
    assert "is in use by another ingest" in ingest_again.stderr and "Traceback" not in ingest_again.stderr


def _as_from_a_terminal() -> None:
    """Ctrl-C answered as in a shell's foreground command: a process may inherit it ignored or blocked from
    whatever started the tests (both survive exec), and a Python started so ignores it until the ingest
    installs its own handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_ctrl_c_while_an_ingest_starts_is_one_line_and_status_130(tmp_path):
    process = subprocess.Popen([CNSTAT, "ingest", str(SAMPLES_DIR), "--db", str(tmp_path / "w.duckdb")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=_as_from_a_terminal)
    time.sleep(0.4)  # importing what the ingest uses, before any file is read
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, (err, "SIGINT here:", signal.getsignal(signal.SIGINT),
                                       signal.pthread_sigmask(signal.SIG_BLOCK, []))
    assert len(err.splitlines()) == 1 and err.startswith("interrupted") and "Traceback" not in err


# Ctrl-C arriving while the CLI's modules load, made certain: the import of cnstat_etl.cli is interrupted.
_CTRL_C_DURING_IMPORT = """
import sys
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "cnstat_etl.cli":
            raise KeyboardInterrupt
sys.meta_path.insert(0, CtrlC())
sys.argv = ["cnstat", "ingest"]
from cnstat_etl.console import main
main()
"""


def test_ctrl_c_while_the_command_loads_is_one_line_and_status_130():
    process = subprocess.run([sys.executable, "-c", _CTRL_C_DURING_IMPORT], capture_output=True, text=True,
                             timeout=60)
    assert process.returncode == 130, process.stderr
    assert process.stderr.splitlines() == ["interrupted while starting: nothing was done"]


def test_a_ctrl_c_a_library_turns_into_an_error_the_ingest_handles_still_stops_the_ingest(tmp_path, monkeypatch):
    """DuckDB answers a Ctrl-C during its work with an error of its own; where the ingest handles that error
    (a template that does not open: the warehouse is made without it), the interrupt is not lost."""
    from cnstat_etl import pipeline
    from cnstat_etl.outcomes import IngestInterrupted

    def interrupted_then_handled(db_path, digest):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler runs here
        except KeyboardInterrupt:
            pass  # what the library made of it, handled
        return False

    monkeypatch.setattr(pipeline, "_copied_template", interrupted_then_handled)
    with pytest.raises(IngestInterrupted):
        pipeline.ingest([SAMPLES_DIR / "ccsy2009_gdp_revenue_ruled.pdf"], tmp_path / "w.duckdb", jobs=1)


def test_of_two_ingests_started_at_the_same_moment_one_runs_and_the_other_is_refused(tmp_path):
    files = [str(p) for p in good_workbooks(tmp_path, 2)]
    loaded = tmp_path / "loaded.duckdb"
    assert cnstat("ingest", files[0], "--db", str(loaded)).returncode == 0
    for attempt in range(10):  # a new warehouse, then one loaded before, in turn
        db = tmp_path / f"w{attempt}.duckdb"
        if attempt % 2:
            shutil.copy(loaded, db)
        both = [subprocess.Popen([CNSTAT, "ingest", *files, "--db", str(db)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = sorted((p.wait(timeout=300), p.stderr.read()) for p in both)
        assert [code for code, _ in results] == [0, 1], (attempt, results)
        refused = results[1][1].splitlines()
        assert len(refused) == 1 and "is in use by another ingest (process " in refused[0], refused
        assert scalar(db, "select count(*) from sources where status = 'loaded'") == 2


def test_query_that_meets_a_held_warehouse_waits_and_answers_once_it_is_free(tmp_path):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    holder = Warehouse(db)
    query = subprocess.Popen([CNSTAT, "query", "--db", str(db), "--format", "csv", "select 41 + 1 as answer"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([query.stderr], [], [], 120)
        told = query.stderr.readline() if ready else ""
        still_waiting = query.poll() is None
    finally:
        holder.close()
    out, err = query.communicate(timeout=120)
    assert told.strip() == f"waiting for ingest (pid {os.getpid()})…"
    assert still_waiting, "the query did not wait for the holder"
    assert query.returncode == 0, err
    assert out.splitlines() == ["answer", "42"]


def test_query_during_a_running_ingest_returns_between_files(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    total = 40
    write_distinct_copies(SAMPLES_DIR / "ccsy2009_gdp_revenue_ruled.pdf", folder, total)
    db = tmp_path / "w.duckdb"
    ingest = subprocess.Popen([CNSTAT, "ingest", str(folder), "--db", str(db), "--jobs", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in ingest.stdout:
            if line.startswith("[2/"):
                break
        started = time.monotonic()
        query = cnstat("query", "--db", str(db), "--format", "csv",
                       "select count(distinct source_file) from observations", timeout=300)
        waited = time.monotonic() - started
        ingest_still_running = ingest.poll() is None
    finally:
        rest = ingest.communicate(timeout=600)[0]
    assert query.returncode == 0, query.stderr
    files_seen = int(query.stdout.splitlines()[1])
    assert 2 <= files_seen < total, f"query saw {files_seen} files after {waited:.1f} s"
    assert ingest_still_running, "the ingest had finished: the query did not run beside it"
    assert ingest.returncode == 0 and f"{total} loaded" in rest


@pytest.mark.parametrize("name", sorted(BAD_REASONS.keys() - {"moved_away.xlsx"}))
def test_extract_preview_of_a_bad_file_names_the_reason_without_a_traceback(name):
    result = cnstat("extract", str(BAD / name))
    assert result.returncode == 1
    assert BAD_REASONS[name] in result.stderr and "Traceback" not in result.stderr


def test_table_whose_columns_name_no_known_indicator_loads_them_as_provisional_and_is_not_a_failure(tmp_path):
    source = write_table(tmp_path / "toilets.xlsx", "各市公共设施（2008年）", ["地区", "公共厕所（座）", "邮政局（万处）"],
                         [["南京市", 250, 4.1]])
    db = tmp_path / "w.duckdb"
    result = cnstat("ingest", str(source), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert scalar(db, "select status from sources") == "loaded"
    assert scalar(db, "select unrecognised_columns from extraction_report") == 2
    assert scalar(db, "select list(indicator || '=' || value || ' ' || unit order by indicator) from observations"
                  ) == ["provisional:公共厕所=250.0 count", "provisional:邮政局=41000.0 count"]


def test_a_column_headed_only_by_a_scope_or_a_dash_names_no_indicator_and_loads_nothing(tmp_path):
    # what a header whose indicator line was not read leaves: never a provisional indicator named ""
    from cnstat_etl.extract import extract_file

    source = write_table(tmp_path / "scopes.xlsx", "各市主要指标（2008年）", ["地区", "全市", "—", "地区生产总值（亿元）"],
                         [["南京市", 250, 4.1, 3814.53]])
    result = extract_file(source)
    assert [(v.indicator, v.value) for v in result.values] == [("gdp", 3814.53)]
    assert sorted((p.kind, p.column) for p in result.problems if "names no indicator" in p.message) == [
        ("unknown_column", 2), ("unknown_column", 3)]


def test_a_header_that_reads_as_two_known_headers_side_by_side_loads_nothing_under_either(tmp_path):
    # A one-row first page leaving one of two columns blank: the body made one column of the two, and
    # their headers, printed close, read as one cell; never a provisional indicator named after both
    from cnstat_etl.extract import extract_file

    source = write_table(tmp_path / "two.xlsx", "各市主要指标（2016年）",
                         ["地区", "地方财政一般预算内收入 地区生产总值", "年末总人口（万人）"],
                         [["威海市", 68279, 282.6]])
    result = extract_file(source)
    assert [(v.indicator, v.value) for v in result.values] == [("population", 282.6)]
    problem, = [p for p in result.problems if p.kind == "unknown_column"]
    assert problem.column == 2 and "'地方财政一般预算内收入' and '地区生产总值'" in problem.message


def test_a_file_that_meets_a_bug_in_harmonise_fails_alone_in_one_line(tmp_path, monkeypatch):
    from cnstat_etl import pipeline

    good = write_table(tmp_path / "good.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"], [["南京市", 3814.53]])
    bad = write_table(tmp_path / "bad.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"], [["无锡市", 4197.0]])
    real_harmonise = pipeline.harmonise

    def harmonise(extracted):
        if extracted.source_file == bad.name:
            raise KeyError("provisional:x")
        return real_harmonise(extracted)

    monkeypatch.setattr(pipeline, "harmonise", harmonise)
    summary = pipeline.ingest([good, bad], tmp_path / "w.duckdb", jobs=1)
    status = {f.path.name: (f.status, f.reason) for f in summary.files}
    assert status["good.xlsx"][0] == "loaded"
    assert status["bad.xlsx"][0] == "failed" and "KeyError" in status["bad.xlsx"][1]
    assert "\n" not in status["bad.xlsx"][1]


def _closing_a_file_as_ctrl_c_lands(*_args, **_kwargs):
    # Ctrl-C in the middle of a library's clean-up: the clean-up's own error replaces the KeyboardInterrupt
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
    except KeyboardInterrupt:
        raise OSError(9, "Bad file descriptor") from None


def test_an_error_ctrl_c_causes_is_reported_as_the_interrupt_not_as_a_failure(tmp_path, monkeypatch):
    from cnstat_etl import pipeline
    from cnstat_etl.outcomes import IngestInterrupted

    monkeypatch.setattr(pipeline, "_ingest_files", _closing_a_file_as_ctrl_c_lands)
    with pytest.raises(IngestInterrupted):
        pipeline.ingest([SAMPLES_DIR], tmp_path / "w.duckdb")


def test_the_same_error_without_ctrl_c_is_still_an_error(tmp_path, monkeypatch):
    from cnstat_etl import pipeline

    def failing(*_args, **_kwargs):
        raise OSError(9, "Bad file descriptor")

    monkeypatch.setattr(pipeline, "_ingest_files", failing)
    with pytest.raises(OSError):
        pipeline.ingest([SAMPLES_DIR], tmp_path / "w.duckdb")
