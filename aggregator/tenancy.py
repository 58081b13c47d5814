"""Owners (brands) and their API keys: create, list, look up. Shops are managed by ``aggregator.shops``."""
from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.models.tenancy import OwnerRow
from aggregator.store.upsert import write_audit
from fx.currencies import is_known

OWNER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class TenancyError(ValueError):
    """A request about owners or shops that cannot be honoured (with the reason)."""


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_owner(session: Session, owner_id: str, name: str, base_currency: str = "CNY",
              *, actor: str = "cli") -> tuple[OwnerRow, str]:
    """Create an owner; returns the row and its API key (shown once, stored only as a hash)."""
    if not OWNER_ID_PATTERN.match(owner_id):
        raise TenancyError(f"owner id {owner_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
    base_currency = base_currency.upper()
    if not is_known(base_currency):
        raise TenancyError(f"unknown currency {base_currency!r}")
    if session.scalars(select(OwnerRow).where(OwnerRow.owner_id == owner_id)).first():
        raise TenancyError(f"owner {owner_id!r} already exists")
    api_key = "agk_" + secrets.token_urlsafe(24)
    row = OwnerRow(owner_id=owner_id, name=name, base_currency=base_currency, api_key_hash=hash_api_key(api_key))
    session.add(row)
    session.flush()
    write_audit(session, entity="owners", key=owner_id, action="create", owner_id=owner_id,
                changes={"name": name, "base_currency": base_currency}, actor=actor)
    return row, api_key


def get_owner(session: Session, owner_id: str) -> OwnerRow:
    row = session.scalars(select(OwnerRow).where(OwnerRow.owner_id == owner_id)).first()
    if row is None:
        raise TenancyError(f"no owner {owner_id!r} (create it with: aggregator owners add {owner_id} --name …)")
    return row


def owner_for_api_key(session: Session, api_key: str) -> OwnerRow | None:
    """The owner whose key this is. Keys are 24 random bytes, so their SHA-256 is looked up directly
    (an index lookup; nothing secret is compared byte by byte in Python)."""
    return session.scalars(select(OwnerRow).where(OwnerRow.api_key_hash == hash_api_key(api_key))).first()


def list_owners(session: Session) -> list[OwnerRow]:
    return list(session.scalars(select(OwnerRow).order_by(OwnerRow.owner_id)))
