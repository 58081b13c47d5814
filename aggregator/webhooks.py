"""Marketplace webhooks: verify, store once, apply.

``receive`` verifies the platform's signature over the raw bytes first (constant time, against the
platform's registered apps: the signature is keyed by the app, and nothing is decoded before it
verifies), then decodes the body within bounds (``platform_adapters.webhook_json``), finds the shop it
names (which must belong to the app that signed) and stores the event once per (platform, event_id):
a duplicate delivery is acknowledged and ignored. Every refusal is a ``WebhookRejected`` carrying its
4xx status; the HTTP edge (``api/routes/webhooks.py``) also refuses a body over the size limit while
reading it (413). ``apply`` acts on a stored event: an order status or tracking-number push is
written from the push itself at once where it says enough, then the shop's pushed orders are
re-read in batches (``aggregator/push_apply.py``); a late, older notification never overwrites a
newer state (the source-time guards of the push and of the upsert); a return or cancellation change (TikTok types 11/12, Lazada reverse orders)
re-reads the order's after-sales cases and the order; a revoked authorization marks the shop
``needs_reauth``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine, and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from aggregator.events.outbox import notify_in_statement
from aggregator.logging_setup import redact_text
from aggregator.push_apply import DUPLICATE, ORDER_KINDS, Patched, PushRef, drain, patch, patch_new
from aggregator.store.db import session_scope, statement_reads
from aggregator.store.models.tenancy import ShopCredential, ShopRow
from aggregator.store.models.events import OutboxEventRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.store.together import Rows, execute_with, with_defaults
from aggregator.store.upsert import insert_for, write_audit
from aggregator.store.vault import Vault
from aggregator.transport_pool import TransportPool
from platform_adapters.registry import UnknownPlatform, WebhookError, WebhookEvent, get_adapter, require_platform

log = logging.getLogger(__name__)


class WebhookRejected(ValueError):
    """Not a push this application accepts; ``status`` is the HTTP answer (always a 4xx)."""

    status = 400


class WebhookUnauthorized(WebhookRejected):
    """No signature, or one that no registered app of the platform made (or not the shop's app)."""

    status = 401


class WebhookUnknownShop(WebhookRejected):
    """A verified push for a shop that is not registered here."""

    status = 422


@dataclass(frozen=True, slots=True)
class Received:
    event_pk: int | None  # None for a duplicate (or a partner-level push naming no shop of ours)
    duplicate: bool
    kind: str
    event_pks: tuple[int, ...] = ()  # every stored event to apply (a partner-level push: one per shop)

    @property
    def to_apply(self) -> tuple[int, ...]:
        return self.event_pks or ((self.event_pk,) if self.event_pk is not None else ())


#: (app key, encrypted secret) of every app registered for a platform (``_apps``), built once.
_APPS = (select(ShopCredential.app_key, ShopCredential.app_secret_enc)
         .where(ShopCredential.id.in_(
             select(func.max(ShopCredential.id)).join(ShopRow, ShopRow.id == ShopCredential.shop_pk)
             .where(ShopRow.platform == bindparam("platform"), ShopCredential.app_key.is_not(None))
             .group_by(ShopCredential.app_key)))
         .order_by(ShopCredential.app_key))


def _apps(session: Session, platform: str) -> list[tuple[str, str | None]]:
    """(app key, encrypted secret) of every app registered for ``platform``: one row per app key, the
    newest credential's secret (an app has one secret; a rotated one is written on the newest row)."""
    return [(key, secret) for key, secret in session.execute(_APPS, {"platform": platform})]


def verified_apps(session: Session, vault: Vault, platform: str, body: bytes, authorization: str | None,
                  callback_url: str) -> set[str]:
    """The app keys whose secret signed ``body`` (raw bytes, nothing decoded).

    Each platform keys its push signature by the *app*, not the shop (Shopee: HMAC(partner_key,
    url|body); Lazada and TikTok: HMAC(app_secret, app_key + body); reference/marketplace_apis.md §1,
    §2.7, which also notes Shopee's warning not to parse the JSON before checking), and names the
    shop only inside the body. So the least parsing there is is none: the signature is checked
    against each app registered for the platform (usually one), in constant time, before a byte of
    the body is decoded."""
    if not authorization or not authorization.strip():
        return set()
    adapter = get_adapter(platform)
    matches = set()
    for app_key, secret_enc in _apps(session, platform):
        secret = vault.decrypt(secret_enc) or ""
        if not secret:
            continue
        if adapter.webhook_verify(app_key or "", secret, callback_url, body, authorization):
            matches.add(app_key)
    return matches


def receive(session: Session, vault: Vault, platform: str, body: bytes, authorization: str | None,
            callback_url: str) -> Received:
    """Verify ``body`` over its raw bytes, then decode it (bounded), find its shop and store it once.

    Order of work, so that an outsider's bytes cost little and can break nothing: (1) the signature
    against the platform's registered apps, (2) bounded decoding (``platform_adapters.webhook_json``),
    (3) the shop named inside, which must belong to an app that signed (one read with its credential),
    (4) for an order push, what it says written into the stored order (``push_apply.patch_new``),
    (5) insert once per event id (an order push's with the outcome of (4)), all in the caller's
    transaction; the re-read follows in ``apply``."""
    try:
        platform = require_platform(platform)
    except UnknownPlatform as exc:
        raise WebhookRejected(str(exc)[:200]) from exc
    apps = verified_apps(session, vault, platform, body, authorization, callback_url)
    if not apps:
        raise WebhookUnauthorized(f"{platform} push signature does not verify" if authorization
                                  else f"{platform} push without an Authorization signature")
    try:
        event: WebhookEvent = get_adapter(platform).webhook_parse(body)
    except (ValueError, WebhookError) as exc:
        raise WebhookRejected(f"unreadable {platform} push: {exc}") from exc
    if event.kind in ORDER_KINDS and event.order_id and event.shop_id:
        return _receive_order_push(session, platform, event, body.decode("utf-8"), apps)
    return store_event(session, platform, event, body.decode("utf-8"), apps)


def _receive_order_push(session: Session, platform: str, event: WebhookEvent, body: str, apps: set[str]) -> Received:
    """An order push: what it says written into the stored order (``push_apply.patch_new``) and its event
    stored once with that outcome, in the caller's transaction, so the change is visible when the push
    is answered. A failure writing the order rolls the transaction back and stores the event alone (the
    re-read brings the order: never the push lost); a re-delivery writes nothing."""
    shop = _shop(session, platform, event.shop_id, apps)
    ref = PushRef(None, platform, event.shop_id, event.order_id, event.source_updated_at)
    event_id = event.event_id[:255]
    try:
        patched = patch_new(session, ref, event, event_id)
    except Exception as exc:  # noqa: BLE001 - the event is still stored below; its apply tries again
        log.warning("writing %s push %s from its body failed: %s", platform, event_id, exc)
        session.rollback()
        patched = Patched("deferred")
    if patched is DUPLICATE:
        return Received(None, True, event.kind)
    inserted = _insert(session, platform, event, event_id, shop, body, patched.status, patched.detail, patched.rows,
                       patched.writes)
    if inserted is None:  # a copy stored meanwhile by a path that does not lock the order: it is applied
        session.rollback()  # on its own, so what this one wrote goes
        return Received(None, True, event.kind)
    return Received(inserted[0], False, event.kind, (inserted[0],))


def _shops_query(platform: str):
    """Registered shops of ``platform`` (id, owner, shop id) with their app key, in one read."""
    return (select(ShopRow.id, ShopRow.owner_id, ShopRow.shop_id, ShopCredential.app_key)
            .outerjoin(ShopCredential, ShopCredential.shop_pk == ShopRow.id).where(ShopRow.platform == platform))


_SHOP = _shops_query(bindparam("platform")).where(ShopRow.shop_id == bindparam("shop_id"))


def _shop(session: Session, platform: str, shop_id: str, apps: set[str] | None):
    """The registered shop a push names (id, owner, shop id), which must belong to an app that signed it
    (``apps``; None: the push came from an authenticated call), with its credential in the same read."""
    shop = session.execute(_SHOP, {"platform": platform, "shop_id": shop_id}).first()
    if shop is None:
        raise WebhookUnknownShop(f"{platform} push for unknown shop {shop_id!r}")
    if apps is not None and (not shop.app_key or shop.app_key not in apps):
        raise WebhookUnauthorized(f"{platform} push signature does not verify for shop {shop_id!r}")
    return shop


def store_event(session: Session, platform: str, event: WebhookEvent, body: str, apps: set[str] | None) -> Received:
    """Store a decoded event once per event id (``apps``: the app keys that signed it; None when it came
    from an authenticated API call instead, such as Shopee's lost-push list).

    A shop-level event must name a registered shop of an app that signed. A partner-level event (Shopee
    codes 1, 2, 12: ``shop_ids``, no ``shop_id``) is stored once per registered shop it names, each
    under its own id (``<event id>:<shop>``), and applied per shop; the shops it names that are not
    registered here are other sellers of the same app. When it names none registered here it is kept
    once, ``ignored``, with the shops it named, so nothing is lost."""
    if not event.shop_id and not event.shop_ids:
        raise WebhookRejected(f"{platform} push names no shop")
    if event.shop_id:
        targets = [(event.event_id, _shop(session, platform, event.shop_id, apps))]
    else:
        shops = session.execute(_shops_query(platform).where(ShopRow.shop_id.in_(event.shop_ids))
                                .order_by(ShopRow.shop_id)).all()
        targets = [(f"{event.event_id}:{shop.shop_id}", shop) for shop in shops
                   if apps is None or (shop.app_key and shop.app_key in apps)]
    if not targets:
        inserted = _insert(session, platform, event, event.event_id, None, body, "ignored",
                           f"names no shop registered here: {', '.join(event.shop_ids)[:900]}")
        return Received(None, inserted is None, event.kind)
    pks = []
    for event_id, shop in targets:
        inserted = _insert(session, platform, event, event_id, shop, body, "received", None)
        if inserted is not None:
            pks.append(inserted[0])
    return Received(pks[0] if pks else None, not pks, event.kind, tuple(pks))


def _insert(session: Session, platform: str, event: WebhookEvent, event_id: str, shop, body: str,
            status: str, detail: str | None, rows: tuple[Rows, ...] = (), writes: tuple = ()):
    """Store the event once per (platform, event id) with ``rows`` and ``writes`` (what the push wrote: its
    audit entry and outbox events, its updates of the order's lines and packages) in the same statement
    on PostgreSQL; its id, or None when it was stored already."""
    returning = [WebhookEventRow.id]
    if any(table is OutboxEventRow.__table__ for table, _ in rows) \
            and session.get_bind().dialect.name == "postgresql":
        notify = notify_in_statement(session)  # the outbox's wake-up, at commit, in the same statement
        returning += [notify] if notify is not None else []
    values = with_defaults(WebhookEventRow.__table__, [dict(
        platform=platform, event_id=event_id[:255], owner_id=shop.owner_id if shop else None,
        shop_id=shop.shop_id if shop else None, kind=event.kind, order_id=event.order_id,
        raw_status=(event.raw_status or "")[:64] or None, source_updated_at=event.source_updated_at,
        status=status, detail=detail and detail[:1000], body=body)])[0]
    return execute_with(session, insert_for(session, WebhookEventRow.__table__).values(**values)
                        .on_conflict_do_nothing(index_elements=["platform", "event_id"]).returning(*returning),
                        rows, writes).first()


_EVENT_AND_SHOP = (select(WebhookEventRow, ShopRow).outerjoin(ShopRow, and_(
    ShopRow.platform == WebhookEventRow.platform, ShopRow.shop_id == WebhookEventRow.shop_id))
    .where(WebhookEventRow.id == bindparam("event_pk")))
_EVENT_STATUS = select(WebhookEventRow.status).where(WebhookEventRow.id == bindparam("event_pk"))


def apply(engine: Engine, vault: Vault, event_pk: int, transports: TransportPool | None = None) -> str:
    """Act on a stored event; returns (and stores) its new status. ``transports``: the process's pool of
    long-lived clients (re-reading an order then reuses a kept-alive connection). An order push
    (``push_apply``) returns ``received`` while another worker's batch is still to re-read it."""
    from aggregator.sync.marketplace import ShopNotReady, refresh_orders, refresh_returns

    with Session(statement_reads(engine)) as session:  # SQLite: no write lock for a read
        found = session.execute(_EVENT_AND_SHOP, {"event_pk": event_pk}).first()
        if found is None:
            return "failed"
        event, shop = found
    status, detail = "ignored", None
    try:
        if shop is None:
            status, detail = "failed", "shop no longer registered"
        elif event.kind in ORDER_KINDS and event.order_id:
            return _apply_order_push(engine, vault, event, shop, transports)
        elif event.kind == "AUTH_EXPIRING":
            until = event.source_updated_at.isoformat(timespec="minutes") if event.source_updated_at else "soon"
            reason = f"authorization expires before {until}; authorize the shop again"
            with session_scope(engine) as session:
                session.execute(update(ShopRow).where(ShopRow.id == shop.id).values(status_reason=reason))
                write_audit(session, entity="shops", key=f"{shop.platform}:{shop.shop_id}", action="auth_expiring",
                            owner_id=shop.owner_id, changes={"reason": reason}, actor="webhook")
            status, detail = "applied", reason
        elif event.kind == "RETURN_STATUS" and event.order_id:
            transport = transports.transport(shop.platform) if transports is not None else None
            counts = refresh_returns(engine, shop, vault, [event.order_id], transport=transport)
            orders = refresh_orders(engine, shop, vault, [event.order_id], transport=transport)
            for name, value in orders.counts.items():
                counts[f"order {name}"] = value
            changed = counts["created"] + counts["updated"] + counts["order created"] + counts["order updated"]
            status = "applied" if changed else "failed" if counts["failed"] else "unchanged"
            detail = ", ".join(f"{k} {v}" for k, v in counts.items() if v) or None
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
    with session_scope(engine) as session:  # never over an outcome given meanwhile (a drain's earlier batch)
        written = session.execute(update(WebhookEventRow).where(WebhookEventRow.id == event_pk,
                                                                WebhookEventRow.status == event.status)
                                  .values(status=status, detail=detail)).rowcount
        if not written:
            status = session.scalar(select(WebhookEventRow.status).where(WebhookEventRow.id == event_pk))
    return status


def _apply_order_push(engine: Engine, vault: Vault, event_row: WebhookEventRow, shop: ShopRow,
                      transports: TransportPool | None) -> str:
    """An order status or tracking push: what it says (unless ``receive`` wrote it already, or a push
    fetched back by the lost-push recovery), then the shop's batched re-read."""
    if event_row.detail is None and event_row.status == "received":
        try:
            patch(engine, event_row, get_adapter(event_row.platform).webhook_parse(event_row.body.encode("utf-8")))
        except Exception as exc:  # noqa: BLE001 - the re-read below still brings the order
            log.warning("writing webhook event %s from its push failed: %s", event_row.id, exc)
    drain(engine, vault, shop, transports, pending=event_row.status == "received")
    with statement_reads(engine).connect() as connection:
        return connection.scalar(_EVENT_STATUS, {"event_pk": event_row.id})
