"""Scanned pages: OCR reads them through the same layout engine, and no misread value loads unflagged.

The scans (tests/fixtures/scans, made by scan_fixtures.py from the text fixtures) are OCR'd once per
test session into a warehouse of their own (OCR takes seconds per page). Their truth is the golden file
of the text fixture each was made from, compared by place, year, indicator and scope: OCR pages have no
rules, so grid rows may be numbered differently from the text PDF's.
"""

from __future__ import annotations

import csv
import math
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy
import pdfplumber
import pytest
from click.testing import CliRunner

from cnstat_etl.cli import main
from cnstat_etl.extract import ExtractOptions, ocr
from cnstat_etl.extract.ocr import OcrPage, OcrWord, Read, _decoded, _pieces, find_rules, number_alphabet
from cnstat_etl.harmonise.ocr_checks import MIN_CONFIDENCE, review_reasons
from cnstat_etl.load.warehouse import Warehouse
from cnstat_etl.model import SURE_READ, SURE_TEXT, Aggregate, Observation
from cnstat_etl.pipeline import ingest
from conftest import FIXTURES, GOLDEN
from scan_fixtures import SCANNED, write_all

SCANS = sorted((FIXTURES / "scans").glob("*.pdf"))
CELL_KEY = ("region_code", "year", "indicator", "scope")


@pytest.fixture(scope="session")
def scans_db(tmp_path_factory) -> Path:
    """Every scanned fixture ingested with OCR, once for the session."""
    db = tmp_path_factory.mktemp("scans") / "scans.duckdb"
    summary = ingest(SCANS, db, ExtractOptions(ocr=True), jobs=1)
    assert summary.count("failed") == 0, [f.reason for f in summary.files]
    return db


def _golden(scan: Path) -> dict[tuple, float | None]:
    with (GOLDEN / f"{scan.stem}.csv").open(encoding="utf-8") as handle:
        return {tuple(str(row[k]) for k in CELL_KEY): (float(row["value"]) if row["value"] else None)
                for row in csv.DictReader(handle)}


def _loaded(db: Path, scan: Path) -> dict[tuple, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT region_code, year::VARCHAR, indicator, scope, value, needs_review, match_kind, "
                           "ocr_confidence FROM observations WHERE source_file = ?", [scan.name]).fetchall()
    return {tuple(row[:4]): row[4:] for row in rows}


def _same(want: float | None, have: float | None) -> bool:
    return (want is None and have is None) or (
        want is not None and have is not None and math.isclose(want, have, rel_tol=1e-9))


def test_every_scan_fixture_has_no_text_layer_and_a_golden_file():
    assert [scan.name for scan in SCANS] == sorted(traits.source for traits in SCANNED)
    for scan in SCANS:
        assert (GOLDEN / f"{scan.stem}.csv").exists()
        with pdfplumber.open(scan) as pdf:
            assert all(not page.chars and page.images for page in pdf.pages), scan.name


def test_the_scan_generator_rewrites_every_committed_scan_identically(tmp_path):
    for written in write_all(tmp_path):
        assert written.read_bytes() == (FIXTURES / "scans" / written.name).read_bytes(), \
            f"scans/{written.name} differs from what scan_fixtures.py writes: run `make fixtures`"


def test_without_ocr_a_scan_is_refused_with_a_reason():
    from cnstat_etl.extract import extract_file

    result = extract_file(SCANS[0])
    assert not result.values
    assert {p.kind for p in result.problems} >= {"no_text_layer"}


def test_at_least_99_percent_of_scanned_cells_load_exactly(scans_db):
    exact = total = 0
    report = []
    for scan in SCANS:
        golden, loaded = _golden(scan), _loaded(scans_db, scan)
        right = sum(1 for key, want in golden.items() if key in loaded and _same(want, loaded[key][0]))
        report.append(f"{scan.name}: {right}/{len(golden)}")
        exact += right
        total += len(golden)
    assert total > 100
    assert exact >= 0.99 * total, report


def test_no_value_read_off_a_scan_loads_wrong_without_needs_review(scans_db):
    unflagged_wrong = []
    for scan in SCANS:
        golden = _golden(scan)
        traits = next(t for t in SCANNED if t.source == scan.name)
        for key, (value, needs_review, *_) in _loaded(scans_db, scan).items():
            if not needs_review and (key not in golden or not _same(golden[key], value)):
                unflagged_wrong.append(f"{traits}: {key} loaded {value}, printed {golden.get(key)}")
    assert not unflagged_wrong, "\n".join(unflagged_wrong)


def test_scanned_values_record_ocr_and_their_confidence(scans_db):
    for scan in SCANS:
        loaded = _loaded(scans_db, scan)
        assert loaded
        assert {match_kind for _, _, match_kind, _ in loaded.values()} == {"ocr"}
        assert all(confidence is not None and 0 <= confidence <= 1 for *_, confidence in loaded.values())
        # a cell read with low confidence is always under review
        assert all(needs_review for _, needs_review, _, confidence in loaded.values() if confidence < MIN_CONFIDENCE)


def _observation(**changes) -> Observation:
    base = dict(region_code="320100", harmonised_code="320100", region_name="南京", province_code="320000",
                year=2008, indicator="gdp", scope="city_total", value=100.0, unit="CNY", value_as_printed="100",
                unit_as_printed="元", source_file="s.pdf", source_sha256="x", page=1, sheet=None,
                table_title="t", row_label="南 京", column_label="c", match_kind="ocr", row=5, column=2, edition=None,
                ocr_confidence=0.999)
    return Observation(**{**base, **changes})


def _confident(observations):
    return {i: 0.999 for i in range(len(observations))}


