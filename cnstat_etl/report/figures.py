"""The report's figures as static PNGs (matplotlib, Agg: no display, no network, the same bytes offline).

Chinese labels need a CJK font. Where none of report.toml's `cjk_fonts` is installed the figures label
units with codes and English names instead, and a provisional indicator (named by its Chinese header) by a
digest of its name, so they never show empty boxes and never fail for a font.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen before pyplot loads)
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap, PowerNorm  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from PIL import Image  # noqa: E402

from cnstat_etl.report.data import NEEDS_REVIEW, STATES, Balance, Coverage, CoverageReport, Series, Unit  # noqa: E402

DPI = 100
ROW_INCHES = 0.11  # a heatmap row; beyond MAX_HEIGHT the rows shrink and only provinces are labelled
MAX_HEIGHT = 16.0
SHARE_TICKS = (0, 0.01, 0.05, 0.2, 0.5, 1)
LABEL_INCHES = 0.09  # vertical room a 5-point label needs
ANNOTATED_CELLS = 200  # the summary heatmap prints each share up to this many cells (text is slow to draw)


@lru_cache(maxsize=None)
def installed_font(preferred: tuple[str, ...]) -> str | None:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in preferred if name in installed), None)


@dataclass(frozen=True)
class Labels:
    """Label text for the figures: Chinese where a CJK font is installed, else codes and English."""

    cjk_font: str | None

    def rc(self) -> dict:
        families = [self.cjk_font, "DejaVu Sans"] if self.cjk_font else ["DejaVu Sans"]
        return {"font.family": "sans-serif", "font.sans-serif": families, "axes.unicode_minus": False}

    def unit(self, unit: Unit) -> str:
        return f"{unit.code} {unit.name_zh if self.cjk_font else unit.name_en or ''}".rstrip()

    def province(self, unit: Unit) -> str:
        return (unit.province_zh if self.cjk_font else unit.province_en) or unit.province_code

    def indicator(self, coverage: Coverage) -> str:
        if self.cjk_font:
            return coverage.label
        if coverage.indicator.isascii():
            return coverage.indicator
        # a provisional indicator is named by its Chinese header: in Latin, a digest of it tells two apart
        latin = coverage.indicator.encode("ascii", "ignore").decode()
        return f"{latin}{hashlib.sha1(coverage.indicator.encode()).hexdigest()[:8]}"

    def place(self, code: str, name: str) -> str:
        return f"{code} {name}" if self.cjk_font else code


def png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def canvas_png(canvas) -> bytes:
    """The canvas as it is drawn now, as PNG (fast compression: the PNGs are small anyway)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())[:, :, :3]).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _year_ticks(axes, years: list[int], step: int) -> None:
    shown = [i for i, year in enumerate(years) if year % step == 0 or len(years) <= 12]
    axes.set_xticks(shown, [str(years[i]) for i in shown], fontsize=7)


