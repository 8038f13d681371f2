"""Small provincial-yearbook-style workbooks written with real openpyxl, for tests that need one table."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook


def write_table(path: Path, title: str, headers: list[str], rows: list[list], unit_line: str | None = None) -> Path:
    """A sheet with a title row, an optional unit row, one header row and the given rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "表1"
    sheet.append([title])
    if unit_line:
        sheet.append([unit_line])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path