def test_urban_districts_above_the_whole_city_are_both_reviewed():
    rows = [_observation(value=100.0), _observation(scope="urban_districts", value=1000.0, column=3)]
    checked = review_reasons(rows, [], _confident(rows))
    assert [o.needs_review for o in checked] == [True, True]
    assert "市辖区" in checked[1].review_reasons


def test_cities_that_do_not_add_up_to_their_province_total_are_reviewed():
    rows = [_observation(value=60.0), _observation(region_code="320200", value=30.0, row=6)]
    total = Aggregate("s.pdf", 1, None, 4, "江苏省", "320000", "t", 2008, "gdp", "city_total", 96.0)
    assert all(o.needs_review for o in review_reasons(rows, [total], _confident(rows)))
    adds_up = Aggregate("s.pdf", 1, None, 4, "江苏省", "320000", "t", 2008, "gdp", "city_total", 90.0)
    assert not any(o.needs_review for o in review_reasons(rows, [adds_up], _confident(rows)))
    only_some_cities = Aggregate("s.pdf", 1, None, 4, "江苏省", "320000", "t", 2008, "gdp", "city_total", 900.0)
    assert not any(o.needs_review for o in review_reasons(rows, [only_some_cities], _confident(rows)))


def test_cities_adding_up_to_a_finance_offices_subtotal_are_not_doubted_by_the_province_row_with_its_own_level():
    rows = [_observation(value=60.0), _observation(region_code="320200", value=30.0, row=6)]
    province = Aggregate("s.pdf", 1, None, 4, "一、江苏省", "320000", "t", 2008, "gdp", "city_total", 95.0)
    subtotal = Aggregate("s.pdf", 1, None, 8, "市县小计", "320000", "t", 2008, "gdp", "city_total", 90.0)
    assert not any(o.needs_review for o in review_reasons(rows, [province, subtotal], _confident(rows)))
    misread = Aggregate("s.pdf", 1, None, 8, "市县小计", "320000", "t", 2008, "gdp", "city_total", 91.0)
    assert all(o.needs_review for o in review_reasons(rows, [province, misread], _confident(rows)))


def test_cities_that_add_up_with_one_value_negative_doubt_that_value_alone():
    # 30 printed -30, its minus dropped: 60 - 30 + 10 = 40
    rows = [_observation(value=60.0), _observation(region_code="320200", value=30.0, row=6),
            _observation(region_code="320300", value=10.0, row=7)]
    total = Aggregate("s.pdf", 1, None, 8, "市县小计", "320000", "t", 2008, "gdp", "city_total", 40.0)
    checked = review_reasons(rows, [total], _confident(rows))
    assert [o.needs_review for o in checked] == [False, True, False]
    assert "negative" in checked[1].review_reasons
    # either 60 negative makes 20: which of the two is misread is not told
    ambiguous = [rows[0], replace(rows[1], value=60.0), replace(rows[2], value=20.0)]
    twice = replace(total, value=20.0)
    assert all(o.needs_review for o in review_reasons(ambiguous, [twice], _confident(ambiguous)))


def test_a_whole_city_is_not_doubted_by_its_urban_districts_value_whose_lost_minus_the_totals_tell():
    # 南京's 市辖区 printed -30, read 30 over its 全市 20: the districts' 30, 50 and 10 make the total 30 only at -30
    urban = [_observation(scope="urban_districts", value=30.0, column=3),
             _observation(region_code="320200", scope="urban_districts", value=50.0, row=6, column=3),
             _observation(region_code="320300", scope="urban_districts", value=10.0, row=7, column=3)]
    rows = urban + [_observation(value=20.0)]
    total = Aggregate("s.pdf", 1, None, 8, "市县小计", "320000", "t", 2008, "gdp", "urban_districts", 30.0)
    assert [o.needs_review for o in review_reasons(rows, [total], _confident(rows))] == [True, False, False, False]
    # the same read with nothing to tell its sign by: both doubted
    assert all(o.needs_review for o in review_reasons([rows[0], rows[3]], [], _confident(rows[:2])))


def test_a_provisional_indicator_read_off_a_scan_is_checked_for_confidence_only():
    indicator = "provisional:城市维护建设资金支出"
    rows = [_observation(indicator=indicator, value=100.0),
            _observation(indicator=indicator, scope="urban_districts", value=1000.0, column=3)]
    total = Aggregate("s.pdf", 1, None, 4, "江苏省", "320000", "t", 2008, indicator, "city_total", 5.0)
    assert not any(o.needs_review for o in review_reasons(rows, [total], _confident(rows)))


def test_a_per_capita_value_far_from_total_over_population_is_reviewed():
    rows = [_observation(value=1e9), _observation(indicator="population", value=1e4, column=3),
            _observation(indicator="gdp_per_capita", value=1e6, column=4)]
    assert all(o.needs_review for o in review_reasons(rows, [], _confident(rows)))
    rows[2] = _observation(indicator="gdp_per_capita", value=1.1e5, column=4)
    assert not any(o.needs_review for o in review_reasons(rows, [], _confident(rows)))


def test_a_low_confidence_value_is_reviewed_and_a_text_layer_value_never_is():
    rows = [_observation(), _observation(match_kind="exact", ocr_confidence=None, column=3)]
    checked = review_reasons(rows, [], {0: MIN_CONFIDENCE - 0.01})
    assert [o.needs_review for o in checked] == [True, False]
    assert "confidence" in checked[0].review_reasons