class Heatmaps:
    """The coverage heatmaps of one report. They share units, years and legend, so one figure is laid out
    once and each indicator only swaps the image data and the title: drawing stays fast at 40 heatmaps."""

    LEFT, LEFT_PROVINCES, RIGHT, TOP, BOTTOM = 1.7, 1.0, 0.15, 0.35, 0.75  # margins, inches

    def __init__(self, report: CoverageReport, colours: dict[str, str], labels: Labels):
        self.report, self.labels = report, labels
        units, years = report.units, report.years
        self.states = [s for i, s in enumerate(STATES) if i != NEEDS_REVIEW or report.needs_review_tracked]
        rows = len(units)
        label_rows = rows * ROW_INCHES <= MAX_HEIGHT
        left = self.LEFT if label_rows else self.LEFT_PROVINCES
        width = left + self.RIGHT + max(4.0, 0.2 * len(years))
        height = self.TOP + self.BOTTOM + min(MAX_HEIGHT, max(2.0, rows * ROW_INCHES))
        with plt.rc_context(labels.rc()):
            self.figure = plt.figure(figsize=(width, height), dpi=DPI)
            self.axes = self.figure.add_axes((left / width, self.BOTTOM / height,
                                              1 - (left + self.RIGHT) / width,
                                              1 - (self.TOP + self.BOTTOM) / height))
            self.image = self.axes.imshow(
                np.zeros((rows, len(years))), aspect="auto", interpolation="nearest",
                cmap=ListedColormap([colours[s] for s in STATES]),
                norm=BoundaryNorm(np.arange(len(STATES) + 1) - 0.5, len(STATES)))
            starts = [i for i, unit in enumerate(units)
                      if i == 0 or unit.province_code != units[i - 1].province_code]
            self.overlays = [
                self.axes.hlines(np.array(starts[1:]) - 0.5, -0.5, len(years) - 0.5, color="#555555", linewidth=0.4),
                self.axes.vlines(np.arange(1, len(years)) - 0.5, -0.5, rows - 0.5, color="white", linewidth=0.3),
                *self.axes.spines.values()]
            if label_rows:
                self.axes.set_yticks(range(rows), [labels.unit(u) for u in units], fontsize=5)
            else:  # one label per province, skipping one that would overlap the label above it
                ends = starts[1:] + [rows]
                gap = LABEL_INCHES * rows / (height - self.TOP - self.BOTTOM)
                ticks: list[tuple[float, str]] = []
                for a, b in zip(starts, ends):
                    if not ticks or (a + b - 1) / 2 - ticks[-1][0] >= gap:
                        ticks.append(((a + b - 1) / 2, labels.province(units[a])))
                self.axes.set_yticks([t[0] for t in ticks], [t[1] for t in ticks], fontsize=5)
            self.axes.tick_params(axis="y", length=0)
            _year_ticks(self.axes, years, 5)
            self.title = self.axes.set_title("", fontsize=8)
            self.figure.legend(handles=[Patch(facecolor=colours[s], edgecolor="#999999", label=s.replace("_", " "))
                                        for s in self.states],
                               loc="lower center", ncol=len(self.states), fontsize=7, frameon=False)
            # Everything but the cells and the title is drawn once and restored for each heatmap (blitting).
            self.figure.canvas.draw()
            self.background = self.figure.canvas.copy_from_bbox(self.figure.bbox)

    def render(self, panel: Coverage) -> bytes:
        counts = panel.counts()
        self.image.set_data(panel.states)
        self.title.set_text(f"{self.labels.indicator(panel)} ({panel.scope}): " + ", ".join(
            f"{counts[s]} {s.replace('_', ' ')}" for s in self.states if s != "not_in_force"))
        canvas = self.figure.canvas
        with plt.rc_context(self.labels.rc()):
            canvas.restore_region(self.background)
            for artist in [self.image, *self.overlays, self.title]:
                self.axes.draw_artist(artist)
        return canvas_png(canvas)

    def close(self) -> None:
        plt.close(self.figure)


def summary_heatmap(report: CoverageReport, labels: Labels) -> bytes:
    shares = np.array([panel.share_with_value() for panel in report.panels]).reshape(len(report.panels), -1)
    names = [f"{labels.indicator(p)} ({p.scope})" for p in report.panels]
    with plt.rc_context(labels.rc()):
        height = 0.9 + 0.3 * len(names)
        figure = plt.figure(figsize=(1, height))
        axes = figure.add_axes((0, 0.4 / height, 1, 1 - 0.75 / height))
        # A power scale: a share of 2% (a sample, a first source) is visible beside 0, and 90% beside 100%.
        image = axes.imshow(shares, aspect="auto", interpolation="nearest", cmap="Blues",
                            norm=PowerNorm(gamma=0.4, vmin=0, vmax=1))
        if shares.size <= ANNOTATED_CELLS:
            for (row, column), share in np.ndenumerate(shares):
                if share > 0:
                    axes.text(column, row, f"{share * 100:.0f}", ha="center", va="center", fontsize=5,
                              color="white" if share > 0.6 else "black")
        axes.set_yticks(range(len(names)), names, fontsize=7)
        # the left margin as wide as the longest label: a fixed one cut long indicator names off
        renderer = figure.canvas.get_renderer()
        left = 0.25 + max(label.get_window_extent(renderer).width for label in axes.get_yticklabels()) / figure.dpi
        width = left + 1.4 + 0.32 * len(report.years)
        figure.set_size_inches(width, height)
        axes.set_position((left / width, 0.4 / height, 1 - (left + 0.8) / width, 1 - 0.75 / height))
        _year_ticks(axes, report.years, 5)
        axes.set_title("Share of prefecture-level units in force that have a value", fontsize=9)
        figure.colorbar(image, cax=figure.add_axes((1 - 0.65 / width, 0.4 / height, 0.12 / width,
                                                    1 - 0.75 / height)), ticks=SHARE_TICKS,
                        format=lambda share, _: f"{share:.0%}")
        return png(figure)


