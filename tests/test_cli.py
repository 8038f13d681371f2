"""The `cnstat` console command as a user runs it: a real subprocess on a real DuckDB file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnstat_etl.config import SAMPLES_DIR

CNSTAT = str(Path(sys.executable).parent / "cnstat")
COUNT_SQL = "select indicator, scope, count(*) as n from observations group by all order by all"


def run(*args: str, env_db: Path | None = None) -> subprocess.CompletedProcess:
    env = None
    if env_db is not None:
        env = {**os.environ, "CNSTAT_DB": str(env_db)}
    return subprocess.run([CNSTAT, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def no_path_ingest(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`cnstat ingest` with no path into a new warehouse, run once for the tests that start from it (the
    samples take seconds of CPU to load)."""
    db = tmp_path_factory.mktemp("no_path_ingest") / "w.duckdb"
    return db, run("ingest", "--db", str(db))


def test_ingest_with_no_path_loads_the_bundled_samples_and_summarises(no_path_ingest):
    _, result = no_path_ingest
    assert result.returncode == 0, result.stderr
    samples = sorted(p.name for p in SAMPLES_DIR.iterdir())
    for name in samples:
        assert name in result.stdout
    assert f"{len(samples)} files: {len(samples)} loaded" in result.stdout


def test_second_ingest_of_the_same_files_changes_nothing(no_path_ingest, tmp_path):
    db = tmp_path / "w.duckdb"
    assert no_path_ingest[1].returncode == 0
    shutil.copy(no_path_ingest[0], db)
    first = run("query", "--db", str(db), "--format", "json", "select * from observations order by all")
    again = run("ingest", "--db", str(db))
    assert again.returncode == 0 and "unchanged" in again.stdout
    second = run("query", "--db", str(db), "--format", "json", "select * from observations order by all")
    assert json.loads(first.stdout) == json.loads(second.stdout)
    assert len(json.loads(first.stdout)) > 0


def test_cnstat_db_environment_variable_chooses_the_warehouse(tmp_path):
    db = tmp_path / "env.duckdb"
    assert run("ingest", str(SAMPLES_DIR / "ccsy2009_gdp_revenue_ruled.pdf"), env_db=db).returncode == 0
    assert db.exists()
    result = run("query", "--format", "csv", COUNT_SQL, env_db=db)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "indicator,scope,n"
    assert "gdp,city_total," in result.stdout


def test_query_with_bad_sql_prints_duckdbs_reason_without_a_traceback(samples_db):
    result = run("query", "--db", str(samples_db), "select nope from observations")
    assert result.returncode != 0
    assert "nope" in result.stderr and "Traceback" not in result.stderr


def test_extract_previews_values_with_provenance_without_a_warehouse(tmp_path):
    pdf = SAMPLES_DIR / "ccsy2009_gdp_revenue_ruled.pdf"
    result = run("extract", str(pdf), "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    nanjing = [r for r in rows if r["row_label"] == "南 京 Nanjing"]
    assert {(r["indicator"], r["scope"]) for r in nanjing} == {
        ("gdp", "city_total"), ("gdp", "urban_districts"),
        ("budget_revenue", "city_total"), ("budget_revenue", "urban_districts")}
    assert all(r["page"] == 1 and r["year"] == 2008 for r in nanjing)


def test_resolve_prints_the_code_in_force_and_todays_code():
    result = run("resolve", "达县地区", "--province", "四川", "--year", "1990", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["code"], answer["harmonised_code"], answer["valid_from"], answer["valid_to"]) == \
        ("513000", "511700", 1981, 1993)


def test_resolve_accepts_an_english_province_for_a_homonym():
    answer = json.loads(run("resolve", "Suzhou", "--province", "Anhui", "--year", "2008", "--json").stdout)
    assert answer["code"] == "341300"


def test_resolve_of_an_ambiguous_name_exits_1_listing_the_candidates():
    result = run("resolve", "Suzhou", "--year", "2008")
    assert result.returncode == 1
    assert "320500" in result.stderr and "341300" in result.stderr


def test_lineage_shows_names_by_period_and_the_split_successors():
    result = run("lineage", "341400")
    assert result.returncode == 0
    assert "巢湖市" in result.stdout
    for successor in ("340100", "340200", "340500"):
        assert f"successor: {successor}" in result.stdout


@pytest.fixture
def read_only_copy(samples_db, tmp_path):
    """A copy of the samples' warehouse in a folder the user may only read (a shared copy)."""
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "w.duckdb"
    shutil.copy(samples_db, db)
    db.chmod(0o444)
    if os.geteuid() == 0:  # root writes whatever the modes say; the immutable flag stops root too
        if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
            pytest.skip("running as root, and chattr +i is not allowed here")
    folder.chmod(0o555)
    yield db
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(db)], check=True)
    folder.chmod(0o755)