def _unsure_misread_with_a_second(second_confidence: float):
    """Two cities and their province's total 90: the first read 80 unsure (it should be 60), and at another
    scale 60 with `second_confidence`."""
    rows = [_observation(value=80.0, value_as_printed="80", ocr_confidence=0.9),
            _observation(region_code="320200", value=30.0, row=6)]
    total = Aggregate("s.pdf", 1, None, 4, "江苏省", "320000", "t", 2008, "gdp", "city_total", 90.0)
    second = _observation(value=60.0, value_as_printed="60", ocr_confidence=second_confidence, ocr_reading="second")
    return rows, [total], {0: 0.9, 1: 0.999}, {0: (second, second_confidence)}


def test_a_second_reading_the_totals_confirm_loads_in_place_of_a_first_they_refute():
    rows, totals, confidences, seconds = _unsure_misread_with_a_second(0.99)
    checked = review_reasons(rows, totals, confidences, seconds)
    assert [(o.value, o.needs_review) for o in checked] == [(60.0, False), (30.0, False)]
    assert checked[0].ocr_reading == "second" and checked[0].ocr_confidence == 0.99


def test_an_unsure_second_reading_is_never_taken():
    rows, totals, confidences, seconds = _unsure_misread_with_a_second(MIN_CONFIDENCE - 0.01)
    checked = review_reasons(rows, totals, confidences, seconds)
    assert checked[0].value == 80.0 and all(o.needs_review for o in checked)


def test_a_second_reading_is_not_taken_over_a_first_that_only_its_confidence_doubts():
    rows, totals, confidences, seconds = _unsure_misread_with_a_second(0.99)
    adds_up = [replace(totals[0], value=110.0)]  # the first reading, 80, is what the total confirms
    checked = review_reasons(rows, adds_up, confidences, seconds)
    assert [(o.value, o.needs_review) for o in checked] == [(80.0, True), (30.0, False)]
    assert "confidence" in checked[0].review_reasons
    alone = review_reasons(rows[:1], [], {0: 0.9}, seconds)  # no check but confidence: two readings disagree
    assert alone[0].value == 80.0 and alone[0].needs_review


def test_a_second_reading_that_makes_another_cell_doubtful_is_not_taken():
    rows, totals, confidences, seconds = _unsure_misread_with_a_second(0.99)
    rows.append(_observation(scope="urban_districts", value=70.0, column=3))  # 市辖区 70 fits 全市 80, not 60
    checked = review_reasons(rows, totals, {**confidences, 2: 0.999}, seconds)
    assert checked[0].value == 80.0 and checked[0].needs_review and not checked[2].needs_review


def test_a_tenfold_jump_against_the_same_citys_other_years_is_reviewed(scans_db, tmp_path):
    db = tmp_path / "jump.duckdb"
    shutil.copy(scans_db, db)
    with duckdb.connect(str(db)) as con:
        (name, sha256, region, indicator, scope, year), = con.execute(
            "SELECT source_file, source_sha256, region_code, indicator, scope, year FROM observations "
            "WHERE NOT needs_review AND value > 0 ORDER BY source_file, region_code, indicator LIMIT 1").fetchall()
        # the same city a year later, printed ten times smaller, from a text layer
        con.execute(
            "INSERT INTO observations SELECT * REPLACE (year + 1 AS year, value / 10 AS value, "
            "'neighbour.pdf' AS source_file, 'exact' AS match_kind) FROM observations "
            "WHERE source_file = ? AND region_code = ? AND indicator = ? AND scope = ?",
            [name, region, indicator, scope])
    with Warehouse(db) as warehouse:
        warehouse._flag_jumps(sha256)
        needs_review, reasons = warehouse.row(
            "SELECT needs_review, review_reasons FROM observations WHERE source_file = ? AND region_code = ? "
            "AND indicator = ? AND scope = ?", [name, region, indicator, scope])
    assert needs_review and f"{year + 1} " in reasons


def _panel_cells(db: Path) -> int:
    with duckdb.connect(str(db)) as con:
        return con.execute("SELECT count(*) FROM observations_preferred").fetchone()[0]


def test_the_panel_leaves_out_values_under_review_unless_the_researcher_opts_in(scans_db, tmp_path):
    db = tmp_path / "optin.duckdb"
    shutil.copy(scans_db, db)
    with duckdb.connect(str(db)) as con:
        doubtful, total = con.execute("SELECT count(*) FILTER (WHERE needs_review), count(*) FROM observations"
                                      ).fetchone()
    assert doubtful > 0
    assert _panel_cells(db) == total - doubtful
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT OR REPLACE INTO settings VALUES ('include_needs_review', 'true')")
    assert _panel_cells(db) == total


def test_a_reviewed_value_survives_re_ingesting_its_scan(scans_db, tmp_path):
    db = tmp_path / "review.duckdb"
    shutil.copy(scans_db, db)
    runner = CliRunner()
    review_csv = tmp_path / "review" / "cells.csv"
    exported = runner.invoke(main, ["review", "export", str(review_csv), "--db", str(db)])
    assert exported.exit_code == 0, exported.output
    with review_csv.open(encoding="utf-8") as handle:
        cells = list(csv.DictReader(handle))
    assert cells and all((review_csv.parent / cell["crop"]).stat().st_size > 100 for cell in cells)
    edited = next(cell for cell in cells if cell["unit_as_printed"] == "万元")
    edited["corrected"] = "123456"
    with review_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(cells[0]))
        writer.writeheader()
        writer.writerows(cells)
    applied = runner.invoke(main, ["review", "apply", str(review_csv), "--db", str(db)])
    assert applied.exit_code == 0, applied.output

    def stored():
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute(
                'SELECT value, value_as_printed, match_kind, needs_review FROM observations WHERE source_sha256 = ? '
                'AND page = ? AND "row" = ? AND "column" = ?',
                [edited["source_sha256"], int(edited["page"]), int(edited["row"]), int(edited["column"])]).fetchall()

    assert stored() == [(1234560000.0, "123456", "reviewed", False)]
    # re-ingest: drop the file's load so that it is read (and OCR'd) again from scratch
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM sources WHERE source_file = ?", [edited["source_file"]])
    summary = ingest([FIXTURES / "scans" / edited["source_file"]], db, ExtractOptions(ocr=True), jobs=1)
    assert [f.status for f in summary.files] == ["loaded"]
    assert stored() == [(1234560000.0, "123456", "reviewed", False)]


