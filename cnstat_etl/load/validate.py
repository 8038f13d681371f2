"""`cnstat validate`: the checks in warehouse/checks.toml, run against a warehouse, as typed findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cnstat_etl.config import validate_checks
from cnstat_etl.load.warehouse import Warehouse, open_to_read


@dataclass(frozen=True)
class CheckResult:
    name: str
    severity: str  # error / warning
    description: str
    columns: list[str]
    rows: list[tuple]

    @property
    def passed(self) -> bool:
        return not self.rows


def run_checks(warehouse: Warehouse) -> list[CheckResult]:
    results = []
    for check in validate_checks():
        columns, rows = warehouse.query(check.sql)
        results.append(CheckResult(check.name, check.severity, check.description, columns, rows))
    return results


def validate(db_path: Path, wait: Callable[[str | None], None] | None = None) -> list[CheckResult]:
    with open_to_read(db_path, wait) as warehouse:
        return run_checks(warehouse)
