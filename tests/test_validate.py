"""`cnstat validate` finds duplicates, codes out of their years and unit slips, and exits 1 on errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb

from cnstat_etl.load.validate import validate
from cnstat_etl.pipeline import ingest
from workbooks import write_table

CNSTAT = str(Path(sys.executable).parent / "cnstat")


def findings(db: Path) -> dict[str, int]:
    return {result.name: len(result.rows) for result in validate(db)}


def test_bundled_samples_pass_every_error_check(samples_db, tmp_path):
    db = tmp_path / "w.duckdb"  # validate opens it for writing: not the run's shared copy, which others read
    db.write_bytes(samples_db.read_bytes())
    result = subprocess.run([CNSTAT, "validate", "--db", str(db), "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    checks = {c["check"]: c for c in json.loads(result.stdout)}
    assert checks["duplicate_observation"]["passed"] and checks["code_not_in_force"]["passed"]


def test_a_city_printed_twice_in_one_table_is_a_duplicate_error(tmp_path):
    source = write_table(tmp_path / "twice.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"],
                         [["南京市", 3814.53], ["南 京", 3814.53]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    assert findings(db)["duplicate_observation"] == 1
    result = subprocess.run([CNSTAT, "validate", "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "duplicate_observation" in result.stdout


def test_a_tenfold_jump_from_one_year_to_the_next_is_flagged_as_a_unit_slip(tmp_path):
    first = write_table(tmp_path / "y2007.xlsx", "各市主要指标（2007年）", ["地区", "地区生产总值（万元）"],
                        [["南京市", 32838000], ["无锡市", 38580000]])
    second = write_table(tmp_path / "y2008.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（万元）"],
                         [["南京市", 3814.53], ["无锡市", 44602100]])  # 南京 printed in 亿元 under a 万元 header
    db = tmp_path / "w.duckdb"
    ingest([first, second], db)
    jumps = next(r for r in validate(db) if r.name == "year_over_year_jump")
    assert [row[0] for row in jumps.rows] == ["320100"]


def test_a_code_not_in_force_in_its_year_is_an_error(tmp_path, samples_db):
    db = tmp_path / "w.duckdb"
    db.write_bytes(samples_db.read_bytes())
    with duckdb.connect(str(db)) as con:  # 巢湖市 was dissolved in 2011: a 2015 value cannot be its own
        con.execute("UPDATE observations SET year = 2015 WHERE region_code = '341400'")
    assert findings(db)["code_not_in_force"] == 1


def test_places_that_do_not_add_up_to_their_printed_province_total_are_flagged(tmp_path):
    source = write_table(tmp_path / "jiangsu.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"],
                         [["江苏省", 1000.0], ["南京市", 600.0], ["无锡市", 300.0],
                          ["安徽省", 500.0], ["合肥市", 300.0], ["芜湖市", 200.0]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select row_label, province_code, value from aggregates order by 1").fetchall() == [
            ("安徽省", "340000", 500e8), ("江苏省", "320000", 1000e8)]
        assert con.execute("select count(*) from observations where region_name like '%省'").fetchone()[0] == 0
    mismatch = next(r for r in validate(db) if r.name == "province_total_mismatch")
    found = [dict(zip(mismatch.columns, row)) for row in mismatch.rows]
    assert [(f["province_code"], f["printed_total"], f["prefecture_sum"]) for f in found] == [
        ("320000", 1000e8, 900e8)]
