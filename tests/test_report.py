"""`cnstat report` writes one offline HTML page and PNG figures that agree with SQL on the warehouse."""

from __future__ import annotations

import html
import io
import re
import shlex
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import pytest

import cnstat_etl.report as report_module
from cnstat_etl.config import report_settings
from cnstat_etl.load.panel import analysis_variables
from cnstat_etl.pipeline import ingest
from cnstat_etl.report import ReportOptions, build_report
from workbooks import write_table

CNSTAT = str(Path(sys.executable).parent / "cnstat")
SECTIONS = ("coverage", "balance", "sources", "problems", "unresolved", "conflicts", "validate", "jumps")
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "source", "wbr"}
CITY_LEVELS_SQL = "('prefecture', 'municipality')"
NANJING_2008_GDP_YI = 3814.53  # what ccsy2009_gdp_revenue_ruled.pdf prints; the extra source prints 4000


class ReportPage(HTMLParser):
    """The parts of report.html the tests read; fails on a closing tag that does not match its opening."""

    def __init__(self, text: str, sections: bool = True):
        super().__init__()
        self.stack: list[str] = []
        self.sections: dict[str, list[str]] = {}
        self.section: str | None = None
        self.counts: dict[tuple[str, str], dict[str, int]] = {}
        self.row: dict | None = None
        self.cell_state: str | None = None
        self.links: list[str] = []
        self.alias_lines: list[str] = []
        self.in_alias = False
        self.balance: dict[str, dict[str, int]] = {}
        self.complete_cell = False
        self.want_sections = sections
        self.feed(text)
        self.close()
        assert not self.stack, f"unclosed elements: {self.stack}"

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "section" and self.want_sections:
            self.section = attributes["id"]
            self.sections[self.section] = []
        self.links += [attributes[a] for a in ("src", "href") if a in attributes]
        if tag == "tr" and "data-indicator" in attributes:
            self.row = self.counts.setdefault((attributes["data-indicator"], attributes["data-scope"]), {})
        if tag == "td" and "data-state" in attributes:
            self.cell_state = attributes["data-state"]
        if tag == "tr" and ("data-year" in attributes or "data-first" in attributes):
            key = attributes.get("data-year") or f"{attributes['data-first']}-{attributes['data-last']}"
            self.balance_key = key
        if tag == "td" and "data-complete" in attributes:
            self.complete_cell = True
        self.in_alias = tag == "code" and attributes.get("class") == "alias-line"

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()
        if tag == "section":
            self.section = None
        self.cell_state, self.complete_cell, self.in_alias = None, False, False

    def handle_data(self, data):
        if self.section:
            self.sections[self.section].append(data)
        if self.cell_state is not None:
            self.row[self.cell_state] = int(data)
        if self.complete_cell:
            self.balance[self.balance_key] = int(data)
        if self.in_alias:
            self.alias_lines.append(data)

    def text(self, section: str) -> str:
        return " ".join(self.sections[section])


@pytest.fixture(scope="module")
def warehouse_with_extras(samples_db, tmp_path_factory) -> Path:
    """The samples plus one generated table: a 南京 GDP that differs from the sample PDF's (a conflict),
    a made-up place (unplaceable) and a one-character typo of 西双版纳傣族自治州 (a likely alias)."""
    folder = tmp_path_factory.mktemp("report_db")
    db = folder / "w.duckdb"
    shutil.copy(samples_db, db)
    extra = write_table(folder / "extra2008.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"],
                        [["南京市", 4000.0], ["火星市", 12.5], ["西双版纳傣族自治洲", 200.0]])
    summary = ingest([extra], db, jobs=1)
    assert summary.count("loaded") == 1
    return db


