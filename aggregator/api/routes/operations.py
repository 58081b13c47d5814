"""The caller's shops, sync runs and open exceptions."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_principal, get_session
from aggregator.api.schemas import ExceptionOut, RunOut, ShopOut
from aggregator.store.models import ExceptionItem, ShopRow, SyncRun

router = APIRouter(prefix="/api/v1", tags=["operations"])


@router.get("/shops", response_model=list[ShopOut])
def list_shops(principal: Principal = Depends(get_principal),
               session: Session = Depends(get_session)) -> list[ShopOut]:
    rows = session.scalars(select(ShopRow).where(ShopRow.owner_id == principal.owner_id)
                           .order_by(ShopRow.platform, ShopRow.shop_id))
    return [ShopOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/runs", response_model=list[RunOut])
def list_runs(principal: Principal = Depends(get_principal), session: Session = Depends(get_session),
              limit: int = Query(default=50, ge=1, le=500)) -> list[RunOut]:
    query = (select(SyncRun, ShopRow).join(ShopRow, ShopRow.id == SyncRun.shop_pk)
             .where(ShopRow.owner_id == principal.owner_id).order_by(SyncRun.id.desc()).limit(limit))
    return [
        RunOut(id=run.id, platform=shop.platform, shop_id=shop.shop_id, stream=run.stream, mode=run.mode,
               status=run.status, started_at=run.started_at, finished_at=run.finished_at, created=run.created,
               updated=run.updated, unchanged=run.unchanged, stale=run.stale, failed=run.failed,
               unknown_status=run.unknown_status, cursor_after=run.cursor_after, error=run.error)
        for run, shop in session.execute(query)
    ]


@router.get("/exceptions", response_model=list[ExceptionOut])
def list_exceptions(principal: Principal = Depends(get_principal), session: Session = Depends(get_session),
                    status: str = Query(default="open", pattern="^(open|retried|resolved)$"),
                    limit: int = Query(default=100, ge=1, le=1000)) -> list[ExceptionOut]:
    rows = session.scalars(select(ExceptionItem).where(ExceptionItem.owner_id == principal.owner_id,
                                                       ExceptionItem.status == status)
                           .order_by(ExceptionItem.id.desc()).limit(limit))
    return [ExceptionOut.model_validate(r, from_attributes=True) for r in rows]
