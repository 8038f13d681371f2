"""Reading spreadsheet-like sources into grids: format sniffing, decryption, HTML/CSV layout, errors.

Most tests run on the real downloads under /work/shared/real (skipped when that folder is absent); the
rest write small files of their own into tmp_path.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from cnstat_etl.extract.workbook import UnreadableSource, read_grids, sniff_format

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real"
CNKI = REAL / "ccsy_cnki_itsaquestion"


def real(relative: str) -> Path:
    path = REAL / relative
    if not path.exists():
        pytest.skip(f"real source file {path} is not available")
    return path


# --- sniffing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "relative, expected",
    [
        ("ccsy_cnki_itsaquestion/cnki.xls", "xls"),  # encrypted BIFF
        ("ccsy_cnki_itsaquestion/cnki.decrypted.xls", "xls"),
        ("ccsy_cnki_itsaquestion/error.xls", "xls"),
        ("ccsy_cnki_itsaquestion/correct.xls", "html"),
        ("ccsy_cnki_itsaquestion/error2.xls", "html"),
        ("ccsy_cnki_itsaquestion/error4.xls", "html"),
        ("ccsy_cnki_itsaquestion/error5.xls", "csv"),  # GBK CSV
        ("ccsy2018_cnki_kubiapxh/GRP per capita.xls", "xls"),
        ("nbs_major_cities_dragon1573/20_Major_GDP.xls", "xls"),
        ("nbs_major_cities_dragon1573/17_Economic.csv", "csv"),
        ("ccsy_panel_jcdasheng/1999-2018 Cities data.xlsx", "xlsx"),
    ],
)
def test_sniff_format_reports_the_real_format_whatever_the_extension(relative, expected):
    assert sniff_format(real(relative)) == expected


def test_sniff_format_ignores_the_extension_of_a_pdf_and_an_xlsx_named_xls(tmp_path):
    pdf = tmp_path / "table.xls"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    xlsx = tmp_path / "table.csv"
    openpyxl.Workbook().save(xlsx)
    assert sniff_format(pdf) == "pdf"
    assert sniff_format(xlsx) == "xlsx"


def test_sniff_format_rejects_unknown_binary_and_docx(tmp_path):
    png = tmp_path / "chart.xls"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UnreadableSource, match="unknown binary"):
        sniff_format(png)

    docx = tmp_path / "report.xlsx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(UnreadableSource, match="Word"):
        sniff_format(docx)


# --- BIFF xls, encrypted and not ------------------------------------------------------------------------

def test_encrypted_cnki_xls_reads_to_the_same_grids_as_its_decrypted_copy():
    encrypted = read_grids(real("ccsy_cnki_itsaquestion/cnki.xls"))
    decrypted = read_grids(real("ccsy_cnki_itsaquestion/cnki.decrypted.xls"))
    assert encrypted == decrypted


def test_cnki_population_sheet_has_360_rows_8_cols_and_35_merged_ranges():
    sheets = {g.name: g for g in read_grids(real("ccsy_cnki_itsaquestion/cnki.xls"))}
    assert set(sheets) == {"1-7", "CNKI"}
    table = sheets["1-7"]
    assert len(table.rows) == 360
    assert {len(row) for row in table.rows} == {8}
    assert len(table.merged) == 35
    # xlrd counts merges with exclusive ends; the grid must hold them inclusive: indicator over 2 columns
    assert (4, 4, 2, 3) in table.merged
    assert (4, 5, 0, 0) in table.merged  # 城 市 spans the two header rows


def test_numbers_stored_as_text_indentation_and_header_line_breaks_come_through_as_printed():
    rows = {g.name: g for g in read_grids(real("ccsy_cnki_itsaquestion/cnki.xls"))}["1-7"].rows
    beijing = rows[6]
    assert beijing[:3] == ["北京市", "Beijing", "1363"]
    assert rows[8][0] == "河北省" and rows[8][2:] == [""] * 6  # province heading rows carry no values
    assert rows[9][:2] == ["  石家庄市", "  Shijiazhuang"]
    assert rows[4][2].startswith("年末户籍人口 (万人)\r\nHousehold Registered\r\n")


def test_real_numbers_in_xls_render_without_float_noise():
    rows = read_grids(real("ccsy_cnki_itsaquestion/error.xls"))[0].rows
    assert rows[4][:3] == ["\xa0\xa0阜新市", "4161", "447"]
    gdp = read_grids(real("nbs_major_cities_dragon1573/20_Major_GDP.xls"))[0].rows
    assert gdp[4][:3] == ["北京", "", "28014.94"]


def test_xls_written_by_xlwt_keeps_merges_numbers_and_text(tmp_path):
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes the small test .xls")
    book = xlwt.Workbook()
    sheet = book.add_sheet("表")
    sheet.write_merge(0, 0, 0, 2, "人口\r\nPopulation")
    sheet.write(1, 0, "  石家庄市")
    sheet.write(1, 1, 1038.0)
    sheet.write(1, 2, 10.05)
    path = tmp_path / "written.xls"
    book.save(str(path))

    [grid] = read_grids(path)
    assert grid.name == "表"
    assert grid.rows == [["人口\r\nPopulation", "", ""], ["  石家庄市", "1038", "10.05"]]
    assert grid.merged == [(0, 0, 0, 2)]


def _with_broken_password_verifier(encrypted_xls: bytes) -> bytes:
    """Flip the last byte of the FILEPASS record (the encrypted verifier hash).

    msoffcrypto cannot write encrypted BIFF, so this stands in for "encrypted with another password":
    the default password no longer verifies, exactly as it would not for a file locked with a real one.
    """
    bof = encrypted_xls.index(b"\x09\x08\x10\x00")  # BOF record of the workbook globals
    record_type, length = struct.unpack("<HH", encrypted_xls[bof + 20 : bof + 24])
    assert record_type == 0x002F, "FILEPASS must follow BOF in an encrypted workbook"
    last = bof + 24 + length - 1
    return encrypted_xls[:last] + bytes([encrypted_xls[last] ^ 0xFF]) + encrypted_xls[last + 1 :]


def test_xls_whose_password_is_not_excels_default_raises_a_clear_reason(tmp_path):
    locked = tmp_path / "locked.xls"
    locked.write_bytes(_with_broken_password_verifier(real("ccsy_cnki_itsaquestion/cnki.xls").read_bytes()))
    with pytest.raises(UnreadableSource, match="password other than Excel's default"):
        read_grids(locked)


@pytest.mark.parametrize("name", ["cnki.xls", "cnki.decrypted.xls"])
def test_truncated_xls_raises_unreadable_source(tmp_path, name):
    truncated = tmp_path / name
    truncated.write_bytes(real(f"ccsy_cnki_itsaquestion/{name}").read_bytes()[:30000])
    with pytest.raises(UnreadableSource, match="truncated or corrupt"):
        read_grids(truncated)


# --- xlsx, plain and encrypted -----------------------------------------------------------------------

def _small_xlsx() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2-9"
    sheet.append(["城市", "地区生产总值"])
    sheet.append(["  石家庄市", 280149400.0])
    sheet.merge_cells("A3:B3")
    sheet["A3"] = "摘编自《中国城市统计年鉴》"
    return book


def test_xlsx_named_xls_is_read_as_xlsx(tmp_path):
    path = tmp_path / "misnamed.xls"
    _small_xlsx().save(path)
    [grid] = read_grids(path)
    assert grid.rows == [["城市", "地区生产总值"], ["  石家庄市", "280149400"], ["摘编自《中国城市统计年鉴》", ""]]
    assert grid.merged == [(2, 2, 0, 1)]


def _encrypted_xlsx(tmp_path: Path, password: str) -> Path:
    plain = io.BytesIO()
    _small_xlsx().save(plain)
    plain.seek(0)
    path = tmp_path / f"encrypted-{len(password)}.xlsx"
    with open(path, "wb") as out:
        OOXMLFile(plain).encrypt(password, out)
    return path


def test_xlsx_encrypted_with_the_default_password_is_decrypted_in_memory(tmp_path):
    path = _encrypted_xlsx(tmp_path, "VelvetSweatshop")
    assert sniff_format(path) == "xlsx"
    assert read_grids(path)[0].rows[1] == ["  石家庄市", "280149400"]


def test_xlsx_encrypted_with_another_password_raises_a_clear_reason(tmp_path):
    with pytest.raises(UnreadableSource, match="password other than Excel's default"):
        read_grids(_encrypted_xlsx(tmp_path, "secret"))


def test_truncated_xlsx_raises_unreadable_source(tmp_path):
    whole = tmp_path / "whole.xlsx"
    _small_xlsx().save(whole)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(whole.read_bytes()[:2000])
    with pytest.raises(UnreadableSource, match="truncated or corrupt xlsx"):
        read_grids(truncated)


# --- HTML-as-xls -------------------------------------------------------------------------------------------

def test_html_as_xls_keeps_three_header_rows_with_their_colspan_and_rowspan_merges():
    [grid] = read_grids(real("ccsy_cnki_itsaquestion/error4.xls"))
    assert grid.name == ""
    assert grid.rows[0][0] == "中国2014年地级以上城市年末金融机构存贷款余额统计(二)"  # title <div>
    assert grid.rows[1] == ["单位:万元"] + [""] * 6  # unit line above the table
    assert grid.rows[2:5] == [
        ["城市", "年末金融机构人民币各项存款余额", "", "", "", "年末金融机构人民币各项贷款余额", ""],
        ["", "全市", "市辖区", "居民人民币储蓄存款余额", "", "全市", "市辖区"],
        ["", "", "", "全市", "市辖区", "", ""],
    ]
    assert sorted(grid.merged) == [
        (2, 2, 1, 4), (2, 2, 5, 6), (2, 4, 0, 0),
        (3, 3, 3, 4), (3, 4, 1, 1), (3, 4, 2, 2), (3, 4, 5, 5), (3, 4, 6, 6),
    ]
    assert grid.rows[5][:2] == ["\xa0\xa0阜新市", "8346368"]  # &nbsp; indentation kept
    assert grid.rows[-1][0] == "摘编自《中国城市统计年鉴2015》"  # trailing note <div>
    assert len(grid.rows) == 1 + 1 + 3 + 46 + 1


def test_html_cell_holding_only_nbsp_reads_as_a_no_break_space():
    rows = read_grids(real("ccsy_cnki_itsaquestion/error2.xls"))[0].rows
    assert rows[4] == ["北京", "1", "1", "\xa0", "\xa0", "\xa0"]


def test_html_table_lays_out_spans_and_collapses_source_whitespace_only(tmp_path):
    page = tmp_path / "page.xls"
    page.write_text(
        "\n\n<!-- excel -->\n<html><head><title>ignored</title><style>td{}</style></head><body>\n"
        "<p>单位：%</p>\n"
        "<table>\n"
        "<tr><th rowspan=2>城市</th><th colspan=2>比重<br>Share</th></tr>\n"
        "<tr><td>全市</td>\n    <td>市辖区</td></tr>\n"
        "<tr><td>\n  &nbsp;&nbsp;阜新市 \n</td><td>1.94</td><td rowspan=5>0.28</td></tr>\n"
        "</table>\n<div>注：示例</div></body></html>",
        encoding="utf-8",
    )
    assert sniff_format(page) == "html"
    [grid] = read_grids(page)
    assert grid.rows == [
        ["单位：%", "", ""],
        ["城市", "比重\nShare", ""],
        ["", "全市", "市辖区"],
        ["\xa0\xa0阜新市", "1.94", "0.28"],
        ["注：示例", "", ""],
    ]
    # the rowspan=5 on the last row is cut at the table's end, as a browser does
    assert sorted(grid.merged) == [(1, 1, 1, 2), (1, 2, 0, 0), (3, 3, 2, 2)]


# --- CSV ---------------------------------------------------------------------------------------------------

def test_gbk_csv_named_xls_decodes_chinese():
    [grid] = read_grids(real("ccsy_cnki_itsaquestion/error5.xls"))
    assert grid.rows[0][:2] == ["城市", "第一产业从业人员比重_全市"]
    assert grid.rows[1][0] == "安徽省"
    assert len(grid.rows) == 1 + 318
    assert sum("NA" in row for row in grid.rows) == 31


def test_gbk_tab_separated_csv_is_decoded_and_split_on_tabs(tmp_path):
    path = tmp_path / "export.xls"
    text = "数据库：主要城市年度数据\n地区\t2017年\t2016年\n北京\t28014.94\t25669.13\n  石家庄\t6460.9\t5927.7\n"
    path.write_bytes(text.encode("gbk"))
    [grid] = read_grids(path)
    assert grid.rows == [
        ["数据库：主要城市年度数据", "", ""],
        ["地区", "2017年", "2016年"],
        ["北京", "28014.94", "25669.13"],
        ["  石家庄", "6460.9", "5927.7"],
    ]


def test_utf8_csv_with_bom_keeps_line_breaks_inside_quoted_cells(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes('\ufeff城市,"年末户籍人口\r\n(万人)"\r\n北京市,1363\r\n'.encode("utf-8"))
    assert read_grids(path)[0].rows == [["城市", "年末户籍人口\r\n(万人)"], ["北京市", "1363"]]


def test_utf8_csv_cut_inside_its_last_character_is_not_misread_as_gbk(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_bytes("城市,人口\n北京市,1363\n天津市".encode("utf-8")[:-2])
    assert read_grids(path)[0].rows == [["城市", "人口"], ["北京市", "1363"], ["天津", ""]]


# --- empty and non-spreadsheet files ------------------------------------------------------------------------

@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n"])
def test_empty_file_raises_unreadable_source(tmp_path, content):
    path = tmp_path / "empty.xls"
    path.write_bytes(content)
    with pytest.raises(UnreadableSource, match="empty file"):
        read_grids(path)


def test_pdf_given_to_read_grids_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "yearbook.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(UnreadableSource, match="PDF"):
        read_grids(path)


def test_utf16_unicode_text_export_is_read_as_tab_separated(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("城市\t人口\r\n北京市\t1363\r\n".encode("utf-16"))  # Excel's "Unicode Text"
    assert sniff_format(path) == "csv"
    assert read_grids(path)[0].rows == [["城市", "人口"], ["北京市", "1363"]]
