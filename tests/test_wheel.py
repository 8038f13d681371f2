"""The built wheel works on its own: installed into a fresh virtualenv outside the repository, `cnstat`
finds its mappings, parsers and warehouse SQL inside the package.

No network: the wheel is built with the setuptools of this environment (--no-build-isolation), installed
with --no-deps, and the fresh venv borrows this environment's third-party packages through a .pth file
(the editable install of cnstat-etl there is not active: .pth files of a borrowed folder are not run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.settings import tomllib

REPO = Path(__file__).resolve().parents[1]


def run(*args, cwd: Path, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k not in ("CNSTAT_DB", "PYTHONPATH")}, **(env or {})}
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    if check:
        assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(bin folder of a fresh venv with the wheel installed, a working folder outside the repo)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a clean copy, so the build leaves nothing in the work tree
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "*.duckdb*",
                                                                 "__pycache__", ".pytest_cache", "tests", "*.so"))
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir",
        root / "dist", source, cwd=root)
    wheel, = (root / "dist").glob("cnstat_etl-*.whl")
    venv = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel, cwd=root)
    site_packages = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                             cwd=root).stdout.strip())
    (site_packages / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = root / "work"
    work.mkdir()
    return venv / "bin", work


def test_the_package_is_imported_from_the_wheel_with_its_data_inside(installed):
    bin_dir, work = installed
    found = run(bin_dir / "python", "-c", "import cnstat_etl.config as c; print(c.__file__); print(c.MAPPINGS_DIR); "
                "print(c.PARSERS_DIR); print(c.WAREHOUSE_DIR)", cwd=work).stdout.split()
    site_packages = bin_dir.parent / "lib"
    for path in map(Path, found):
        assert site_packages in path.parents, path
    assert (Path(found[1]) / "admin_codes" / "yescallop_areacodes" / "result.csv").is_file()


@pytest.mark.skipif(not (shutil.which("cc") or shutil.which("gcc")), reason="no C compiler on this machine")
def test_the_wheel_built_where_a_c_compiler_is_runs_both_c_loops(installed):
    bin_dir, work = installed
    libraries = run(bin_dir / "python", "-c", "from cnstat_etl.extract import layout, pdfium; "
                    "print(pdfium.COMPILED._name); print(layout._LINES_IN_C._name)", cwd=work).stdout.split()
    assert [Path(library).name.split(".")[0] for library in libraries] == ["_pdfium_chars", "_text_lines"]
    assert all(bin_dir.parent in Path(library).parents for library in libraries)


def test_a_wheel_built_without_a_c_compiler_holds_no_compiled_file_and_is_tagged_for_any_platform(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "*.duckdb*",
                                                                 "__pycache__", ".pytest_cache", "tests", "*.so"))
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir",
        tmp_path / "dist", source, cwd=tmp_path, env={"CC": "no-such-c-compiler"})
    wheel, = (tmp_path / "dist").glob("cnstat_etl-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    assert not [name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".so")]


def test_the_license_is_an_spdx_expression_pip_does_not_warn_about():
    with open(REPO / "pyproject.toml", "rb") as f:
        assert tomllib.load(f)["project"]["license"] == "MIT"


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="not a git checkout")
def test_what_the_readme_examples_write_is_ignored_by_git():
    written = ["explain/page_1.png", "export/panel.dta", "report/report.html", "warehouse/cnstat.duckdb",
               "warehouse/cnstat.duckdb.lock", "warehouse/cache/x.parquet"]
    ignored = run("git", "check-ignore", "--no-index", *written, cwd=REPO, check=False).stdout.split()
    assert ignored == written


def test_help_ingest_and_resolve_run_from_the_installed_wheel(installed):
    bin_dir, work = installed
    cnstat = bin_dir / "cnstat"
    assert "ingest" in run(cnstat, "--help", cwd=work).stdout
    source = work / "ccsy2009_gdp_revenue_ruled.pdf"
    shutil.copy(SAMPLES_DIR / source.name, source)
    ingest = run(cnstat, "ingest", source, "--db", work / "w.duckdb", cwd=work)
    assert "1 file: 1 loaded" in ingest.stdout
    count = run(cnstat, "query", "--db", work / "w.duckdb", "--format", "json",
                "select count(*) as n from observations where region_code = '320100'", cwd=work)
    assert json.loads(count.stdout)[0]["n"] > 0
    answer = json.loads(run(cnstat, "resolve", "达县地区", "--province", "四川", "--year", "1990", "--json",
                            cwd=work).stdout)
    assert (answer["code"], answer["harmonised_code"]) == ("513000", "511700")


def test_ingest_without_paths_in_a_wheel_install_says_there_are_no_bundled_samples(installed):
    bin_dir, work = installed
    result = run(bin_dir / "cnstat", "ingest", cwd=work, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no bundled samples" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (work / "cnstat.duckdb").exists()


def test_report_runs_from_the_installed_wheel_with_its_template_and_settings(installed):
    bin_dir, work = installed
    cnstat = bin_dir / "cnstat"
    source = work / "ccsy2010_population_continued.pdf"
    shutil.copy(SAMPLES_DIR / source.name, source)
    run(cnstat, "ingest", source, "--db", work / "r.duckdb", cwd=work)
    run(cnstat, "report", "--db", work / "r.duckdb", "--out", work / "report", cwd=work)
    assert "<section id=\"coverage\">" in (work / "report" / "report.html").read_text(encoding="utf-8")
    assert (work / "report" / "figures" / "coverage_population_city_total.png").is_file()


def test_the_wheel_offers_ocr_and_dask_as_extras_and_requires_neither(installed):
    bin_dir, work = installed
    extras, requirements = json.loads(run(
        bin_dir / "python", "-c", "import importlib.metadata as m, json; d = m.metadata('cnstat-etl'); "
        "print(json.dumps([d.get_all('Provides-Extra'), d.get_all('Requires-Dist')]))", cwd=work).stdout)
    assert {"ocr", "dask"} <= set(extras)
    for name, extra in (("rapidocr-onnxruntime", "ocr"), ("dask", "dask"), ("distributed", "dask")):
        needed = [r for r in requirements if r.startswith(name)]
        assert needed and all(f'extra == "{extra}"' in r for r in needed), needed


# Run by the wheel's python: the extras' modules cannot be imported, as in a plain `pip install cnstat-etl`
# (the fresh venv borrows this environment's packages, which have them).
WITHOUT_EXTRAS = ("import sys\nsys.modules.update(dict.fromkeys(['rapidocr_onnxruntime', 'onnxruntime', 'cv2', 'dask', "
                  "'distributed']))\n")


def test_a_plain_install_ingests_a_text_pdf_and_answers_ocr_and_dask_with_how_to_install_them(installed):
    bin_dir, work = installed
    source = work / "ccsy2006_fiscal_three_line.pdf"
    shutil.copy(SAMPLES_DIR / source.name, source)
    cnstat = WITHOUT_EXTRAS + "from cnstat_etl.cli import main\nmain(sys.argv[1:])"
    plain = run(bin_dir / "python", "-c", cnstat, "ingest", source, "--db", work / "plain.duckdb", cwd=work)
    assert "1 file: 1 loaded" in plain.stdout
    for option, extra in (["--ocr"], "ocr"), (["--dask", "tcp://127.0.0.1:8786"], "dask"):
        refused = run(bin_dir / "python", "-c", cnstat, "ingest", *option, source, "--db", work / f"{extra}.duckdb",
                      cwd=work, check=False)
        assert refused.returncode != 0 and refused.stderr.splitlines() == [
            f"Error: {option[0]} needs the {extra} extra: pip install 'cnstat-etl[{extra}]'"]
        assert not (work / f"{extra}.duckdb").exists()


def test_a_scan_read_by_ocr_without_the_extra_fails_with_how_to_install_it(installed):
    """As on a Dask worker installed without [ocr]: the file fails, with a reason that says what to do."""
    bin_dir, work = installed
    scan = REPO / "tests" / "fixtures" / "scans" / "ccsy1986_old_ruled.pdf"
    read = run(bin_dir / "python", "-c", WITHOUT_EXTRAS + "from cnstat_etl.extract import ExtractOptions, "
               f"extract_file\nprint(extract_file({str(scan)!r}, ExtractOptions(ocr=True)).failure_reason)", cwd=work)
    assert read.stdout.strip().endswith("OCR needs the ocr extra: pip install 'cnstat-etl[ocr]'")
