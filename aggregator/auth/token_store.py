"""The database-backed token provider: one shop's tokens, refreshed single-flight across processes.

Refresh takes a lock on the shop's credential row — ``SELECT … FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` (the database write lock) on SQLite — then re-reads it: if another worker already
refreshed (the stored access token is no longer the stale one, or no longer near expiry) that token
is used; otherwise the refresh call is made *under the lock* and the new pair is written in the same
transaction, with ``version`` incremented. Shopee refresh tokens work once, so two workers must
never spend the same one; holding the lock across the call is what guarantees it.

A rejected refresh (revoked, expired) marks the shop ``needs_reauth`` with the reason and raises
``AuthorizationRevoked``; syncs of that shop stop visibly until it is authorized again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from aggregator.store.models.tenancy import ShopCredential, ShopRow
from aggregator.store.upsert import write_audit
from aggregator.store.vault import Vault
from platform_adapters.auth import REFRESH_MARGIN, AuthorizationRevoked, TokenSet, utc_now
from platform_adapters.http.errors import ErrorKind, PlatformError

log = logging.getLogger(__name__)

Refresher = Callable[[TokenSet], TokenSet]


def read_tokens(row: ShopCredential, vault: Vault) -> TokenSet | None:
    access = vault.decrypt(row.access_token_enc)
    if not access or row.access_expires_at is None:
        return None
    return TokenSet(access_token=access, refresh_token=vault.decrypt(row.refresh_token_enc) or "",
                    access_expires_at=row.access_expires_at, refresh_expires_at=row.refresh_expires_at)


def write_tokens(session: Session, row: ShopCredential, tokens: TokenSet, vault: Vault, *, actor: str) -> None:
    """Store a new pair (encrypted) with absolute expiries; bumps ``version``; audit without secrets."""
    row.access_token_enc = vault.encrypt(tokens.access_token)
    row.refresh_token_enc = vault.encrypt(tokens.refresh_token)
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at
    row.version = (row.version or 0) + 1
    write_audit(session, entity="shop_credentials", key=str(row.shop_pk), action="tokens", owner_id=None,
                changes={"access_expires_at": tokens.access_expires_at,
                         "refresh_expires_at": tokens.refresh_expires_at, "version": row.version}, actor=actor)


def mark_needs_reauth(session: Session, shop_pk: int, reason: str) -> None:
    session.execute(update(ShopRow).where(ShopRow.id == shop_pk)
                    .values(status="needs_reauth", status_reason=reason[:1000]))
    write_audit(session, entity="shops", key=str(shop_pk), action="needs_reauth", owner_id=None,
                changes={"reason": reason[:1000]})


@contextmanager
def locked_credential(engine: Engine, shop_pk: int) -> Iterator[tuple[Session, ShopCredential]]:
    """A transaction holding the write lock on the shop's credential row (commits on success)."""
    with engine.connect() as conn:
        with conn.begin():  # SQLite: BEGIN IMMEDIATE (aggregator.store.db) holds the write lock
            session = Session(bind=conn)
            stmt = select(ShopCredential).where(ShopCredential.shop_pk == shop_pk)
            if conn.dialect.name != "sqlite":
                stmt = stmt.with_for_update()
            row = session.scalars(stmt).first()
            if row is None:
                raise AuthorizationRevoked(str(shop_pk), "the shop has no stored credentials")
            yield session, row
            session.flush()


class DatabaseTokenProvider:
    """``TokenProvider`` for one shop, backed by ``shop_credentials``."""

    def __init__(self, engine: Engine, shop_pk: int, shop_id: str, vault: Vault, refresher: Refresher, *,
                 clock: Callable[[], datetime] = utc_now, margin: timedelta = REFRESH_MARGIN) -> None:
        self.engine = engine
        self.shop_pk = shop_pk
        self.shop_id = shop_id
        self.vault = vault
        self.refresher = refresher
        self.clock = clock
        self.margin = margin
        self.refreshes = 0

    def current(self) -> TokenSet:
        with Session(self.engine) as session:
            row = session.scalars(select(ShopCredential).where(ShopCredential.shop_pk == self.shop_pk)).first()
            tokens = read_tokens(row, self.vault) if row is not None else None
        if tokens is None:
            raise AuthorizationRevoked(self.shop_id, "the shop has not been authorized (no access token)")
        if not tokens.expires_within(self.margin, self.clock()):
            return tokens
        return self._refresh(stale_access=None)

    def refresh(self, stale: TokenSet) -> TokenSet:
        return self._refresh(stale_access=stale.access_token)

    def _refresh(self, stale_access: str | None) -> TokenSet:
        revoked: str | None = None
        with locked_credential(self.engine, self.shop_pk) as (session, row):
            stored = read_tokens(row, self.vault)
            if stored is None:
                raise AuthorizationRevoked(self.shop_id, "the shop has not been authorized (no access token)")
            now = self.clock()
            if stale_access is not None and stored.access_token != stale_access:
                return stored  # another worker refreshed while we waited for the lock
            if stale_access is None and not stored.expires_within(self.margin, now):
                return stored
            if stored.refresh_expired(now) or not stored.refresh_token:
                revoked = "refresh token expired; authorize the shop again"
            else:
                try:
                    fresh = self.refresher(stored)
                except AuthorizationRevoked as exc:
                    revoked = exc.reason
                except PlatformError as exc:
                    if exc.kind not in (ErrorKind.AUTH_REVOKED, ErrorKind.EXPIRED_TOKEN):
                        raise
                    revoked = f"refresh rejected: {exc.code}: {exc.message}"
                else:
                    write_tokens(session, row, fresh, self.vault, actor="token-refresh")
                    self.refreshes += 1
                    log.info("refreshed tokens of shop %s (version %s)", self.shop_id, row.version)
                    return fresh
            mark_needs_reauth(session, self.shop_pk, revoked)
        raise AuthorizationRevoked(self.shop_id, revoked)
