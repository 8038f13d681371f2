"""Spreadsheets (xlsx, xls, HTML or CSV saved as .xls): split each sheet into tables, `tables` reads them.

A sheet may hold one table, a table continued over several printed pages ("2-9 续表 1", header repeated),
or several tables stacked one under another. Rows holding a single line of text are title, unit, note or
continuation lines; a title line with a new table number starts a new table.
"""

from __future__ import annotations

from cnstat_etl.config import layout
from cnstat_etl.extract.tables import (Block, ExtractOptions, TableAssembler, find_header_rows, find_label_columns,
                                      is_continuation, scope_only)
from cnstat_etl.text import fold, is_missing, matches_prefix, parse_number
from cnstat_etl.extract.workbook import Grid
from cnstat_etl.indicators import match_header
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


def spread_unmerged_pairs(rows: list[list[str]]) -> list[list[str]]:
    """A table's rows with each group header that spans a 全市 / 市辖区 pair but was written in the pair's
    first column only (its merge lost, as in a sheet saved without merges) spread over the pair, as a merge
    would be: a column naming only a scope, under header cells all blank, takes the header cells of the
    column to its left where that one names a group above another scope."""
    header_rows = find_header_rows(rows)
    width = len(rows[0]) if rows else 0
    spread = [list(row) for row in rows]
    for column in range(len(find_label_columns(rows, header_rows)) + 1, width):
        scope_row = next((r for r in range(header_rows) if scope_only(rows[r][column])), None)
        if scope_row is None or any(fold(rows[r][column]) for r in range(scope_row)):
            continue
        left = column - 1
        if (scope_only(rows[scope_row][left]) not in (None, scope_only(rows[scope_row][column]))
                and any(fold(rows[r][left]) for r in range(scope_row))):
            for r in range(scope_row):
                spread[r][column] = rows[r][left]
    return spread


def _single_line(row: list[str]) -> str | None:
    filled = [cell for cell in row if fold(cell)]
    return filled[0] if len(filled) == 1 else None


def _starts_a_header(rows: list[list[str]], index: int) -> bool:
    """A one-cell row that is a header's top line over its column ("出口总额" above "（万元）", or "年末户"
    above "籍人口"), not a title: its cell stands over a later column, not in the first, and names an
    indicator alone or run on with the cell under it."""
    column = next(c for c, cell in enumerate(rows[index]) if fold(cell))
    if column == 0:
        return False
    text = fold(rows[index][column])
    below = fold(rows[index + 1][column]) if index + 1 < len(rows) else ""
    return any(match_header(words, None) for words in (text, text + below))


def _heads_a_continued_body(rows: list[list[str]], index: int, lines: list[str]) -> bool:
    """A one-cell row under a continuation line with a row of numbers right under it: the province row
    heading a continued page that repeats no header ("吉林省" over "四 平 | 16185"), not a line."""
    below = rows[index + 1] if index + 1 < len(rows) else []
    return is_continuation(lines) and any(parse_number(cell).ok and not is_missing(cell) for cell in below[1:])


def _is_line_row(text: str) -> bool:
    """A one-cell row that is a title, unit, continuation or note line rather than a table row."""
    folded = fold(text)
    return bool(
        layout().table_number_pattern.match(folded)
        or layout().unit_line_pattern.match(folded)
        or is_continuation([folded])
        or matches_prefix(folded, layout().footnote_prefixes)
    )


def _is_title_row(row: list[str]) -> bool:
    """A row of several cells above a table that are its title lines side by side, not header cells: one is
    a title or unit line and none is a number ("2-1人口数 | Household Resident Population", "中国2020年
    地级以上城市数据 | 2-7 地区生产总值")."""
    filled = [cell for cell in row if fold(cell)]
    return any(map(_is_line_row, filled)) and not any(parse_number(cell).ok for cell in filled)


def split_segments(grid: Grid) -> list[tuple[list[str], list[int]]]:
    """(lines above, grid rows) per stretch of the sheet: a new stretch begins at each title line."""
    segments: list[tuple[list[str], list[int]]] = []
    lines: list[str] = []
    rows: list[int] = []
    for index, row in enumerate(grid.rows):
        line = _single_line(row)
        at_top = not rows
        if at_top and line is None and _is_title_row(row):
            lines += [cell for cell in row if fold(cell)]
            continue
        if line is not None and ((at_top and not _starts_a_header(grid.rows, index)
                                  and not _heads_a_continued_body(grid.rows, index, lines)) or _is_line_row(line)):
            if rows and not matches_prefix(line, layout().footnote_prefixes):
                segments.append((lines, _without_trailing_blanks(grid, rows)))
                lines, rows = [], []
            if not matches_prefix(line, layout().footnote_prefixes):
                lines.append(line)
            continue
        if not rows and not any(fold(cell) for cell in row):
            continue  # blank rows between the title and the header
        rows.append(index)
    if rows:
        segments.append((lines, _without_trailing_blanks(grid, rows)))
    return segments


def _without_trailing_blanks(grid: Grid, rows: list[int]) -> list[int]:
    """A stretch's rows less the blank ones at its end (spacers before a page break): a stretch holding
    no number would otherwise count them into its header, and take its last row for a header too."""
    end = len(rows)
    while end and not any(fold(cell) for cell in grid.rows[rows[end - 1]]):
        end -= 1
    return rows[:end]


def extract_grids(grids: list[Grid], source: str, sha256: str, file_format: str,
                  options: ExtractOptions) -> ExtractResult:
    result = ExtractResult(source, sha256, file_format)
    for grid in grids:
        cells = spread_merged(grid)
        tables = TableAssembler(result, options)
        for lines, rows in split_segments(grid):
            tables.add(Block(lines, spread_unmerged_pairs([cells[i] for i in rows]), [i + 1 for i in rows],
                             list(range(1, len(grid.rows[0]) + 1)), sheet=grid.name))
        tables.finish_table()
    return result
