"""Data derived from the project's own files (the code history's periods and lineage) is derived once per
change of those files and read back after: the copy read back is the one derived, and a change or a
damaged copy means deriving again, never a stale answer."""

from __future__ import annotations

import os

import pytest

from cnstat_etl import config
from cnstat_etl.harmonise import regions


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    folder = tmp_path / "user_cache"
    monkeypatch.setenv("CNSTAT_CACHE_DIR", str(folder))
    return folder


def _counted(answer):
    calls = []

    def derive():
        calls.append(1)
        return answer

    return derive, calls


def test_the_code_history_read_back_is_the_one_derived_from_the_files(user_cache):
    periods, edges = regions._derive_region_periods(), regions._derive_lineage_edges()
    for name, derive, derived in (("region_periods", regions._derive_region_periods, periods),
                                  ("lineage_edges", regions._derive_lineage_edges, edges)):
        assert regions._derived(name, derive) == derived  # derived and stored
        assert len(list(user_cache.glob(f"{name}-*.pickle"))) == 1
        again, calls = _counted(None)
        assert regions._derived(name, again) == derived and not calls  # read back, not derived


def test_derived_data_is_derived_again_when_an_input_changes(tmp_path, user_cache):
    source = tmp_path / "history.csv"
    source.write_text("a,1\n", encoding="utf-8")
    first, calls = _counted(("a", 1))
    assert config.derived_once("table", [source], first) == ("a", 1) and len(calls) == 1
    assert config.derived_once("table", [source], first) == ("a", 1) and len(calls) == 1
    source.write_text("a,2\n", encoding="utf-8")
    second, calls = _counted(("a", 2))
    assert config.derived_once("table", [source], second) == ("a", 2) and len(calls) == 1


def test_a_checkout_elsewhere_with_the_same_files_reads_the_version_another_derived(tmp_path, user_cache):
    for checkout in ("one", "two"):
        (tmp_path / checkout).mkdir()
        (tmp_path / checkout / "history.csv").write_text("a,1\n", encoding="utf-8")
    first, calls = _counted(("a", 1))
    assert config.derived_once("table", [tmp_path / "one" / "history.csv"], first) == ("a", 1)
    assert config.derived_once("table", [tmp_path / "two" / "history.csv"], first) == ("a", 1)
    assert len(calls) == 1 and len(list(user_cache.glob("table-*.pickle"))) == 1


def _aged(folder, pattern):
    """Every file matching `pattern` dated a minute back, each older than the one written after it."""
    for age, path in enumerate(sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)):
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - (60 + age) * 10**9))


def test_the_user_cache_keeps_only_the_newest_versions_of_a_derived_table(tmp_path, user_cache):
    source = tmp_path / "history.csv"
    for version in range(config.KEPT_VERSIONS + 2):
        source.write_text(f"a,{version}\n", encoding="utf-8")
        derive, _ = _counted(version)
        config.derived_once("table", [source], derive)
        _aged(user_cache, "table-*.pickle")
    config.derived_once("other", [source], _counted(0)[0])  # another table's version is not one of them
    assert len(list(user_cache.glob("table-*.pickle"))) == config.KEPT_VERSIONS
    assert len(list(user_cache.glob("other-*.pickle"))) == 1
    again, calls = _counted(None)
    assert config.derived_once("table", [source], again) == config.KEPT_VERSIONS + 1 and not calls  # the last kept


def test_the_user_cache_keeps_only_the_newest_warehouse_templates(tmp_path, user_cache):
    from cnstat_etl import pipeline

    warehouse = tmp_path / "w.duckdb"
    for version in range(config.KEPT_VERSIONS + 2):
        warehouse.write_bytes(f"warehouse {version}".encode())
        pipeline._keep_as_template(warehouse, f"digest {version}")
        _aged(user_cache, "warehouse-*.duckdb")
    kept = {path.read_bytes() for path in user_cache.glob("warehouse-*.duckdb")}
    assert kept == {f"warehouse {version}".encode() for version in range(2, config.KEPT_VERSIONS + 2)}


@pytest.mark.parametrize("damage", [b"", b"not a pickle", None])
def test_a_damaged_stored_copy_is_derived_again(tmp_path, user_cache, damage):
    source = tmp_path / "history.csv"
    source.write_text("a,1\n", encoding="utf-8")
    derive, calls = _counted({"a": 1})
    config.derived_once("table", [source], derive)
    (stored,) = user_cache.glob("table-*.pickle")
    if damage is None:
        stored.write_bytes(stored.read_bytes()[:-5])  # cut short
    else:
        stored.write_bytes(damage)
    assert config.derived_once("table", [source], derive) == {"a": 1} and len(calls) == 2


def test_a_user_cache_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "a_file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("CNSTAT_CACHE_DIR", str(blocked / "cache"))  # below a file: cannot be made
    source = tmp_path / "history.csv"
    source.write_text("a,1\n", encoding="utf-8")
    derive, calls = _counted([1, 2])
    assert config.derived_once("table", [source], derive) == [1, 2]
    assert config.derived_once("table", [source], derive) == [1, 2] and len(calls) == 2


