"""Unit errors and implausible magnitudes are reported at the cell or column, never loaded with a guess."""

from __future__ import annotations

import duckdb

from cnstat_etl.pipeline import ingest
from workbooks import write_table


def problems(db, kind):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute('select severity, message, source_file, sheet, "row", "column" from problems '
                           "where kind = ? order by all", [kind]).fetchall()


def loaded(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select indicator, value from observations order by all").fetchall()


def test_unknown_unit_is_an_error_naming_file_table_and_column_and_loads_nothing_of_it(tmp_path):
    source = write_table(tmp_path / "odd.xlsx", "各市主要指标（2008年）",
                         ["地区", "地区生产总值（万斤）", "年末总人口（万人）"], [["南京市", 3814.53, 624.46]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    (severity, message, file, sheet, row, column), = problems(db, "bad_unit")
    assert (severity, file, sheet, row, column) == ("error", "odd.xlsx", "表1", None, 2)
    assert "万斤" in message and "各市主要指标（2008年）" in message and "地区生产总值（万斤）" in message
    assert loaded(db) == [("population", 6_244_600.0)]


def test_column_with_no_unit_anywhere_is_an_error_not_a_guess(tmp_path):
    source = write_table(tmp_path / "nounit.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值"],
                         [["南京市", 3814.53], ["无锡市", 4460.21]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    reported = problems(db, "bad_unit")
    assert len(reported) == 1 and "no unit" in reported[0][1]
    assert loaded(db) == []


def test_unit_line_above_the_table_gives_the_unit(tmp_path):
    source = write_table(tmp_path / "unitline.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值"],
                         [["南京市", 38145300]], unit_line="单位：万元")
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    assert loaded(db) == [("gdp", 381_453_000_000.0)]


def test_a_unit_closing_the_title_gives_the_unit(tmp_path):
    source = write_table(tmp_path / "titled.xlsx", "2-3 地区生产总值（2008年）                 （万元）", ["地区", "地区生产总值"],
                         [["南京市", 38145300]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    assert loaded(db) == [("gdp", 381_453_000_000.0)]


def test_brackets_closing_the_title_that_are_no_unit_give_none(tmp_path):
    source = write_table(tmp_path / "titled.xlsx", "各市地区生产总值（2008年）（当年价格）", ["地区", "地区生产总值"],
                         [["南京市", 38145300]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    assert loaded(db) == [] and "no unit" in problems(db, "bad_unit")[0][1]


def test_implausible_magnitude_is_flagged_at_its_cell_and_still_loaded(tmp_path):
    # GDP printed in 元 where the column says 万元 would be: a city GDP of 3814 yuan.
    source = write_table(tmp_path / "slip.xlsx", "各市主要指标（2008年）",
                         ["地区", "地区生产总值（元）", "人均地区生产总值（元）"],
                         [["南京市", 3814, 3_000_000_000], ["无锡市", 446_021_000_000, 92_000]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    flagged = problems(db, "implausible_value")
    assert [(f[2], f[3], f[4], f[5]) for f in flagged] == [("slip.xlsx", "表1", 3, 2), ("slip.xlsx", "表1", 3, 3)]
    assert all(f[0] == "warning" and "unit slip" in f[1] for f in flagged)
    assert len(loaded(db)) == 4


def test_a_population_printing_no_unit_loads_in_the_one_unit_its_magnitudes_allow_and_says_so(tmp_path):
    # CCSY 2021's 2-1 prints 常住人口 with no unit anywhere: 2189 for 北京 is 万人, as persons it is no city
    source = write_table(tmp_path / "nounit.xlsx", "人口数（2020年）", ["地区", "常住人口"],
                         [["南京市", 931], ["无锡市", 746]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    assert loaded(db) == [("population_resident", 7_460_000.0), ("population_resident", 9_310_000.0)]
    (severity, message, *_), = problems(db, "unit_not_printed")
    assert severity == "warning" and "read in 万人" in message and "in 人, 2 of 2 would not be" in message
    assert problems(db, "bad_unit") == []


def test_a_population_printing_no_unit_that_no_printed_unit_makes_plausible_is_refused(tmp_path):
    source = write_table(tmp_path / "nounit.xlsx", "人口数（2020年）", ["地区", "常住人口"],
                         [["南京市", 931], ["无锡市", 74600000]])
    db = tmp_path / "w.duckdb"
    ingest([source], db)
    (severity, message, *_), = problems(db, "bad_unit")
    assert severity == "error" and "the unit cannot be told" in message
    assert loaded(db) == [] and problems(db, "unit_not_printed") == []


def test_every_unit_a_column_printing_none_may_be_read_in_converts_to_its_indicators_unit():
    from cnstat_etl.config import read_mapping_csv
    from cnstat_etl.harmonise.units import conversion_factor
    from cnstat_etl.indicators import indicators

    rows = read_mapping_csv("unprinted_units.csv")
    assert rows
    for row in rows:
        canonical = indicators()[row["indicator"]].canonical_unit
        assert all(conversion_factor(unit, canonical) > 0 for unit in row["units"].split()), row
