"""Spreadsheets (xlsx, xls, HTML or CSV saved as .xls): split each sheet into tables, `tables` reads them.

A sheet may hold one table, a table continued over several printed pages ("2-9 续表 1", header repeated),
or several tables stacked one under another. Rows holding a single line of text are title, unit, note or
continuation lines; a title line with a new table number starts a new table.
"""

from __future__ import annotations

import re

from cnstat_etl.config import layout
from cnstat_etl.extract.tables import Block, ExtractOptions, TableAssembler, is_continuation
from cnstat_etl.text import fold, matches_prefix
from cnstat_etl.extract.workbook import Grid
from cnstat_etl.model import ExtractResult


def spread_merged(grid: Grid) -> list[list[str]]:
    cells = [list(row) for row in grid.rows]
    for first_row, last_row, first_col, last_col in grid.merged:
        if first_row >= len(cells):
            continue
        text = cells[first_row][first_col]
        for r in range(first_row, min(last_row, len(cells) - 1) + 1):
            for c in range(first_col, last_col + 1):
                cells[r][c] = text
    return cells


def _single_line(row: list[str]) -> str | None:
    filled = [cell for cell in row if fold(cell)]
    return filled[0] if len(filled) == 1 else None


def _is_line_row(text: str) -> bool:
    """A one-cell row that is a title, unit, continuation or note line rather than a table row."""
    folded = fold(text)
    return bool(
        re.match(layout()["table_number_pattern"], folded)
        or re.match(layout()["unit_line_pattern"], folded)
        or is_continuation([folded])
        or matches_prefix(folded, layout()["footnote_prefixes"])
    )


def split_segments(grid: Grid) -> list[tuple[list[str], list[int]]]:
    """(lines above, grid rows) per stretch of the sheet: a new stretch begins at each title line."""
    segments: list[tuple[list[str], list[int]]] = []
    lines: list[str] = []
    rows: list[int] = []
    for index, row in enumerate(grid.rows):
        line = _single_line(row)
        at_top = not rows
        if line is not None and (at_top or _is_line_row(line)):
            if rows and not matches_prefix(line, layout()["footnote_prefixes"]):
                segments.append((lines, rows))
                lines, rows = [], []
            if not matches_prefix(line, layout()["footnote_prefixes"]):
                lines.append(line)
            continue
        if not rows and not any(fold(cell) for cell in row):
            continue  # blank rows between the title and the header
        rows.append(index)
    if rows:
        segments.append((lines, rows))
    return segments


def extract_grids(grids: list[Grid], source: str, sha256: str, file_format: str,
                  options: ExtractOptions) -> ExtractResult:
    result = ExtractResult(source, sha256, file_format)
    for grid in grids:
        cells = spread_merged(grid)
        tables = TableAssembler(result, options)
        for lines, rows in split_segments(grid):
            tables.add(Block(lines, [cells[i] for i in rows], [i + 1 for i in rows],
                             list(range(1, len(grid.rows[0]) + 1)), sheet=grid.name))
        tables.finish_table()
    return result
