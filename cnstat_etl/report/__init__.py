"""`cnstat report`: one static HTML page (report.html, figures inline) and the same figures as PNG files.

The page is for a researcher about to run a regression on the panel: what each variable covers, where the
holes are, which sources failed or left rows unplaced, which cells two sources print differently and which
values look wrong. It needs no network: no scripts, no fonts, no stylesheets from elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from cnstat_etl.config import report_settings, report_template
from cnstat_etl.errors import MappingError, UserError, naming_the_path
from cnstat_etl.indicators import PROVISIONAL_PREFIX
from cnstat_etl.load.places import unresolved_names
from cnstat_etl.load.validate import run_checks
from cnstat_etl.load.warehouse import Warehouse, open_to_read
from cnstat_etl.report import data, figures
from cnstat_etl.text import plural

TEMPLATE = "report.html.j2"
FIGURES_DIR = "figures"
FIGURE_PATTERNS = ("coverage_*.png", "panel_balance.png", "jump_*.png")  # every name build_report writes
# The pages of detail beside report.html, one folder each: every page in them is build_report's.
INDICATORS_DIR, SOURCES_DIR, JUMPS_PAGE = "indicators", "sources", "jumps.html"


@dataclass(frozen=True)
class ReportOptions:
    vintage: int | None = None
    indicators: tuple[str, ...] = ()  # all indicators with values when empty
    years: tuple[int, int] | None = None  # the years the warehouse holds when None
    periods: tuple[tuple[int, int], ...] = ()  # report.toml's periods when empty


@dataclass(frozen=True)
class Figure:
    title: str
    path: Path
    data_uri: str


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FunctionLoader(report_template), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(plural=plural, shell_quote=shlex.quote, cell=_cell)
    return environment


def _cell(value) -> str:
    """A value as a table shows it: a level in yuan with thousands separators, not 10084270000.0."""
    if value is None:
        return ""
    if isinstance(value, float):
        if abs(value) >= 1000 or value == int(value):
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def _safe_name(text: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", text)
    # provisional indicators are named in Chinese: a digest keeps two of them from sharing a file name
    return safe if safe == text else f"{safe}{hashlib.sha1(text.encode()).hexdigest()[:8]}"


class _FigureWriter:
    """Writes each PNG beside the page and keeps it as a data URI so report.html stands alone."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        # An earlier report's figures go (its indicators or jumps may be gone); other files stay.
        for stale in [p for pattern in FIGURE_PATTERNS for p in folder.glob(pattern)]:
            stale.unlink()
        self.written: list[Path] = []

    def add(self, name: str, title: str, image: bytes) -> Figure:
        path = self.folder / f"{_safe_name(name)}.png"
        path.write_bytes(image)
        self.written.append(path)
        return Figure(title, path, "data:image/png;base64," + base64.b64encode(image).decode("ascii"))


def _indicators(warehouse: Warehouse, asked: tuple[str, ...]) -> list[str]:
    # the dictionary's indicators, then the provisional ones this warehouse holds (loaded under their header)
    known = [row[0] for row in warehouse.rows(f"""
        SELECT id FROM (SELECT id FROM indicators
                        UNION SELECT DISTINCT indicator FROM observations
                              WHERE starts_with(indicator, '{PROVISIONAL_PREFIX}'))
        ORDER BY starts_with(id, '{PROVISIONAL_PREFIX}'), id""")]
    unknown = [i for i in asked if i not in known]
    if unknown:
        raise UserError(f"unknown indicator {', '.join(unknown)}; known: {', '.join(known)}")
    return list(asked) or known


