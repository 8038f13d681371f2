# Two commands set everything up on a fresh machine that has python3: `make ingest` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: ingest test fixtures bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project metadata or the C parts change; the install is editable, so edits to
# Python code and data need nothing. The extras: OCR of the bundled scans, and the tests' Dask cluster.
# uv installs the same packages as pip in a third of pip's time (it unpacks in parallel); pip stays in the
# venv, as the wheel test builds with it. Bytecode is compiled at install, as pip does: where
# PYTHONDONTWRITEBYTECODE is set (this CI), Python would otherwise recompile every library in every process.
$(STAMP): pyproject.toml setup.py $(wildcard cnstat_etl/extract/*.c) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev,ocr,dask]'
	touch $(STAMP)

ingest: $(STAMP)
	$(BIN)/cnstat ingest

# The package's lint first (ruff), then the tests in parallel on every core (pytest-xdist); a module's
# tests stay on one worker, so that its fixtures are made once. mypy (configured in pyproject.toml) checks
# the types beside the tests, in the time their workers wait on subprocesses: on a clean clone, with no
# cache, it takes about 15 s of one core. Its findings print after the tests'; either failing fails.
test: $(STAMP)
	$(BIN)/python -m compileall -q cnstat_etl  # the package's own bytecode, for the same reason as at install
	$(BIN)/python -m ruff check cnstat_etl
	$(BIN)/python -m mypy > $(VENV)/mypy.log 2>&1 & types=$$!; \
	$(BIN)/python -m pytest -n auto --dist loadscope; tests=$$?; \
	wait $$types; types=$$?; cat $(VENV)/mypy.log; [ $$tests -eq 0 ] && [ $$types -eq 0 ]

fixtures: $(STAMP)
	$(BIN)/python tests/fixtures/generate.py
	$(BIN)/python tests/fixtures/scan_fixtures.py
	$(BIN)/python tests/fixtures/printed_sheet_fixture.py

# Every script in bench/ prints its own figures against the anchor its issue names.
bench: $(STAMP)
	set -e; for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) warehouse/cnstat.duckdb warehouse/cnstat.duckdb.wal
