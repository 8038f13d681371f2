"""The `cnstat` command. Each command parses its options and calls one library function."""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from pathlib import Path

import click
import duckdb

from cnstat_etl.config import default_db_path
from cnstat_etl.extract import ExtractOptions, extract_file
from cnstat_etl.harmonise import roles_of
from cnstat_etl.harmonise.resolver import RegionResolver, resolve_name
from cnstat_etl.load.export import FORMATS, export
from cnstat_etl.load.review import ReviewError, apply_review, export_review
from cnstat_etl.load.validate import validate
from cnstat_etl.load.warehouse import Warehouse, WarehouseBusy
from cnstat_etl.pipeline import FileOutcome, ingest


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


@click.group()
def main() -> None:
    """cnstat-etl: Chinese statistical yearbook tables into a harmonised DuckDB city-year panel."""


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _show_progress(index: int, total: int, outcome: FileOutcome) -> None:
    prefix = f"[{index}/{total}]"
    if outcome.status == "failed":
        click.secho(f"{prefix} FAILED    {outcome.path}: {outcome.reason}", fg="red", err=True)
    elif outcome.status == "unchanged":
        click.echo(f"{prefix} unchanged {outcome.path} (already loaded)")
    else:
        click.echo(f"{prefix} loaded    {outcome.path}: {plural(outcome.tables, 'table')}, {outcome.values} values, "
                   f"{outcome.unresolved} unresolved rows, {outcome.errors} errors, {outcome.warnings} warnings")


@main.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@db_option
@year_options
@click.option("--jobs", type=int, default=None, help="Worker processes for extraction (default: up to 4).")
@click.option("--vintage", type=int, default=None,
              help="Year whose units the harmonised views use (default: kept; new warehouses take the latest).")
@ocr_option
def ingest_command(paths, db, year, edition, jobs, vintage, ocr):
    """Ingest files and folders (the bundled samples when no PATH is given)."""
    db = db or default_db_path()
    try:
        summary = ingest(list(paths) or None, db, ExtractOptions(year=year, edition=edition, ocr=ocr), jobs,
                         _show_progress,
                         vintage)
    except WarehouseBusy as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{len(summary.files)} files: {summary.count('loaded')} loaded, {summary.count('unchanged')} unchanged, "
        f"{summary.count('failed')} failed; {summary.tables} tables, {summary.values} values, "
        f"{summary.unresolved} unresolved rows, {summary.problems} problems -> {db}")
    if summary.count("failed"):
        for outcome in summary.files:
            if outcome.status == "failed":
                click.echo(f"  failed: {outcome.path}: {outcome.reason}", err=True)
        sys.exit(1)


@main.command("query")
@click.argument("sql")
@db_option
@format_option
def query_command(sql, db, output_format):
    """Run SQL against the warehouse (read-only)."""
    db = db or default_db_path()
    if not db.exists():
        raise click.ClickException(f"no warehouse at {db}: run `cnstat ingest` first")
    try:
        with Warehouse(db, read_only=True) as warehouse:
            columns, rows = warehouse.query(sql)
    except WarehouseBusy as error:
        raise click.ClickException(str(error)) from None
    except duckdb.Error as error:  # a SQL mistake is the user's to fix: show DuckDB's message only
        raise click.ClickException(str(error).splitlines()[0]) from None
    print_rows(columns, rows, output_format)


