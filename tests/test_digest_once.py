"""A file's digest is computed once per ingest and handed down to the cache and to extraction."""

from __future__ import annotations

import shutil

import pytest

from cnstat_etl import pipeline
from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.extract import cache
from cnstat_etl import extract
from cnstat_etl.extract import file_sha256

SAMPLE = SAMPLES_DIR / "jiangsu2010_cities_gbk.csv"


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """The names of the files hashed, whichever module hashes them."""
    names: list[str] = []

    def counted(path):
        names.append(path.name)
        return file_sha256(path)

    for module in (pipeline, cache, extract):
        monkeypatch.setattr(module, "file_sha256", counted)
    return names


@pytest.mark.parametrize("use_cache", [True, False])
def test_an_ingested_file_is_hashed_once(tmp_path, hashed, use_cache):
    source = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE, source)
    summary = pipeline.ingest([source], tmp_path / "w.duckdb", jobs=1, use_cache=use_cache)
    assert [f.status for f in summary.files] == ["loaded"]
    assert hashed == [SAMPLE.name]


def test_an_extracted_file_not_given_its_digest_hashes_it_itself(hashed):
    part, = extract.extract_parts(SAMPLE)
    assert part.source_sha256 == file_sha256(SAMPLE)
    assert hashed == [SAMPLE.name]
