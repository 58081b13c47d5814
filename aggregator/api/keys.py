"""API keys: create (shown once), list, revoke, and look up the caller behind a presented key.

Keys are ``agk_`` + 32 random bytes (URL-safe base64). Only their SHA-256 is stored: a key that
random cannot be found from its hash, so a plain digest looked up through a unique index is enough
(no per-request key stretching), and no secret is ever compared byte by byte in Python. Every key has
a role (``aggregator.api.roles``), an expiry and may be bound to one owner; revoking is immediate.
The operator key from the environment (``AGGREGATOR_OPERATOR_API_KEY``) is not stored: it acts as an
unbound ``admin`` key (see ``aggregator.api.auth``).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from aggregator.api.roles import OWNER_BOUND, Role, parse_role
from aggregator.store.models.access import ApiKeyRow
from aggregator.store.upsert import write_audit
from aggregator.tenancy import require_owner

KEY_PREFIX = "agk_"
DEFAULT_LIFETIME = timedelta(days=365)
MAX_LIFETIME = timedelta(days=3650)


class KeyError_(ValueError):
    """A key request that cannot be honoured (unknown role, owner or key id, bad expiry), with why."""


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    """Who a presented key is: its row id (``None`` for the operator key), role and bound owner."""

    key_id: int | None
    role: Role
    owner_id: str | None

    @property
    def actor(self) -> str:
        return "operator-key" if self.key_id is None else f"key:{self.key_id}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(session: Session, *, role: str | Role, owner_id: str | None = None, name: str = "",
               lifetime: timedelta = DEFAULT_LIFETIME, actor: str = "cli",
               now: datetime | None = None) -> tuple[ApiKeyRow, str]:
    """A new key; returns its row and the key itself (shown once, never stored)."""
    role = role if isinstance(role, Role) else _role(role)
    if role in OWNER_BOUND and not owner_id:
        raise KeyError_(f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value} key must be bound to an "
                        "owner (--owner)")
    if owner_id is not None:
        owner_id = require_owner(session, owner_id).owner_id
    if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
        raise KeyError_(f"a key lives between 1 minute and {MAX_LIFETIME.days} days, not {lifetime}")
    now = now or datetime.now(timezone.utc)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(key_hash=hash_key(key), prefix=key[len(KEY_PREFIX):len(KEY_PREFIX) + 8], role=role.value,
                    owner_id=owner_id, name=name, created_by=actor, created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    write_audit(session, entity="api_keys", key=str(row.id), action="create", owner_id=owner_id, actor=actor,
                changes={"role": role.value, "owner_id": owner_id, "name": name, "prefix": row.prefix,
                         "expires_at": row.expires_at})
    return row, key


def list_keys(session: Session, owner_id: str | None = None) -> list[ApiKeyRow]:
    query = select(ApiKeyRow).order_by(ApiKeyRow.id)
    if owner_id is not None:
        query = query.where(ApiKeyRow.owner_id == require_owner(session, owner_id).owner_id)
    return list(session.scalars(query))


def revoke_key(session: Session, key_id: int, *, actor: str = "cli", now: datetime | None = None) -> ApiKeyRow:
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        raise KeyError_(f"no key #{key_id} (see: aggregator keys list)")
    if row.revoked_at is not None:
        raise KeyError_(f"key #{key_id} was already revoked at {row.revoked_at.isoformat(timespec='seconds')}")
    row.revoked_at = now or datetime.now(timezone.utc)
    write_audit(session, entity="api_keys", key=str(row.id), action="revoke", owner_id=row.owner_id, actor=actor,
                changes={"prefix": row.prefix})
    return row


def key_state(row: ApiKeyRow, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= now else "active"


_K = ApiKeyRow.__table__.c
_BY_HASH = select(_K.id, _K.role, _K.owner_id, _K.expires_at, _K.revoked_at).where(_K.key_hash == bindparam("hash"))


def identify(session: Session, key: str, now: datetime | None = None) -> KeyIdentity | str:
    """The identity behind ``key``, or why it is refused (unknown, expired, revoked)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 128:
        return "unknown key"
    # a prebuilt statement, read as a row on the session's connection (no ORM execution layer)
    row = session.connection().execute(_BY_HASH, {"hash": hash_key(key)}).first()
    if row is None:
        return "unknown key"
    state = key_state(row, now)
    if state != "active":
        return f"key {state}"
    return KeyIdentity(row.id, Role(row.role), row.owner_id)


def _role(value: str) -> Role:
    try:
        return parse_role(value)
    except ValueError as exc:
        raise KeyError_(str(exc)) from None
