"""The data's path is extract -> harmonise -> load: extract is a pure function of one file."""

from __future__ import annotations

import ast
from pathlib import Path

import cnstat_etl

EXTRACT = Path(cnstat_etl.__file__).parent / "extract"


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module a file imports, relative imports resolved against its package."""
    package = ["cnstat_etl", "extract"]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_no_extract_module_imports_harmonise():
    modules = sorted(EXTRACT.rglob("*.py"))
    assert modules
    offending = {path.name: sorted(name for name in imported_modules(path)
                                   if name == "cnstat_etl.harmonise" or name.startswith("cnstat_etl.harmonise."))
                 for path in modules}
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_import_reader_sees_relative_imports_of_harmonise(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from ..harmonise import units\nfrom cnstat_etl.text import fold\n", encoding="utf-8")
    assert "cnstat_etl.harmonise.units" in imported_modules(sample)
