"""The `cnstat` command. Each command parses its options and calls one library function."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import itertools
import json
import os
import sys
import unicodedata
from pathlib import Path

import click

from cnstat_etl import source_kinds
from cnstat_etl.config import default_db_path, extra_hint
from cnstat_etl.errors import UserError
from cnstat_etl.load.export import FORMATS
from cnstat_etl.outcomes import STATUS_WORDS, FileOutcome
from cnstat_etl.text import plural

# Each command imports what it uses when it runs: pandas, matplotlib, pint and the pipeline take over a
# second to import, and `cnstat --help` or `cnstat query` need none of them.


def db_option(command):
    return click.option(
        "--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="DuckDB file (default: $CNSTAT_DB, else warehouse/cnstat.duckdb).")(command)


def format_option(command):
    return click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]),
                        default="table", show_default=True, help="Output format.")(command)


def year_options(command):
    command = click.option("--year", type=int, default=None,
                           help="Data year for tables that print neither a year nor an edition.")(command)
    return click.option("--edition", type=int, default=None,
                        help="Yearbook edition for such tables (data year = edition - 1).")(command)


def ocr_option(command):
    return click.option("--ocr", is_flag=True, help="OCR pages that have no usable text layer (scans); "
                        "slow, seconds per page.")(command)


def _require_extra(option: str, module: str, extra: str) -> None:
    """An option whose optional dependency is not installed: one line saying how to install it."""
    if importlib.util.find_spec(module) is None:
        raise click.UsageError(extra_hint(option, extra))


def print_rows(columns: list[str], rows: list[tuple], output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps([dict(zip(columns, row)) for row in rows], ensure_ascii=False, default=str,
                              indent=1))
    elif output_format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        text = [[("" if v is None else str(v)) for v in row] for row in rows]
        widths = [max([display_width(c)] + [display_width(r[i]) for r in text]) for i, c in enumerate(columns)]
        click.echo("  ".join(pad(c, w) for c, w in zip(columns, widths)))
        click.echo("  ".join("-" * w for w in widths))
        for row in text:
            click.echo("  ".join(pad(v, w) for v, w in zip(row, widths)))
        click.echo(f"({len(rows)} rows)")


def display_width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def _user_error(error: Exception) -> bool:
    """A mistake a user can make (bad options, a missing or busy warehouse, bad SQL, an unreadable file):
    one line on stderr and exit status 1, never a traceback. Any other error is a bug, and keeps its
    traceback. DuckDB's errors can only come from a command that imported it."""
    kinds: list[type[Exception]] = [click.ClickException, UserError]
    if "duckdb" in sys.modules:
        kinds.append(sys.modules["duckdb"].Error)
    return isinstance(error, tuple(kinds))


class _Interrupted(Exception):
    """Ctrl-C, kept from click (which would make it "Aborted!" and exit 1)."""