# The report of one indicator: what it writes (the warehouse left alone) does not depend on how many it draws.
@pytest.mark.parametrize("command", [["validate"], ["report", "--out", "{tmp}/report", "--indicators", "gdp"],
                                     ["query", "select 1"]])
def test_reading_commands_work_on_a_warehouse_the_user_may_only_read(read_only_copy, tmp_path, command):
    result = run(*[arg.format(tmp=tmp_path) for arg in command], "--db", str(read_only_copy))
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr


# What each command may not import: each of these costs a tenth of a second or more (pandas, numpy,
# matplotlib, pint, pyarrow, pdfplumber, openpyxl) or brings them all (the pipeline, report, explain).
HEAVY = {"pandas", "numpy", "matplotlib", "pint", "pyarrow", "pdfplumber", "openpyxl", "jinja2",
         "cnstat_etl.pipeline", "cnstat_etl.report", "cnstat_etl.explain", "cnstat_etl.firm_ingest"}
# pandas and pint only make what the user cache keeps (the reference tables, unit factors), once
PDF_INGEST_NEEDS = {"numpy", "pyarrow", "cnstat_etl.pipeline"}


def imported_by(*args: str) -> set[str]:
    """The heavy modules `cnstat ARGS` imports, run as the console script runs it."""
    code = ("import sys\nfrom cnstat_etl.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {sorted(HEAVY)!r} if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
    return set(json.loads(done.stderr.splitlines()[-1].replace("'", '"')))


# The console script's way in, with an object that says so when the interpreter frees it at its teardown.
_FREED_AT_TEARDOWN = ("import sys\nclass Freed:\n    def __del__(self):\n        print('torn down')\n"
                      "kept = Freed()\nsys.argv = ['cnstat', *sys.argv[1:]]\nfrom cnstat_etl.console import main\n"
                      "main()\n")


def test_a_command_ends_without_tearing_the_interpreter_down_its_output_and_status_kept(tmp_path):
    helped = subprocess.run([sys.executable, "-c", _FREED_AT_TEARDOWN, "--help"], capture_output=True, text=True,
                            timeout=120)
    assert helped.returncode == 0 and "ingest" in helped.stdout and "torn down" not in helped.stdout
    refused = subprocess.run([sys.executable, "-c", _FREED_AT_TEARDOWN, "query", "select 1", "--db",
                              str(tmp_path / "none.duckdb")], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "no warehouse" in refused.stderr and "torn down" not in refused.stdout


def test_help_and_query_import_none_of_the_heavy_libraries(samples_db):
    assert imported_by("--help") == set()
    assert imported_by("query", "select 1", "--db", str(samples_db)) == set()


def test_a_pdf_ingest_imports_neither_pandas_nor_pint_nor_the_spreadsheet_readers_nor_the_report(tmp_path):
    pdf = SAMPLES_DIR / "ccsy2009_gdp_revenue_ruled.pdf"
    imported_by("ingest", str(pdf), "--db", str(tmp_path / "first.duckdb"))  # fills the user cache if need be
    assert imported_by("ingest", str(pdf), "--db", str(tmp_path / "w.duckdb")) <= PDF_INGEST_NEEDS


def test_python_dash_m_runs_the_command_where_scripts_are_not_on_path():
    result = subprocess.run([sys.executable, "-m", "cnstat_etl", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "ingest" in result.stdout
