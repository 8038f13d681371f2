"""Where a text meets the edge of its box: a header clipped through the glyph that touches its neighbour's
text. Each was a layout the fuzzer drew and the engine loaded wrong values from.
"""

from __future__ import annotations

from cnstat_etl.extract import extract_file, pdfium
from cnstat_etl.extract.layout import read_page
from conftest import FIXTURES


def test_a_box_whose_side_cuts_through_a_glyph_it_shows_clips_its_text_there():
    # "当年实际使用外资金额" overflows its box (75-147 pt) on both sides and is clipped there: each end glyph is
    # cut in half, its middle a tenth of a point inside, so no glyph is hidden. Its 当 abuts the label box's
    # "城市名称", the edge passes through its middle: read as one phrase with it, the column was headed
    # "城市名称当年实际使用外资金额" and its values loaded under that
    path = FIXTURES / "fuzz" / "fuzz_2309006719.pdf"
    page = next(pdfium.read_pages(path))
    assert [(round(cell.x0), round(cell.x1), cell.text) for cell in page.geometry.clipped] == [
        (75, 147, "当年实际使用外资金额")]
    (block, _), = read_page(page.geometry, None, path.name)[0]
    assert block.cells[0] == ["城市名称", "当年实际使用外资金额"]
    assert {(v.indicator, v.unit_as_printed) for v in extract_file(path).values} == {("fdi_utilised", "万美元")}
