"""The fast reader (PDFium) and the reference reader (pdfplumber) give the layout engine the same page.

Every PDF fixture (the samples, the problem pages, and any generated layouts under tests/fixtures) is read
by both; the tables the engine rebuilds and the values extracted must be identical.
"""

from __future__ import annotations

import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from cnstat_etl.extract import ExtractOptions, extract_file, pdfium
from cnstat_etl.extract import layout
from cnstat_etl.extract.layout import Glyph, read_page
from cnstat_etl.extract.pdf import READERS, page_text_problem, plumber_pages
from conftest import FIXTURES
from drawn_glyphs import printed

# The bad-input PDFs are not pages to compare: each reader refuses them (tests/test_reliability.py).
PDF_FIXTURES = sorted(p for p in FIXTURES.rglob("*.pdf") if "bad" not in p.relative_to(FIXTURES).parts)


def _name(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


def _pages_as_read(path: Path, reader: str) -> list:
    """Per page: why it is not read, or every table the engine finds on it (its cells and row tops)."""
    pages = []
    carried = None
    for page in READERS[reader](path):
        problem = page_text_problem(page, path.name)
        if problem:
            pages.append(problem.kind)
            continue
        found, carried, problems = read_page(page.geometry, carried, path.name)
        pages.append(([(block.lines_above, block.cells) for block, _ in found],
                      [(table.regions and len(table.regions), table.column_headers, len(table.row_tops))
                       for _, table in found],
                      [(p.kind, p.page) for p in problems]))
    return pages


def test_every_sample_and_problem_pdf_is_compared():
    expected = set((FIXTURES / "sources").glob("*.pdf")) | set((FIXTURES / "pdf_problems").glob("*.pdf"))
    assert len(expected) >= 11 and expected <= set(PDF_FIXTURES)


def _skip_where_text_is_clipped(path: Path) -> None:
    """pdfplumber (pdfminer) keeps no clip paths: where a page clips text to its cells' boxes (a workbook
    printed to PDF), it reads the hidden text too, and only PDFium's reading is the page's."""
    if any(page.geometry.clipped for page in pdfium.read_pages(path)):
        pytest.skip(f"{_name(path)} clips text to its cells' boxes, which pdfplumber does not see")


@pytest.mark.parametrize("path", PDF_FIXTURES, ids=_name)
def test_both_readers_give_the_engine_the_same_tables(path):
    _skip_where_text_is_clipped(path)
    assert _pages_as_read(path, "pdfium") == _pages_as_read(path, "pdfplumber")


@pytest.mark.parametrize("path", PDF_FIXTURES, ids=_name)
def test_both_readers_extract_the_same_values_and_problems(path):
    _skip_where_text_is_clipped(path)
    fast = extract_file(path, ExtractOptions(pdf_reader="pdfium"))
    reference = extract_file(path, ExtractOptions(pdf_reader="pdfplumber"))
    assert fast.values == reference.values
    assert fast.tables == reference.tables
    assert [(p.kind, p.page, p.row, p.column) for p in fast.problems] == \
           [(p.kind, p.page, p.row, p.column) for p in reference.problems]


def _clipping_fixtures() -> list[Path]:
    return [path for path in PDF_FIXTURES if any(page.geometry.clipped for page in pdfium.read_pages(path))]


@pytest.mark.parametrize("path", _clipping_fixtures(), ids=_name)
def test_each_glyph_the_fast_reader_shows_sits_where_the_reference_reader_reads_it(path):
    """Where the pages cannot be compared whole (text clipped), their glyphs are: each one PDFium shows is
    one pdfplumber reads, as high and on the same baseline, at the same pen position. (LibreOffice's fonts
    declare no descent, and a box placed by PDFium's made-up one sat up to 3 pt lower; its slanted digits
    stood 0.35 pt taller.) Where a glyph's outline overhangs its advance, PDFium's box reaches past it: x1
    is not compared."""
    for fast, reference in zip(pdfium.read_pages(path), plumber_pages(path)):
        read = {}
        for glyph in reference.geometry.glyphs:
            read.setdefault(glyph.text, []).append(glyph)
        for glyph in fast.geometry.glyphs:
            nearest = min(read[glyph.text],
                          key=lambda other: abs(other.x0 - glyph.x0) + abs(other.bottom - glyph.bottom))
            assert abs(nearest.bottom - glyph.bottom) < 0.01 and abs(nearest.top - glyph.top) < 0.01 \
                and abs(nearest.x0 - glyph.x0) < 0.5, \
                (fast.geometry.number, glyph, nearest)


@pytest.mark.parametrize("source, page, kind", [("scanned_page.pdf", 2, "no_text_layer"),
                                                ("cid_garbled_page.pdf", 2, "garbled_text")])
def test_the_fast_reader_still_refuses_scans_and_undecodable_text(source, page, kind):
    path = FIXTURES / "pdf_problems" / source
    for reader in READERS:
        result = extract_file(path, ExtractOptions(pdf_reader=reader))
        assert [(p.kind, p.page) for p in result.problems if p.severity == "error"] == [(kind, page)], reader
        assert result.values and {v.provenance.page for v in result.values} == {1}


def test_a_page_range_reads_the_edition_from_the_first_page_with_either_reader():
    path = FIXTURES / "sources" / "ccsy2012_two_tables_ruled.pdf"
    years = {}
    for reader in READERS:
        result = extract_file(path, replace(ExtractOptions(pages=(2, 2)), pdf_reader=reader))
        years[reader] = {(v.provenance.page, v.table.year) for v in result.values}
    assert years["pdfium"] == years["pdfplumber"] == {(2, 2011)}


needs_the_compiled_questions = pytest.mark.skipif(
    pdfium.COMPILED is None, reason="cnstat_etl/extract/_pdfium_chars.c was not built (no C compiler at install)")


@needs_the_compiled_questions
@pytest.mark.parametrize("path", PDF_FIXTURES, ids=_name)
def test_pdfium_asked_in_c_and_through_ctypes_gives_the_same_pages(path, monkeypatch):
    def pages(ask) -> list:
        monkeypatch.setattr(pdfium, "_ASK", ask)
        return [(page.geometry, page.undecoded, page.has_images) for page in pdfium.read_pages(path)]

    assert pages(pdfium._AskInC) == pages(pdfium._AskThroughCtypes)


def _lines(lines: list) -> list:
    return [(line.top, line.bottom, line.size, line.overprinted,
             [(p.text, p.x0, p.x1, p.size, list(p.chars)) for p in line.phrases]) for line in lines]


@pytest.mark.skipif(layout._LINES_IN_C is None,
                    reason="cnstat_etl/extract/_text_lines.c was not built (no C compiler at install)")
@pytest.mark.parametrize("path", PDF_FIXTURES, ids=_name)
def test_text_lines_cut_in_c_are_those_cut_in_python_on_every_page_of_either_reader(path):
    for reader in READERS.values():
        for page in reader(path):
            for glyphs in (page.geometry.glyphs, layout._single_characters(page.geometry.glyphs)):
                in_c = layout.text_lines(glyphs)
                # (text_lines rejoins stray glyphs after either cut: the Python cut gets the same pass)
                in_python = layout._with_strays_rejoined(layout._lines_in_python(list(glyphs)))
                assert _lines(in_c) == _lines(in_python), page.geometry.number
                assert in_c or not layout.printed_count(glyphs)


def test_a_phrase_prints_a_space_where_and_only_where_its_glyphs_leave_a_gap_wider_than_a_space():
    # layout.cut_at looks for a cut in a header phrase only where its text prints a space
    for path in PDF_FIXTURES:
        for page in pdfium.read_pages(path):
            glyphs = page.geometry.glyphs
            cut_in_c = layout.text_lines(glyphs)
            cut_in_python = layout._with_strays_rejoined(layout._lines_in_python(list(glyphs)))
            for phrase in (phrase for line in cut_in_c + cut_in_python for phrase in line.phrases):
                chars = list(phrase.chars)
                gapped = any(b.x0 - a.x1 > layout.WORD_GAP * b.size for a, b in zip(chars, chars[1:]))
                assert (" " in phrase.text) == gapped, (_name(path), page.geometry.number, phrase.text)


def test_page_glyphs_kept_as_columns_are_the_glyphs_and_travel_between_processes_as_columns():
    glyphs = [Glyph("南", 10.0, 20.0, 5.0, 15.0, 10.0), Glyph("1", 21.5, 26.0, 5.0, 15.0, 10.0)]
    columns = layout.Glyphs.of(glyphs)
    assert list(columns) == glyphs and columns == glyphs and len(columns) == 2
    assert columns.take([1, 0]) == glyphs[::-1] and columns.printed() == 2
    assert pickle.loads(pickle.dumps(columns)) == glyphs
    assert "Glyph(" not in repr(pickle.dumps(columns))  # the arrays, not a tuple per glyph
    assert layout.Glyphs.of([Glyph("(cid:12)", 0.0, 9.0, 0.0, 10.0, 10.0)]) is None  # not one character each


@pytest.mark.skipif(not (shutil.which("cc") or shutil.which("gcc")), reason="no C compiler on this machine")
def test_where_a_c_compiler_is_both_c_loops_are_in_use():
    assert pdfium.COMPILED is not None and pdfium._ASK is pdfium._AskInC
    assert layout._LINES_IN_C is not None


def test_a_raised_mark_a_line_starts_with_does_not_part_the_line_from_its_own_name():
    # "迁安市 Qian'an 775247" as LibreOffice prints it in AR PL UMing: the apostrophe boxed 2.8 above the
    # Latin letters, which sit 1.5 above the Chinese name; grouped from the apostrophe's bottom, the name
    # fell to a line of its own and the number went with "ian'an"
    glyphs = printed("迁安市", 61.1, 230.3, 9.8) + [
        g._replace(top=g.top - 1.5, bottom=g.bottom - 1.5) for g in printed("Qian", 170.9, 230.3, 9.8)]
    glyphs += [Glyph("'", 190.5, 195.4, 216.2, 226.0, 9.8)] + printed("an", 195.4, 228.8, 9.8)
    glyphs += printed("775247", 325.3, 229.2, 10.8)
    for lines in (layout.text_lines(glyphs), layout._lines_in_python(list(glyphs))):
        assert [[p.text for p in line.phrases] for line in lines] == [["迁安市", "Qian'an", "775247"]]


def test_a_raised_hyphen_a_line_starts_with_does_not_part_the_line_from_its_own_name():
    # "香格里拉市 Shangri-la 152263" in AR PL UMing: the hyphen boxed 2.8 above the letters, which sit 1.5
    # above the Chinese name: the name and the label's "g" fell to a line of their own
    glyphs = printed("香格里拉市", 61.1, 183.4, 9.8) + printed("Shangri", 170.9, 181.8, 9.8)
    glyphs += [Glyph("-", 209.6, 213.0, 169.2, 179.0, 9.8)] + printed("la", 213.0, 181.8, 9.8)
    glyphs += printed("152263", 325.3, 182.2, 10.8)
    for lines in (layout.text_lines(glyphs), layout._lines_in_python(list(glyphs))):
        assert [[p.text for p in line.phrases] for line in lines] == [["香格里拉市", "Shangri-la", "152263"]]


def test_a_run_whose_baseline_drifts_under_a_line_above_stays_one_run():
    # 城镇常住人口 in AR PL UMing at 75%: its glyphs' bottoms drift from 125.00 to 124.34, and a header line
    # beside it at 122.35 took those within its tolerance: "镇 住人口" on that line, "城 常" on the next
    bottoms = [125.0, 124.97, 124.98, 124.95, 124.87, 124.34]
    glyphs = [g._replace(top=bottom - 7.51, bottom=bottom)
              for g, bottom in zip(printed("城镇常住人口", 353.59, 125.0, 7.51), bottoms)]
    glyphs += printed("Resident Population", 204.5, 122.35, 7.51)
    for lines in (layout.text_lines(glyphs), layout._lines_in_python(list(glyphs))):
        assert [[p.text for p in line.phrases] for line in lines] == [["Resident Population", "城镇常住人口"]]