def test_a_correction_that_is_not_a_number_is_refused_with_its_line(tmp_path):
    review_csv = tmp_path / "bad.csv"
    review_csv.write_text("source_sha256,page,row,column,corrected\nx,1,2,3,12o4\n", encoding="utf-8")
    db = tmp_path / "bad.duckdb"
    Warehouse(db).close()
    result = CliRunner().invoke(main, ["review", "apply", str(review_csv), "--db", str(db)])
    assert result.exit_code != 0
    assert "line 2" in result.output and "12o4" in result.output and "Traceback" not in result.output


def test_a_box_holding_two_cells_is_cut_where_its_characters_part():
    # "城市" then, after a gap of about two characters, "地方财政": a label header boxed with its neighbour
    centres = [10, 26, 74, 90, 106, 122]
    pieces = _pieces("城市地方财政", 0, 130, 20, centres, [0.99] * 4 + [0.9, 0.95])
    assert [p[0] for p in pieces] == ["城市", "地方财政"]
    assert pieces[0][1] == 0 and pieces[1][2] == 130 and pieces[0][2] < pieces[1][1]
    assert pieces[1][3] == pytest.approx((0.99 * 2 + 0.9 + 0.95) / 4)


def test_a_box_of_evenly_spaced_digits_stays_one_number():
    centres = [5 + 9 * i for i in range(7)]
    assert _pieces("12345.6", 0, 64, 20, centres, [0.98] * 7) == [("12345.6", 0, 64, pytest.approx(0.98))]


def _page_image(*inked: tuple[int, int, int, int]) -> OcrPage:
    """A white page at 72 dpi (a pixel a point) with ink in each (top, bottom, left, right) box, and one
    word elsewhere of glyph size 8."""
    image = numpy.full((100, 200), 255, dtype=numpy.uint8)
    for top, bottom, left, right in inked:
        image[top:bottom, left:right] = 30
    word = OcrWord("12", 150, 160, 80, 90, 0.99)
    return OcrPage(None, [word], image, 72)


def test_a_blank_cell_or_an_unboxed_missing_marker_is_read_surely_as_printing_no_number():
    assert _page_image().cell_read(10, 10, 60, 30).confidence == 1.0
    assert _page_image((19, 21, 20, 32)).cell_read(10, 10, 60, 30).confidence == 1.0  # a dash
    assert _page_image((10, 30, 35, 36), (14, 15, 10, 60)).cell_read(10, 10, 60, 30).confidence == 1.0  # rules


def test_ink_as_tall_as_a_digit_where_no_word_was_read_is_no_sure_read():
    assert _page_image((14, 22, 30, 36)).cell_read(10, 10, 60, 30) is None
    assert _page_image((14, 22, 30, 36), (10, 30, 50, 51)).cell_read(10, 10, 60, 30) is None  # beside a rule


def _frames(alphabet: list[str], path: list[tuple[str, float]]) -> numpy.ndarray:
    """Recogniser output for a path of (character, probability) frames, the rest of each frame's
    probability spread evenly over the other classes; "" is the CTC blank."""
    frames = numpy.zeros((len(path), len(alphabet)))
    for frame, (character, probability) in enumerate(path):
        frames[frame] = (1 - probability) / (len(alphabet) - 1)
        frames[frame, alphabet.index(character or "blank")] = probability
    return frames


ALPHABET = ["blank", "0", "1", "5", "O", "l", "市", " "]


def test_a_letter_read_in_a_number_decodes_as_an_unsure_digit_never_a_sure_one():
    read = _decoded(_frames(ALPHABET, [("1", 0.99), ("", 0.99), ("O", 0.9), ("", 0.99), ("5", 0.99)]),
                    number_alphabet(ALPHABET), 0, 1, numbers_only=False)
    assert read.numeric and read.text in ("15", "105", "115", "155")
    assert "O" not in read.text and read.confidence < SURE_READ


def test_a_number_read_surely_keeps_its_digits_and_where_they_print():
    read = _decoded(_frames(ALPHABET, [("1", 0.99), ("", 0.99), ("0", 0.995), ("0", 0.99), ("", 0.99), ("5", 0.99)]),
                    number_alphabet(ALPHABET), 100, 8, numbers_only=False)
    assert (read.text, read.numeric) == ("105", True) and read.confidence >= SURE_READ
    assert read.centres == [104, 120, 144]


WITH_SEPARATORS = [*ALPHABET, ",", "，", "."]


def _split_frame(shares: dict[str, float], alphabet: list[str] = WITH_SEPARATORS) -> numpy.ndarray:
    frame = numpy.full(len(alphabet), (1 - sum(shares.values())) / (len(alphabet) - len(shares)))
    for character, share in shares.items():
        frame[alphabet.index(character)] = share
    return frame


def test_a_separator_read_as_a_comma_or_its_full_width_twin_is_a_sure_comma_and_one_read_as_a_point_is_not():
    one = _frames(WITH_SEPARATORS, [("1", 0.99)])
    five = _frames(WITH_SEPARATORS, [("5", 0.99), ("5", 0.99), ("5", 0.99)])
    alphabet = number_alphabet(WITH_SEPARATORS)
    read = _decoded(numpy.vstack([one, _split_frame({",": 0.7, "，": 0.29}), five]), alphabet, 0, 1, False)
    assert read.text == "1,5" and read.confidence >= SURE_READ
    comma_or_point = numpy.vstack([one, _split_frame({",": 0.7, ".": 0.29}), five])
    assert _decoded(comma_or_point, alphabet, 0, 1, numbers_only=False).confidence < SURE_READ