@naming_the_path()  # the folder asked for cannot be made or written
def build_report(db_path: Path, out: Path, options: ReportOptions = ReportOptions(),
                 wait: Callable[[str | None], None] | None = None) -> list[Path]:
    """Write out/report.html, its pages of detail (indicators/*.html, sources/*.html, jumps.html) and
    out/figures/*.png; return the paths written (report.html first, then the pages, then the figures)."""
    settings = report_settings()
    labels = figures.Labels(figures.installed_font(tuple(settings["cjk_fonts"])))
    colours = settings["colours"]
    periods = list(options.periods) or [(p["first"], p["last"]) for p in settings["periods"]]
    with open_to_read(db_path, wait) as warehouse:
        span = options.years or data.observed_years(warehouse)
        if span is None:
            raise UserError(f"{db_path} holds no observations: run `cnstat ingest` first")
        first, last = span
        indicators = _indicators(warehouse, options.indicators)
        vintage = options.vintage or warehouse.vintage()
        if vintage is None:
            raise UserError(f"{db_path} holds no harmonised data yet: run `cnstat ingest` first")
        warehouse.check_vintage(vintage)
        coverage = data.coverage(warehouse, first, last, indicators)
        balance = data.panel_balance(warehouse, vintage, first, last, periods)
        sources = data.sources(warehouse, settings["max_problems_per_file"])
        unresolved = unresolved_names(warehouse, settings["near_miss_min_score"])
        conflicts = data.conflicts(warehouse, first, last, indicators)
        checks = run_checks(warehouse)
        jump_check = next((c for c in checks if c.name == settings["sparkline_check"]), None)
        if jump_check is None:
            raise MappingError(f"warehouse/report/report.toml: sparkline_check {settings['sparkline_check']!r} "
                               "is not a check in warehouse/checks.toml")
        series = data.jump_series(warehouse, jump_check)

    writer = _FigureWriter(out / FIGURES_DIR)
    summary = writer.add("coverage_summary", "Coverage: indicator x year",
                         figures.summary_heatmap(coverage, labels)) if coverage.panels else None
    pages = _PageWriter(out, _environment(), db_path=str(db_path), first=first, last=last, colours=colours)
    page_of: dict = {}
    if coverage.panels:
        canvas = figures.Heatmaps(coverage, colours, labels)
        try:
            for panel in coverage.panels:
                name = f"coverage_{panel.indicator}_{panel.scope}"
                figure = writer.add(name, f"{panel.indicator} ({panel.scope})", canvas.render(panel))
                page_of[panel.indicator, panel.scope] = pages.write(
                    f"{INDICATORS_DIR}/{_safe_name(name)}.html", "indicator.html.j2", panel=panel, figure=figure,
                    needs_review_tracked=coverage.needs_review_tracked)
        finally:
            canvas.close()
    for source in sources:
        if source.problems:
            page_of[source.source_path] = pages.write(f"{SOURCES_DIR}/{source.anchor}.html", "source.html.j2",
                                                      s=source)
    balance_figure = writer.add("panel_balance", "Panel balance", figures.balance_chart(balance, labels))
    drawn = series[:settings["max_sparklines"]]
    sparkline_canvas = figures.Sparklines(labels)
    try:
        sparklines = [writer.add(f"jump_{s.region_code}_{s.indicator}_{s.scope}", s.region_code,
                                 sparkline_canvas.render(s)) for s in drawn]
    finally:
        sparkline_canvas.close()
    drawn_series = list(zip(drawn, sparklines))
    if drawn_series:
        pages.write(JUMPS_PAGE, "jumps.html.j2", series=drawn_series, jump_check=jump_check)
    html_path = pages.write(
        "report.html", TEMPLATE, vintage=vintage, states=data.STATES, coverage=coverage, summary=summary,
        page_of=page_of, balance=balance, balance_figure=balance_figure, sources=sources, unresolved=unresolved,
        conflicts=conflicts, checks=checks, max_rows_per_check=settings["max_rows_per_check"],
        jump_check=jump_check, series=drawn_series, series_not_drawn=len(series) - len(drawn), jumps_page=JUMPS_PAGE,
        drawn=False)
    return [out / html_path, *pages.written[:-1], *writer.written]


class _PageWriter:
    """Renders the pages into `out`, report.html and its pages of detail, each standing alone (its figures
    inline). An earlier report's pages of detail go; other files stay."""

    def __init__(self, out: Path, environment: jinja2.Environment, **shared):
        self.out, self.environment, self.shared = out, environment, shared
        self.written: list[Path] = []
        for folder in (INDICATORS_DIR, SOURCES_DIR):
            for stale in (out / folder).glob("*.html"):
                stale.unlink()
        (out / JUMPS_PAGE).unlink(missing_ok=True)

    def write(self, name: str, template: str, **context) -> str:
        """Write the page `name` (relative to out); return `name`, the link to it from report.html."""
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        up = "../" * name.count("/")
        path.write_text(self.environment.get_template(template).render(**self.shared, **context, up=up),
                        encoding="utf-8")
        self.written.append(path)
        return name
