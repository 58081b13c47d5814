"""Replays parked marketplace records: the stored raw payload goes through the adapter's mapper and
the store again (after a mapper fix, or once the problem upstream is corrected).

A replay that now stores the record closes the item ``retried`` (with the outcome, audited, told to live
clients); one that still fails stays ``open`` with the new reason and one more attempt counted.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.auth.shops import adapter_settings, credential_of, shop_context
from aggregator.store.marketplace_writer import write_order
from aggregator.exceptions_queue.writes import close
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.tenancy import ShopRow
from aggregator.store.vault import Vault
from platform_adapters.canonical import Severity
from platform_adapters.registry import get_adapter

REPLAYABLE_STREAM = "orders"


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    item_id: int
    replayed: bool
    detail: str


def replay_exception(session: Session, vault: Vault, item_id: int, *, actor: str = "cli") -> ReplayOutcome:
    item = session.get(ExceptionItem, item_id)
    if item is None:
        raise LookupError(f"no exception #{item_id}")
    if item.status != "open":
        return ReplayOutcome(item_id, False, f"already {item.status}")
    platform, _, stream = item.source.partition(":")
    if stream != REPLAYABLE_STREAM or not item.record_key or ":" not in item.record_key:
        return ReplayOutcome(item_id, False, f"{item.source} records are replayed by re-importing their file")
    shop_id = item.record_key.split(":", 1)[0]
    shop = session.scalars(select(ShopRow).where(ShopRow.platform == platform, ShopRow.shop_id == shop_id)).first()
    if shop is None:
        return ReplayOutcome(item_id, False, f"shop {platform}:{shop_id} is no longer registered")
    adapter = get_adapter(platform)
    credential = credential_of(session, shop)
    result = adapter.map_order(item.raw_payload, shop_context(shop, credential),
                               adapter_settings(shop, credential, vault))
    item.attempts += 1
    errors = [p for p in result.problems if p.severity is Severity.ERROR]
    if result.record is None or errors:
        item.reason = "; ".join(p.describe() for p in errors) or "record could not be mapped"
        return ReplayOutcome(item_id, False, item.reason)
    with session.begin_nested():
        outcome = write_order(session, result.record, shop.owner_id).outcome.value
    close(session, item, note=f"replayed: {outcome}", actor=actor, status="retried", action="retry")
    return ReplayOutcome(item_id, True, outcome)
