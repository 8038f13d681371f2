"""What each printed row of a table is: a place, a province heading or subtotal, a total, a county.

Extract hands over the rows as printed (label, indentation, whether they hold values); deciding what
they are takes the code history, so it happens here. Rows are read in order, as a reader would: a
province printed alone sets the province for the rows under it, a row indented under a place is a
county of it, and a row indented under a province is one of its places even when it shares the
province's name (吉 林 under 吉林省).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnstat_etl.harmonise.regions import CITY_LEVELS, MUNICIPALITY_CODES
from cnstat_etl.harmonise.resolver import RegionResolver
from cnstat_etl.model import BodyRow, Problem


@dataclass(frozen=True)
class RowRole:
    kind: str  # unit (a place), heading (a province printed alone), subtotal (a province's row of values),
    # total (全省, 合计), county (printed under its prefecture) or own_level (长沙市本级: not the place)
    province: str | None  # the province printed above the row (its name as printed), the resolver's context
    parent: str | None = None  # a county row's prefecture as printed above it: the county's context


@dataclass
class _Outline:
    """Rows with a label seen so far in one table, as (indentation, kind, label): a row's parent is the
    nearest one printed less indented."""

    entries: list[tuple[int, str, str]]

    def place(self, indentation: int, kind: str, label: str) -> tuple[str, str] | None:
        while self.entries and self.entries[-1][0] >= indentation:
            self.entries.pop()
        parent = self.entries[-1][1:] if self.entries else None
        self.entries.append((indentation, kind, label))
        return parent


def row_roles(rows: list[BodyRow], years: dict[int, int | None], source: str,
              resolver: RegionResolver | None = None) -> tuple[list[RowRole], list[Problem]]:
    """The role of each row, in the order given; `years` maps a table's index to its data year."""
    resolver = resolver or RegionResolver.default()
    roles: list[RowRole] = []
    problems: list[Problem] = []
    table, province, outline = None, None, _Outline([])
    for row in rows:
        if row.table != table:
            table, province, outline = row.table, None, _Outline([])
        where = dict(source_file=source, page=row.page, sheet=row.sheet, row=row.row)
        if row.own_level:
            # Not in the outline: the counties printed under "长沙市本级" are 长沙市's.
            roles.append(RowRole("own_level", province))
            continue
        if row.standalone:
            role, problem = _standalone_role(row, where, years.get(row.table), resolver)
            roles.append(role)
            problems += [problem] if problem else []
            continue
        if row.total:
            # Totals are not places; their values are kept apart to check the places' sum against.
            problems.append(Problem("skipped_row", f"aggregate row {row.label!r} is not a prefecture", **where))
            roles.append(RowRole("total", province))
            continue
        province_code = resolver.resolve_province(row.name) or resolver.resolve_cut_province(row.label) \
            or _misread_province(row, years.get(row.table), resolver)
        if province_code and province_code not in MUNICIPALITY_CODES and not _namesake_place(
                row, province_code, province, outline, years.get(row.table), resolver):
            # a name cut short resolves with its English only: the province its rows are placed in is the label's
            province = row.name if resolver.resolve_province(row.name) else row.label
            outline.place(row.indentation, "province", row.label)
            if row.has_values:
                problems.append(Problem("skipped_row", f"province subtotal row {row.label!r}", **where))
            roles.append(RowRole("subtotal" if row.has_values else "heading", province))
            continue
        if province_code:
            # A municipality is its own province and a prefecture-level unit: its row loads, blank or not.
            province = row.name
        parent = outline.place(row.indentation, "unit", row.label)
        if parent and parent[0] == "unit":
            # Districts and counties printed indented under their prefecture (or a municipality): the
            # county panel's, placed with that prefecture as their context.
            roles.append(RowRole("county", province, parent[1]))
            continue
        roles.append(RowRole("unit", province))
    return roles, problems


def _misread_province(row: BodyRow, year: int | None, resolver: RegionResolver) -> str | None:
    """A heading row (no values) whose Chinese names no place at all, a scan's misreading ("斤江省 Zhejiang",
    "档 Jilin"): the province its English names, or None. Else the cities under it would be sought in the
    province before it, and none placed."""
    if row.has_values or year is None or not row.name.strip():
        return None
    read = resolver.resolve(row.name, year=year)
    return resolver.resolve_province(row.label) if read.code is None and not read.candidates else None


def _standalone_role(row: BodyRow, where: dict, year: int | None,
                     resolver: RegionResolver) -> tuple[RowRole, Problem | None]:
    """A panel's row: a total by its words, a province (not a municipality, not a city of that name such
    as 吉林市) as a subtotal, else a place."""
    if row.total:
        return RowRole("total", row.province), Problem("skipped_row", f"aggregate row {row.label!r} is not a "
                                                       "prefecture", **where)
    province_code = resolver.resolve_province(row.name)
    place = resolver.resolve(row.name, year=year, province=row.province) if province_code else None
    if province_code and province_code not in MUNICIPALITY_CODES and not (
            place and place.code and place.level in CITY_LEVELS):
        return (RowRole("subtotal" if row.has_values else "heading", row.province),
                Problem("skipped_row", f"province row {row.label!r} is not a prefecture", **where))
    return RowRole("unit", row.province), None


def _namesake_place(row: BodyRow, province_code: str, province: str | None, outline: _Outline,
                    year: int | None, resolver: RegionResolver) -> bool:
    """A row naming a province that is one of its places: 吉 林 printed under 吉林省.

    Indented under a province row it cannot be a province. Printed flush after that very province's row,
    it is a place when the resolver finds a city-level unit of that name in the province; otherwise
    (吉林省 repeated on a continuation page) it stays the province.
    """
    under = [entry for entry in outline.entries if entry[0] < row.indentation]
    if under and under[-1][1] == "province":
        return True
    if province is None or resolver.resolve_province(province) != province_code:
        return False
    place = resolver.resolve(row.name, year=year, province=province)
    return place.code is not None and place.level in CITY_LEVELS
