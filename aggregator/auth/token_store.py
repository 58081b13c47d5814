"""The database-backed token provider: one shop's tokens, refreshed single-flight across processes,
with no HTTP call inside a database transaction.

A refresh (1) takes the shop's *refresh lease* in a short transaction (``SELECT … FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite): if another worker already refreshed, its token is used;
if another worker holds a live lease, this one waits for it and uses what it wrote; (2) calls the
platform with no transaction open (on SQLite a transaction would hold the only write lock while the
platform answers); (3) writes the new pair in another short transaction, ``version`` incremented, and
releases the lease.

Refresh tokens are single-use (Shopee: "can be used once"), so the call is sent ``once``
(``Transport.single_use``): retried only when it provably never reached the platform. When the outcome
is unknown (``ErrorKind.UNCERTAIN``: read timeout, 5xx, an answer lost or cut off) the token may be
spent and the new pair lost; the stored credential is read again and, while its access token has not
expired (refreshes start ``REFRESH_MARGIN`` early), it is used and the shop stays authorized; only a
refresh the platform answers with a rejection (revoked, expired) marks the shop ``needs_reauth``.

A rejected refresh marks the shop ``needs_reauth`` with the reason and raises ``AuthorizationRevoked``;
syncs of that shop stop visibly until it is authorized again.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from aggregator.store.db import statement_reads
from aggregator.store.models.tenancy import ShopCredential, ShopRow
from aggregator.store.upsert import write_audit
from aggregator.store.vault import Vault
from platform_adapters.auth import REFRESH_MARGIN, AuthorizationRevoked, TokenSet, utc_now
from platform_adapters.http.errors import ErrorKind, PlatformError

log = logging.getLogger(__name__)

Refresher = Callable[[TokenSet], TokenSet]
#: How long a refresh lease holds when its worker never releases it (dies mid-call).
LEASE = timedelta(seconds=60)


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


_TOKEN_COLUMNS = (ShopCredential.access_token_enc, ShopCredential.refresh_token_enc, ShopCredential.access_expires_at,
                  ShopCredential.refresh_expires_at, ShopCredential.version)


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
        self._read: tuple[tuple, TokenSet | None] | None = None  # (stored columns, their decrypted pair)
        self._reader = statement_reads(engine)

    def current(self) -> TokenSet:
        """The stored pair, read on every call (another worker may have refreshed it): one Core SELECT of
        the five columns in a read-only transaction; the pair is decrypted again only when they changed."""
        with self._reader.connect() as conn:  # a read: on SQLite it never queues for the write lock
            row = conn.execute(select(*_TOKEN_COLUMNS).where(ShopCredential.shop_pk == self.shop_pk)).first()
        if row is None:
            tokens = None
        elif self._read is not None and self._read[0] == tuple(row):
            tokens = self._read[1]
        else:
            tokens = read_tokens(row, self.vault)
            self._read = (tuple(row), tokens)
        if tokens is None:
            raise AuthorizationRevoked(self.shop_id, "the shop has not been authorized (no access token)")
        if not tokens.expires_within(self.margin, self.clock()):
            return tokens
        return self._refresh(stale_access=None)

    def refresh(self, stale: TokenSet) -> TokenSet:
        return self._refresh(stale_access=stale.access_token)

    def _refresh(self, stale_access: str | None, second_try: bool = False) -> TokenSet:
        holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + LEASE.total_seconds() * 2
        while True:
            decision, tokens = self._take_lease(stale_access, holder)
            if decision == "use":
                return tokens
            if decision == "refresh":
                break
            if time.monotonic() > deadline:  # the holder died without releasing: its lease has lapsed by now
                raise PlatformError(ErrorKind.RETRYABLE, "refresh_busy", "another worker is refreshing the "
                                    "tokens; try again", platform="token-store")
            time.sleep(0.2)  # another worker holds the lease: wait for what it writes
        try:
            fresh = self.refresher(tokens)
        except AuthorizationRevoked as exc:
            return self._give_up(holder, exc.reason)
        except PlatformError as exc:
            if exc.kind in (ErrorKind.AUTH_REVOKED, ErrorKind.EXPIRED_TOKEN):
                return self._give_up(holder, f"refresh rejected: {exc.code}: {exc.message}")
            if exc.kind is ErrorKind.UNCERTAIN:
                return self._after_uncertain(holder, tokens, exc, stale_access, second_try)
            self._release(holder)
            raise
        except BaseException:
            self._release(holder)
            raise
        with locked_credential(self.engine, self.shop_pk) as (session, row):
            write_tokens(session, row, fresh, self.vault, actor="token-refresh")
            row.refresh_lease_owner, row.refresh_lease_until = None, None
            self.refreshes += 1
            log.info("refreshed tokens of shop %s (version %s)", self.shop_id, row.version)
        return fresh

    def _take_lease(self, stale_access: str | None, holder: str) -> tuple[str, TokenSet | None]:
        """("use", tokens) when no refresh is needed (any more); ("refresh", stored) with the lease taken;
        ("wait", None) while another worker holds a live lease."""
        revoked = None
        with locked_credential(self.engine, self.shop_pk) as (session, row):
            stored = read_tokens(row, self.vault)
            if stored is None:
                raise AuthorizationRevoked(self.shop_id, "the shop has not been authorized (no access token)")
            now = self.clock()
            if stale_access is not None and stored.access_token != stale_access:
                return "use", stored  # another worker refreshed while we waited
            if stale_access is None and not stored.expires_within(self.margin, now):
                return "use", stored
            wall = utc_now()
            if row.refresh_lease_owner and row.refresh_lease_until and row.refresh_lease_until > wall:
                return "wait", None
            if stored.refresh_expired(now) or not stored.refresh_token:
                revoked = "refresh token expired; authorize the shop again"
                mark_needs_reauth(session, self.shop_pk, revoked)
            else:
                row.refresh_lease_owner, row.refresh_lease_until = holder, wall + LEASE
                return "refresh", stored
        raise AuthorizationRevoked(self.shop_id, revoked)

    def _release(self, holder: str) -> None:
        with locked_credential(self.engine, self.shop_pk) as (session, row):
            if row.refresh_lease_owner == holder:
                row.refresh_lease_owner, row.refresh_lease_until = None, None

    def _give_up(self, holder: str, reason: str) -> TokenSet:
        with locked_credential(self.engine, self.shop_pk) as (session, row):
            if row.refresh_lease_owner == holder:
                row.refresh_lease_owner, row.refresh_lease_until = None, None
            mark_needs_reauth(session, self.shop_pk, reason)
        raise AuthorizationRevoked(self.shop_id, reason)

    def _after_uncertain(self, holder: str, sent: TokenSet, exc: PlatformError, stale_access: str | None,
                         second_try: bool) -> TokenSet:
        """The refresh may have been processed and its answer lost: the (maybe spent) refresh token is not
        re-sent blindly. The stored credential is read again: a newer one (another worker) is used; an
        access token the platform has not rejected and that has not expired is used, and the shop stays
        authorized. Only when the platform already rejected the stored access token is the refresh tried
        once more (if the first one was processed, its new pair is lost and the platform will say so; if
        it was not, this one recovers); an unknown outcome again fails the run, never the authorization."""
        self._release(holder)
        with Session(self.engine) as session:
            row = session.scalars(select(ShopCredential).where(ShopCredential.shop_pk == self.shop_pk)).first()
            stored = read_tokens(row, self.vault) if row is not None else None
        log.warning("refresh of shop %s had an unknown outcome (%s); re-reading the stored token", self.shop_id, exc)
        if stored is not None and stored.access_token != sent.access_token:
            return stored  # another worker did refresh meanwhile
        rejected = stale_access is not None and stored is not None and stored.access_token == stale_access
        if stored is not None and not rejected and stored.access_expires_at > self.clock():
            return stored
        if rejected and not second_try:
            return self._refresh(stale_access, second_try=True)
        exc.kind = ErrorKind.RETRYABLE  # the run fails and is retried later; the authorization stands
        raise exc
