"""Who is calling and what the call may see: the key behind ``Authorization: Bearer``, its role and
the owner the request is scoped to.

* A key bound to an owner (every ``owner-viewer`` key, and staff keys created with ``--owner``) sees
  that owner only; naming another with ``?owner=`` is refused (403).
* An unbound staff key (``admin``, ``operations``, ``finance``) sees every owner, or one named with
  ``?owner=`` (an unknown owner is refused, 422).
* The operator key from the environment (``AGGREGATOR_OPERATOR_API_KEY``) is an unbound ``admin`` key;
  it is compared in constant time over its bytes.

Routes take ``principal: Principal = Depends(reader)`` (or ``money_reader`` / ``operator``) and
filter every query with ``principal.scope(query, Model.owner_id)``; a record of another owner is
answered 404, exactly like a missing one.
"""
from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from aggregator.api.keys import KeyIdentity, identify
from aggregator.api.roles import Permission, Role, allows
from aggregator.tenancy import OWNER_ID_PATTERN, UnknownOwner, require_owner

bearer = HTTPBearer(auto_error=False, description="an API key (agk_…) created with `aggregator keys create`")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller. ``owner_id`` is the one owner this request may read, or ``None`` for every owner
    (an unbound staff key that named none)."""

    identity: KeyIdentity
    owner_id: str | None

    @property
    def role(self) -> Role:
        return self.identity.role

    @property
    def actor(self) -> str:
        return self.identity.actor

    def allows(self, permission: Permission) -> bool:
        return allows(self.identity.role, permission)

    def scope(self, query: Any, column: Any) -> Any:
        """``query`` limited to this request's owner (unchanged for an unscoped staff request)."""
        return query if self.owner_id is None else query.where(column == self.owner_id)

    def sees(self, owner_id: str | None) -> bool:
        return self.owner_id is None or owner_id == self.owner_id


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A read session (routes using it only read; on SQLite it never blocks a writer).

    Async, so that opening it costs no trip to the thread pool (a session connects lazily, on its first
    statement, in the route's own thread); closing it takes one only when a transaction is open (a rollback)."""
    session = request.app.state.read_sessions()
    try:
        yield session
    finally:
        await _close(session)


async def get_statement_session(request: Request) -> AsyncIterator[Session]:
    """A read session for a route whose reads are each one statement that stands alone (``store.db.
    statement_reads``): on PostgreSQL in autocommit, so no BEGIN and ROLLBACK round trips around them."""
    session = request.app.state.statement_sessions()
    try:
        yield session
    finally:
        await _close(session)


async def _close(session: Session) -> None:
    if session.in_transaction():
        await run_in_threadpool(session.close)
    else:  # the route closed it (or never read): nothing to roll back, no thread hop
        session.close()


OwnerParam = Annotated[str | None, Query(
    min_length=1, max_length=64, pattern=OWNER_ID_PATTERN.pattern,
    description="limit the request to this owner (a key bound to an owner may only name its own)")]


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def get_principal(request: Request, owner: OwnerParam = None,
                  credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                  session: Session = Depends(get_session)) -> Principal:
    return _principal(request, owner, credentials, session)


def get_statement_principal(request: Request, owner: OwnerParam = None,
                            credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                            session: Session = Depends(get_statement_session)) -> Principal:
    """``get_principal`` on the ``get_statement_session`` session (the key is looked up in one statement)."""
    return _principal(request, owner, credentials, session)


def _principal(request: Request, owner: str | None, credentials: HTTPAuthorizationCredentials | None,
               session: Session) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorised("missing API key: send 'Authorization: Bearer <key>'")
    identity = _identify(request, session, credentials.credentials)
    if identity.owner_id is not None:
        if owner is not None and owner != identity.owner_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this key is bound to another owner")
        return Principal(identity, identity.owner_id)
    if owner is not None:
        try:
            owner = require_owner(session, owner).owner_id
        except UnknownOwner as exc:  # the owner named, never a CLI command to type
            raise HTTPException(422, f"owner: {exc.without_hint()}") from None
    return Principal(identity, owner)


def _identify(request: Request, session: Session, key: str) -> KeyIdentity:
    operator_key: str | None = request.app.state.operator_key
    presented = key.encode("utf-8", "surrogateescape")
    if operator_key and hmac.compare_digest(presented, operator_key.encode("utf-8")):
        return KeyIdentity(None, Role.ADMIN, None)
    found = identify(session, key)
    if isinstance(found, str):
        raise _unauthorised(f"{found}: this API key is not accepted")
    return found


def requires(permission: Permission, principals: Callable[..., Principal] = get_principal) -> Callable[..., Principal]:
    """A dependency: the principal, if its role grants ``permission`` (else 403)."""

    async def dependency(principal: Principal = Depends(principals)) -> Principal:  # pure: no thread hop
        if not principal.allows(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"the {principal.role.value} role may not {_VERBS[permission]}")
        return principal

    dependency.__name__ = f"requires_{permission.value}"
    return dependency


_VERBS = {Permission.READ: "read this", Permission.READ_MONEY: "read statements, FX or journals",
          Permission.OPERATE: "resolve or retry exceptions", Permission.MANAGE_KEYS: "manage API keys"}

reader = requires(Permission.READ)
#: ``reader`` for a route reading on ``get_statement_session``
statement_reader = requires(Permission.READ, get_statement_principal)
money_reader = requires(Permission.READ_MONEY)
operator = requires(Permission.OPERATE)
key_manager = requires(Permission.MANAGE_KEYS)
