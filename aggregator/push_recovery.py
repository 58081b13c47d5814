"""Lost-push recovery: pushes a marketplace could not deliver, fetched back and processed like live ones.

For every registered platform whose adapter can list its undelivered pushes (``lost_pushes`` /
``confirm_lost_pushes``: Shopee's ``v2.push.get_lost_push_message`` keeps them 3 days), once per app
(partner) registered here: fetch a page, store each push through the same path as a live one
(``webhooks.store_event``: once per event id, a partner-level push once per registered shop of that
app), commit, and only then confirm the page consumed; so a crash between the two re-reads the same
page next time and the event ids dedupe it. Stored events are then applied as live ones are. A push
that cannot be read is parked in the exceptions queue with its body; one for a shop not registered
here is counted (another seller of the same app).

Marketplaces without such an API (and every platform, as a second net) are covered by the
reconciliation sync (``aggregator.jobs.work.reconcile_syncs``). The same job also re-reads the order
pushes of every platform that were stored but whose worker died before re-reading them
(``push_apply.resume_stalled``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aggregator.auth.shops import adapter_settings
from aggregator.exceptions_queue.writes import park
from aggregator.push_apply import resume_stalled
from aggregator.store.db import session_scope
from aggregator.store.models.tenancy import ShopCredential, ShopRow
from aggregator.store.vault import Vault
from aggregator.webhooks import WebhookRejected, apply, store_event
from platform_adapters.auth import utc_now
from platform_adapters.registry import WebhookError, get_adapter, known_platforms

log = logging.getLogger(__name__)
MAX_PAGES = 1000  # 100 messages a page: far beyond 3 days of any app's pushes


@dataclass
class Recovery:
    platform: str
    app_key: str
    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    not_ours: int = 0
    unreadable: int = 0
    applied: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        applied = ", ".join(f"{k} {v}" for k, v in sorted(self.applied.items())) or "none"
        return (f"{self.platform} app {self.app_key}: {self.pages} page(s), stored {self.stored}, duplicates "
                f"{self.duplicates}, other sellers' {self.not_ours}, unreadable {self.unreadable}; applied: {applied}")


def _apps(session: Session, platform: str) -> list[tuple[str, int]]:
    """(app key, a shop of it) for every app registered for ``platform`` (its newest credential's shop)."""
    newest = (select(func.max(ShopCredential.id)).join(ShopRow, ShopRow.id == ShopCredential.shop_pk)
              .where(ShopRow.platform == platform, ShopCredential.app_key.is_not(None))
              .group_by(ShopCredential.app_key))
    return list(session.execute(select(ShopCredential.app_key, ShopCredential.shop_pk)
                                .where(ShopCredential.id.in_(newest)).order_by(ShopCredential.app_key)))


def recover_lost_pushes(engine: Engine, vault: Vault, *, transport_for: Callable | None = None,
                        clock: Callable[[], datetime] = utc_now) -> list[Recovery]:
    """Fetch, store, confirm and apply every lost push of every app that can list them."""
    from aggregator.sync.marketplace import make_transport

    reports = []
    for platform in known_platforms():
        adapter = get_adapter(platform)
        if not hasattr(adapter, "lost_pushes"):
            continue
        with Session(engine) as session:
            apps = _apps(session, platform)
        for app_key, shop_pk in apps:
            with Session(engine) as session:
                shop = session.get(ShopRow, shop_pk)
                credential = session.scalars(select(ShopCredential).where(ShopCredential.shop_pk == shop_pk)).one()
                settings = adapter_settings(shop, credential, vault)
            transport = transport_for(platform) if transport_for else make_transport(platform)
            try:
                reports.append(_recover_app(engine, vault, adapter, platform, app_key, settings, transport, clock))
            finally:
                if transport_for is None:
                    transport.close()
    stalled = resume_stalled(engine, vault)
    if stalled:
        log.info("re-read %d batch(es) of order pushes whose worker had stopped", stalled)
    return reports


def _recover_app(engine: Engine, vault: Vault, adapter, platform: str, app_key: str, settings, transport,
                 clock) -> Recovery:
    report = Recovery(platform, app_key)
    to_apply: list[int] = []
    for _ in range(MAX_PAGES):
        page = adapter.lost_pushes(settings, transport, clock)
        report.pages += 1
        with session_scope(engine) as session:
            for body in page.bodies:
                try:
                    event = adapter.webhook_parse(body)
                    received = store_event(session, platform, event, body.decode("utf-8"), {app_key})
                except WebhookRejected as exc:
                    report.not_ours += 1
                    log.info("lost %s push not for a shop here: %s", platform, exc)
                    continue
                except (WebhookError, ValueError) as exc:
                    report.unreadable += 1
                    park(session, owner_id=None, source=f"{platform}:lost_push", kind="unreadable_push",
                         reason=str(exc)[:1000], raw_payload=body.decode("utf-8", "replace"))
                    continue
                report.duplicates += received.duplicate
                report.stored += len(received.to_apply)
                to_apply.extend(received.to_apply)
        if page.last_message_id is not None:  # only once what was read is committed
            adapter.confirm_lost_pushes(settings, transport, page.last_message_id, clock)
        if not page.has_next_page:
            break
    for event_pk in to_apply:
        status = apply(engine, vault, event_pk)
        report.applied[status] = report.applied.get(status, 0) + 1
    return report
