"""Finance exports as downloads: the caller's owner's journals in every layout of
``aggregator.exports.registry`` (canonical CSV/XLSX, Xero, QuickBooks Online, Kingdee DBF) and the
per-order settlement export (CSV/XLSX) — the same bytes ``aggregator export journal`` / ``export
settlement`` write (``render_journals``; CSV cells neutralised by ``exports/csv_safe.py``, XLSX text typed
as strings). A layout that renders several files (Xero: at most 300 lines each) downloads as one ZIP of
the numbered parts. An unbalanced journal, or rows the layout cannot hold (``exports.files.EXPORT_REFUSALS``),
refuse the whole export (422 with the reason), as on the command line.

Needs ``read_money``; the export is one owner's: an owner-bound key exports its owner, an unbound staff
key names one with ``?owner=``.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import PurePosixPath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from aggregator.api.auth import Principal, get_session, money_reader
from aggregator.exports import settlement as settlement_layout
from aggregator.exports.canonical import sha256_of
from aggregator.exports.files import EXPORT_REFUSALS, part_paths, render_journals
from aggregator.exports.registry import LAYOUTS, layout_named
from fx.gains import period_bounds

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])
#: the longest range one journal export covers
MAX_DAYS = 366
MEDIA = {".csv": "text/csv; charset=utf-8", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".dbf": "application/x-dbf", ".zip": "application/zip"}
LayoutName = Literal[tuple(sorted(LAYOUTS))]  # type: ignore[valid-type]
_DOWNLOAD = {200: {"description": "the export file (several files of one layout: a ZIP of the numbered parts)",
                   "content": {media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                               for media in MEDIA.values()}}}


def _owner(principal: Principal) -> str:
    if principal.owner_id is None:
        raise HTTPException(422, "an export is one owner's: name it with ?owner=")
    return principal.owner_id


def _download(data: bytes, filename: str) -> Response:
    suffix = filename[filename.rfind("."):]
    return Response(data, media_type=MEDIA[suffix], headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "X-Content-SHA256": sha256_of(data),
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def zipped(names: list[str], payloads: tuple[bytes, ...], stamp: date) -> bytes:
    """The parts as one ZIP, byte-identical for the same parts (entries dated ``stamp``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in zip(names, payloads):
            archive.writestr(zipfile.ZipInfo(name, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@router.get("/journals", responses=_DOWNLOAD, response_class=Response)
def journals(layout: Annotated[LayoutName, Query(description="export layout")],
             first: Annotated[date, Query(alias="from", description="first journal date (YYYY-MM-DD)")],
             last: Annotated[date, Query(alias="to", description="last journal date, included")],
             entity: Annotated[str | None, Query(min_length=1, max_length=64,
                                                 description="legal entity written on every row (default: the owner)")] = None,
             principal: Principal = Depends(money_reader), session: Session = Depends(get_session)) -> Response:
    """The owner's balanced journals dated ``from``..``to`` in one layout."""
    owner_id = _owner(principal)
    if last < first:
        raise HTTPException(422, f"the range ends ({last}) before it starts ({first})")
    if (last - first).days >= MAX_DAYS:
        raise HTTPException(422, f"a journal export covers at most {MAX_DAYS} days")
    try:
        rendered = render_journals(session, owner_id, layout, first, last, entity=entity)
    except EXPORT_REFUSALS as exc:  # unbalanced, or what the layout cannot hold: as the CLI refuses it
        raise HTTPException(422, f"nothing exported: {exc}") from None
    suffix = layout_named(layout).suffix
    stem = f"journals-{layout}-{owner_id}-{first}-{last}"
    names = [p.name for p in part_paths(PurePosixPath(stem + suffix), len(rendered.payloads))]
    if len(rendered.payloads) == 1:
        return _download(rendered.payloads[0], names[0])
    return _download(zipped(names, rendered.payloads, last), f"{stem}.zip")


@router.get("/settlement", responses=_DOWNLOAD, response_class=Response)
def settlement(period: Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM: statements issued in it")],
               fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")],
               principal: Principal = Depends(money_reader), session: Session = Depends(get_session)) -> Response:
    """One row per order of the owner's statements issued in ``period``: amounts, fees by category, rate and
    source, book amounts, realized FX, reconciliation status."""
    owner_id = _owner(principal)
    try:
        first, last = period_bounds(period)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    rows = settlement_layout.load(session, owner_id, first, last)
    data = settlement_layout.export_file(rows, fmt, owner_id=owner_id, period=period, last=last)
    return _download(data, f"settlement-{owner_id}-{period}.{fmt}")