def test_an_unsure_space_before_or_after_a_number_is_no_part_of_it():
    frames = _frames(ALPHABET, [(" ", 0.6), ("1", 0.99), ("", 0.99), ("5", 0.99), (" ", 0.55)])
    read = _decoded(frames, number_alphabet(ALPHABET), 0, 1, numbers_only=False)
    assert (read.text, read.centres) == ("15", [1.5, 3.5]) and read.confidence >= SURE_READ
    inside = _decoded(_frames(ALPHABET, [("1", 0.99), (" ", 0.6), ("5", 0.99)]), number_alphabet(ALPHABET), 0, 1,
                      numbers_only=False)
    assert inside.text == "1 5" and inside.confidence < SURE_READ


def test_a_word_is_decoded_with_the_whole_alphabet():
    read = _decoded(_frames(ALPHABET, [("市", 0.99), ("", 0.99), ("l", 0.99)]), number_alphabet(ALPHABET), 0, 1,
                    numbers_only=False)
    assert (read.text, read.numeric) == ("市l", False)


def _unsure_then(again: Read, monkeypatch) -> tuple[Read, list]:
    """What `recognise` makes of one crop read unsure, then `again` when read at the second scale."""
    first = Read("1234", [1, 2, 3, 4], [0.99, 0.6, 0.99, 0.99], True)
    asked = []

    def recognised(image, crops, numbers_only=False):
        asked.append((crops, numbers_only))
        return [first] if len(asked) == 1 else [again]

    monkeypatch.setattr(ocr, "_recognised", recognised)
    read, = ocr.recognise(numpy.full((100, 100), 255, dtype=numpy.uint8), [(20, 40, 60, 60)], [[]])
    return read, asked


def test_an_unsure_number_is_read_again_at_a_second_scale_and_kept_when_both_reads_agree(monkeypatch):
    sure = Read("1234", [1, 2, 3, 4], [0.99] * 4, True)
    read, asked = _unsure_then(sure, monkeypatch)
    assert (read.text, read.confidences, read.reading) == ("1234", sure.confidences, "agreed")
    (crop,), numbers_only = asked[1]
    assert numbers_only and crop[1] < 40 and crop[3] > 60  # a wider crop: the text at another scale


def test_an_unsure_number_read_otherwise_the_second_time_stays_unsure_and_keeps_the_other_reading(monkeypatch):
    other = Read("1284", [1, 2, 3, 4], [0.99] * 4, True)
    read, asked = _unsure_then(other, monkeypatch)
    assert read.text == "1234" and read.confidence < SURE_READ and read.reading == "first"
    assert read.second is other and len(asked) == 1 + len(ocr.SCALES)  # read at every scale, none agreeing


def test_an_unsure_number_keeps_the_likeliest_of_its_other_readings_as_the_cells_second(monkeypatch):
    first = Read("1234", [10, 20, 30, 40], [0.99, 0.6, 0.99, 0.99], True)
    others = iter([Read("1284", [10, 20, 30, 40], [0.9] * 4, True), Read("1834", [10, 20, 30, 40], [0.98] * 4, True)])
    monkeypatch.setattr(ocr, "_recognised", lambda image, crops, numbers_only=None:
                        [next(others, first)] if numbers_only else [first])
    monkeypatch.setattr(ocr, "_crops", lambda image, dpi, vertical: [(5, 40, 50, 60)])
    image = numpy.full((100, 100), 255, dtype=numpy.uint8)
    word, = ocr.read_words(image, 72)
    assert (word.text, word.second, word.second_confidence) == ("1234", "1834", pytest.approx(0.98))
    page = OcrPage(None, [word], image, 72)
    read = page.cell_read(word.x0 - 1, word.top - 1, word.x1 + 1, word.bottom + 1)
    assert (read.reading, read.second, read.confidence) == ("first", "1834", pytest.approx(first.confidence))


def _two_digits() -> numpy.ndarray:
    """A page with two digit-sized marks inside the crop (20, 40, 60, 60), at x 22-28 and 42-48."""
    image = numpy.full((100, 100), 255, dtype=numpy.uint8)
    image[45:55, 22:28] = image[45:55, 42:48] = 20
    return image


def _read_twice(first: Read, again: Read, monkeypatch) -> Read:
    monkeypatch.setattr(ocr, "_recognised", lambda image, crops, numbers_only=None: [again] if numbers_only
                        else [first])
    image, crop = _two_digits(), (20, 40, 60, 60)
    read, = ocr.recognise(image, [crop], [ocr._marks(image, crop)])
    return read


def test_a_read_leaving_a_mark_under_no_character_has_missed_one():
    image, crop = _two_digits(), (20, 40, 60, 60)
    marks = ocr._marks(image, crop)
    assert marks == [(22, 28), (42, 48)]
    assert ocr._missed(marks, crop, Read("1", [25], [0.99], True))
    assert not ocr._missed(marks, crop, Read("12", [25, 45], [0.99, 0.99], True))
    assert not ocr._missed(marks, crop, Read("..", [25, 45], [0.99, 0.99], True))  # dots: no number