class OneLineErrors(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as stop:
            raise _Interrupted(str(stop) or "interrupted") from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except _Interrupted as stop:
            click.echo(str(stop), err=True)
            sys.exit(130)  # 128 + SIGINT, as a shell reports a command Ctrl-C stopped
        except click.Abort:
            click.echo("Error: aborted", err=True)
        except Exception as error:
            if not _user_error(error):
                raise
            message = error.format_message() if isinstance(error, click.ClickException) else str(error)
            click.echo(f"Error: {' '.join(message.split())}", err=True)
        sys.exit(1)


@click.group(cls=OneLineErrors)
def main() -> None:
    """cnstat-etl: Chinese statistical yearbook tables into a harmonised DuckDB city-year panel."""


def _file_line(index: int, total: int, outcome: FileOutcome) -> str:
    prefix = f"[{index}/{total}]"
    word = f"{STATUS_WORDS[outcome.status]:9}"
    if outcome.status == "failed":
        return f"{prefix} FAILED    {outcome.path}: {outcome.reason}"
    if outcome.status in ("unchanged", "duplicate", "no_values", "skipped"):
        return f"{prefix} {word} {outcome.path}: {outcome.reason}"
    if outcome.firms:
        return (f"{prefix} {word} {outcome.path}: {outcome.firms} firms, {outcome.firms_placed} placed on "
                f"cities, {plural(outcome.errors, 'error')}, {plural(outcome.warnings, 'warning')}")
    return (f"{prefix} {word} {outcome.path}: {plural(outcome.tables, 'table')}, "
            f"{_values(outcome.values, outcome.county_values)}, {plural(outcome.unresolved, 'unresolved row')}, "
            f"{plural(outcome.errors, 'error')}, {plural(outcome.warnings, 'warning')}")


def _values(prefecture: int, county: int) -> str:
    """"1782 values", or with the county panel's: "0 values + 1161 of county-level units"."""
    return plural(prefecture, "value") + (f" + {county} of county-level units" if county else "")


def _show_progress(index: int, total: int, outcome: FileOutcome) -> None:
    if outcome.status == "failed":
        click.secho(_file_line(index, total, outcome), fg="red", err=True)
    else:
        click.echo(_file_line(index, total, outcome))


@contextlib.contextmanager
def _progress_bar():
    """The per-file lines, under bars of PDF pages read and files done while stdout is a terminal (never in
    a log): yields what to tell of each file done, and of the pages read (None without a terminal)."""
    if not _may_be_terminal():
        yield _show_progress, None
        return
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        yield _show_progress, None
        return
    from rich.progress import MofNCompleteColumn, Progress

    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console, transient=True) as bar:
        pages = bar.add_task("pages", total=None, visible=False)
        files = bar.add_task("files", total=None)

        def advance(index: int, total: int, outcome: FileOutcome) -> None:
            bar.update(files, completed=index, total=total)
            # through the live display, which moves its bars below the line: a line written past it is
            # overwritten by the next redraw; whole, wrapped by the terminal rather than cut at its width
            bar.console.print(_file_line(index, total, outcome), style="red" if outcome.status == "failed" else None,
                              markup=False, highlight=False, soft_wrap=True)

        def read(done: int, total: int) -> None:
            bar.update(pages, completed=done, total=total, visible=True)

        yield advance, read


def _may_be_terminal() -> bool:
    """False where rich would surely not take stdout for a terminal: no tty, and neither of the variables
    by which rich is told it is one (TTY_COMPATIBLE=1, FORCE_COLOR). An ingest into a pipe or a log then
    does without rich, 0.03 s to import before the page workers start."""
    return (sys.stdout.isatty() or os.environ.get("TTY_COMPATIBLE", "") == "1"
            or bool(os.environ.get("FORCE_COLOR")))


def _tell_waiting(holder: str | None) -> None:
    click.echo(f"waiting for ingest (pid {holder or '?'})…", err=True)


def existing_warehouse(db: Path | None) -> Path:
    db = db or default_db_path()
    if not db.is_file():
        raise click.ClickException(f"no warehouse at {db}: run `cnstat ingest` first")
    return db


@main.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@db_option
@year_options
@click.option("--workers", "--jobs", "workers", type=click.IntRange(min=1), default=None,
              help="Worker processes extracting files (default: the number of cores).")
@click.option("--vintage", type=int, default=None,
              help="Year whose units the harmonised views use (default: kept; new warehouses take the latest).")
@click.option("--kind", type=click.Choice(source_kinds.NAMES), default=None,
              help="Read every file as this kind (default: as each file looks: a firm survey by its columns, "
                   "a series or panel by its header, else a yearbook).")
@click.option("--no-cache", is_flag=True,
              help="Extract every file again instead of reading its tables from cache/ beside the warehouse.")
@ocr_option
@click.option("--dask", "dask_address", metavar="ADDRESS", envvar="CNSTAT_DASK", default=None,
              help="Extract on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786; default: "
                   "$CNSTAT_DASK), loading here.")
def ingest_command(paths, db, year, edition, workers, vintage, kind, no_cache, ocr, dask_address):
    """Ingest files and folders (the bundled samples when no PATH is given)."""
    from cnstat_etl.extract.tables import ExtractOptions
    from cnstat_etl.pipeline import ingest

    if dask_address:
        _require_extra("--dask", "distributed", "dask")
    elif ocr:  # (on a cluster, its workers read the scans)
        _require_extra("--ocr", "rapidocr_onnxruntime", "ocr")
    db = db or default_db_path()
    with _progress_bar() as (advance, read):
        summary = ingest(list(paths) or None, db, ExtractOptions(year=year, edition=edition, ocr=ocr), workers,
                         advance, vintage, kind, use_cache=not no_cache, on_pages=read, dask=dask_address)
    counts = ", ".join(f"{summary.count(status)} {word}" for status, word in STATUS_WORDS.items())
    click.echo(f"{plural(len(summary.files), 'file')}: {counts}; {plural(summary.tables, 'table')}, "
               f"{_values(summary.values, summary.county_values)}, {plural(summary.unresolved, 'unresolved row')}, "
               f"{plural(summary.problems, 'problem')} -> {db}")
    if summary.problems or summary.unresolved:
        db_hint = "" if db == default_db_path() else f" --db {db}"
        click.echo(f"Where to look: `cnstat problems{db_hint}` lists the problems by kind (--kind K, --file F), "
                   "the unresolved rows among them (unresolved_row).")
    shares = summary.placed_shares()
    if shares:
        click.echo(f"firm survey: {shares[0]:.2%} of firms and {shares[1]:.2%} of their sales placed on cities "
                   "(the rest: firm_unplaced)")
    if summary.count("failed"):
        for outcome in summary.files:
            if outcome.status == "failed":
                click.echo(f"  failed: {outcome.path}: {outcome.reason}", err=True)
        sys.exit(1)


