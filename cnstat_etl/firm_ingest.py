"""One firm-survey file through the layers: read (extract.firms), recognised and placed (harmonise.firms),
summed and stored (the warehouse's firm methods).

Per file: the header places each field by its known names; a region-code or registration-type column no
name places is recognised by its content and reported for confirmation; the firms stream chunk by chunk
into the warehouse; every distinct printed code is placed once; the warehouse stores the file in one
transaction. A file that cannot be mapped fails with one line naming the columns it has and the line
to add to mappings/firm_survey_columns.csv.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cnstat_etl.extract import file_sha256
from cnstat_etl.extract.firms import FirmFileLayout, iter_chunks, open_firm_file, sample_values
from cnstat_etl.extract.workbook import UnreadableSource
from cnstat_etl.firm_columns import COLUMN_MAP
from cnstat_etl.harmonise import HarmonisedFile
from cnstat_etl.harmonise.firms import (RECOGNISABLE_FIELDS, SAMPLE_ROWS, field_code, place_codes,
                                        recognise_columns, yuan_factors)
from cnstat_etl.harmonise.units import IncompatibleUnit, UnknownUnit
from cnstat_etl.load.firms import FirmDuplicates, FirmFile
from cnstat_etl.load.staging import StagedFile
from cnstat_etl.load.warehouse import Warehouse
from cnstat_etl.model import ExtractResult, Problem, ProblemKind, Severity

CODED_FIELDS = ("registration_type", "holding_status")  # printed as codes or as their names


@dataclass
class FirmFileResult:
    year: int | None = None
    firms: int = 0
    firms_placed: int = 0
    sales: float = 0.0
    sales_placed: float = 0.0
    failure_reason: str = ""
    problems: list[Problem] = field(default_factory=list)


def _line_to_add(layout: FirmFileLayout, field_name: str, name: str) -> str:
    return f'"{layout.year},{field_name},{name}," to mappings/{COLUMN_MAP}'


def _mapped(layout: FirmFileLayout) -> list[Problem]:
    """Place the required fields no name placed on the columns their content fits; the guesses, as
    problems. Raises UnreadableSource when a required field is still without a column."""
    missing = [f for f in layout.missing() if f in RECOGNISABLE_FIELDS]
    recognised, ambiguous = recognise_columns(sample_values(layout, layout.unnamed, SAMPLE_ROWS), missing)
    problems = []
    for found in recognised:
        layout.place(found.field, found.column)
        problems.append(Problem(
            ProblemKind.GUESSED_COLUMN,
            f"column {found.column!r} read as {found.field} by its content ({found.share:.0%} of "
            f"{found.sampled} values sampled fit): to confirm, add {_line_to_add(layout, found.field, found.column)}",
            layout.path.name))
    for field_name in layout.missing():
        named = layout.preferred_name(field_name)
        what = f"{field_name} ({named})" if named else field_name
        if field_name in ambiguous:
            raise UnreadableSource(f"no column for {what}: the content of {', '.join(ambiguous[field_name])} fits "
                                   f"it; add {_line_to_add(layout, field_name, '<the one that holds it>')}")
        raise UnreadableSource(f"no column for {what} among the columns {', '.join(layout.seen)}; if one of them "
                               f"holds it, add {_line_to_add(layout, field_name, '<its name>')}")
    problems += [Problem(ProblemKind.MISSING_COLUMN,
                         f"no column for {m.field} ({m.name}) in {layout.year}: its sums are not loaded; if a "
                         f"column holds it, add {_line_to_add(layout, m.field, '<its name>')}",
                         layout.path.name) for m in layout.absent]
    problems += [Problem(ProblemKind.AMBIGUOUS_COLUMN, f"columns {', '.join(others)} also name {field_name}: "
                         f"{layout.columns[field_name]!r} is read", layout.path.name)
                 for field_name, others in layout.passed_over.items()]
    return problems


def _duplicates_problem(duplicates: FirmDuplicates, name: str) -> list[Problem]:
    if not duplicates.records:
        return []
    return [Problem(ProblemKind.DUPLICATE_FIRM, f"{duplicates.firm_ids} firm ids have more than one record "
                    f"({duplicates.records} records more, e.g. {', '.join(duplicates.examples)}): each firm is "
                    "counted once, by its first record; firm_duplicates lists the others", name)]


def _placements(values: list[str | None], year: int) -> pd.DataFrame:
    placed = place_codes(list[object](values), year)
    return pd.DataFrame({"code": pd.Series(values, dtype=object),
                         "city": pd.Series([p.region_code for p in placed], dtype=object),
                         "how": pd.Series([p.how for p in placed], dtype=object),
                         "reason": pd.Series([p.reason for p in placed], dtype=object)})


def _codes(warehouse: Warehouse, fields: set[str], name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Each printed registration type and holding status read as its code; the ones that are not codes,
    as problems (their firms count among all firms, in no group defined by the field)."""
    rows, problems = [], []
    for field_name in CODED_FIELDS:
        if field_name not in fields:
            continue
        values = warehouse.staged_firm_values(field_name)
        read = {v: field_code(field_name, v) for v in values}
        rows += [(field_name, v, code) for v, code in read.items() if v is not None]
        unread = sorted(str(v) for v, code in read.items() if code is None and v is not None)
        if unread:
            problems.append(Problem(ProblemKind.UNREADABLE_CODE, f"{field_name} printed as {', '.join(unread[:5])}"
                                    f"{' ...' if len(unread) > 5 else ''}: not a code; those firms are in no group "
                                    f"it defines", name))
    return pd.DataFrame(rows, columns=["field", "printed", "code"], dtype=object), problems