def test_an_ingest_refills_the_reference_tables_only_when_what_they_are_made_from_changed(tmp_path, monkeypatch, user_cache):
    import duckdb

    from cnstat_etl import pipeline

    source = config.bundled_samples() / "ccsy2012_two_tables_ruled.pdf"
    made = []
    real = pipeline.reference_tables
    monkeypatch.setattr(pipeline, "reference_tables", lambda: made.append(1) or real())
    db = tmp_path / "w.duckdb"
    pipeline.ingest([source], db, jobs=1)
    pipeline.ingest([source], db, jobs=1)
    assert len(made) == 1
    monkeypatch.setattr(pipeline, "reference_digest", lambda mappings=None: "another")
    pipeline.ingest([source], db, jobs=1)
    assert len(made) == 2
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM regions").fetchone()[0] > 6000
        assert con.execute("SELECT count(*) FROM panel").fetchone()[0] > 0


def test_with_workers_the_reference_tables_are_refilled_in_a_process_beside_the_reading(tmp_path, monkeypatch, user_cache):
    import duckdb

    from cnstat_etl import pipeline

    real = pipeline.reference_tables
    refilled_by = tmp_path / "pid"
    monkeypatch.setattr(pipeline, "reference_tables", lambda: refilled_by.write_text(str(os.getpid())) and real())
    db = tmp_path / "w.duckdb"
    pipeline.ingest([config.bundled_samples() / "ccsy2012_two_tables_ruled.pdf"], db, jobs=2)
    assert int(refilled_by.read_text()) != os.getpid()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM regions").fetchone()[0] > 6000
        assert con.execute("SELECT count(*) FROM panel").fetchone()[0] > 0


def test_a_reference_refill_that_fails_beside_the_reading_is_done_again_in_the_ingest(tmp_path, monkeypatch, user_cache):
    import duckdb

    from cnstat_etl import pipeline

    ingest_process, real = os.getpid(), pipeline.reference_tables
    monkeypatch.setattr(pipeline, "reference_tables", lambda: real() if os.getpid() == ingest_process else 1 / 0)
    db = tmp_path / "w.duckdb"
    summary = pipeline.ingest([config.bundled_samples() / "ccsy2012_two_tables_ruled.pdf"], db, jobs=2)
    assert summary.values and not summary.count("failed")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM regions").fetchone()[0] > 6000


def test_a_new_warehouse_is_a_copy_of_the_reference_tables_made_for_the_last_new_one(tmp_path, monkeypatch,
                                                                                    user_cache):
    import duckdb

    from cnstat_etl import pipeline

    source, folder = config.bundled_samples() / "ccsy2012_two_tables_ruled.pdf", tmp_path / "warehouses"
    first = pipeline.ingest([source], folder / "first.duckdb", jobs=1)
    monkeypatch.setattr(pipeline, "reference_tables", lambda: 1 / 0)  # made again, the ingest would fail
    second = pipeline.ingest([source], folder / "second.duckdb", jobs=1)
    assert second.values == first.values > 0 and not second.count("failed")
    with duckdb.connect(str(folder / "second.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM regions").fetchone()[0] > 6000
        assert con.execute("SELECT count(*) FROM panel").fetchone()[0] > 0
    assert sorted(p.name for p in folder.iterdir()) == ["cache", "first.duckdb", "second.duckdb"]  # no copy left


def test_a_damaged_warehouse_template_is_made_again_not_copied(tmp_path, user_cache):
    import duckdb

    from cnstat_etl import pipeline

    source = config.bundled_samples() / "ccsy2012_two_tables_ruled.pdf"
    pipeline.ingest([source], tmp_path / "first.duckdb", jobs=1)
    (template,) = user_cache.glob("warehouse-*.duckdb")
    template.write_bytes(template.read_bytes()[:4096])
    summary = pipeline.ingest([source], tmp_path / "second.duckdb", jobs=1)
    assert summary.values and not summary.count("failed")
    with duckdb.connect(str(tmp_path / "second.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM regions").fetchone()[0] > 6000
    with duckdb.connect(str(template), read_only=True) as con:  # the good one took its place
        assert con.execute("SELECT count(*) FROM regions").fetchone()[0] > 6000


def test_a_years_harmonisation_read_back_is_the_one_derived(user_cache):
    import cnstat_etl.harmonise as harmonise

    vintages = range(2000, 2025)
    derived = harmonise.harmonisation_rows([1998, 2011], vintages)
    assert len(list(user_cache.glob("harmonisation-*"))) == 2
    assert harmonise.harmonisation_rows([1998, 2011], vintages) == derived
    levels = harmonise.regions.CITY_LEVELS
    each = [harmonise._harmonisation_of(year, tuple(vintages), levels) for year in (1998, 2011)]
    assert derived == {name: each[0][name] + each[1][name] for name in harmonise.HARMONISATION_COLUMNS}