@main.command("indicators")
@click.option("--unknown", is_flag=True,
              help="List the provisional indicators (numeric columns naming no dictionary indicator), with counts.")
@db_option
@format_option
def indicators_command(unknown, db, output_format):
    """The indicator dictionary, or with --unknown the provisional indicators loaded, for curation."""
    from cnstat_etl.load.warehouse import dictionary_rows, provisional_indicators

    columns, rows = provisional_indicators(existing_warehouse(db), _tell_waiting) if unknown else dictionary_rows()
    print_rows(columns, rows, output_format)


@main.command("query")
@click.argument("sql")
@db_option
@format_option
def query_command(sql, db, output_format):
    """Run SQL against the warehouse (read-only). Waits for a running ingest's next gap between files."""
    import duckdb

    from cnstat_etl.load.warehouse import Warehouse

    with Warehouse(existing_warehouse(db), read_only=True, wait=_tell_waiting) as warehouse:
        try:
            columns, rows = warehouse.query(sql)
        except duckdb.Error as error:  # a SQL mistake is the user's to fix: show DuckDB's message only
            raise click.ClickException(str(error).splitlines()[0]) from None
    print_rows(columns, rows, output_format)


def _span(text: str, what: str) -> tuple[int, int]:
    """"3-5" -> (3, 5), "7" -> (7, 7)."""
    first, _, last = text.partition("-")
    try:
        span = int(first), int(last or first)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not {what}") from None
    if span[0] > span[1]:
        raise click.BadParameter(f"{text!r} ends before it starts")
    return span


def _page_span(context, parameter, text: str | None) -> tuple[int, int] | None:
    span = _span(text, "a page or a span of pages like 3-5") if text else None
    if span and span[0] < 1:
        raise click.BadParameter(f"{text!r}: pages count from 1")
    return span


def _year_span(context, parameter, text: str) -> tuple[int, int]:
    return _span(text, "a span of years like 2007-2010")


def _optional_year_span(context, parameter, text: str | None) -> tuple[int, int] | None:
    return _year_span(context, parameter, text) if text else None


def _year_spans(context, parameter, texts: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    return tuple(_year_span(context, parameter, text) for text in texts)


@main.command("extract")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pages", default=None, callback=_page_span, help="Only these pages, e.g. 3-5.")
@click.option("--explain", "explain_to", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Write a PNG per PDF page into this folder showing the columns, header band, each "
                   "column's meaning and each row's kind as the parser saw them.")
@year_options
@format_option
@ocr_option
def extract_command(file, pages, explain_to, year, edition, output_format, ocr):
    """Show what FILE would load, with provenance, without touching the warehouse."""
    if ocr:
        _require_extra("--ocr", "rapidocr_onnxruntime", "ocr")
    from cnstat_etl.explain import explain_file
    from cnstat_etl.extract import ExtractOptions, extract_file
    from cnstat_etl.harmonise import roles_of

    options = ExtractOptions(year=year, edition=edition, pages=pages, ocr=ocr)
    result = explain_file(file, options, explain_to) if explain_to else extract_file(file, options)
    roles, row_problems = roles_of(result)
    columns = ["page", "sheet", "row", "column", "row_label", "row_kind", "province_context", "year", "indicator",
               "scope", "value_as_printed", "unit_as_printed"]
    rows = [(v.provenance.page, v.provenance.sheet, v.provenance.row, v.provenance.column, v.row_label,
             roles[v.body_row].kind, roles[v.body_row].province, v.table.year, v.indicator, v.scope,
             v.value_as_printed, v.unit_as_printed) for v in result.values
            if roles[v.body_row].kind != "heading"]
    print_rows(columns, rows, output_format)
    for problem in result.problems + row_problems:
        click.echo(f"{problem.severity}: {problem.location()}: {problem.message}", err=True)
    if result.failed:
        sys.exit(1)


@main.command("resolve")
@click.argument("name")
@click.option("--province", default=None, help="Province context, Chinese or English (江苏, Jiangsu).")
@click.option("--year", type=int, default=None, help="Data year (default: the latest of the code history).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def resolve_command(name, province, year, as_json):
    """Place a printed NAME on the code in force in YEAR; exit 1 with the candidates if it cannot."""
    from cnstat_etl.harmonise.resolver import resolve_name

    answer = resolve_name(name, province=province, year=year)
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=1))
    elif answer["code"]:
        click.echo(f"{answer['code']} {answer['name']} ({answer['level']}, province {answer['province_code']}, "
                   f"valid {answer['valid_from']}-{answer['valid_to'] or ''}) harmonised_code "
                   f"{answer['harmonised_code']} [{answer['match_kind']}]")
    else:
        click.echo(f"{name!r}: {answer['reason']}", err=True)
        for code, candidate in answer["candidates"]:
            click.echo(f"  candidate {code} {candidate}", err=True)
    if not answer["code"]:
        sys.exit(1)


