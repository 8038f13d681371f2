"""The researcher-facing relations generated from data: `panel`, `analysis_city`, `period_means`,
`analysis_county`.

The panel has one column per indicator in mappings/indicators.csv and analysis_city one column per
variable in warehouse/analysis_variables.toml, so both are generated as SQL from those files: adding an
indicator or a variable needs no SQL edit. Everything is a macro or view stored in the DuckDB file.
"""

from __future__ import annotations

import functools
import re

from cnstat_etl.config import WAREHOUSE_DIR
from cnstat_etl.errors import MappingError
from cnstat_etl.settings import load_toml
from cnstat_etl.load.firms import analysis_firm_columns, firm_relations_sql

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")

CURRENT_VINTAGE = "(SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'vintage')"
IN_FORCE = "{t}.valid_from <= target_vintage AND ({t}.valid_to IS NULL OR {t}.valid_to > target_vintage)"
NAME_COLUMNS = ("name_zh", "name_en", "province_code", "province_zh", "province_en")


@functools.lru_cache(maxsize=None)
def analysis_variables() -> tuple[dict, ...]:
    variables = load_toml(WAREHOUSE_DIR / "analysis_variables.toml", "warehouse/analysis_variables.toml")["variables"]
    for variable in variables:
        if not _IDENTIFIER.match(variable["name"]):
            raise MappingError(f"analysis variable name {variable['name']!r} is not a plain SQL identifier")
    return tuple(variables)


def _checked(ids: list[str]) -> list[str]:
    for name in ids:
        if not _IDENTIFIER.match(name):
            raise MappingError(f"indicator id {name!r} is not a plain SQL identifier")
    return ids


def _pivot(indicator_ids: list[str]) -> str:
    return ",\n       ".join(f"max(h.value) FILTER (WHERE h.indicator = '{i}') AS {i}" for i in _checked(indicator_ids))


def panel_sql(indicator_ids: list[str]) -> str:
    pivot = _pivot(indicator_ids)
    return f"""
CREATE OR REPLACE MACRO panel_at(target_vintage) AS TABLE
SELECT h.harmonised_code, h.year, h.scope, r.name AS name_zh, r.name_en, r.province_code,
       p.name AS province_zh, p.name_en AS province_en,
       {pivot}
FROM harmonised_at(target_vintage) h
LEFT JOIN regions r ON r.code = h.harmonised_code AND {IN_FORCE.format(t="r")}
LEFT JOIN regions p ON p.code = r.province_code AND {IN_FORCE.format(t="p")}
GROUP BY ALL;

CREATE OR REPLACE VIEW panel AS FROM panel_at({CURRENT_VINTAGE});
"""


def analysis_sql(indicator_ids: list[str]) -> str:
    # A city-year is in analysis_city when the panel or the firm survey has it; firm-only rows take their
    # names from the code history like the panel does.
    firm_columns = ", ".join(f"f.{c}" for c in analysis_firm_columns())
    city_total = "(SELECT * FROM panel_at(target_vintage) WHERE scope = 'city_total')"
    query = f"""SELECT k.harmonised_code, k.year, r.name AS name_zh, r.name_en, r.province_code,
       pr.name AS province_zh, pr.name_en AS province_en,
       p.* EXCLUDE (harmonised_code, year, scope, {', '.join(NAME_COLUMNS)}), x.cny_per_usd, {firm_columns}
FROM (SELECT harmonised_code, year FROM {city_total}
      UNION SELECT harmonised_code, year FROM firm_aggregates_at(target_vintage)) k
LEFT JOIN {city_total} p ON p.harmonised_code = k.harmonised_code AND p.year = k.year
LEFT JOIN firm_aggregates_at(target_vintage) f ON f.harmonised_code = k.harmonised_code AND f.year = k.year
LEFT JOIN regions r ON r.code = k.harmonised_code AND {IN_FORCE.format(t="r")}
LEFT JOIN regions pr ON pr.code = r.province_code AND {IN_FORCE.format(t="pr")}
LEFT JOIN exchange_rates x ON x.year = k.year"""
    for variable in analysis_variables():
        name, formula = variable["name"], variable["formula"]
        if name in indicator_ids:
            query = f"SELECT * REPLACE ({formula} AS {name}) FROM ({query})"
        else:
            query = f"SELECT *, {formula} AS {name} FROM ({query})"
    return f"""
CREATE OR REPLACE MACRO analysis_city_at(target_vintage) AS TABLE {query};

CREATE OR REPLACE VIEW analysis_city AS FROM analysis_city_at({CURRENT_VINTAGE});
"""


def period_means_sql(indicator_ids: list[str]) -> str:
    """`period_means(first_year, last_year)`: per city, the mean of each measure over the span and the
    number of years each mean used."""
    measures = list(dict.fromkeys(indicator_ids + analysis_firm_columns() + [v["name"] for v in analysis_variables()]))
    columns = ",\n       ".join(f"avg({m}) AS {m}, count({m}) AS {m}_years" for m in measures)
    return f"""
CREATE OR REPLACE MACRO period_means(first_year, last_year) AS TABLE
SELECT harmonised_code, any_value(name_zh) AS name_zh, any_value(name_en) AS name_en,
       any_value(province_code) AS province_code, first_year AS first_year, last_year AS last_year,
       count(*) AS years_in_data,
       {columns}
FROM analysis_city
WHERE year BETWEEN first_year AND last_year
GROUP BY harmonised_code;
"""


def county_panel_sql(indicator_ids: list[str]) -> str:
    """`analysis_county_at(v)` / `analysis_county`: the county panel, one row per county-level unit (or
    government's own level, unit_kind own_level) and year on the units of vintage v, with the prefecture
    it sits under in v. Its own columns: no prefecture value is read into it, nor it into a prefecture."""
    return f"""
CREATE OR REPLACE MACRO analysis_county_at(target_vintage) AS TABLE
SELECT h.harmonised_code, h.year, h.unit_kind, h.scope, r.name AS name_zh, r.name_en, r.level, r.province_code,
       pr.name AS province_zh, pr.name_en AS province_en,
       prefecture_of(h.harmonised_code, target_vintage) AS prefecture_code, pf.name AS prefecture_zh,
       {_pivot(indicator_ids)}
FROM county_harmonised_at(target_vintage) h
LEFT JOIN regions r ON r.code = h.harmonised_code AND {IN_FORCE.format(t="r")}
LEFT JOIN regions pr ON pr.code = r.province_code AND {IN_FORCE.format(t="pr")}
LEFT JOIN regions pf ON pf.code = prefecture_of(h.harmonised_code, target_vintage) AND {IN_FORCE.format(t="pf")}
GROUP BY ALL;

CREATE OR REPLACE VIEW analysis_county AS FROM analysis_county_at({CURRENT_VINTAGE});
"""


def researcher_relations_sql(indicator_ids: list[str]) -> str:
    return (panel_sql(indicator_ids) + firm_relations_sql() + analysis_sql(indicator_ids)
            + period_means_sql(indicator_ids) + county_panel_sql(indicator_ids))
