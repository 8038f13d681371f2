"""Two warehouses made from the same files, compared value for value: a speed-up must load what it loaded.

Usage: .venv/bin/python bench/same_warehouse.py A.duckdb B.duckdb

Make A with the code before the change and B with the code after it, from the same paths (say, main's
checkout and a branch's, each `cnstat ingest ../shared/real --db ...` into a new warehouse). Every table
of A is compared with B's as a multiset of rows, leaving out what differs from run to run by design:
timestamps, and `reference_made_from` (a digest of the code that made the reference tables). Prints a
line per table and exits 1 if any differs.
"""

from __future__ import annotations

import sys

import duckdb

# Made from the code itself, not from the files loaded.
NOT_COMPARED = {"reference_made_from"}


def differing_tables(a: str, b: str) -> list[str]:
    con = duckdb.connect()
    con.execute("ATTACH ? AS a (READ_ONLY)", [a])
    con.execute("ATTACH ? AS b (READ_ONLY)", [b])
    differing = []
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'a' "
                                "ORDER BY table_name").fetchall():
        if table in NOT_COMPARED:
            continue
        columns = ", ".join(f'"{name}"' for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'a' AND table_name = ? "
            "AND data_type NOT LIKE 'TIMESTAMP%' ORDER BY column_index", [table]).fetchall())
        counts = [con.execute(f"SELECT count(*) FROM {side}.{table}").fetchone()[0] for side in "ab"]
        only = [con.execute(f"SELECT count(*) FROM (SELECT {columns} FROM {one}.{table} EXCEPT ALL "
                            f"SELECT {columns} FROM {other}.{table})").fetchone()[0] for one, other in ("ab", "ba")]
        same = counts[0] == counts[1] and not any(only)
        print(f"{'same' if same else 'DIFFERS'} {table}: {counts[0]} vs {counts[1]} rows"
              + ("" if same else f", {only[0]} only in A, {only[1]} only in B"))
        if not same:
            differing.append(table)
    return differing


if __name__ == "__main__":
    differing = differing_tables(sys.argv[1], sys.argv[2])
    print(f"{len(differing)} tables differ: {', '.join(differing)}" if differing else "equal, value for value")
    sys.exit(1 if differing else 0)