def test_a_crop_printing_only_dots_or_a_dash_is_a_missing_marker_whatever_the_recogniser_reads():
    # "…" in the crop (20, 40, 60, 60), read as 烟 on a fresh scan: three dots, none a character tall
    dots = numpy.full((100, 100), 255, dtype=numpy.uint8)
    dots[52:54, 28:30] = dots[52:54, 36:38] = dots[52:54, 44:46] = 20
    assert ocr._flat(dots, (20, 40, 60, 60))
    assert not ocr._flat(_two_digits(), (20, 40, 60, 60))
    assert not ocr._flat(numpy.full((100, 100), 255, dtype=numpy.uint8), (20, 40, 60, 60))  # blank: nothing
    broken = numpy.full((100, 100), 255, dtype=numpy.uint8)  # a character scanned in flat pieces, one over another
    broken[44:48, 30:40] = broken[50:54, 30:40] = 20
    assert not ocr._flat(broken, (20, 40, 60, 60))


def test_a_number_missing_a_digit_surely_is_read_again_and_unsure_unless_a_read_covers_every_mark(monkeypatch):
    dropped = Read("1", [25], [0.999], True)
    both = Read("12", [25, 45], [0.99, 0.99], True)
    assert _read_twice(dropped, both, monkeypatch) == replace(both, reading="second")
    read = _read_twice(dropped, dropped, monkeypatch)
    assert read.text == "1" and read.confidence < SURE_READ


def _minus_two_digits() -> numpy.ndarray:
    """`_two_digits` with a dash at their mid-height before them, at x 15-19: "-12" as printed."""
    image = _two_digits()
    image[49:51, 15:19] = 20
    return image


def test_a_dash_at_mid_height_before_a_numbers_digits_is_a_minus_sign_and_other_flat_ink_is_not():
    crop = (10, 40, 60, 60)
    assert ocr._leading_dash(_minus_two_digits(), crop)
    assert not ocr._leading_dash(_two_digits(), crop)
    underline = _two_digits()
    underline[55:57, 15:19] = 20  # at the digits' foot: a full stop or a rule's fray, no sign
    assert not ocr._leading_dash(underline, crop)
    after = _two_digits()
    after[49:51, 50:54] = 20  # after the digits: a dash between numbers, not this one's sign
    assert not ocr._leading_dash(after, crop)


def test_a_number_read_without_the_minus_sign_it_prints_is_unsure_unless_a_read_gives_the_sign(monkeypatch):
    image, crop = _minus_two_digits(), (10, 40, 60, 60)
    unsigned = Read("12", [25, 45], [0.999, 0.999], True)
    monkeypatch.setattr(ocr, "_recognised", lambda image, crops, numbers_only=None: [unsigned])
    read, = ocr.recognise(image, [crop], [ocr._marks(image, crop)])
    assert read.text == "12" and read.confidence < SURE_READ
    signed = Read("-12", [17, 25, 45], [0.99] * 3, True)
    monkeypatch.setattr(ocr, "_recognised", lambda image, crops, numbers_only=None:
                        [signed] if numbers_only else [unsigned])
    read, = ocr.recognise(image, [crop], [ocr._marks(image, crop)])
    assert (read.text, read.reading) == ("-12", "second")


def test_a_words_edges_are_drawn_in_to_its_ink_never_out():
    marks = [(22, 28), (42, 48), (70, 80)]
    assert ocr._drawn_in(18, 52, marks) == (22, 48)  # the next word's mark at 70 is not this one's
    assert ocr._drawn_in(24, 46, marks) == (24, 46)
    assert ocr._drawn_in(50, 60, marks) == (50, 60)  # no ink under it: as placed


def test_a_word_is_read_surely_by_its_letters_not_its_brackets():
    # "（户）": the recogniser doubts the full-width brackets, not the 户; "城误/" is its guess at a clipped line
    assert ocr._sure_text(Read("（户）", [0, 10, 20], [0.75, 0.99, 0.59], False), [0, 1, 2])
    assert not ocr._sure_text(Read("城误/", [0, 10, 20], [0.54, 0.3, 0.95], False), [0, 1, 2])
    assert ocr._sure_text(Read("城误/ 全市", [0, 10, 20, 30, 40, 50], [0.54, 0.3, 0.95, 1, 0.99, 0.99], False), [4, 5])


def test_a_word_is_not_drawn_in_past_a_character_the_recogniser_placed_where_no_mark_is():
    # "一、甘肃省": the 一 touches the crop's edge (cut at the label column's rule), so it is no mark; the
    # word starts at its centre, left of the indented cities, not at 甘
    marks = [(40, 48), (50, 58)]
    assert ocr._drawn_in(10, 60, marks, [16, 24, 44, 54]) == (16, 58)
    assert ocr._drawn_in(10, 60, marks, [44, 54]) == (40, 58)  # characters over marks: drawn in to the ink


def test_printed_rules_are_found_and_the_strokes_of_characters_are_not():
    image = numpy.full((300, 400), 250, dtype=numpy.uint8)
    for y in (50, 100, 150, 250):
        image[y:y + 2, 40:360] = 20  # the grid's horizontal rules
    for x in (40, 200, 358):
        image[50:252, x:x + 2] = 20  # its vertical rules
    image[110:140, 100:103] = 20  # a character's stroke inside a cell, as tall as the row's text
    image[160:163, 60:70] = 20  # a dash
    horizontal, vertical = find_rules(image, 72)
    assert sorted(round(s.top) for s in horizontal) == [51, 101, 151, 251]
    assert sorted(round(s.x0) for s in vertical) == [41, 201, 359]
    assert all(s.top == pytest.approx(50, abs=1) and s.bottom == pytest.approx(252, abs=1) for s in vertical)