@pytest.fixture(scope="module")
def report(warehouse_with_extras, tmp_path_factory) -> tuple[Path, ReportPage]:
    out = tmp_path_factory.mktemp("report")
    result = subprocess.run([CNSTAT, "report", "--db", str(warehouse_with_extras), "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out, ReportPage((out / "report.html").read_text(encoding="utf-8"))


def test_the_page_parses_and_holds_every_section(report):
    _, page = report
    assert list(page.sections) == list(SECTIONS)


def detail_pages(out: Path) -> list[Path]:
    return sorted(path for path in out.rglob("*.html") if path.name != "report.html")


def test_the_pages_need_no_network_every_figure_is_also_a_png_and_every_link_leads_somewhere(report):
    out, page = report
    figures = sorted((out / "figures").glob("*.png"))
    assert figures and all(f.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for f in figures)
    pages = [(out / "report.html", page)] + [(path, ReportPage(path.read_text(encoding="utf-8"), sections=False))
                                             for path in detail_pages(out)]
    images = [link for _, p in pages for link in p.links if link.startswith("data:image/png;base64,")]
    assert len(images) == len(figures)
    for path, p in pages:
        assert not [link for link in p.links if link.startswith(("http:", "https:", "//"))]
        for link in p.links:
            if not link.startswith(("data:", "#")):
                assert (path.parent / link.split("#")[0]).is_file(), (path, link)


def test_the_summary_page_links_each_indicator_to_a_page_of_its_heatmap(report):
    out, page = report
    indicator_pages = sorted((out / "indicators").glob("*.html"))
    assert len(indicator_pages) == len(page.counts)
    assert {f"indicators/{p.name}" for p in indicator_pages} <= set(page.links)
    assert "data:image/png;base64," in indicator_pages[0].read_text(encoding="utf-8")


def test_counts_of_one_are_singular_and_levels_print_with_thousands_separators(report):
    out, page = report
    for path in [out / "report.html", *detail_pages(out)]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b1 (problems|errors|warnings|tables|values)\b", text), path
        assert not re.search(r"\d{5}\.0\b", text), path  # a raw float, as 10084270000.0


def test_panel_balance_names_the_variables_no_source_gives(tmp_path):
    source = write_table(tmp_path / "gdp.xlsx", "各市主要指标（2008年）", ["地区", "地区生产总值（亿元）"],
                         [["南京市", 3814.53]])
    db = tmp_path / "w.duckdb"
    ingest([source], db, jobs=1)
    variables = [v["name"] for v in analysis_variables()]
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.execute("SELECT * FROM analysis_city").df()
    none = [v for v in variables if frame[v].isna().all()]
    assert "st_share" in none and len(none) < len(variables)
    build_report(db, tmp_path / "out")
    page = ReportPage((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    assert f"No city has {', '.join(none)} in any year" in " ".join(page.text("balance").split())


def test_a_suggested_command_pastes_into_a_shell_as_it_is(warehouse_with_extras, tmp_path, monkeypatch):
    folder = tmp_path / "1999-2018 Cities data"
    folder.mkdir()
    source = write_table(folder / "mixed table.xlsx", "各市主要指标（2008年）",
                         ["地区", "地区生产总值（亿元）", "公共厕所（座）", "邮政局（座）"], [["火星市", 1.0, 2, 3]])
    db = tmp_path / "w.duckdb"
    shutil.copy(warehouse_with_extras, db)
    ingest([source], db, jobs=1)
    settings = {**report_settings(), "max_problems_per_file": 1}
    monkeypatch.setattr(report_module, "report_settings", lambda: settings)
    # the sources' pages are written whichever indicators are drawn: one is drawn, for speed
    build_report(db, tmp_path / "out", ReportOptions(indicators=("gdp",)))
    page = next(text for text in (p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "sources").glob("*.html"))
                if "mixed table.xlsx" in text)
    command = re.search(r"<code>(cnstat problems [^<]*)</code>", page).group(1)
    assert shlex.split(html.unescape(command)) == ["cnstat", "problems", "--file", str(source.resolve()),
                                                   "--db", str(db)]


def test_long_indicator_labels_are_not_cut_at_the_left_edge_of_the_summary(tmp_path):
    from PIL import Image

    from cnstat_etl.report import data, figures

    states = np.full((3, 4), data.PRESENT, dtype=np.int8)
    panels = [data.Coverage(name, "city_total", name, name, states)
              for name in ("gdp", "industrial_solid_waste_comprehensive_use_rate_of_prefecture_level_cities")]
    units = [data.Unit(str(110000 + i), "x", "x", "110000", "x", "x") for i in range(3)]
    image = Image.open(io.BytesIO(figures.summary_heatmap(data.CoverageReport([2001, 2002, 2003, 2004], units, panels,
                                                                              False, 0), figures.Labels(None))))
    left_edge = np.asarray(image.convert("L"))[:, :4]
    assert left_edge.min() == 255  # nothing drawn there: the label ends inside the figure


def test_a_provisional_indicator_is_labelled_once():
    from cnstat_etl.report.data import Coverage

    assert Coverage("provisional:公共厕所", "city_total", "provisional:公共厕所", "", np.zeros((1, 1))).label == \
        "provisional:公共厕所"
    assert Coverage("gdp", "city_total", "地区生产总值", "GDP", np.zeros((1, 1))).label == "gdp 地区生产总值"


def test_the_report_on_the_real_sources_opens_from_a_summary_page_under_1_mb(real_db, tmp_path):
    db = tmp_path / "real.duckdb"
    shutil.copy(real_db[0], db)  # the report may give the warehouse the current relations
    written = build_report(db, tmp_path / "out")
    summary = written[0]
    assert summary.name == "report.html" and summary.stat().st_size < 1_000_000
    page = ReportPage(summary.read_text(encoding="utf-8"))
    detail = ("data:", "#", "figures/", "indicators/", "sources/", "jumps.html")
    assert len(page.counts) > 50 and all(link.startswith(detail) for link in page.links)


def independent_counts(con: duckdb.DuckDBPyConnection, indicator: str, scope: str) -> dict[str, int]:
    """Cell counts of one heatmap straight from observations, regions and the conflicts view."""
    first, last = con.execute("SELECT min(year), max(year) FROM observations").fetchone()
    return dict(zip(("units", "in_force", "with_value", "conflict"), con.execute(f"""
        WITH units AS (
            SELECT DISTINCT code FROM regions WHERE level IN {CITY_LEVELS_SQL}
              AND valid_from <= {last} AND (valid_to IS NULL OR valid_to > {first})),
        in_force AS (
            SELECT DISTINCT r.code, y.range AS year FROM regions r JOIN range({first}, {last} + 1) y
              ON r.valid_from <= y.range AND (r.valid_to IS NULL OR y.range < r.valid_to)
            WHERE r.level IN {CITY_LEVELS_SQL}),
        printed AS (
            SELECT DISTINCT region_code AS code, year FROM observations
            WHERE indicator = '{indicator}' AND scope = '{scope}' AND value IS NOT NULL)
        SELECT (SELECT count(*) FROM units),
               (SELECT count(*) FROM in_force),
               (SELECT count(*) FROM printed WHERE code IN (SELECT code FROM units)),
               (SELECT count(*) FROM conflicts WHERE indicator = '{indicator}' AND scope = '{scope}')
        """).fetchone()))


def test_each_heatmaps_cell_counts_match_sql_on_the_warehouse(report, warehouse_with_extras):
    _, page = report
    with duckdb.connect(str(warehouse_with_extras), read_only=True) as con:
        pairs = con.execute("SELECT DISTINCT indicator, scope FROM observations ORDER BY ALL").fetchall()
        first, last = con.execute("SELECT min(year), max(year) FROM observations").fetchone()
        assert sorted(page.counts) == pairs
        for indicator, scope in pairs:
            expected = independent_counts(con, indicator, scope)
            counts = page.counts[(indicator, scope)]
            assert counts["conflict"] == expected["conflict"], (indicator, scope)
            assert counts["present"] + counts["conflict"] == expected["with_value"], (indicator, scope)
            assert counts["missing"] == expected["in_force"] - expected["with_value"], (indicator, scope)
            assert sum(counts.values()) == expected["units"] * (last - first + 1), (indicator, scope)
    assert page.counts[("gdp", "city_total")]["conflict"] >= 1


def test_an_unplaceable_row_is_listed_under_unresolved_names(report):
    _, page = report
    assert "火星市" in page.text("unresolved")
    assert "extra2008.xlsx" in page.text("unresolved")


def test_a_typo_with_one_likely_candidate_gets_a_ready_to_paste_alias_line(report):
    _, page = report
    lines = {line.split(",")[0]: line.split(",") for line in page.alias_lines}
    assert lines["西双版纳傣族自治洲"][1:4] == ["532800", "2008", "2009"]
    assert "火星市" not in lines  # nothing like it: no alias is offered


def test_a_cell_two_sources_print_differently_shows_both_values_and_sources(report):
    _, page = report
    text = page.text("conflicts")
    assert "ccsy2009_gdp_revenue_ruled.pdf" in text and "extra2008.xlsx" in text
    assert f"{NANJING_2008_GDP_YI * 1e8:,.0f}" in text and f"{4000 * 1e8:,.0f}" in text


def test_panel_balance_counts_cities_with_every_analysis_variable(report, warehouse_with_extras):
    _, page = report
    variables = [v["name"] for v in analysis_variables()]
    with duckdb.connect(str(warehouse_with_extras), read_only=True) as con:
        frame = con.execute("SELECT * FROM analysis_city").df()
    complete = frame[variables].notna().all(axis=1)
    for year in frame["year"].unique():
        assert page.balance[str(year)] == int(complete[frame["year"] == year].sum())
    for period in report_settings()["periods"]:
        span = frame[frame["year"].between(period["first"], period["last"])]
        means = span[variables].notna().groupby(span["harmonised_code"]).any()
        assert page.balance[f"{period['first']}-{period['last']}"] == int(means.all(axis=1).sum())


def test_validate_findings_are_listed_by_check(report):
    _, page = report
    text = page.text("validate")
    for check in ("duplicate_observation", "code_not_in_force", "year_over_year_jump", "unresolved_rows"):
        assert check in text


def test_needs_review_cells_light_up_once_a_value_is_doubted(warehouse_with_extras, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(warehouse_with_extras, db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE observations SET needs_review = true WHERE region_code = '320100' AND year = 2008 "
                    "AND indicator = 'budget_revenue' AND scope = 'city_total'")
    # the doubted indicator and another, drawn alone for speed
    build_report(db, tmp_path / "out", ReportOptions(indicators=("budget_revenue", "gdp")))
    counts = ReportPage((tmp_path / "out" / "report.html").read_text(encoding="utf-8")).counts
    assert counts[("budget_revenue", "city_total")]["needs_review"] == 1
    assert counts[("gdp", "city_total")]["needs_review"] == 0


def test_without_a_doubted_value_there_is_no_needs_review_state(report):
    _, page = report
    assert all("needs_review" not in counts for counts in page.counts.values())


# a provisional indicator's id is its Chinese header: without a CJK font it must not reach a figure as it is
@pytest.mark.parametrize("indicators", [("gdp",), ("provisional:公共厕所", "provisional:公共厕所数量")])
def test_without_a_cjk_font_the_figures_use_codes_and_english_and_draw_no_missing_glyph(
        warehouse_with_extras, tmp_path, monkeypatch, indicators):
    settings = {**report_settings(), "cjk_fonts": ["No Such Font"]}
    monkeypatch.setattr(report_module, "report_settings", lambda: settings)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from (current )?font")
        written = build_report(warehouse_with_extras, tmp_path, ReportOptions(indicators=indicators))
    assert len([path for path in written if path.name.startswith("coverage_")]) >= len(indicators)


def test_options_narrow_the_report_to_indicators_and_years(warehouse_with_extras, tmp_path):
    build_report(warehouse_with_extras, tmp_path, ReportOptions(indicators=("population",), years=(2009, 2011)))
    page = ReportPage((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert {indicator for indicator, _ in page.counts} == {"population"}
    assert sorted(int(k) for k in page.balance if "-" not in k) == [2009, 2010, 2011]


def test_an_unknown_indicator_is_a_one_line_error(warehouse_with_extras, tmp_path):
    result = subprocess.run([CNSTAT, "report", "--db", str(warehouse_with_extras), "--out", str(tmp_path),
                             "--indicators", "gdp,no_such_thing"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and "no_such_thing" in result.stderr


def test_a_narrower_report_into_the_same_folder_leaves_no_figure_of_the_wider_one(warehouse_with_extras, tmp_path):
    build_report(warehouse_with_extras, tmp_path, ReportOptions(indicators=("gdp", "population")))
    (tmp_path / "figures" / "notes.txt").write_text("mine", encoding="utf-8")
    written = build_report(warehouse_with_extras, tmp_path, ReportOptions(indicators=("population",)))
    on_disk = {p for p in (tmp_path / "figures").iterdir()}
    assert not any("coverage_gdp" in p.name for p in on_disk)
    assert on_disk - set(written) == {tmp_path / "figures" / "notes.txt"}


def test_provisional_indicators_named_in_chinese_get_figure_files_of_their_own():
    from cnstat_etl.report import _safe_name

    names = {_safe_name(f"coverage_provisional:{header}_city_total") for header in ("公共厕所", "公园数量")}
    assert len(names) == 2 and all(re.fullmatch(r"[A-Za-z0-9_.-]+", n) for n in names)
    assert _safe_name("coverage_gdp_city_total") == "coverage_gdp_city_total"
