"""The embedded scheduler: the beat schedule run inside one process, no broker needed."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aggregator.config import Settings
from aggregator.jobs import work

log = logging.getLogger(__name__)


def run_tick(settings: Settings) -> list[dict]:
    """One scheduling tick: sync every active shop once, then match and book every owner."""
    from aggregator.jobs.lease import LeaseHeld

    results = []
    for shop_pk, stream in work.due_syncs(settings):
        try:
            results.append(work.sync_shop(settings, shop_pk, stream))
        except work.SyncBusy as exc:  # another process is on it: its run will do
            results.append({"shop_pk": shop_pk, "status": "busy", "reason": str(exc)})
    for owner_id in work.owners_to_match(settings):
        try:
            results.append(work.match_owner(settings, owner_id))
        except LeaseHeld as exc:
            results.append({"owner_id": owner_id, "status": "busy", "reason": str(exc)})
    for owner_id in work.owners_to_match(settings):  # book what the syncs brought (also done per sync)
        results.append(work.book_settlements(settings, owner_id))
    results.append(work.prune_outbox(settings))  # an index range: nothing to do most ticks
    return results


def run_forever(settings: Settings, *, once: bool = False, sleep: Callable[[float], None] = time.sleep) -> None:
    while True:
        started = time.monotonic()
        results = run_tick(settings)
        log.info("embedded tick: %d jobs", len(results))
        if once:
            return
        sleep(max(0.0, settings.sync_interval_seconds - (time.monotonic() - started)))