def test_a_sheets_faint_grey_gridlines_are_rules_though_broken_into_pieces_that_meet_no_rule_end_to_end():
    # a printed sheet's gridlines scan at grey 160, and a vertical one breaks where the scan lightens it: its
    # pieces cross the horizontal rules but end between them; a character's stroke between two rules is none
    image = numpy.full((300, 400), 250, dtype=numpy.uint8)
    for y in (50, 100, 150, 250):
        image[y:y + 2, 40:360] = 160
    image[50:252, 40:42] = 160
    image[80:125, 200:202] = 160  # pieces of one gridline, each across a rule, ending between rules
    image[135:200, 200:202] = 160
    image[110:140, 100:103] = 20  # a character's stroke inside a cell
    horizontal, vertical = find_rules(image, 72)
    assert sorted(round(s.top) for s in horizontal) == [51, 101, 151, 251]
    assert sorted((round(s.x0), round(s.top)) for s in vertical) == [(41, 50), (201, 80), (201, 135)]


def test_a_rule_inking_the_next_row_partly_does_not_make_a_marker_as_tall_as_a_digit():
    # a rule along the cell's top, a third of it spilling into the row below, and a dash low in the cell
    page = _page_image((12, 13, 10, 60), (13, 14, 10, 28), (24, 25, 20, 30))
    assert page.cell_read(10, 10, 60, 30).confidence == 1.0


def test_a_rules_frayed_edge_at_the_cells_border_is_not_ink_of_the_cell():
    # a few pixels of the rule above reach into the cell's top row; the cell prints dots low down
    page = _page_image((11, 12, 30, 33), (24, 25, 20, 22), (24, 25, 24, 26), (24, 25, 28, 30))
    assert page.cell_read(10, 10, 60, 30).confidence == 1.0


def test_a_faint_rule_on_the_cells_side_is_not_ink_of_the_cell():
    # the column rule on the cell's left edge inks 16 of its 18 rows; the cell prints a dash
    page = _page_image((11, 27, 11, 12), (24, 25, 20, 30))
    assert page.cell_read(10, 10, 60, 30).confidence == 1.0


def test_a_digit_reaching_the_cells_border_is_still_a_number_missed():
    assert _page_image((11, 20, 30, 34)).cell_read(10, 10, 60, 30) is None


def _unruled_table() -> tuple[numpy.ndarray, list[tuple[int, int, int, int]]]:
    """A page of ten rows of two number columns (ink at x 20-60 and 100-140) printed without rules, under a
    title inked across both, with one row the detector boxed as one box over both columns."""
    image = numpy.full((250, 200), 255, dtype=numpy.uint8)
    boxes = [(10, 5, 190, 15)]  # the title
    image[7:13, 12:188] = 20
    for row in range(10):
        top = 30 + 20 * row
        image[top + 2:top + 8, 20:60] = image[top + 2:top + 8, 100:140] = 20
        boxes += [(18, top, 142, top + 10)] if row == 2 else [(18, top, 62, top + 10), (98, top, 142, top + 10)]
    return image, boxes


def test_without_rules_the_gap_between_columns_cuts_a_box_over_two_numbers_but_no_ink():
    image, boxes = _unruled_table()
    gaps = ocr._column_gaps(boxes, image.shape[1])
    assert gaps == [(62, 98)]
    joined, title = (18, 70, 142, 80), (10, 5, 190, 15)
    assert ocr._cut_at_gaps(image, joined, gaps) == [(18, 70, 80, 80), (80, 70, 142, 80)]
    assert ocr._cut_at_gaps(image, title, gaps) == [title]  # its ink crosses the gap
    assert ocr._cut_at_gaps(image, (18, 50, 62, 60), gaps) == [(18, 50, 62, 60)]  # a cell alone
    # a gap narrower than a character is none: the blank between two digits of one number stays
    image[72:78, 20:140] = 20
    image[72:78, 79:81] = 255
    assert ocr._cut_at_gaps(image, joined, [(79, 81)]) == [joined]
    assert ocr._cut_at_gaps(image, joined, [(79, 81 + 4)]) == [joined]  # the ink, not only the width


def test_a_page_of_few_boxes_has_no_column_gaps():
    _, boxes = _unruled_table()
    assert ocr._column_gaps(boxes[:3], 200) == []


def _stacked_digits(tops: list[int], height: int = 6) -> numpy.ndarray:
    """A white image with a digit-high bar of ink at each top (a column's numbers printed close)."""
    image = numpy.full((120, 40), 255, dtype=numpy.uint8)
    for top in tops:
        image[top:top + height, 10:30] = 30
    return image


def test_a_box_the_detector_drew_over_several_lines_is_cut_between_them():
    # lines 6 tall every 8 (2 blank rows between), the usual box 10 tall: a box over 4 lines is 4 crops
    image = _stacked_digits([10, 18, 26, 34])
    assert ocr._cut_at_rows(image, (5, 9, 35, 41), 10) == [(5, 9, 35, 17), (5, 17, 35, 25), (5, 25, 35, 33),
                                                           (5, 33, 35, 41)]
    assert ocr._cut_at_rows(image, (5, 9, 35, 17), 10) == [(5, 9, 35, 17)]  # a usual box
    # a character's own blank rows (三's) part no line
    image = _stacked_digits([10, 13, 16, 30], height=2)
    assert ocr._cut_at_rows(image, (5, 8, 35, 33), 10) == [(5, 8, 35, 24), (5, 24, 35, 33)]


def test_a_line_a_stacked_box_clips_at_its_edge_is_no_crop_of_its_own():
    # the box ends 2 rows into the line below its last: that line's top is read in its own box, not twice
    image = _stacked_digits([10, 18, 26])
    assert ocr._cut_at_rows(image, (5, 9, 35, 28), 10) == [(5, 9, 35, 17), (5, 17, 35, 25)]


CASES = ["blank", "C", "c", "l", "1", "市", "辖"]