def balance_chart(balance: Balance, labels: Labels) -> bytes:
    with plt.rc_context(labels.rc()):
        figure, axes = plt.subplots(figsize=(9, 3.4), layout="constrained")
        axes.bar(balance.years, balance.cities, color="#dddddd", label="cities in analysis_city")
        axes.bar(balance.years, balance.complete, color="#3182bd", label="with every variable")
        # one line per variable: a variable no source gives leaves "every variable" at 0, the lines show the rest
        for variable, colour in zip(balance.variables, plt.get_cmap("tab20").colors):
            axes.plot(balance.years, balance.per_variable[variable], color=colour, linewidth=1, label=variable)
        top = max(balance.cities + [1]) * 1.3  # headroom for the period labels
        axes.set_ylim(0, top)
        for period in balance.periods:
            axes.axvspan(period.first - 0.5, period.last + 0.5, color="#fdae6b", alpha=0.25)
            axes.text((period.first + period.last) / 2, top * 0.97,
                      f"{period.first}-{period.last} means\n{period.complete} of {period.cities} complete",
                      ha="center", va="top", fontsize=6)
        axes.set_xlabel("data year", fontsize=8)
        axes.set_ylabel("cities", fontsize=8)
        axes.tick_params(labelsize=7)
        axes.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        axes.set_title("Cities with each analysis variable, and with all of them, per year", fontsize=9)
        return png(figure)


class Sparklines:
    """Small log-scale line charts of whole series, the jump years marked. One figure is drawn once and
    each series only redraws its line and title onto it (blitting): 60 of them take about a second."""

    def __init__(self, labels: Labels):
        self.labels = labels
        with plt.rc_context(labels.rc()):
            self.figure = plt.figure(figsize=(3.2, 0.8), dpi=DPI)
            self.axes = self.figure.add_axes((0.03, 0.08, 0.94, 0.68))
            (self.line,) = self.axes.plot([], [], color="#555555", linewidth=1, marker="o", markersize=2)
            (self.jumps,) = self.axes.plot([], [], linestyle="none", color="#e6550d", marker="o", markersize=3.5)
            self.axes.set_yscale("log")
            self.axes.set_axis_off()  # a sparkline: the shape tells; the table beside it gives the numbers
            self.title = self.axes.set_title("", fontsize=6)
            self.figure.canvas.draw()
            self.background = self.figure.canvas.copy_from_bbox(self.figure.bbox)

    def render(self, series: Series) -> bytes:
        jump_years = {j["year"] for j in series.jumps}
        self.line.set_data(series.years, series.values)
        self.jumps.set_data(*zip(*[(y, v) for y, v in zip(series.years, series.values) if y in jump_years]))
        self.axes.relim()
        self.axes.autoscale_view()
        self.title.set_text(f"{self.labels.place(series.region_code, series.region_name)} {series.indicator} "
                            f"({series.scope}) {series.years[0]}-{series.years[-1]}")
        canvas = self.figure.canvas
        with plt.rc_context(self.labels.rc()):
            canvas.restore_region(self.background)
            for artist in (self.line, self.jumps, self.title):
                self.axes.draw_artist(artist)
        return canvas_png(canvas)

    def close(self) -> None:
        plt.close(self.figure)
