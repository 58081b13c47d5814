"""The rejects report: one CSV line per problem of an import (file, line, column, value, reason); every
cell spreadsheet-safe (``aggregator.exports.csv_safe``), since the values are whatever the file held."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.exports.csv_safe import safe_writer
from aggregator.ingest.summary import ImportSummary
from aggregator.store.models.logistics import ImportRejectRow

HEADER = ("file", "line", "column", "value", "severity", "code", "reason")


def write_report(session: Session, import_pk: int, path: Path, summary: ImportSummary) -> Path:
    """Write (or append to, when several files share one report) the problems of one import."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = safe_writer(handle)  # values come from the imported file: neutralised for spreadsheets
        if new:
            writer.writerow(HEADER)
        if summary.error:
            writer.writerow((summary.file, "", "", "", "error", "file_rejected", summary.error))
        rows = session.execute(select(ImportRejectRow).where(ImportRejectRow.import_file_pk == import_pk)
                               .order_by(ImportRejectRow.id).execution_options(yield_per=5000)).scalars()
        for row in rows:
            writer.writerow((summary.file, row.line if row.line is not None else "", row.column or "",
                             row.value or "", row.severity, row.code, row.reason))
    return path
