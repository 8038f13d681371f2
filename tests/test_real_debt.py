"""Official provincial debt tables (Hunan and Jilin 2019, ruled PDFs) load through `cnstat ingest`.

The truth is hand-checked: every printed cell as (page, row label, column header, value as printed), in
../shared/truth/province_debt_chenfei. Every prefecture's six values (debt limit and debt balance, each
total, general and special) must load and equal it, and no value may load that differs from it: not a
本级 row as its prefecture, not a county, not the bond-project list or the summary after the table.
Skipped where ../shared/real is absent.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import SHARED_REAL, warehouse_in

CNSTAT = str(Path(sys.executable).parent / "cnstat")
DEBT = SHARED_REAL / "province_debt_chenfei"
TRUTH = SHARED_REAL.parent / "truth" / "province_debt_chenfei"
FILES = ["hunan_2019", "jilin_2019"]
# The prefecture-level rows as printed (SOURCE.md: Hunan prints them bold; Jilin one level under the
# province, beside 吉林省本级 and 长白山管委会, which are not prefectures)
PREFECTURES = {
    "hunan_2019": {"长沙市": "430100", "株洲市": "430200", "湘潭市": "430300", "衡阳市": "430400", "邵阳市": "430500",
                   "岳阳市": "430600", "常德市": "430700", "张家界市": "430800", "益阳市": "430900", "郴州市": "431000",
                   "永州市": "431100", "怀化市": "431200", "娄底市": "431300", "湘西州": "433100"},
    "jilin_2019": {"长春市": "220100", "吉林市": "220200", "四平市": "220300", "辽源市": "220400", "通化市": "220500",
                   "白山市": "220600", "松原市": "220700", "白城市": "220800", "延边朝鲜族自治州": "222400"},
}
YUAN_PER_YI = 1e8

pytestmark = pytest.mark.skipif(not DEBT.is_dir() or not TRUTH.is_dir(),
                                reason=f"{DEBT} or {TRUTH} is absent: real files not available")


def _indicator(column_header: str) -> str:
    """The truth's column header ("2019年债务余额（决算数）/一般债务(E)") as the dictionary's indicator."""
    stock = "debt_limit" if "限额" in column_header else "debt_balance"
    return stock + ("_general" if "一般债务" in column_header else "_special" if "专项债务" in column_header else "")


def _truth(name: str) -> dict[tuple[int, str, str], str]:
    """(page, row label, indicator) -> value as printed."""
    with open(TRUTH / f"truth_{name}.csv", encoding="utf-8") as file:
        return {(int(row["page"]), row["row_label"], _indicator(row["column_header"])): row["value_as_printed"]
                for row in csv.DictReader(file)}


@pytest.fixture(scope="module")
def debt_db(tmp_path_factory, real_extract_cache) -> Path:
    db = warehouse_in(tmp_path_factory.mktemp("real_debt"), "debt.duckdb", real_extract_cache)
    run = subprocess.run([CNSTAT, "ingest", "--db", str(db), *(str(DEBT / f"{name}.pdf") for name in FILES)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stdout + run.stderr
    return db


def _loaded(db: Path, name: str) -> list[tuple]:
    """Each loaded value as (page, row label without its print spaces, indicator, region code, year, value,
    value as printed)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select page, row_label, indicator, region_code, year, value, value_as_printed "
                           "from observations where source_file like ?", [f"%{name}.pdf"]).fetchall()
    return [(page, re.sub(r"\s+", "", label), *rest) for page, label, *rest in rows]


def _number(printed: str) -> float:
    return float(printed.replace(",", ""))


@pytest.mark.parametrize("name", FILES)
def test_every_prefecture_debt_value_loads_and_equals_the_truth(debt_db, name):
    truth = _truth(name)
    expected = {key: value for key, value in truth.items() if key[1] in PREFECTURES[name]}
    assert len(expected) == 6 * len(PREFECTURES[name])
    loaded = {(page, label, indicator): (code, year, value, printed)
              for page, label, indicator, code, year, value, printed in _loaded(debt_db, name)}
    assert {key: loaded.get(key) for key in expected} == {
        key: (PREFECTURES[name][key[1]], 2019, pytest.approx(_number(printed) * YUAN_PER_YI), printed)
        for key, printed in expected.items()}


@pytest.mark.parametrize("name", FILES)
def test_no_debt_value_loads_that_is_not_a_prefectures_printed_value(debt_db, name):
    # a 本级 row is the city government's own debt, a county is not in the panel, and the bond projects
    # and summary after Jilin's table are not by region: none of them may load as a place's value
    truth = _truth(name)
    wrong = [row for row in _loaded(debt_db, name)
             if row[1] not in PREFECTURES[name] or row[3] != PREFECTURES[name][row[1]]
             or truth.get(row[:3]) != row[6] or row[4] != 2019]
    assert wrong == []
