"""Filter values of list routes that must name something that exists: an unknown value is a 422 with the
reason, never an empty page that reads as "nothing there" (the brief's rule for unknown filter values).

* ``known_shop``: a ``shop_id`` (with its ``platform`` when given) among the caller's shops.
* ``known_value``: a free-text filter (a document type, a rate source) checked with one indexed or
  bounded ``EXISTS``-style probe; only on a miss are the values there are read, to list them.
* ``known_audit_entity``: an audit trail's ``entity`` is the name of a stored table.
"""
from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal
from aggregator.store.base import Base
from aggregator.store.models.tenancy import ShopRow

LISTED = 30  # at most this many known values are named in a refusal


def known_shop(session: Session, principal: Principal, platform: str | None, shop_id: str | None) -> None:
    """422 unless ``shop_id`` (on ``platform`` when given) is one of the caller's shops."""
    if not shop_id:
        return
    shops = principal.scope(select(ShopRow.id).where(ShopRow.shop_id == shop_id), ShopRow.owner_id)
    if platform:
        shops = shops.where(ShopRow.platform == platform)
    if session.scalars(shops.limit(1)).first() is None:
        raise HTTPException(422, f"unknown shop {shop_id!r}")


def known_value(session: Session, column: Any, value: str | None, name: str, *, scope: Any = None) -> None:
    """422 unless some row has ``column == value`` (within ``scope``: a callable narrowing the select)."""
    if value is None:
        return
    narrow = scope or (lambda query: query)
    if session.execute(narrow(select(column).where(column == value)).limit(1)).first() is not None:
        return
    there = sorted(v for v in session.scalars(narrow(select(column).distinct()).limit(LISTED + 1)) if v)
    listed = ", ".join(there[:LISTED]) + (", …" if len(there) > LISTED else "") if there else "none stored"
    raise HTTPException(422, f"no {name} {value!r}; known: {listed}")


def known_audit_entity(entity: str) -> None:
    """422 unless ``entity`` names a stored table (what the audit log records as its entity)."""
    if entity not in Base.metadata.tables:
        raise HTTPException(422, f"no table {entity!r} is audited; entities are table names, e.g. orders, shops, "
                                 "owners, transport_documents, exception_items")