def _page_range(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    first, _, last = text.partition("-")
    return int(first), int(last or first)


@main.command("extract")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pages", default=None, help="Only these pages, e.g. 3-5.")
@click.option("--explain", "explain_to", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Write a PNG per PDF page into this folder showing the columns, header band, each "
                   "column's meaning and each row's kind as the parser saw them.")
@year_options
@format_option
@ocr_option
def extract_command(file, pages, explain_to, year, edition, output_format, ocr):
    """Show what FILE would load, with provenance, without touching the warehouse."""
    result = extract_file(file, ExtractOptions(year=year, edition=edition, pages=_page_range(pages), ocr=ocr),
                          explain_to)
    roles, row_problems = roles_of(result)
    columns = ["page", "sheet", "row", "column", "row_label", "row_kind", "province", "year", "indicator", "scope",
               "value_as_printed", "unit_as_printed"]
    rows = [(v.provenance.page, v.provenance.sheet, v.provenance.row, v.provenance.column, v.row_label,
             roles[v.body_row].kind, roles[v.body_row].province, v.table.year, v.indicator, v.scope,
             v.value_as_printed, v.unit_as_printed) for v in result.values
            if roles[v.body_row].kind not in ("heading", "county")]
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
    answer = resolve_name(name, province=province, year=year)
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=1))
    elif answer["code"]:
        click.echo(f"{answer['code']} {answer['name']} ({answer['level']}, province {answer['province_code']}, "
                   f"valid {answer['valid_from']}-{answer['valid_to'] or ''}) harmonised "
                   f"{answer['harmonised']} [{answer['match_kind']}]")
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
    history = RegionResolver.default().lineage_of(code)
    if not history.get("periods"):
        raise click.ClickException(f"{code} is not in the code history 1981-2024")
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
    db = db or default_db_path()
    if not db.exists():
        raise click.ClickException(f"no warehouse at {db}: run `cnstat ingest` first")
    try:
        results = validate(db)
    except WarehouseBusy as error:
        raise click.ClickException(str(error)) from None
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
@click.option("--period", required=True, help="Span of data years, e.g. 2007-2010.")
@db_option
@format_option
def panel_command(period, db, output_format):
    """Per-city means of the panel and analysis variables over a span of years, with years used."""
    first, last = _year_span(period)
    db = db or default_db_path()
    try:
        with Warehouse(db, read_only=True) as warehouse:
            columns, rows = warehouse.query(f"SELECT * FROM period_means({first}, {last}) ORDER BY harmonised_code")
    except WarehouseBusy as error:
        raise click.ClickException(str(error)) from None
    print_rows(columns, rows, output_format)


def _year_span(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    try:
        return int(first), int(last or first)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a span of years like 2007-2010", param_hint="--period") from None


@main.command("export")
@click.option("--format", "file_format", type=click.Choice(FORMATS), required=True, help="File format.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("export"), show_default=True,
              help="Folder to write into.")
@click.option("--vintage", type=int, default=None, help="Units of area as of this year (default: the warehouse's).")
@db_option
def export_command(file_format, out, vintage, db):
    """Write panel and analysis_city (with labels) and a codebook into a folder."""
    db = db or default_db_path()
    if not db.exists():
        raise click.ClickException(f"no warehouse at {db}: run `cnstat ingest` first")
    try:
        written = export(db, out, file_format, vintage)
    except (WarehouseBusy, ValueError) as error:
        raise click.ClickException(str(error)) from None
    for path in written:
        click.echo(f"wrote {path}")


@main.group("review")
def review_group() -> None:
    """Check the values OCR doubts: export them with cell crops, apply the corrections."""


@review_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def review_export_command(file, db):
    """Write the cells marked needs_review to FILE (CSV), a crop PNG of each beside it."""
    db = db or default_db_path()
    if not db.exists():
        raise click.ClickException(f"no warehouse at {db}: run `cnstat ingest` first")
    try:
        with Warehouse(db) as warehouse:
            count = export_review(warehouse, file)
    except WarehouseBusy as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{count} cells to review -> {file}; fill the `corrected` column, then `cnstat review apply {file}`")


@review_group.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def review_apply_command(file, db):
    """Store the `corrected` values of FILE as overrides that survive re-ingesting their source."""
    db = db or default_db_path()
    try:
        with Warehouse(db) as warehouse:
            count = apply_review(warehouse, file)
    except (WarehouseBusy, ReviewError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{count} corrected values stored and applied -> {db}")
