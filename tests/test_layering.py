"""The data's path is extract -> harmonise -> load: extract is a pure function of one file (it imports
neither harmonise nor load), load stores what it is handed (it reads no file: it imports no extract), and
the report reads the warehouse without knowing how names are placed (it imports no harmonise); the modules
of load import each other in no circle, and only the warehouse holds its connection."""

from __future__ import annotations

import ast
from pathlib import Path

import cnstat_etl

PACKAGE = Path(cnstat_etl.__file__).parent
EXTRACT = PACKAGE / "extract"
LOAD = PACKAGE / "load"
REPORT = PACKAGE / "report"


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module a file imports, relative imports resolved against its package;
    imports made only for type checking count too: they tie the modules just as well."""
    package = ["cnstat_etl", path.parent.name]
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


def imports_of(folder: Path, package: str) -> dict[str, list[str]]:
    """Module of `folder` -> the modules of `package` it imports, for those that import any."""
    modules = sorted(folder.rglob("*.py"))
    assert modules
    found = {path.name: sorted(name for name in imported_modules(path)
                               if name == package or name.startswith(package + "."))
             for path in modules}
    return {name: names for name, names in found.items() if names}


def test_no_extract_module_imports_harmonise():
    assert imports_of(EXTRACT, "cnstat_etl.harmonise") == {}


def test_no_extract_module_imports_load():
    assert imports_of(EXTRACT, "cnstat_etl.load") == {}


def test_no_load_module_imports_extract():
    assert imports_of(LOAD, "cnstat_etl.extract") == {}


def test_no_report_module_imports_harmonise():
    assert imports_of(REPORT, "cnstat_etl.harmonise") == {}


def connection_readers(folder: Path, owner: Path) -> list[str]:
    """`file:line` of every `.con` read in the modules below `folder` other than `owner`."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        if path != owner:
            found += [f"{path.relative_to(folder)}:{node.lineno}" for node in ast.walk(ast.parse(path.read_text(
                encoding="utf-8"))) if isinstance(node, ast.Attribute) and node.attr == "con"]
    return found


def test_only_the_warehouse_reaches_into_its_connection():
    assert connection_readers(PACKAGE, LOAD / "warehouse.py") == []


def test_the_connection_guard_sees_a_module_reaching_in(tmp_path):
    (tmp_path / "export.py").write_text("def f(warehouse):\n    return warehouse.con.execute('select 1')\n",
                                        encoding="utf-8")
    assert connection_readers(tmp_path, tmp_path / "warehouse.py") == ["export.py:2"]


def import_cycles(folder: Path) -> list[list[str]]:
    """Circles of imports among the modules of a package folder, each as the modules around it."""
    prefix = f"cnstat_etl.{folder.name}."
    graph = {path.stem: {name[len(prefix):] for name in imported_modules(path) if name.startswith(prefix)}
             for path in folder.glob("*.py")}
    graph = {module: {target for target in targets if target in graph} for module, targets in graph.items()}
    cycles, finished = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append(path[path.index(module):])
            return
        if module in finished:
            return
        for target in sorted(graph[module]):
            visit(target, path + [module])
        finished.add(module)

    for module in sorted(graph):
        visit(module, [])
    return cycles


def test_the_load_modules_import_each_other_in_no_circle():
    assert import_cycles(LOAD) == []


def test_the_import_reader_sees_relative_imports_of_harmonise(tmp_path):
    sample = tmp_path / "extract" / "sample.py"
    sample.parent.mkdir()
    sample.write_text("from ..harmonise import units\nfrom cnstat_etl.text import fold\n", encoding="utf-8")
    assert "cnstat_etl.harmonise.units" in imported_modules(sample)


def test_the_circle_finder_sees_a_circle_through_an_import_made_for_type_checking(tmp_path):
    folder = tmp_path / "load"
    folder.mkdir()
    (folder / "a.py").write_text("from cnstat_etl.load.b import x\n", encoding="utf-8")
    (folder / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                 "    from cnstat_etl.load import c\n", encoding="utf-8")
    (folder / "c.py").write_text("from .a import y\n", encoding="utf-8")
    (folder / "d.py").write_text("from cnstat_etl.load.a import y\n", encoding="utf-8")
    assert import_cycles(folder) == [["a", "b", "c"]]
