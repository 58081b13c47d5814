"""Marketplace push endpoints: ``POST /webhooks/{platform}``, authenticated by the platform's signature.

The body is read up to ``MAX_BODY_BYTES`` and no further: a larger declared ``Content-Length`` is
answered 413 before reading, a stream that goes past the limit is cut off with 413 as soon as it
does (never buffered whole). Then ``aggregator.webhooks.receive`` verifies the signature over the raw
bytes, decodes within bounds and stores the event once (with what an order push says written into
the stored order in the same transaction), off the event loop; every refusal is its 4xx (400
unreadable, 401 unsigned / bad signature, 413 too large, 422 unknown shop), never a 5xx. The event
is stored before the answer (so a 200 means it is kept), then applied after the response (the
shop's batched re-read): in a Celery task when jobs run on Celery, else in this process's background.
"""
from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from aggregator.digits import ascii_digits, digits_value
from aggregator.webhooks import WebhookRejected, apply, receive
from platform_adapters.registry import known_platforms
from platform_adapters.http.safe_json import WEBHOOK_LIMITS

router = APIRouter(tags=["webhooks"])

#: Marketplace pushes are a few hundred bytes; the bounded decoder takes no more either.
MAX_BODY_BYTES = WEBHOOK_LIMITS.max_bytes


async def read_limited(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not ascii_digits(declared.strip()):
            raise HTTPException(400, "Content-Length is not a number")
        declared_size = digits_value(declared.strip(), 19)  # more digits than an int64: larger than any limit
        if declared_size is None or declared_size > limit:
            raise HTTPException(413, f"push body of {declared.strip()[:40]} bytes; at most {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"push body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _receive(state, platform: str, body: bytes, authorization: str | None, callback_url: str):
    """``receive`` in a session of its own, committed (or rolled back when refused)."""
    session = state.sessions()
    try:
        received = receive(session, state.vault, platform, body, authorization, callback_url)
        session.commit()
        return received
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@router.post("/webhooks/{platform}", responses={
    400: {"description": "Unreadable push"}, 401: {"description": "Signature does not verify"},
    404: {"description": "Unknown platform"}, 413: {"description": "Body too large"}})
async def push(platform: str, request: Request, background: BackgroundTasks) -> dict:
    if platform not in known_platforms():  # every registered adapter has its route
        raise HTTPException(404, "unknown platform")
    state = request.app.state
    if state.vault is None:
        raise HTTPException(503, "webhooks are not configured on this server")
    body = await read_limited(request)
    # Shopee signs the callback URL as registered: the public URL when behind a proxy, else this one.
    callback_url = (state.public_base_url.rstrip("/") + request.url.path) if state.public_base_url \
        else str(request.url.replace(query=""))
    try:  # database work off the event loop: a push waiting for SQLite's write lock holds up no request
        received = await run_in_threadpool(_receive, state, platform, body, request.headers.get("authorization"),
                                           callback_url)
    except WebhookRejected as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    for event_pk in received.to_apply:  # a partner-level push: one event per registered shop it names
        if state.enqueue_webhook is not None:
            state.enqueue_webhook(event_pk)
        else:
            background.add_task(apply, state.engine, state.vault, event_pk, state.transports)
    return {"received": True, "duplicate": received.duplicate}
