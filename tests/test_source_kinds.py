"""The kinds of source are one table (cnstat_etl/source_kinds.py): extraction, `--kind` and the pipeline's
firm files all go by it, and a new kind is one module and one line of it."""

from __future__ import annotations

import importlib
import sys
import textwrap

import click
import pytest

from cnstat_etl import source_kinds
from cnstat_etl.config import SAMPLES_DIR
from cnstat_etl.extract import ExtractOptions, extract_file, file_sha256
from cnstat_etl.model import ProblemKind
from cnstat_etl.settings import DescriptorMatch, SourceDescriptor
from cnstat_etl.source_kinds import KINDS, SourceKind, kind_named

PANEL = SAMPLES_DIR / "panel_long_seed0.csv"
BOOK = SAMPLES_DIR / "ccsy2009_gdp_revenue_ruled.pdf"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_kind_is_a_module_of_extract_that_detects_and_reads(kind):
    assert kind.module.startswith("cnstat_etl.extract.")
    module = importlib.import_module(kind.module)
    assert callable(module.detects)
    assert kind.streamed or callable(module.reads)


def test_the_kind_option_offers_the_kinds_of_the_table():
    from cnstat_etl.cli import ingest_command

    option = next(p for p in ingest_command.params if p.name == "kind")
    assert isinstance(option.type, click.Choice) and tuple(option.type.choices) == source_kinds.NAMES


def test_a_file_is_read_by_the_first_kind_that_detects_it_unless_a_kind_is_forced():
    assert extract_file(PANEL).source_kind == "researcher_panel"
    forced = extract_file(PANEL, ExtractOptions(kind="yearbook"))
    assert forced.source_kind == "yearbook"


def test_a_kind_that_declines_a_file_leaves_it_to_the_next():
    """The series kind detects every workbook and CSV, and declines those whose grids are no series."""
    table = SAMPLES_DIR / "jiangsu2010_cities_gbk.csv"
    assert source_kinds.kind_named("series").reader().detects(source_kinds.Source(table, file_format="csv"))
    result = extract_file(table)
    assert result.source_kind == "yearbook" and result.values


def test_an_unknown_kind_is_a_user_error_naming_the_kinds():
    with pytest.raises(source_kinds.UserError, match="no source kind 'panel' .*firms, series, yearbook"):
        kind_named("panel")


def test_a_new_kind_is_one_module_and_one_line_of_the_table(tmp_path, monkeypatch):
    (tmp_path / "toy_kind.py").write_text(textwrap.dedent('''
        from cnstat_etl.model import ExtractResult

        def detects(source):
            return source.path.read_bytes().startswith(b"TOY")

        def reads(source):
            return iter([ExtractResult(source.path.name, source.sha256, source.file_format, source_kind="toy")])
        '''), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(source_kinds, "KINDS", (SourceKind("toy", "toy_kind"),) + KINDS)
    toy = tmp_path / "toy.csv"
    toy.write_text("TOY,1\n", encoding="utf-8")
    assert extract_file(toy).source_kind == "toy"
    assert extract_file(PANEL).source_kind == "researcher_panel"  # a file the toy does not detect
    sys.modules.pop("toy_kind", None)


def test_a_descriptor_naming_a_pdf_by_its_hash_as_a_code_list_skips_it(monkeypatch):
    import cnstat_etl.extract.series as series

    listed = SourceDescriptor("a_listing", kind="code_list", title="a printed list of cities",
                              match=DescriptorMatch(sha256=(file_sha256(BOOK),)))
    assert extract_file(BOOK).values  # read as a yearbook's, as long as nothing describes it
    monkeypatch.setattr(series, "source_descriptors", lambda: (listed,))
    result = extract_file(BOOK)
    assert result.skipped and result.source_kind == "code_list" and not result.values
    assert [p.kind for p in result.problems] == [ProblemKind.NOT_STATISTICAL]
    assert "mappings/sources/a_listing.toml" in result.problems[0].message
