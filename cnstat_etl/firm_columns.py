"""What the firm survey's files call their fields, as data: read by extract (which column is which),
harmonise (codes printed as words) and load (which fields are summable measures).

mappings/firm_survey_columns.csv lists every name a field is known by, with the year that prefers it
(blank: a name some vendor's files use, preferred in no year) and the unit its values are printed in.
A column name is not tied to a year: every name of a field is read as that field in any year, and the
year's own name only decides between two columns that both name it.
mappings/firm_code_names.csv gives the words files print instead of a code (中外合资经营企业 for 310).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cnstat_etl.config import read_mapping_csv
from cnstat_etl.errors import MappingError
from cnstat_etl.text import squash

COLUMN_MAP = "firm_survey_columns.csv"
CODE_NAMES = "firm_code_names.csv"


@dataclass(frozen=True)
class MappedColumn:
    year: int | None  # the year that prefers this name; None for a vendor's name no year prefers
    field: str
    name: str
    unit: str  # the unit the values are printed in ("" for codes)


@lru_cache(maxsize=1)
def mapped_columns() -> tuple[MappedColumn, ...]:
    columns = tuple(MappedColumn(int(row["year"]) if row["year"] else None, row["field"], row["column"], row["unit"])
                    for row in read_mapping_csv(COLUMN_MAP))
    fields: dict[str, str] = {}
    for column in columns:
        if fields.setdefault(squash(column.name), column.field) != column.field:
            raise MappingError(f"{column.name!r} in mappings/{COLUMN_MAP} names both {fields[squash(column.name)]} "
                               f"and {column.field}")
    return columns


@lru_cache(maxsize=1)
def column_map() -> dict[int, tuple[MappedColumn, ...]]:
    """Survey year -> the names that year prefers, one per field it has."""
    by_year: dict[int, list[MappedColumn]] = {}
    for column in mapped_columns():
        if column.year is not None:
            by_year.setdefault(column.year, []).append(column)
    return {year: tuple(columns) for year, columns in by_year.items()}


@lru_cache(maxsize=1)
def field_of_name() -> dict[str, MappedColumn]:
    """Every known name, squashed -> its row (the first one listing it)."""
    found: dict[str, MappedColumn] = {}
    for column in mapped_columns():
        found.setdefault(squash(column.name), column)
    return found


@lru_cache(maxsize=1)
def measures() -> tuple[str, ...]:
    """Fields printed with a unit: the summable measures, all in yuan once loaded."""
    return tuple(sorted({c.field for c in mapped_columns() if c.unit}))


@lru_cache(maxsize=1)
def code_names() -> dict[str, dict[str, str]]:
    """field -> {name printed instead of the code, squashed: code}."""
    names: dict[str, dict[str, str]] = {}
    for row in read_mapping_csv(CODE_NAMES):
        names.setdefault(row["field"], {})[squash(row["name"])] = row["code"]
    return names
