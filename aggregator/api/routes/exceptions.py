"""The exceptions queue over HTTP, owner-scoped: list (keyset pages, filters kind / status / age), one item
(with the records a match exception could be linked to), resolve (a note, or the manual link that fixes a match
exception) and retry (a parked record). Reading needs ``read``; resolving and retrying ``operate``.

Another owner's item answers 404, like a missing one. Refusals are problem+json: an item already closed or
an action it does not allow 409, a manual link the checks refuse 422 (with the reason).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from aggregator.api.auth import Principal, get_session, operator, reader
from aggregator.api.bounds import Cursor, Limit
from aggregator.api.etag import tagged
from aggregator.api.pagination import CursorPage, keyset_page
from aggregator.exceptions_queue.actions import QueueRefusal
from aggregator.refusals import api_field
from aggregator.exceptions_queue.queries import (
    BadFilter, ExceptionNotFound, Filters, check_kind, get_item, parse_age,
)
from aggregator.store.db import session_scope
from aggregator.store.models.exceptions import ExceptionItem

router = APIRouter(prefix="/api/v1", tags=["exceptions"])

Status = Literal["open", "retried", "resolved", "gone", "all"]
Age = Annotated[str | None, Query(max_length=12, description="a duration: 90s, 15m, 6h, 3d or 2w")]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the item's id (aggregator exceptions list)")]


class ExceptionOut(BaseModel):
    id: int
    queue: str
    owner_id: str | None
    source: str
    kind: str
    reason: str
    location: str | None
    record_kind: str | None
    record_key: str | None
    step: str | None
    qty: int | None
    ref: str | None
    status: str
    attempts: int
    created_at: datetime
    last_seen_at: datetime
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class Candidate(BaseModel):
    key: str
    kind: str
    why: str


class ExceptionDetailOut(ExceptionOut):
    related_keys: list[str]
    candidates: list[Candidate]
    raw_payload: Any


class ResolveIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="why (ticket, who agreed); kept in the audit log")
    link: str | None = Field(default=None, min_length=1, max_length=400,
                             description="match exceptions: key of the record on the other side of the step "
                                         "(e.g. one of the candidates); the manual link is checked and recorded")
    qty: int | None = Field(default=None, ge=1, le=10**9, description="units the link carries (default: the "
                                                                      "exception's quantity)")


class RetryOut(BaseModel):
    replayed: bool
    detail: str
    item: ExceptionOut


def _out(item: ExceptionItem) -> ExceptionOut:
    return ExceptionOut.model_validate(item, from_attributes=True)


def _detail(session: Session, item: ExceptionItem) -> ExceptionDetailOut:
    from aggregator.exceptions_queue.queries import candidates

    return ExceptionDetailOut(**_out(item).model_dump(), related_keys=(item.related_keys or "").split(),
                              candidates=[Candidate(**c) for c in candidates(session, item)], raw_payload=item.raw_payload)


def _found(session: Session, principal: Principal, item_id: int, *, for_update: bool = False) -> ExceptionItem:
    try:
        item = get_item(session, item_id, for_update=for_update)
    except ExceptionNotFound:
        raise HTTPException(404, "exception not found") from None
    if not principal.sees(item.owner_id):  # another owner's item (or an unattributed one) is not found either
        raise HTTPException(404, "exception not found")
    return item


def _write_session(request: Request) -> Iterator[Session]:
    """A session that commits when the route succeeds and rolls back when it refuses.

    Used with ``scope="function"``: the commit runs when the route returns, before the answer is
    sent (FastAPI's default runs a yield dependency's exit after the response: a client could then
    read the old state, or be told "resolved" for a commit that failed)."""
    with session_scope(request.app.state.engine) as session:
        yield session


@router.get("/exceptions", response_model=CursorPage[ExceptionOut])
def list_exceptions(principal: Principal = Depends(reader), session: Session = Depends(get_session),
                    kind: Annotated[str | None, Query(min_length=1, max_length=64, description=(
                        "a queue (parked, match, settlement) or one kind of item, e.g. unlinked_receipt"))] = None,
                    status: Status = "open", older_than: Age = None, newer_than: Age = None, cursor: Cursor = None,
                    limit: Limit = 100) -> CursorPage[ExceptionOut]:
    """Parked records, match exceptions and settlement findings, newest first."""
    try:
        check_kind(session, kind, principal.owner_id)
        filters = Filters(owner_id=principal.owner_id, kind=kind, status=None if status == "all" else status,
                          older_than=parse_age(older_than) if older_than else None,
                          newer_than=parse_age(newer_than) if newer_than else None)
        query = filters.apply(select(ExceptionItem))
    except BadFilter as exc:
        raise HTTPException(422, str(exc)) from None
    return keyset_page(session, query, order=[ExceptionItem.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters=filters.fingerprint(), out=_out)


@router.get("/exceptions/{exception_id}", response_model=ExceptionDetailOut,
            responses={304: {"description": "Not modified"}})
def get_exception(exception_id: ItemId, request: Request, principal: Principal = Depends(reader),
                  session: Session = Depends(get_session)) -> Response:
    """One item: every field, its raw payload, and the records a match exception could be linked to."""
    return tagged(request, _detail(session, _found(session, principal, exception_id)))


CLOSED = {409: {"description": "The item is already closed, or does not allow this action (the reason says why)"}}


@router.post("/exceptions/{exception_id}/resolve", response_model=ExceptionDetailOut, responses=CLOSED)
def resolve_exception(exception_id: ItemId, body: ResolveIn, principal: Principal = Depends(operator),
                      session: Session = Depends(_write_session, scope="function")) -> ExceptionDetailOut:
    """Close an open item with a note; with ``link``, first record (checked) the manual link that fixes a match
    exception."""
    from aggregator.exceptions_queue.actions import resolve
    from aggregator.matching_service.manual_links import ManualLinkRefused

    item = _found(session, principal, exception_id, for_update=True)
    try:
        resolve(session, item, note=body.note, actor=principal.actor, link=body.link, qty=body.qty)
    except QueueRefusal as exc:  # a refusal names the body's fields (``qty``, ``link``), never a CLI flag
        raise HTTPException(409, exc.render(api_field)) from None
    except ManualLinkRefused as exc:
        raise HTTPException(422, f"manual link refused: {exc.render(api_field)}") from None
    return _detail(session, item)


@router.post("/exceptions/{exception_id}/retry", response_model=RetryOut, responses={
    **CLOSED, 503: {"description": "This server has no vault to replay parked records with"}})
def retry_exception(exception_id: ItemId, request: Request, principal: Principal = Depends(operator),
                    session: Session = Depends(_write_session, scope="function")) -> RetryOut:
    """Replay a parked record through its adapter's mapper and the store (still open if it fails again)."""
    from aggregator.exceptions_queue.actions import retry

    item = _found(session, principal, exception_id, for_update=True)
    vault = request.app.state.vault
    if vault is None and item.queue == "parked" and item.status == "open":
        raise HTTPException(503, "parked records cannot be replayed on this server (no vault configured)")
    try:
        outcome = retry(session, vault, item, actor=principal.actor)
    except QueueRefusal as exc:
        raise HTTPException(409, exc.render(api_field)) from None
    return RetryOut(replayed=outcome.replayed, detail=outcome.detail, item=_out(item))
