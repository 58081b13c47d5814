"""Marketplace push endpoints: ``POST /webhooks/{platform}``, authenticated by the platform's signature.

The event is verified and stored before the answer (so a 200 means it is kept), then applied after
the response: in a Celery task when jobs run on Celery, else in this process's background.
"""
from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request

from aggregator.webhooks import WebhookRejected, apply, receive

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks/{platform}")
async def push(platform: str, request: Request, background: BackgroundTasks) -> dict:
    if platform not in ("shopee", "lazada", "tiktok"):
        raise HTTPException(404, "unknown platform")
    body = await request.body()
    state = request.app.state
    if state.vault is None:
        raise HTTPException(503, "webhooks are not configured on this server")
    # Shopee signs the callback URL as registered: the public URL when behind a proxy, else this one.
    callback_url = (state.public_base_url.rstrip("/") + request.url.path) if state.public_base_url \
        else str(request.url.replace(query=""))
    session = state.sessions()
    try:
        received = receive(session, state.vault, platform, body, request.headers.get("authorization"), callback_url)
        session.commit()
    except WebhookRejected as exc:
        session.rollback()
        raise HTTPException(401 if "signature" in str(exc) else 400, str(exc)) from exc
    finally:
        session.close()
    if received.event_pk is not None:
        if state.enqueue_webhook is not None:
            state.enqueue_webhook(received.event_pk)
        else:
            background.add_task(apply, state.engine, state.vault, received.event_pk)
    return {"received": True, "duplicate": received.duplicate}
