"""The warehouse's schema has a recorded version: a new warehouse is made from schema.sql, an older one is
brought up to it in place by the numbered migrations it has not had, each applied once."""

from __future__ import annotations

import duckdb
import pytest

from cnstat_etl.config import WAREHOUSE_DIR
from cnstat_etl.load import warehouse as warehouse_module
from cnstat_etl.load.warehouse import Migration, Warehouse, migrations

# The columns the migrations add, as (table, column), last added last: a warehouse made before them.
LATER_COLUMNS = [
    ("observations", "ocr_reading"), ("observations", "review_reasons"), ("observations", "ocr_confidence"),
    ("observations", "needs_review"), ("observations", "edition"),
    ("county_observations", "ocr_reading"), ("county_observations", "review_reasons"), ("county_observations", "ocr_confidence"),
    ("county_observations", "needs_review"), ("county_observations", "edition"),
    ("sources", "county_values_loaded"), ("sources", "harmonised_with"), ("sources", "kind"),
    ("indicators", "also_printed_in"), ("extracted_tables", "year_from"), ("extracted_tables", "source_sha256"),
    ("problems", "source_path"), ("problems", "source_sha256"), ("unresolved", "source_sha256"),
    ("aggregates", "source_sha256"),
]


def columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    for table, column, data_type in con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')"
            ).fetchall():
        found.setdefault(table, set()).add((column, data_type))
    return found


def old_warehouse(path) -> None:
    """A warehouse as a cnstat made before schema versions and the later columns wrote it, with a file's rows."""
    con = duckdb.connect(str(path))
    con.execute((WAREHOUSE_DIR / "schema.sql").read_text(encoding="utf-8"))
    con.execute("DROP TABLE schema_migrations")
    for table, column in LATER_COLUMNS:
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.execute("INSERT INTO sources VALUES ('a.xlsx', 'abc', '/data/a.xlsx', 'xlsx', 'loaded', 3, 1, "
                "TIMESTAMP '2026-01-01')")
    con.execute("INSERT INTO problems VALUES ('a.xlsx', 'skipped_row', 'warning', 'a note line', NULL, 'Sheet1', 4, "
                "NULL)")
    con.close()


def test_a_warehouse_made_before_the_later_columns_is_brought_up_to_a_new_ones_schema_in_place(tmp_path):
    old_warehouse(tmp_path / "old.duckdb")
    with Warehouse(tmp_path / "new.duckdb") as new:
        expected = columns(new.con)
    with Warehouse(tmp_path / "old.duckdb") as upgraded:
        assert columns(upgraded.con) == expected
        assert upgraded.applied_migrations() == {m.version for m in migrations()}
        # the rows stay, and those of a file named once are tied to its content and path
        assert upgraded.rows("SELECT source_file, source_sha256, source_path FROM problems") == [
            ("a.xlsx", "abc", "/data/a.xlsx")]
        assert upgraded.rows("SELECT source_path, values_loaded, kind FROM sources") == [("/data/a.xlsx", 3, None)]


def probe(version: int, sql: str, monkeypatch) -> None:
    """One more migration after the project's, `sql`."""
    every = migrations()
    monkeypatch.setattr(warehouse_module, "migrations", lambda: every + [Migration(version, "probe", sql)])


def test_a_migration_is_applied_once_and_recorded(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    probe(9999, "CREATE TABLE probe_ran (x INTEGER); INSERT INTO probe_ran VALUES (1);", monkeypatch)
    with Warehouse(db) as warehouse:
        assert warehouse.rows("SELECT x FROM probe_ran") == [(1,)]
        assert 9999 in warehouse.applied_migrations()
        warehouse.con.execute("DELETE FROM probe_ran")
    with Warehouse(db) as warehouse:
        assert warehouse.rows("SELECT x FROM probe_ran") == []


def test_a_new_warehouse_is_made_at_the_latest_version_without_running_the_migrations(tmp_path, monkeypatch):
    probe(9999, "SELECT error('a migration ran on a new warehouse')", monkeypatch)
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        assert warehouse.applied_migrations() == {m.version for m in warehouse_module.migrations()}


def test_a_failing_migration_leaves_the_warehouse_as_it_was(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    probe(9999, "ALTER TABLE sources ADD COLUMN probe INTEGER; SELECT error('broken migration')", monkeypatch)
    with pytest.raises(duckdb.Error, match="broken migration"):
        Warehouse(db)
    with Warehouse(db, read_only=True) as warehouse:
        assert 9999 not in warehouse.applied_migrations()
        assert not warehouse.has_column("sources", "probe")


def test_the_migrations_are_numbered_one_after_another_from_one():
    assert [m.version for m in migrations()] == list(range(1, len(migrations()) + 1))
