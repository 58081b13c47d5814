"""Export an owner's journals of a date range to files in one layout.

Reads the rows (``source``), refuses the whole export if any journal does not balance
(``balance``), renders the layout (pure), then writes each file through a temporary file and an
atomic rename, so a refused or failed export never leaves a partial file behind. The same
period exported twice gives byte-identical files.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from aggregator.exports.balance import JournalTotals, UnbalancedJournalError, check_balanced
from aggregator.exports.canonical import canonical_csv, sha256_of
from aggregator.exports.dbase import DbfValueError
from aggregator.exports.quickbooks import QuickBooksLayoutError
from aggregator.exports.registry import LayoutOptions, layout_named
from aggregator.exports.source import load_export_rows
from aggregator.exports.xero import XeroLayoutError

#: What refuses a journal export as a whole, its message saying why (nothing is written): a journal that does
#: not balance, or rows a layout cannot hold (several currencies for one Xero or QuickBooks company, a value
#: wider than a Kingdee DBF field). The CLI answers them with their message, the API with a 422; a layout
#: with a refusal of its own adds it here.
EXPORT_REFUSALS: tuple[type[ValueError], ...] = (UnbalancedJournalError, XeroLayoutError, QuickBooksLayoutError,
                                                  DbfValueError)


@dataclass(frozen=True, slots=True)
class ExportResult:
    files: tuple[Path, ...]
    sha256: tuple[str, ...]
    journals: tuple[JournalTotals, ...]
    lines: int

    @property
    def rounding_modes(self) -> tuple[str, ...]:
        return tuple(sorted({j.rounding for j in self.journals}))


def part_paths(out: Path, count: int) -> list[Path]:
    """``out`` itself for one file; ``name-001.ext``, ``name-002.ext``… for several."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{n:03d}{out.suffix}") for n in range(1, count + 1)]


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class RenderedJournals:
    """An export in memory: the layout's file(s), the journals' totals and the number of lines."""

    payloads: tuple[bytes, ...]
    journals: tuple[JournalTotals, ...]
    lines: int


def render_journals(session: Session, owner_id: str, layout_name: str, first: date, last: date, *,
                    entity: str | None = None, options: LayoutOptions | None = None) -> RenderedJournals:
    """The owner's balanced journals dated ``first``..``last`` rendered in a layout (one or more files);
    an unbalanced journal raises ``UnbalancedJournalError`` before anything is rendered."""
    layout = layout_named(layout_name)
    rows = load_export_rows(session, owner_id, first, last, entity=entity)
    totals = check_balanced(rows)
    about = {
        "owner": owner_id, "entity": entity or owner_id, "from": first.isoformat(), "to": last.isoformat(),
        "journals": str(len(totals)), "lines": str(len(rows)),
        "rounding": ",".join(sorted({t.rounding for t in totals})) or "-",
        "canonical_csv_sha256": sha256_of(canonical_csv(rows)),
    }
    options = replace(options or LayoutOptions(stamp_day=last), stamp_day=last, about=about)
    return RenderedJournals(tuple(layout.render(rows, options)), tuple(totals), len(rows))


def export_journals(session: Session, owner_id: str, layout_name: str, first: date, last: date, out: Path, *,
                    entity: str | None = None, options: LayoutOptions | None = None) -> ExportResult:
    """Write the owner's balanced journals dated ``first``..``last`` to ``out`` (or numbered parts)."""
    rendered = render_journals(session, owner_id, layout_name, first, last, entity=entity, options=options)
    paths = part_paths(out, len(rendered.payloads))
    for path, data in zip(paths, rendered.payloads):
        write_atomically(path, data)
    return ExportResult(tuple(paths), tuple(sha256_of(p) for p in rendered.payloads), rendered.journals,
                        rendered.lines)
