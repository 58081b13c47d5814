"""Owners, shops (authorization and sync health per stream) and sync runs, as the caller may see them (the
exceptions queue: ``routes/exceptions.py``)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, reader
from aggregator.api.bounds import Cursor, Ident, Limit
from aggregator.api.filters import known_shop
from aggregator.api.pagination import (
    CursorPage, after, bounded_count, decode_cursor, encode_cursor, filters_fingerprint,
)
from aggregator.api.schemas import RunOut, ShopOut
from aggregator.store.models import OwnerRow, ShopCredential, ShopRow, SyncCursor, SyncRun

router = APIRouter(prefix="/api/v1", tags=["operations"])

RunStatus = Literal["running", "succeeded", "partial", "failed", "abandoned"]


class OwnerOut(BaseModel):
    owner_id: str
    name: str
    base_currency: str
    created_at: datetime


class StreamHealth(BaseModel):
    stream: str
    cursor: datetime | None
    lag_seconds: int | None
    last_run_id: int | None
    last_run_status: str | None
    last_run_finished_at: datetime | None
    last_run_error: str | None


class ShopHealthOut(ShopOut):
    authorized: bool
    needs_reauthorization: bool
    access_token_expires_at: datetime | None
    refresh_token_expires_at: datetime | None
    streams: list[StreamHealth]


@router.get("/owners", response_model=list[OwnerOut])
def list_owners(principal: Principal = Depends(reader), session: Session = Depends(get_session)) -> list[OwnerOut]:
    rows = session.scalars(principal.scope(select(OwnerRow), OwnerRow.owner_id).order_by(OwnerRow.owner_id))
    return [OwnerOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/shops", response_model=list[ShopHealthOut])
def list_shops(principal: Principal = Depends(reader), session: Session = Depends(get_session)
               ) -> list[ShopHealthOut]:
    """Each shop with its authorization state, token expiry, and per stream its cursor, lag and last run."""
    now = datetime.now(timezone.utc)
    shops = list(session.scalars(principal.scope(select(ShopRow), ShopRow.owner_id)
                                 .order_by(ShopRow.owner_id, ShopRow.platform, ShopRow.shop_id)))
    pks = [s.id for s in shops]
    creds = {c.shop_pk: c for c in session.scalars(select(ShopCredential).where(ShopCredential.shop_pk.in_(pks)))}
    cursors = {(c.shop_pk, c.stream): c for c in session.scalars(select(SyncCursor).where(SyncCursor.shop_pk.in_(pks)))}
    last_ids = select(func.max(SyncRun.id)).where(SyncRun.shop_pk.in_(pks)).group_by(SyncRun.shop_pk, SyncRun.stream)
    runs = {(r.shop_pk, r.stream): r for r in session.scalars(select(SyncRun).where(SyncRun.id.in_(last_ids)))}
    out = []
    for shop in shops:
        cred = creds.get(shop.id)
        streams = sorted({s for (pk, s) in [*cursors, *runs] if pk == shop.id})
        health = []
        for stream in streams:
            cur, run = cursors.get((shop.id, stream)), runs.get((shop.id, stream))
            position = cur.position if cur else None
            health.append(StreamHealth(
                stream=stream, cursor=position,
                lag_seconds=int((now - position).total_seconds()) if position else None,
                last_run_id=run.id if run else None, last_run_status=run.status if run else None,
                last_run_finished_at=run.finished_at if run else None, last_run_error=run.error if run else None))
        out.append(ShopHealthOut(
            **ShopOut.model_validate(shop, from_attributes=True).model_dump(),
            authorized=bool(cred and cred.access_token_enc), needs_reauthorization=shop.status == "needs_reauth",
            access_token_expires_at=cred.access_expires_at if cred else None,
            refresh_token_expires_at=cred.refresh_expires_at if cred else None, streams=health))
    return out


@router.get("/runs", response_model=CursorPage[RunOut])
def list_runs(principal: Principal = Depends(reader), session: Session = Depends(get_session),
              shop_id: Ident = None, stream: Annotated[Literal["orders", "settlements", "returns"] | None, Query()] = None,
              status: RunStatus | None = None, cursor: Cursor = None, limit: Limit = 50) -> CursorPage[RunOut]:
    query = principal.scope(select(SyncRun, ShopRow).join(ShopRow, ShopRow.id == SyncRun.shop_pk), ShopRow.owner_id)
    if shop_id:
        known_shop(session, principal, None, shop_id)
        query = query.where(ShopRow.shop_id == shop_id)
    if stream:
        query = query.where(SyncRun.stream == stream)
    if status:
        query = query.where(SyncRun.status == status)
    fingerprint = filters_fingerprint({"o": principal.owner_id, "shop": shop_id, "stream": stream, "status": status})
    count, exact = bounded_count(session, query)
    if cursor:
        query = query.where(after([SyncRun.id], decode_cursor(cursor, (int,), fingerprint)))
    rows = session.execute(query.order_by(SyncRun.id.desc()).limit(limit + 1)).all()
    items = [
        RunOut(id=run.id, owner_id=shop.owner_id, platform=shop.platform, shop_id=shop.shop_id, stream=run.stream,
               mode=run.mode, status=run.status, started_at=run.started_at, finished_at=run.finished_at,
               created=run.created, updated=run.updated, unchanged=run.unchanged, stale=run.stale, failed=run.failed,
               unknown_status=run.unknown_status, deferred=run.deferred, cursor_after=run.cursor_after, error=run.error)
        for run, shop in rows[:limit]]
    next_cursor = encode_cursor([items[-1].id], fingerprint) if len(rows) > limit else None
    return CursorPage[RunOut](items=items, next_cursor=next_cursor, count=count, count_exact=exact, limit=limit)