def load_firm_file(warehouse: Warehouse, path: Path, source_path: str, sha256: str,
                   year: int | None = None, harmonised_with: str | None = None) -> FirmFileResult:
    """Load one firm file read from `source_path` (absolute, its identity with the content hash `sha256`);
    a file that cannot be read is recorded as failed with a one-line reason. `harmonised_with` is the
    digest of the mappings/ it is placed under (see `Warehouse.harmonised_otherwise`)."""
    path = Path(path)
    result = FirmFileResult()
    try:
        layout = open_firm_file(path, year)
        problems = _mapped(layout)
        factors = yuan_factors(layout.units)
        sha256 = sha256 or file_sha256(path)
    except (UnreadableSource, UnknownUnit, IncompatibleUnit, OSError) as error:
        return _failed(warehouse, path, source_path, sha256, result, str(error))
    except Exception as error:  # a reader library choking on a corrupt file: report it, keep going
        return _failed(warehouse, path, source_path, sha256, result, f"{type(error).__name__}: {error}".splitlines()[0])
    result.year = layout.year
    try:
        problems += _duplicates_problem(warehouse.stage_firms(iter_chunks(layout), factors), path.name)
        placements = _placements(warehouse.staged_firm_values("region_code"), layout.year)
        codes, unread = _codes(warehouse, set(layout.columns), path.name)
        record = FirmFile(source_path, sha256, layout.year, layout.file_format, layout.columns, harmonised_with)
        problems += unread
        counts = warehouse.store_firm_file(record, placements, codes, problems)
    except Exception as error:
        return _failed(warehouse, path, source_path, sha256, FirmFileResult(year=layout.year),
                       f"{type(error).__name__}: {error}".splitlines()[0])
    result.firms, result.firms_placed = counts.firms, counts.firms_placed
    result.sales, result.sales_placed = counts.sales, counts.sales_placed
    result.problems = problems
    return result


def _failed(warehouse: Warehouse, path: Path, source_path: str, sha256: str, result: FirmFileResult,
            reason: str) -> FirmFileResult:
    result.failure_reason = reason
    extracted = ExtractResult(path.name, sha256, "firms")
    extracted.problems.append(Problem(ProblemKind.UNREADABLE_FILE, reason, path.name, severity=Severity.ERROR))
    warehouse.load_file(source_path, sha256, StagedFile.of(extracted, HarmonisedFile()))
    result.problems = extracted.problems
    return result
