"""``GET /api/v1/events``: the caller's live events as Server-Sent Events (sse-starlette).

Each event carries ``id`` (its outbox position), ``event`` (its topic) and ``data`` (JSON: topic, key, owner,
time and the topic's fields). A client resumes after a disconnect with ``Last-Event-ID`` (browsers'
EventSource sends it by itself) or ``?after=``; without either it hears only what happens from now.
``follow=false`` answers what is already there after the cursor and closes (catch-up polling).
Scope: a key bound to an owner hears that owner only; unbound staff every owner or the ``?owner=``.
Browsers' ``EventSource`` cannot send an ``Authorization`` header: read the stream with ``fetch``.
"""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from aggregator.api.auth import Principal, reader
from aggregator.digits import digits_value
from aggregator.events.outbox import TOPICS, latest_position, pending, read_after, sequence
from aggregator.events.watcher import OutboxWatcher
from aggregator.store.models.events import OutboxEventRow

router = APIRouter(prefix="/api/v1", tags=["events"])

HEARTBEAT = 15.0
BATCH = 500
MAX_ID = 2**63 - 1


def watcher(request: Request) -> OutboxWatcher:
    state = request.app.state
    if getattr(state, "outbox_watcher", None) is None:
        state.outbox_watcher = OutboxWatcher(state.engine)
    return state.outbox_watcher


def _topics(value: str | None) -> list[str]:
    if not value:
        return []
    wanted = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in TOPICS]
    if unknown:
        raise HTTPException(422, f"unknown topic(s) {', '.join(map(repr, unknown))}; known: {', '.join(TOPICS)}")
    return wanted


def _cursor(last_event_id: str | None, after: int | None) -> int | None:
    if after is not None:
        return after
    if last_event_id is None or not last_event_id.strip():
        return None
    value = digits_value(last_event_id.strip(), len(str(MAX_ID)))
    if value is None or value > MAX_ID:
        raise HTTPException(422, "Last-Event-ID must be the id of an event from this stream")
    return value


def event_payload(row: OutboxEventRow) -> dict:
    return {"id": row.position, "topic": row.topic, "owner_id": row.owner_id, "key": row.key,
            "at": row.created_at.isoformat(), "data": row.data}


@router.get("/events", responses={200: {"content": {"text/event-stream": {}},
                                        "description": "a stream of events: id, event (topic), data (JSON)"}})
async def events(
    request: Request,
    principal: Principal = Depends(reader),
    topics: Annotated[str | None, Query(max_length=300, description="comma-separated topics: " + ", ".join(TOPICS))] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="resume after this event id")] = None,
    follow: Annotated[bool, Query(description="false: send what is there, then close")] = True,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> EventSourceResponse:
    wanted = _topics(topics)
    start = _cursor(last_event_id, after)
    sessions, writer = request.app.state.read_sessions, request.app.state.sessions

    def sequence_pending() -> None:
        with sessions() as session:
            waiting = pending(session)
        if waiting:
            with writer() as w, w.begin():
                sequence(w)

    def read(cursor: int) -> list[OutboxEventRow]:
        if watch is None:  # no watcher sequences for a catch-up read: do it here
            sequence_pending()
        with sessions() as session:
            return read_after(session, cursor, owner_id=principal.owner_id, topics=wanted, limit=BATCH)

    def newest() -> int:  # "from now": what committed before the connection is not news
        sequence_pending()
        with sessions() as session:
            return latest_position(session)

    cursor = start if start is not None else await run_in_threadpool(newest)
    watch = watcher(request) if follow else None

    async def stream() -> AsyncIterator[dict]:
        nonlocal cursor
        seen = cursor
        if watch is not None:
            await run_in_threadpool(watch.acquire)
        try:
            while True:
                rows = await run_in_threadpool(read, cursor)
                for row in rows:
                    cursor = row.position
                    yield {"id": str(row.position), "event": row.topic, "data": json.dumps(event_payload(row))}
                if len(rows) == BATCH:
                    continue
                if watch is None:
                    return
                seen = max(seen, cursor)
                seen = max(seen, await watch.wait_beyond(seen, HEARTBEAT))
        finally:
            if watch is not None:
                watch.release()

    return EventSourceResponse(stream(), ping=HEARTBEAT, headers={"Cache-Control": "no-store"})