@main.command("lineage")
@click.argument("code")
def lineage_command(code):
    """CODE's history: names by period, predecessors, successors and today's code(s)."""
    from cnstat_etl.harmonise.regions import history_years
    from cnstat_etl.harmonise.resolver import RegionResolver

    history = RegionResolver.default().lineage_of(code)
    if not history.get("periods"):
        years = history_years()
        raise click.ClickException(f"{code} is not in the code history {years[0]}-{years[-1]}")
    click.echo(f"{history['code']} ({history['level']}, province {history['province_code']})")
    for period in history["periods"]:
        click.echo(f"  {period['valid_from']}-{period['valid_to'] or '':4}  {period['name']}  {period['name_en']}")
    for title, key in (("predecessors", "predecessors"), ("successors", "successors")):
        for edge in history[key]:
            weight = "" if edge["weight"] is None else f" weight {edge['weight']:g}"
            click.echo(f"  {title[:-1]}: {edge['code']} {edge['name']} ({edge['kind']} {edge['year']}{weight})")
    targets = ", ".join(f"{code} x{weight:g}" for code, weight in history["harmonised_targets"])
    click.echo(f"  harmonised (latest vintage): {targets}")


@main.command("validate")
@db_option
@format_option
@click.option("--limit", type=int, default=20, show_default=True, help="Rows shown per failed check (table format).")
def validate_command(db, output_format, limit):
    """Check the warehouse (warehouse/checks.toml); exit 1 if an error-level check finds rows."""
    from cnstat_etl.load.validate import validate

    results = validate(existing_warehouse(db), wait=_tell_waiting)
    if output_format == "json":
        click.echo(json.dumps([{"check": r.name, "severity": r.severity, "description": r.description,
                                "passed": r.passed, "rows": [dict(zip(r.columns, row)) for row in r.rows]}
                               for r in results], ensure_ascii=False, default=str, indent=1))
    else:
        for result in results:
            status = "ok" if result.passed else f"{len(result.rows)} {result.severity}s"
            click.echo(f"{result.name:28} {status:14} {result.description}")
            if not result.passed and output_format == "table":
                print_rows(result.columns, result.rows[:limit], "table")
            elif not result.passed:
                print_rows(result.columns, result.rows, "csv")
    if any(r.severity == "error" and not r.passed for r in results):
        sys.exit(1)


@main.command("panel")
@click.option("--period", required=True, callback=_year_span, help="Span of data years, e.g. 2007-2010.")
@db_option
@format_option
def panel_command(period, db, output_format):
    """Per-city means of the panel and analysis variables over a span of years, with years used."""
    from cnstat_etl.load.warehouse import Warehouse

    first, last = period
    with Warehouse(existing_warehouse(db), read_only=True, wait=_tell_waiting) as warehouse:
        columns, rows = warehouse.query(f"SELECT * FROM period_means({first}, {last}) ORDER BY harmonised_code")
    print_rows(columns, rows, output_format)


