"""Draw a ~405-page book in the China City Statistical Yearbook layout, extract it, print how much loads.

The book: 45 tables, each one indicator whose name spans its 全市 / 市辖区 pair, the label header
"城 市 City" printed between the two header rows, the header band open above a ruled body (odd tables)
or a three-line table (even tables), every prefecture-level city of the year under its province, pages
continued under "续表" with the header repeated. Some tables print indicators the dictionary
(mappings/indicators.csv) does not know: those load as provisional indicators, never under a dictionary
one. The figures printed, for the values under a dictionary indicator and for the others: how many loaded
right, wrong, or not at all.

    python bench/make_book.py [OUT.pdf]     # default: a temporary file, removed afterwards

The PDF is drawn by the test fixtures' layout fuzzer (tests/fixtures/layout_fuzzer.py) with fixed
traits; it is not committed.
"""

from __future__ import annotations

import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from layout_fuzzer import (  # noqa: E402
    FONT, INDICATORS, MISSING, Layout, Traits, _cities, _number, _register_font, draw_table, page_size, truth_of)

from cnstat_etl.extract import extract_file  # noqa: E402
from cnstat_etl.harmonise import roles_of  # noqa: E402
from cnstat_etl.indicators import is_provisional, match_header  # noqa: E402

YEAR = 2011
TABLES = 45
PAGES_PER_TABLE = 9
# Headers the dictionary does not know (mappings/header_variants.csv): their tables load as provisional.
UNKNOWN = [("unknown", name, english, (unit,)) for name, english, unit in [
    ("城市维护建设资金支出", "Urban Maintenance Expenditure", "万元"),
    ("年末实有道路面积", "Area of Paved Roads", "万平方米"),
    ("全年供水总量", "Total Water Supply", "万吨"),
    ("公共图书馆图书藏量", "Library Collections", "千册"),
    ("排水管道长度", "Length of Sewage Pipelines", "公里"),
]]


def book_layouts() -> list[Layout]:
    known = [name for _, name, _, _ in UNKNOWN if match_header(name, YEAR)]
    if known:  # the dictionary grew: pick other headers, or the scores below would call right values wrong
        raise SystemExit(f"bench/make_book.py: {', '.join(known)} now in mappings/header_variants.csv")
    provinces = _cities(YEAR)
    catalogue = INDICATORS + UNKNOWN
    layouts = []
    for number in range(TABLES):
        index = number % len(catalogue)
        rng = random.Random(number)
        traits = Traits(
            seed=number, rules="ruled_body" if number % 2 == 0 else "three_line", landscape=False, size=7,
            header_size=7.5, row_pitch=1.75, varied_rows=False, header="pair", title_scope=None, unit_in="line",
            label_header="城 市 City", label_at="middle", wrap=False, english=True, province_rows="full",
            subtotals=False, indent=False, tight_labels=False, centred_numbers=False, separators=False,
            pages=PAGES_PER_TABLE, continued="续表", repeat_header=True, footnote=number % 5 == 0,
            year_from="edition", year=YEAR, indicators=[catalogue[index][0]])
        members = [(name, english, cities) for name, (english, cities) in sorted(provinces.items())]
        columns = [(index, "city_total"), (index, "urban_districts")]
        values = {}
        for _, _, cities in members:
            for city, _ in cities:
                for column in range(2):
                    values[(city, column)] = rng.choice(MISSING) if rng.random() < 0.03 else _number(rng, traits, 5)
        layouts.append(Layout(traits, f"table_2_{number + 1}", columns, [catalogue[index][3][0]], members, values,
                              catalogue))
    return layouts


def draw_book(path: Path) -> list[dict]:
    from reportlab.pdfgen import canvas as pdfcanvas

    _register_font()
    buffer = io.BytesIO()
    canvas = pdfcanvas.Canvas(buffer, pagesize=page_size(False), invariant=1)
    canvas.setFont(FONT, 12)
    truth = []
    for number, layout in enumerate(book_layouts(), start=1):
        rows = len(layout.provinces) + sum(len(cities) for _, _, cities in layout.provinces)
        draw_table(canvas, layout, rows_per_page=-(-rows // PAGES_PER_TABLE), number=f"2—{number}")
        truth += [dict(row, table=f"2-{number}") for row in truth_of(layout)]
    canvas.save()
    path.write_bytes(buffer.getvalue())
    return truth


def main(out: Path | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = out or Path(folder) / "ccsy_book.pdf"
        started = time.perf_counter()
        truth = draw_book(path)
        drawn = time.perf_counter() - started
        started = time.perf_counter()
        result = extract_file(path)
        extracted = time.perf_counter() - started
        roles, _ = roles_of(result)
        pages = max(t.pages[-1] for t in result.tables if t.pages) if result.tables else 0
        expected = {(r["table"], r["place"], r["scope"]): r for r in truth}
        right = {"dictionary": 0, "provisional": 0}
        wrong = dict(right)
        seen = set()
        for value in result.values:
            if roles[value.body_row].kind != "unit":
                continue
            key = (value.table.table_number, value.region_name, value.scope)
            want = expected.get(key)
            group = "provisional" if is_provisional(value.indicator) else "dictionary"
            got = "" if value.value is None else value.value
            meant = want is not None and (is_provisional(value.indicator) if want["indicator"] == "unknown"
                                          else value.indicator == want["indicator"])
            good = meant and key not in seen and value.unit_as_printed == want["unit"] and (
                (got == "" and want["value"] == "") or (got != "" and want["value"] != ""
                                                        and abs(got - float(want["value"])) < 1e-9))
            right[group] += good
            wrong[group] += not good
            seen.add(key)
        under = {"dictionary": sum(r["indicator"] != "unknown" for r in truth)}
        under["provisional"] = len(truth) - under["dictionary"]
        print(f"book: {pages} pages, {len(result.tables)} tables, {len(truth)} values printed, "
              f"{under['dictionary']} under an indicator in the dictionary")
        for group, count in under.items():
            print(f"{group}: loaded right {right[group]} ({right[group] / max(count, 1):.1%}), "
                  f"wrong {wrong[group]}, not loaded {count - right[group]}")
        print(f"drawn in {drawn:.0f} s, extracted in {extracted:.0f} s ({extracted / max(pages, 1):.2f} s a page)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
