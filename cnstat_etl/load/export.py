"""`cnstat export`: the panel and analysis_city as Parquet, CSV or Stata files, with a codebook.

Labels and units travel with the data: variable labels in the .dta (what Stata's `describe` shows), a
JSON column dictionary in the Parquet key-value metadata (key `cnstat_columns`), and codebook.csv /
codebook.md beside them, written from mappings/indicators.csv and warehouse/analysis_variables.toml.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cnstat_etl.errors import UserError, naming_the_path

if TYPE_CHECKING:  # DuckDB is imported by the export itself: `cnstat --help` reads FORMATS without it
    from cnstat_etl.load.warehouse import Warehouse

FORMATS = ("parquet", "csv", "dta")
RELATIONS = {"panel": "panel_at", "analysis_city": "analysis_city_at"}
STATA_LABEL_LIMIT = 80  # characters Stata keeps of a variable label

KEY_LABELS = {
    "harmonised_code": ("City code (GB/T 2260) in the target vintage", "城市代码（目标年份区划）", ""),
    "year": ("Data year", "数据年份", "year"),
    "scope": ("city_total = whole city (全市); urban_districts = 市辖区", "统计口径", ""),
    "name_zh": ("City name, Chinese", "城市名称", ""),
    "name_en": ("City name, pinyin", "城市英文名", ""),
    "province_code": ("Province code", "省级代码", ""),
    "province_zh": ("Province name, Chinese", "省份", ""),
    "province_en": ("Province name, pinyin", "省份英文名", ""),
    "cny_per_usd": ("Annual average exchange rate, yuan per US dollar", "人民币对美元年平均汇率", "CNY/USD"),
}


@dataclass(frozen=True)
class Variable:
    name: str
    label_en: str
    label_zh: str
    unit: str
    definition: str  # formula, or where the values come from
    sources: str  # source tables the values were read from


def codebook(warehouse: Warehouse, columns: list[str]) -> list[Variable]:
    indicators = {row[0]: row[1:] for row in warehouse.rows(
        "SELECT id, name_en, name_zh, canonical_unit, additive FROM indicators")}
    sources = dict(warehouse.rows(
        "SELECT indicator, string_agg(DISTINCT source_file || ' / ' || table_title, '; ') "
        "FROM observations GROUP BY indicator"))
    from cnstat_etl.load.firms import firm_codebook  # pandas and the firm reader: only an export needs them
    from cnstat_etl.load.panel import analysis_variables

    variables = {v["name"]: v for v in analysis_variables()}
    firm_columns = firm_codebook()
    book = []
    for column in columns:
        if column in variables:
            v = variables[column]
            inputs = sources.get(column, "") if column in indicators else ""
            book.append(Variable(column, v["label_en"], v["label_zh"], v["unit"], v["formula"], inputs))
        elif column in indicators:
            name_en, name_zh, unit, additive = indicators[column]
            how = "summed over merged units, allocated by lineage weight for split units" if additive else \
                "kept only where one whole unit maps onto the city, never summed"
            book.append(Variable(column, name_en, name_zh, unit, f"printed value in base units; {how}",
                                 sources.get(column, "")))
        elif column in firm_columns:
            label_en, label_zh, unit, definition = firm_columns[column]
            book.append(Variable(column, label_en, label_zh, unit, definition, "firm survey files (firm_files)"))
        else:
            label_en, label_zh, unit = KEY_LABELS[column]
            book.append(Variable(column, label_en, label_zh, unit, "", ""))
    return book


def _stata_label(variable: Variable) -> str:
    unit = f" [{variable.unit}]" if variable.unit else ""
    return f"{variable.label_zh} {variable.label_en}{unit}"[:STATA_LABEL_LIMIT]


def _write(warehouse: Warehouse, relation: str, vintage: int, out: Path, file_format: str,
           book: list[Variable]) -> Path:
    query = f"SELECT * FROM {RELATIONS[relation]}({vintage}) ORDER BY harmonised_code, year" + (
        ", scope" if relation == "panel" else "")
    path = out / f"{relation}.{file_format}"
    if file_format == "dta":
        frame = warehouse.frame(query)
        for column in frame.columns:  # Stata has no nullable string or Arrow-backed types
            if frame[column].dtype.kind not in "fiub":
                frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
        frame.to_stata(path, write_index=False, version=118, data_label=f"cnstat-etl {relation}, vintage {vintage}",
                       variable_labels={v.name: _stata_label(v) for v in book})
    elif file_format == "parquet":
        metadata = json.dumps({v.name: {"label_en": v.label_en, "label_zh": v.label_zh, "unit": v.unit,
                                        "definition": v.definition} for v in book}, ensure_ascii=False)
        escaped = metadata.replace("'", "''")
        warehouse.copy_to(query, path, f"FORMAT parquet, KV_METADATA {{cnstat_columns: '{escaped}', "
                                       f"cnstat_vintage: '{vintage}'}}")
    else:
        warehouse.copy_to(query, path, "FORMAT csv, HEADER")
    return path


def _write_codebook(out: Path, books: dict[str, list[Variable]], vintage: int) -> list[Path]:
    csv_path, md_path = out / "codebook.csv", out / "codebook.md"
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["relation", "variable", "label_en", "label_zh", "unit", "definition", "source_tables"])
        for relation, book in books.items():
            for v in book:
                writer.writerow([relation, v.name, v.label_en, v.label_zh, v.unit, v.definition, v.sources])
    lines = [f"# cnstat-etl codebook (units of area as of {vintage})", ""]
    for relation, book in books.items():
        lines += [f"## {relation}", "", "| variable | label | unit | definition | source tables |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{v.name}` | {v.label_zh} / {v.label_en} | {v.unit} | {v.definition} | {v.sources} |"
                  for v in book]
        lines.append("")
    md_path.write_text("\n".join(lines).replace("\n\n\n", "\n\n"), encoding="utf-8")
    return [csv_path, md_path]


@naming_the_path()  # the folder asked for cannot be made or written
def export(db_path: Path, out: Path, file_format: str, vintage: int | None = None,
           wait: Callable[[str | None], None] | None = None) -> list[Path]:
    """Write panel.<fmt>, analysis_city.<fmt>, codebook.csv and codebook.md into `out`."""
    from cnstat_etl.load.warehouse import Warehouse

    with Warehouse(db_path, read_only=True, wait=wait) as warehouse:
        vintage = vintage or warehouse.vintage()
        if vintage is None:
            raise UserError(f"{db_path} holds no harmonised data yet: run `cnstat ingest` first")
        warehouse.check_vintage(vintage)
        out.mkdir(parents=True, exist_ok=True)
        written, books = [], {}
        for relation, macro in RELATIONS.items():
            columns = warehouse.columns_of(f"SELECT * FROM {macro}({vintage})")
            books[relation] = codebook(warehouse, columns)
            written.append(_write(warehouse, relation, vintage, out, file_format, books[relation]))
        return written + _write_codebook(out, books, vintage)
