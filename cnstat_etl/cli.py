"""The `cnstat` command. Each command parses its options and calls one library function."""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from pathlib import Path

import click

from cnstat_etl.config import default_db_path
from cnstat_etl.extract import ExtractOptions, extract_file
from cnstat_etl.load.warehouse import Warehouse
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
def ingest_command(paths, db, year, edition, jobs):
    """Ingest files and folders (the bundled samples when no PATH is given)."""
    db = db or default_db_path()
    summary = ingest(list(paths) or None, db, ExtractOptions(year=year, edition=edition), jobs, _show_progress)
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
    with Warehouse(db, read_only=True) as warehouse:
        try:
            columns, rows = warehouse.query(sql)
        except Exception as error:  # a SQL mistake is the user's to fix: show DuckDB's message only
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
@year_options
@format_option
def extract_command(file, pages, year, edition, output_format):
    """Show what FILE would load, with provenance, without touching the warehouse."""
    result = extract_file(file, ExtractOptions(year=year, edition=edition, pages=_page_range(pages)))
    columns = ["page", "sheet", "row", "column", "row_label", "province", "year", "indicator", "scope",
               "value_as_printed", "unit_as_printed"]
    rows = [(v.provenance.page, v.provenance.sheet, v.provenance.row, v.provenance.column, v.row_label,
             v.province_context, v.table.year, v.indicator, v.scope, v.value_as_printed, v.unit_as_printed)
            for v in result.values]
    print_rows(columns, rows, output_format)
    for problem in result.problems:
        click.echo(f"{problem.severity}: {problem.location()}: {problem.message}", err=True)
    if result.failed:
        sys.exit(1)
