"""Who is calling: the owner behind an API key, or the operator acting for a named owner."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from aggregator.tenancy import owner_for_api_key

bearer = HTTPBearer(auto_error=False, description="an owner's API key (agk_…) or the operator key")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller. ``owner_id`` is the only tenant whose data the request may read."""

    owner_id: str
    is_operator: bool = False


def get_session(request: Request):
    """A read session (routes using it only read; on SQLite it never blocks a writer)."""
    session = request.app.state.read_sessions()
    try:
        yield session
    finally:
        session.close()


def get_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    owner: str | None = Query(default=None, description="operator only: the owner to act for"),
    session: Session = Depends(get_session),
) -> Principal:
    unauthorised = HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or invalid API key",
                                 headers={"WWW-Authenticate": "Bearer"})
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorised
    key = credentials.credentials
    operator_key = request.app.state.operator_key
    if operator_key and secrets.compare_digest(key.encode(), operator_key.encode()):
        if not owner:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "operator requests must name ?owner=")
        return Principal(owner_id=owner, is_operator=True)
    row = owner_for_api_key(session, key)
    if row is None:
        raise unauthorised
    if owner and owner != row.owner_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this key belongs to another owner")
    return Principal(owner_id=row.owner_id)
