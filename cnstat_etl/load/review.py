"""Review of doubtful values: export them with a crop of each cell, take the corrections back.

`export_review` writes every observation marked needs_review to a CSV, with a PNG beside it showing the
cell as the scan prints it (the same cleaned, straightened image OCR read). The researcher fills the
`corrected` column; `apply_review` stores each correction in `review_overrides`, keyed by the file's
content hash, page, row and column, so it survives re-ingesting the file, and applies it at once.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Callable

from cnstat_etl.errors import UserError, naming_the_path
from cnstat_etl.load.warehouse import Warehouse
from cnstat_etl.text import parse_number

# Margin around a cell in its crop, points: enough to see the neighbouring digits and rules.
CROP_MARGIN = 6
REVIEW_COLUMNS = ["source_file", "source_sha256", "page", "row", "column", "region_name", "year", "indicator",
                  "scope", "column_label", "unit_as_printed", "value_as_printed", "ocr_confidence",
                  "review_reasons", "crop", "corrected"]


class ReviewError(UserError):
    """A review file that cannot be applied: the message names the file, the line and the reason."""


# (source PDF, page, box x0/top/x1/bottom in points, PNG to write): the scan as OCR read it, which is
# extract's to draw (cnstat_etl.extract.ocr.write_cell_crop); load reads no source file itself.
CropWriter = Callable[[Path, int, tuple[float, float, float, float], Path], None]


@naming_the_path()
def export_review(warehouse: Warehouse, target: Path, write_crop: CropWriter) -> int:
    """Write the doubtful cells to `target` (CSV) and their crops to PNGs beside it; return how many."""
    columns, rows = warehouse.query("""
        SELECT o.source_file, o.source_sha256, o.page, o."row", o."column", o.region_name, o.year, o.indicator,
               o.scope, o.column_label, o.unit_as_printed, o.value_as_printed, o.ocr_confidence, o.review_reasons,
               s.source_path, c.x0, c.top, c.x1, c.bottom
        FROM observations o
        JOIN (SELECT source_sha256, min(source_path) AS source_path FROM sources WHERE status <> 'failed'
              GROUP BY source_sha256) s USING (source_sha256)
        LEFT JOIN ocr_cells c ON c.source_sha256 = o.source_sha256 AND c.page = o.page AND c."row" = o."row"
                             AND c."column" = o."column"
        WHERE o.needs_review
        ORDER BY o.source_file, o.page, o."row", o."column" """)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    crops = target.parent / f"{target.stem}_crops"
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(REVIEW_COLUMNS)
        for row in rows:
            record = dict(zip(columns, row))
            crop = ""
            if record["x0"] is not None and Path(record["source_path"]).exists():
                name = f"{Path(record['source_file']).stem}_p{record['page']}_r{record['row']}_c{record['column']}.png"
                box = (record["x0"] - CROP_MARGIN, record["top"] - CROP_MARGIN, record["x1"] + CROP_MARGIN,
                       record["bottom"] + CROP_MARGIN)
                write_crop(Path(record["source_path"]), record["page"], box, crops / name)
                crop = f"{crops.name}/{name}"
            writer.writerow([record[c] for c in REVIEW_COLUMNS[:-2]] + [crop, ""])
    return len(rows)


@naming_the_path()
def apply_review(warehouse: Warehouse, source: Path) -> int:
    """Store the filled-in `corrected` values of a review CSV as overrides; return how many."""
    overrides = []
    with Path(source).open(newline="", encoding="utf-8") as handle:
        for line, record in enumerate(csv.DictReader(handle), start=2):
            corrected = (record.get("corrected") or "").strip()
            if not corrected:
                continue
            if not parse_number(corrected).ok:
                raise ReviewError(f"{source}: line {line}: corrected value {corrected!r} is neither a number "
                                  "nor a missing marker")
            overrides.append({"source_sha256": record["source_sha256"], "page": int(record["page"]),
                              "row": int(record["row"]), "column": int(record["column"]),
                              "value_as_printed": corrected})
    warehouse.store_overrides(overrides)
    return len(overrides)
