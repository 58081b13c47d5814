"""``GET /api/v1/me``: who the presented key is — its role, the owner it is bound to, what it may do and
when it expires, and the currencies' minor units amounts are written with. The web app signs in with it (a rejected key is a 401 problem, nothing else) and
shows only the pages the role's permissions open (``aggregator.api.roles``)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, reader
from aggregator.api.roles import GRANTS
from aggregator.store.models.access import ApiKeyRow
from aggregator.store.models.tenancy import OwnerRow
from fx.currencies import minor_units_other_than_two

router = APIRouter(prefix="/api/v1", tags=["session"])


class MeOut(BaseModel):
    role: str = Field(description="admin, operations, finance or owner-viewer")
    permissions: list[str] = Field(description="what the role may do (read, read_money, operate, manage_keys)")
    bound_owner_id: str | None = Field(description="the one owner this key sees (None: every owner)")
    owner_id: str | None = Field(description="the owner this request is scoped to (bound owner or ?owner=)")
    base_currency: str | None = Field(description="the scoped owner's base currency, when scoped")
    key_id: int | None = Field(description="the key's id (None for the operator key from the environment)")
    key_name: str | None
    expires_at: datetime | None
    minor_units: dict[str, int] = Field(description="ISO 4217 minor units of every currency that has not 2 "
                                                    "(VND 0, BHD 3): amounts are written with them")


@router.get("/me", response_model=MeOut)
def me(principal: Principal = Depends(reader), session: Session = Depends(get_session)) -> MeOut:
    identity = principal.identity
    row = session.get(ApiKeyRow, identity.key_id) if identity.key_id is not None else None
    currency = None
    if principal.owner_id is not None:
        currency = session.scalar(select(OwnerRow.base_currency).where(OwnerRow.owner_id == principal.owner_id))
    return MeOut(role=identity.role.value, permissions=sorted(p.value for p in GRANTS[identity.role]),
                 bound_owner_id=identity.owner_id, owner_id=principal.owner_id, base_currency=currency,
                 key_id=identity.key_id, key_name=(row.name or None) if row else None,
                 expires_at=row.expires_at if row else None, minor_units=minor_units_other_than_two())