@main.command("problems")
@click.option("--file", "file", default=None, help="Only problems of this file (its name, path or end of path).")
@click.option("--kind", default=None, help="Only problems of this kind, e.g. unknown_column.")
@db_option
@format_option
def problems_command(file, kind, db, output_format):
    """The problems the ingests recorded and the rows left unresolved, grouped by kind, each located in its file."""
    from cnstat_etl.load.warehouse import Warehouse

    with Warehouse(existing_warehouse(db), read_only=True, wait=_tell_waiting) as warehouse:
        problems = warehouse.problems(file, kind)
    if output_format != "table":
        columns = ["kind", "severity", "source_path", "page", "sheet", "row", "column", "message"]
        print_rows(columns, [(p.kind, p.severity, p.source_file, p.page, p.sheet, p.row, p.column, p.message)
                             for p in problems], output_format)
        return
    for problem_kind, group in itertools.groupby(problems, key=lambda p: p.kind):
        group = list(group)
        click.echo(f"{problem_kind}: {plural(len(group), 'problem')}")
        for problem in group:
            click.echo(f"  {problem.severity}: {problem.location()}: {problem.message}")
    click.echo(f"({plural(len(problems), 'problem')})")


@main.command("export")
@click.option("--format", "file_format", type=click.Choice(FORMATS), required=True, help="File format.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("export"), show_default=True,
              help="Folder to write into.")
@click.option("--vintage", type=int, default=None, help="Units of area as of this year (default: the warehouse's).")
@db_option
def export_command(file_format, out, vintage, db):
    """Write panel and analysis_city (with labels) and a codebook into a folder."""
    from cnstat_etl.load.export import export

    for path in export(existing_warehouse(db), out, file_format, vintage, wait=_tell_waiting):
        click.echo(f"wrote {path}")


@main.command("report")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("report"), show_default=True,
              help="Folder for report.html and figures/*.png.")
@click.option("--vintage", type=int, default=None, help="Units of area of the panel balance (default: the warehouse's).")
@click.option("--indicators", default=None, help="Comma-separated indicator ids (default: every one with values).")
@click.option("--years", default=None, callback=_optional_year_span,
              help="Span of data years, e.g. 2000-2010 (default: all the warehouse holds).")
@click.option("--period", "periods", multiple=True, callback=_year_spans,
              help="Span whose per-city means the panel balance counts, e.g. 2007-2010; repeatable "
                   "(default: warehouse/report/report.toml).")
@db_option
def report_command(out, vintage, indicators, years, periods, db):
    """Write a static HTML coverage report (report.html) and its figures as PNG into a folder."""
    from cnstat_etl.report import ReportOptions, build_report

    options = ReportOptions(vintage=vintage, indicators=tuple(i.strip() for i in (indicators or "").split(",")
                                                              if i.strip()), years=years, periods=periods)
    written = build_report(existing_warehouse(db), out, options, wait=_tell_waiting)
    detail = sum(1 for path in written[1:] if path.suffix == ".html")
    click.echo(f"wrote {written[0]}, {plural(detail, 'page')} of detail beside it and "
               f"{plural(len(written) - 1 - detail, 'figure')} in {written[0].parent / 'figures'}")


@main.group("review")
def review_group() -> None:
    """Check the values OCR doubts: export them with cell crops, apply the corrections."""


@review_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def review_export_command(file, db):
    """Write the cells marked needs_review to FILE (CSV), a crop PNG of each beside it."""
    _require_extra("review export", "rapidocr_onnxruntime", "ocr")  # the crops are cut as OCR cleaned the page
    from cnstat_etl.extract.ocr import write_cell_crop
    from cnstat_etl.load.review import export_review
    from cnstat_etl.load.warehouse import Warehouse

    with Warehouse(existing_warehouse(db), read_only=True, wait=_tell_waiting) as warehouse:
        count = export_review(warehouse, file, write_cell_crop)
    click.echo(f"{plural(count, 'cell')} to review -> {file}; fill the `corrected` column, then "
               f"`cnstat review apply {file}`")


@review_group.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def review_apply_command(file, db):
    """Store the `corrected` values of FILE as overrides that survive re-ingesting their source."""
    from cnstat_etl.load.review import apply_review
    from cnstat_etl.load.warehouse import Warehouse

    with Warehouse(existing_warehouse(db), wait=_tell_waiting) as warehouse:
        count = apply_review(warehouse, file)
    click.echo(f"{plural(count, 'corrected value')} stored and applied")
