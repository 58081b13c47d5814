"""Owners (brands): create, list, look up (``require_owner``). Shops are managed by ``aggregator.auth.shops``;
API keys by ``aggregator.api.keys``; aliases (what files call an owner) by ``aggregator.owners``.

``require_owner`` is the one way to resolve an owner id named by a user (any CLI verb, API filter or
service entry point): an unknown id raises ``UnknownOwner`` with a clear message, never a silent
empty result or rows stored under an owner that does not exist.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.models.tenancy import OwnerRow
from aggregator.store.upsert import write_audit
from fx.currencies import is_known
from matching import keys

OWNER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class TenancyError(ValueError):
    """A request about owners or shops that cannot be honoured (with the reason)."""


class UnknownOwner(TenancyError):
    """An owner id that names no owner (the message names a few known ones, for the operator)."""

    def __init__(self, owner_id: str, known: list[str] | None = None) -> None:
        self.owner_id, self.known = owner_id, list(known or [])
        super().__init__(f"{self.without_hint()} (see: aggregator owners list; create it with: "
                         f"aggregator owners add {owner_id} --name …)")

    def without_hint(self) -> str:
        """The refusal without the CLI's how-to (for the API, whose callers type no command)."""
        known = self.known
        shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
        return f"no owner {self.owner_id!r}" + (f"; known owners: {shown}" if known else "")


def require_owner(session: Session, owner_id: str) -> OwnerRow:
    """The owner named ``owner_id``; an unknown id is refused (``UnknownOwner``), never defaulted."""
    row = session.scalars(select(OwnerRow).where(OwnerRow.owner_id == owner_id)).first()
    if row is None:
        known = list(session.scalars(select(OwnerRow.owner_id).order_by(OwnerRow.owner_id).limit(11)))
        raise UnknownOwner(owner_id, known)
    return row


def add_owner(session: Session, owner_id: str, name: str, base_currency: str = "CNY",
              *, actor: str = "cli") -> tuple[OwnerRow, str]:
    """Create an owner; returns the row and a new ``owner-viewer`` API key bound to it (shown once,
    stored only as a hash; more keys and other roles: ``aggregator keys create``)."""
    from aggregator.api.keys import create_key

    if not OWNER_ID_PATTERN.match(owner_id):
        raise TenancyError(f"owner id {owner_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
    base_currency = base_currency.upper()
    if not is_known(base_currency):
        raise TenancyError(f"unknown currency {base_currency!r}")
    if session.scalars(select(OwnerRow).where(OwnerRow.owner_id == owner_id)).first():
        raise TenancyError(f"owner {owner_id!r} already exists")
    # matching keys, partitions and title subjects carry the owner upper-cased (``matching.keys``): two ids
    # that differ only in case would share them (one owner's run would replace the other's links)
    same_key = next((o for o in session.scalars(select(OwnerRow.owner_id))
                     if keys.normalize_code(o) == keys.normalize_code(owner_id)), None)
    if same_key is not None:
        raise TenancyError(f"owner id {owner_id!r} differs from the existing owner {same_key!r} only in case; "
                           "matching keys owners case-insensitively, so choose another id")
    row = OwnerRow(owner_id=owner_id, name=name, base_currency=base_currency)
    session.add(row)
    session.flush()
    write_audit(session, entity="owners", key=owner_id, action="create", owner_id=owner_id,
                changes={"name": name, "base_currency": base_currency}, actor=actor)
    _, api_key = create_key(session, role="owner-viewer", owner_id=owner_id, name="created with the owner",
                            actor=actor)
    return row, api_key


def set_owner(session: Session, owner_id: str, *, base_currency: str | None = None, name: str | None = None,
              actor: str = "cli") -> OwnerRow:
    """Change an owner's base currency (ISO 4217, refused when unknown) and/or name; audited."""
    row = require_owner(session, owner_id)
    changes: dict[str, str] = {}
    if base_currency is not None:
        code = base_currency.strip().upper()
        if not is_known(code):
            raise TenancyError(f"unknown currency {base_currency!r} (an ISO 4217 code such as CNY, USD, MYR)")
        if code != row.base_currency:
            changes["base_currency"] = code
    if name is not None and name.strip() and name.strip() != row.name:
        changes["name"] = name.strip()
    for field, value in changes.items():
        setattr(row, field, value)
    if changes:
        session.flush()
        write_audit(session, entity="owners", key=owner_id, action="update", owner_id=owner_id, changes=changes,
                    actor=actor)
    return row


def list_owners(session: Session) -> list[OwnerRow]:
    return list(session.scalars(select(OwnerRow).order_by(OwnerRow.owner_id)))
