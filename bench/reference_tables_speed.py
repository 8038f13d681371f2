"""How long the code history takes to become the regions and lineage tables and a resolver, from a cold cache.

Every ingest and `cnstat resolve` pays this once. Run: `.venv/bin/python bench/reference_tables_speed.py`.
"""

from __future__ import annotations

import time

from cnstat_etl.harmonise import regions
from cnstat_etl.harmonise.resolver import RegionResolver


def main() -> None:
    started = time.perf_counter()
    periods = regions.region_periods()
    edges = regions.lineage_edges()
    print(f"code history -> {len(periods)} region periods, {len(edges)} lineage edges: "
          f"{time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    resolver = RegionResolver.default()
    resolver.resolve("巢湖", year=2008)
    resolver.harmonised_targets("341400", 2008)
    print(f"resolver built and first look-ups: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