def test_a_letter_printing_alike_in_both_cases_is_as_sure_as_its_two_cases_together():
    # a column's code "C" read 0.65 C and 0.34 c: sure of the letter, whatever its size
    read = _decoded(_split_frame({"C": 0.65, "c": 0.34}, CASES)[None], number_alphabet(CASES), 0, 1, False)
    assert read.text == "C" and read.confidence >= SURE_TEXT
    # letters printing otherwise are not: l or 1 is a doubt of what is printed
    read = _decoded(_split_frame({"l": 0.65, "1": 0.34}, CASES)[None], number_alphabet(CASES), 0, 1, False)
    assert read.confidence < SURE_TEXT


def _word_read_twice(again: Read, monkeypatch) -> Read:
    """What `recognise` makes of a header word read "市辖区" with 辖 at 0.38, then `again` at another scale."""
    first = Read("市辖区", [25, 35, 45], [0.99, 0.38, 0.99], False)
    reads = iter([[first]] + [[again]] * len(ocr.SCALES))
    monkeypatch.setattr(ocr, "_recognised", lambda image, crops, numbers_only=None: next(reads))
    read, = ocr.recognise(numpy.full((100, 100), 255, dtype=numpy.uint8), [(20, 40, 50, 52)], [[]])
    return read


def test_an_unsure_word_is_read_again_and_taken_as_sure_when_a_second_read_is_sure_of_the_same_text(monkeypatch):
    sure = Read("市辖区", [25, 35, 45], [0.99, 0.94, 0.99], False)
    assert _word_read_twice(sure, monkeypatch) == replace(sure, reading="agreed")


def test_an_unsure_word_read_otherwise_the_second_time_stays_unsure(monkeypatch):
    read = _word_read_twice(Read("市鎋区", [25, 35, 45], [0.99, 0.94, 0.99], False), monkeypatch)
    assert read.text == "市辖区" and not ocr._sure_text(read, [0, 1, 2])


def _two_rows_of_characters() -> numpy.ndarray:
    """A page with two rows of three character-sized marks (10 pixels tall), at x 20, 40 and 60."""
    image = numpy.full((100, 100), 255, dtype=numpy.uint8)
    for top in (20, 50):
        for left in (20, 40, 60):
            image[top:top + 10, left:left + 8] = 20
    return image


def test_a_characters_ink_outside_every_detected_box_is_found_but_a_dash_or_a_rule_is_not():
    image = _two_rows_of_characters()
    rows = [(18, 18, 70, 32), (18, 48, 70, 62)]
    assert ocr._uncovered(image, rows, 14, []) == []
    # the 2nd row's first character missed: its middle
    assert ocr._uncovered(image, [(18, 18, 70, 32), (38, 48, 70, 62)], 14, []) == [(24, 55)]
    image[80:82, 20:30] = 20  # a dash (a missing marker) no box holds
    image[5:40, 90:92] = 20  # a rule's broken stretch
    assert ocr._uncovered(image, rows, 14, []) == []
    image[5:15, 88:96] = 20  # a character touching a vertical rule at x 91: the rule's
    assert ocr._uncovered(image, rows, 14, [91]) == []


def test_a_page_whose_shrunk_detection_misses_a_character_is_located_again_at_its_own_resolution(monkeypatch):
    image = _two_rows_of_characters()
    shrunk, full = [(18, 18, 70, 32), (38, 48, 70, 62)], [(18, 18, 70, 32), (18, 48, 70, 62)]
    asked = []

    def detected(image, shrink):
        asked.append(shrink)
        return full if shrink == 1 else shrunk

    monkeypatch.setattr(ocr, "_detected", detected)
    crops = ocr._crops(image, 2 * ocr.DETECT_DPI, [])
    assert asked == [0.5, 1] and any(x0 < 20 and top > 40 for x0, top, _, _ in crops)
    assert len([crop for crop in crops if crop[1] > 40]) == 1  # the row's box found again, not read twice
    asked.clear()
    shrunk[:] = full
    ocr._crops(image, 2 * ocr.DETECT_DPI, [])
    assert asked == [0.5]  # every character boxed: located once, shrunk


def test_boxes_found_again_that_overlap_on_one_line_are_one_box():
    # '山西省' and its 省 alone (crossing the label column's rule), and the next row's box under them
    assert ocr._joined([(98, 430, 153, 456), (120, 470, 150, 490), (146, 434, 164, 452)]) == [
        (98, 430, 164, 456), (120, 470, 150, 490)]


def _threads_in_a_worker() -> int:
    return ocr._threads()


def test_the_onnx_models_use_every_core_when_reading_alone_and_one_thread_beside_other_workers():
    import os
    import subprocess
    import sys
    from concurrent.futures import ProcessPoolExecutor

    alone = subprocess.run([sys.executable, "-c", "from cnstat_etl.extract import ocr; print(ocr._threads())"],
                           check=True, capture_output=True, text=True).stdout
    assert int(alone) == len(os.sched_getaffinity(0))
    with ProcessPoolExecutor(1) as pool:
        # threads x workers <= cores: a worker, and the process whose workers run, each take one thread
        assert pool.submit(_threads_in_a_worker).result() == 1
        assert ocr._threads() == 1


def test_crops_recognised_side_by_side_read_as_when_recognised_one_after_another(monkeypatch):
    path = SCANS[0]
    with pdfplumber.open(path) as pdf:
        dpi = ocr.page_dpi(pdf.pages[0])
    image = ocr.cleaned_image(path, 1, dpi)
    crops = ocr._crops(image, dpi, find_rules(image, dpi)[1])
    models = ocr._loaded(1)
    reads = {}
    for threads in (1, 2):
        monkeypatch.setattr(ocr, "_engine", lambda threads=threads: replace(models, threads=threads))
        reads[threads] = ocr._recognised(image, crops)
    assert len(crops) > 10 and reads[2] == reads[1]
