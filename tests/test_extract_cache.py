"""The cache of extracted tables: a mapping change re-harmonises from it without reading a source again."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import duckdb
import pytest

from cnstat_etl import config
from cnstat_etl.extract import ExtractOptions, extract_file, extract_parts, file_sha256, merged
from cnstat_etl.extract import cache, pdf
from cnstat_etl.harmonise import regions, resolver
from cnstat_etl.model import OcrRead
from cnstat_etl.pipeline import ingest

SOURCES = Path(__file__).parent / "fixtures" / "sources"
PDF = SOURCES / "ccsy2006_fiscal_three_line.pdf"
TYPO = "南亰市"  # 亰 for 京: no unit is named so, until an alias says which one it is


@pytest.fixture
def sources(tmp_path):
    """A yearbook PDF and a CSV that prints 南京市 with a typo."""
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(PDF, folder)
    text = (SOURCES / "jiangsu2010_cities_gbk.csv").read_text(encoding="gbk")
    assert "南京市" in text
    (folder / "jiangsu2010_typo.csv").write_text(text.replace("南京市", TYPO), encoding="gbk")
    return folder


def _with_alias(tmp_path, monkeypatch):
    """mappings/ as a copy with one more alias: the typo names 南京市 (320100)."""
    mappings = tmp_path / "mappings"
    shutil.copytree(config.MAPPINGS_DIR, mappings, ignore=shutil.ignore_patterns("__pycache__"))
    with open(mappings / "aliases.csv", "a", encoding="utf-8") as f:
        f.write(f"{TYPO},320100,1983,,test: a typo\n")
    monkeypatch.setattr(config, "MAPPINGS_DIR", mappings)
    monkeypatch.setattr(resolver, "_default_resolver", lambda: resolver.RegionResolver(
        regions.region_periods(), resolver.load_aliases(mappings / "aliases.csv")))


def _counting_extract(monkeypatch, *, refuse: bool) -> list[str]:
    read = []

    def extract(path, options=ExtractOptions(), **keywords):  # keywords: how many page workers
        if refuse:
            raise AssertionError(f"{path} was read again")
        read.append(Path(path).name)
        return extract_parts(path, options, **keywords)

    monkeypatch.setattr(cache, "extract_parts", extract)
    return read


def _typo_rows(db) -> tuple[list, int, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        placed = con.execute("SELECT DISTINCT region_code FROM observations WHERE region_name = ?", [TYPO]).fetchall()
        unresolved = con.execute("SELECT count(*) FROM unresolved WHERE printed_name = ?", [TYPO]).fetchone()[0]
        values = con.execute("SELECT source_file, count(*) FROM observations GROUP BY ALL ORDER BY ALL").fetchall()
    return placed, unresolved, values


def test_a_new_alias_reharmonises_from_the_cache_without_reading_any_source(sources, tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    ingest([sources], db, jobs=1)
    placed, unresolved, before = _typo_rows(db)
    assert placed == [] and unresolved == 1

    _with_alias(tmp_path, monkeypatch)
    _counting_extract(monkeypatch, refuse=True)
    summary = ingest([sources], db, jobs=1)
    placed, unresolved, after = _typo_rows(db)
    assert [f.status for f in summary.files] == ["loaded", "loaded"]
    assert placed == [("320100",)] and unresolved == 0
    assert dict(after)[PDF.name] == dict(before)[PDF.name]

    # Harmonised under these mappings now: the next ingest has nothing to do.
    assert {f.status for f in ingest([sources], db, jobs=1).files} == {"unchanged"}


def test_no_cache_reads_every_source_again(sources, tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    ingest([sources], db, jobs=1)
    _with_alias(tmp_path, monkeypatch)
    read = _counting_extract(monkeypatch, refuse=False)
    ingest([sources], db, jobs=1, use_cache=False)
    assert sorted(read) == sorted(p.name for p in sources.iterdir())
    assert _typo_rows(db)[0] == [("320100",)]


@pytest.mark.parametrize("source", sorted(p.name for p in SOURCES.iterdir()))
def test_a_cached_result_reads_back_equal_to_the_extraction(source, tmp_path, monkeypatch):
    extracted = cache.extract_cached(SOURCES / source, ExtractOptions(), tmp_path)
    assert extracted == extract_file(SOURCES / source)
    _counting_extract(monkeypatch, refuse=not extracted.failed)  # a failed read is not cached
    assert cache.extract_cached(SOURCES / source, ExtractOptions(), tmp_path) == extracted


def test_a_book_cut_into_parts_caches_and_reads_back_part_by_part(tmp_path, monkeypatch):
    book = SOURCES / "ccsy2012_two_tables_ruled.pdf"
    whole = extract_file(book)
    monkeypatch.setattr(pdf, "PART_VALUES", 1)  # a part per table
    written = list(cache.extract_parts_cached(book, ExtractOptions(), tmp_path))
    assert [len(part.tables) for part in written] == [1, 1]
    assert merged(written) == whole
    _counting_extract(monkeypatch, refuse=True)
    read = list(cache.extract_parts_cached(book, ExtractOptions(), tmp_path))
    assert read == written


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "drop the digest"])
def test_a_damaged_entry_is_extracted_again_never_loaded(damage, tmp_path, monkeypatch):
    options = ExtractOptions()
    extracted = cache.extract_cached(PDF, options, tmp_path)
    entry = cache.entry_path(tmp_path, PDF.name, file_sha256(PDF), options)
    data = entry.read_bytes()
    if damage == "flip a byte":
        middle = len(data) // 2
        entry.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])
    elif damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    else:
        entry.with_suffix(".sha256").unlink()
    assert cache.read_entry(entry, file_sha256(PDF)) is None
    read = _counting_extract(monkeypatch, refuse=False)
    assert cache.extract_cached(PDF, options, tmp_path) == extracted
    assert read == [PDF.name]


def test_a_cache_that_cannot_be_written_only_costs_the_next_run_a_reparse(tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    assert cache.extract_cached(PDF, ExtractOptions(), blocked / "cache") == extract_file(PDF)
    assert blocked.read_text() == "not a folder"


def test_options_and_names_key_separate_entries(tmp_path):
    sha256 = file_sha256(PDF)
    keys = {cache.entry_path(tmp_path, name, sha256, options)
            for name in (PDF.name, "renamed.pdf")
            for options in (ExtractOptions(), ExtractOptions(year=2005), ExtractOptions(pdf_reader="pdfplumber"))}
    assert len(keys) == 6


def test_a_value_read_off_a_scan_keeps_its_ocr_record_and_others_stay_without(tmp_path, monkeypatch):
    extracted = extract_file(PDF)
    first = extracted.values[0]
    extracted.values[0] = dataclasses.replace(first, ocr=OcrRead(0.83, 10.5, 20.25, 30.0, 40.125))
    monkeypatch.setattr(cache, "extract_parts", lambda path, options, **keywords: iter([extracted]))
    cache.extract_cached(PDF, ExtractOptions(), tmp_path)
    _counting_extract(monkeypatch, refuse=True)
    back = cache.extract_cached(PDF, ExtractOptions(), tmp_path)
    assert back.values[0].ocr == OcrRead(0.83, 10.5, 20.25, 30.0, 40.125)
    assert back.values[1].ocr is None and back == extracted


def test_the_same_bytes_under_folders_naming_other_editions_are_cached_apart(tmp_path):
    """A path that names an edition is read as the year's evidence, so it is part of the cache key."""
    table = "2-1 人口状况\n城 市,年末户籍人口(万人)\n北京市,1363\n"
    years = []
    for edition in (2017, 2018):
        folder = tmp_path / f"中国城市统计年鉴{edition}"
        folder.mkdir()
        (folder / "2-1.csv").write_text(table, encoding="utf-8")
        years.append(cache.extract_cached(folder / "2-1.csv", ExtractOptions(), tmp_path / "cache").values[0].table.year)
    assert years == [2016, 2017]
