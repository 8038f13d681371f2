"""Two warehouses made from the same files, compared value for value: a speed-up must load what it loaded.

Usage: .venv/bin/python bench/same_warehouse.py A.duckdb B.duckdb

Make A with the code before the change and B with the code after it, from the same paths (say, main's
checkout and a branch's, each `cnstat ingest ../shared/real --db ...` into a new warehouse). Every table
and view of A is compared with B's as a multiset of rows, leaving out what differs from run to run by
design: timestamps, and `reference_made_from` (a digest of the code that made the reference tables). The
extract caches beside them (cache/) are compared entry by entry too: the same entries, each holding the
same rows. Prints a line per table, view and cache, and exits 1 if any differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

# Made from the code itself, not from the files loaded.
NOT_COMPARED = {"reference_made_from"}


def differing_tables(a: str, b: str) -> list[str]:
    con = duckdb.connect()
    con.execute("ATTACH ? AS a (READ_ONLY)", [a])
    con.execute("ATTACH ? AS b (READ_ONLY)", [b])
    differing = []
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'a' UNION ALL "
                                "SELECT view_name FROM duckdb_views() WHERE database_name = 'a' AND NOT internal "
                                "ORDER BY 1").fetchall():
        if table in NOT_COMPARED:
            continue
        columns = ", ".join(f'"{name}"' for name, kind, *_ in con.execute(f"DESCRIBE a.{table}").fetchall()
                            if not kind.startswith("TIMESTAMP"))
        counts = [con.execute(f"SELECT count(*) FROM {side}.{table}").fetchone()[0] for side in "ab"]
        only = [con.execute(f"SELECT count(*) FROM (SELECT {columns} FROM {one}.{table} EXCEPT ALL "
                            f"SELECT {columns} FROM {other}.{table})").fetchone()[0] for one, other in ("ab", "ba")]
        same = counts[0] == counts[1] and not any(only)
        print(f"{'same' if same else 'DIFFERS'} {table}: {counts[0]} vs {counts[1]} rows"
              + ("" if same else f", {only[0]} only in A, {only[1]} only in B"))
        if not same:
            differing.append(table)
    return differing


def differing_caches(a: str, b: str) -> list[str]:
    """The extract caches beside the two warehouses, entry by entry: an entry is known by the content it
    holds (its name's digest of the extract code differs across a change of that code)."""
    import pyarrow.parquet as pq

    caches = [Path(side).parent / "cache" for side in (a, b)]
    if not all(cache.is_dir() for cache in caches):
        return []
    entries = [{path.name.split("-")[0]: path for path in cache.rglob("*.parquet")} for cache in caches]
    differing = sorted(str(name) for name in entries[0].keys() ^ entries[1].keys())
    differing += sorted(str(name) for name in entries[0].keys() & entries[1].keys()
                        if not pq.read_table(entries[0][name]).equals(pq.read_table(entries[1][name])))
    print(f"{'DIFFERS' if differing else 'same'} cache: {len(entries[0])} vs {len(entries[1])} entries")
    return [f"cache/{name}" for name in differing]


if __name__ == "__main__":
    differing = differing_tables(sys.argv[1], sys.argv[2]) + differing_caches(sys.argv[1], sys.argv[2])
    print(f"{len(differing)} tables differ: {', '.join(differing)}" if differing else "equal, value for value")
    sys.exit(1 if differing else 0)
