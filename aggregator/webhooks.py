"""Marketplace webhooks: verify, store once, apply.

``receive`` parses the push to find its shop, verifies the platform's signature with that shop's app
secret (constant time), and stores the event once per (platform, event_id): a duplicate delivery is
acknowledged and ignored. ``apply`` acts on a stored event: an order status change re-reads the order
by id and upserts it, so a late, older notification can never overwrite a newer state (the upsert's
source-time guard); a revoked authorization marks the shop ``needs_reauth``.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from aggregator.auth.shops import credential_of
from aggregator.logging_setup import redact_text
from aggregator.store.db import session_scope
from aggregator.store.models.tenancy import ShopRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.store.upsert import insert_for, write_audit
from aggregator.store.vault import Vault
from platform_adapters.canonical import Platform
from platform_adapters.registry import WebhookError, WebhookEvent

log = logging.getLogger(__name__)


class WebhookRejected(ValueError):
    """Not a push this application accepts (unknown shop, bad signature, unreadable body)."""


@dataclass(frozen=True, slots=True)
class Received:
    event_pk: int | None  # None for a duplicate
    duplicate: bool
    kind: str


def _module(platform: str):
    return importlib.import_module(f"platform_adapters.{Platform.parse(platform).value}.webhooks")


def _verify(platform: str, shop: ShopRow, session: Session, vault: Vault, callback_url: str, body: bytes,
            authorization: str | None) -> bool:
    credential = credential_of(session, shop)
    secret = vault.decrypt(credential.app_secret_enc) or ""
    if platform == "shopee":
        return _module(platform).verify(secret, callback_url, body, authorization)
    return _module(platform).verify(credential.app_key or "", secret, body, authorization)


def receive(session: Session, vault: Vault, platform: str, body: bytes, authorization: str | None,
            callback_url: str) -> Received:
    try:
        platform = Platform.parse(platform).value
        event: WebhookEvent = _module(platform).parse(body)
    except (ValueError, WebhookError) as exc:
        raise WebhookRejected(f"unreadable {platform} push: {exc}") from exc
    shop = session.scalars(select(ShopRow).where(ShopRow.platform == platform,
                                                 ShopRow.shop_id == (event.shop_id or ""))).first()
    if shop is None:
        raise WebhookRejected(f"{platform} push for unknown shop {event.shop_id!r}")
    if not _verify(platform, shop, session, vault, callback_url, body, authorization):
        raise WebhookRejected(f"{platform} push signature does not verify")
    inserted = session.execute(
        insert_for(session, WebhookEventRow.__table__).values(
            platform=platform, event_id=event.event_id, owner_id=shop.owner_id, shop_id=shop.shop_id,
            kind=event.kind, order_id=event.order_id, raw_status=event.raw_status,
            source_updated_at=event.source_updated_at, status="received",
            body=body.decode("utf-8", "replace"))
        .on_conflict_do_nothing(index_elements=["platform", "event_id"]).returning(WebhookEventRow.id)
    ).first()
    if inserted is None:
        return Received(None, True, event.kind)
    return Received(inserted[0], False, event.kind)


def apply(engine: Engine, vault: Vault, event_pk: int) -> str:
    """Act on a stored event; returns (and stores) its new status."""
    from aggregator.sync.marketplace import ShopNotReady, refresh_orders

    with Session(engine) as session:
        event = session.get(WebhookEventRow, event_pk)
        if event is None:
            return "failed"
        shop = session.scalars(select(ShopRow).where(ShopRow.platform == event.platform,
                                                     ShopRow.shop_id == event.shop_id)).first()
    status, detail = "ignored", None
    try:
        if shop is None:
            status, detail = "failed", "shop no longer registered"
        elif event.kind == "ORDER_STATUS" and event.order_id:
            outcome = refresh_orders(engine, shop, vault, [event.order_id])
            changed = outcome.counts.get("created", 0) + outcome.counts.get("updated", 0)
            if changed:
                status = "applied"
            elif outcome.counts.get("failed") or outcome.not_found:
                status = "failed"
            else:  # the order already held this state (or a newer one)
                status = "stale" if outcome.counts.get("stale") else "unchanged"
            detail = ", ".join(f"{k} {v}" for k, v in outcome.counts.items() if v) or None
            if outcome.not_found:
                detail = f"not found upstream: {', '.join(outcome.not_found)}"
        elif event.kind == "AUTH_REVOKED":
            with session_scope(engine) as session:
                session.execute(update(ShopRow).where(ShopRow.id == shop.id)
                                .values(status="needs_reauth", status_reason="authorization revoked (push)"))
                write_audit(session, entity="shops", key=f"{shop.platform}:{shop.shop_id}", action="needs_reauth",
                            owner_id=shop.owner_id, changes={"reason": "authorization revoked (push)"},
                            actor="webhook")
            status = "applied"
    except ShopNotReady as exc:
        status, detail = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - kept on the event for the operator, never lost
        log.warning("applying webhook event %s failed: %s", event_pk, exc)
        status, detail = "failed", redact_text(f"{type(exc).__name__}: {exc}")
    with session_scope(engine) as session:
        session.execute(update(WebhookEventRow).where(WebhookEventRow.id == event_pk)
                        .values(status=status, detail=detail))
    return status
