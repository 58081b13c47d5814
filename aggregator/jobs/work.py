"""Job bodies: plain functions of the settings, shared by Celery tasks and the embedded scheduler.

Each job opens what it needs from the settings (engines are cached per process and URL), so a task
message carries only ids, never secrets.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aggregator.config import Settings
from aggregator.store.db import create_engine_for
from aggregator.store.models.tenancy import ShopRow
from aggregator.store.vault import Vault
from aggregator.sync.framework import SyncBusy

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return create_engine_for(url)


def sync_shop(settings: Settings, shop_pk: int, stream: str = "orders", reconcile: bool = False) -> dict[str, Any]:
    """Sync one (shop, stream) from its cursor; ``reconcile``: re-read the last
    ``reconcile_lookback_hours`` whatever the cursor says (the cursor never moves back; every write is an
    upsert, so what was already stored is unchanged). Raises ``SyncBusy`` when another worker holds it."""
    from aggregator.sync.marketplace import ShopNotReady, sync_shop as sync_stream

    engine = engine_for(settings.effective_database_url)
    with Session(engine) as session:
        shop = session.get(ShopRow, shop_pk)
    if shop is None:
        return {"shop_pk": shop_pk, "status": "skipped", "reason": "shop no longer exists"}
    try:
        since = (datetime.now(timezone.utc) - timedelta(hours=settings.reconcile_lookback_hours)) if reconcile else None
        summary = sync_stream(
            engine, shop, Vault.from_settings(settings), stream, since=since,
            retries=settings.http_max_retries, timeout=settings.http_timeout_seconds,
            lag=timedelta(seconds=settings.sync_lag_seconds),
            initial_lookback=timedelta(days=settings.sync_initial_lookback_days),
            lease=timedelta(seconds=settings.lease_ttl_seconds), db_retry_seconds=settings.db_retry_seconds,
        )
    except ShopNotReady as exc:
        return {"shop_pk": shop_pk, "status": "skipped", "reason": str(exc)}
    log.info("%s", summary.line())
    result = {"shop_pk": shop_pk, "run_id": summary.run_id, "status": summary.status, "created": summary.created,
              "updated": summary.updated, "unchanged": summary.unchanged, "failed": summary.failed}
    if stream == "settlements" and summary.status in ("succeeded", "partial"):
        result["booking"] = book_settlements(settings, shop.owner_id)  # journals exist after every sync
    return result


def recover_lost_pushes(settings: Settings) -> dict[str, Any]:
    """Fetch back, store, confirm and apply the pushes the marketplaces could not deliver
    (``aggregator.push_recovery``; Shopee's lost-push list)."""
    from aggregator.push_recovery import recover_lost_pushes as recover

    reports = recover(engine_for(settings.effective_database_url), Vault.from_settings(settings))
    for report in reports:
        log.info("lost pushes: %s", report.line())
    return {"apps": len(reports), "stored": sum(r.stored for r in reports),
            "unreadable": sum(r.unreadable for r in reports), "lines": [r.line() for r in reports]}


def book_settlements(settings: Settings, owner_id: str) -> dict[str, Any]:
    """Reconcile the owner's changed orders and statements and book its new statements (one worker per
    owner: lease ``book:<owner>``; a held lease means another worker is booking it now)."""
    from aggregator.jobs.lease import LeaseHeld, job_lease
    from aggregator.settlement.cycle import rate_sources, settle_owners

    engine = engine_for(settings.effective_database_url)
    try:
        with job_lease(engine, f"book:{owner_id}") as lease:
            (result,) = settle_owners(engine, [owner_id], sources=rate_sources(settings.fx_rate_sources),
                                      max_age_days=settings.fx_max_rate_age_days, fence=lease.check)
    except LeaseHeld as exc:
        return {"owner_id": owner_id, "status": "busy", "reason": str(exc)}
    for line in result.lines():
        log.info("book %s", line)
    return {"owner_id": owner_id, "status": "done", "recognised": result.booking.recognised,
            "settled": result.booking.settled, "journal_lines": result.booking.journal_lines,
            "by_status": dict(result.reconcile.by_status)}


def due_syncs(settings: Settings) -> list[tuple[int, str]]:
    """Every active shop × stream: what one scheduling tick asks for."""
    from aggregator.sync.marketplace import streams_of
    from platform_adapters.registry import get_adapter

    engine = engine_for(settings.effective_database_url)
    with Session(engine) as session:
        shops = session.execute(select(ShopRow.id, ShopRow.platform).where(ShopRow.status == "active")
                                .order_by(ShopRow.id)).all()
    return [(shop_pk, stream) for shop_pk, platform in shops for stream in streams_of(get_adapter(platform))]


def owners_to_match(settings: Settings) -> list[str]:
    from aggregator.store.models.tenancy import OwnerRow

    with Session(engine_for(settings.effective_database_url)) as session:
        return list(session.scalars(select(OwnerRow.owner_id).order_by(OwnerRow.owner_id)))


def match_owner(settings: Settings, owner_id: str, full: bool = False) -> dict[str, Any]:
    """Match one owner's data (incrementally unless ``full``); one worker per owner at a time."""
    from aggregator.jobs.lease import job_lease
    from aggregator.matching_service.service import run_match

    engine = engine_for(settings.effective_database_url)
    with job_lease(engine, f"match:{owner_id}") as lease:
        summary = run_match(engine, full=full, owner_id=owner_id, fence=lease.check)
    log.info("match %s: %s", owner_id, summary.describe())
    return {"owner_id": owner_id, "links": summary.links, "exceptions": summary.exceptions,
            "rematched": summary.rematched}


def fetch_rates(settings: Settings, source: str = "ecb", **options: Any) -> dict[str, Any]:
    """Fetch the day's rates from ``source`` and import them (idempotent: same payload, no change).
    ``options`` go to ``fx_service.rates.fetch_payload`` (e.g. ``url`` of a JSON provider)."""
    from aggregator.fx_service.rates import fetch_and_import
    from aggregator.store.db import session_scope

    with session_scope(engine_for(settings.effective_database_url)) as session:  # no statement before the download
        report = fetch_and_import(session, source, **options)
    return {"source": source, "report": str(report)}


def reap_runs(settings: Settings) -> dict[str, Any]:
    """Close sync runs whose worker died as ``abandoned`` (``aggregator.sync.reaper``) and fanned-out match
    runs whose lease is gone as failed (``match_fanout.reap_lost_runs``)."""
    from aggregator.jobs.match_fanout import reap_lost_runs
    from aggregator.sync.reaper import reap_abandoned_runs

    engine = engine_for(settings.effective_database_url)
    closed = reap_abandoned_runs(engine)
    for item in closed:
        log.warning("%s", item.line())
    lost = reap_lost_runs(engine)
    if lost:
        log.warning("match runs lost before they finished, closed as failed: job run(s) %s",
                    ", ".join(f"#{i}" for i in lost))
    return {"job": "reap-runs", "abandoned": [item.run_id for item in closed], "match_runs_lost": lost}


def run_due_syncs(settings: Settings, reconcile: bool = False) -> list[dict[str, Any]]:
    """The ``sync-due-shops`` job in this process (``reconcile-syncs`` with ``reconcile``): every due
    (shop, stream), ``sync_concurrency`` shops at a time (a shop's streams in order, one after the
    other); a shop that fails is recorded and the others go on."""
    from aggregator.jobs.history import record_failure
    from aggregator.sync.pool import run_pooled

    job = "reconcile-syncs" if reconcile else "sync-due-shops"

    def run_streams(item: tuple[int, list[str]]) -> list[dict[str, Any]]:
        shop_pk, streams = item
        results = []
        for stream in streams:
            try:
                results.append(sync_shop(settings, shop_pk, stream, reconcile=reconcile))
            except SyncBusy as exc:  # another process is on it: its run will do
                results.append({"shop_pk": shop_pk, "stream": stream, "status": "busy", "reason": str(exc)})
            except Exception as exc:
                record_failure(engine_for(settings.effective_database_url), job, exc,
                               target=f"shop#{shop_pk} {stream}")
                results.append({"shop_pk": shop_pk, "stream": stream, "status": "error",
                                "reason": f"{type(exc).__name__}: {exc}"})
        return results

    by_shop: dict[int, list[str]] = {}
    for shop_pk, stream in due_syncs(settings):
        by_shop.setdefault(shop_pk, []).append(stream)
    outcomes = run_pooled(list(by_shop.items()), run_streams, workers=settings.sync_concurrency)
    return [result for outcome in outcomes for result in (outcome.value or [])]


#: The per-owner unit of each per-owner job.
OWNER_UNITS = {"match-owners": lambda settings, owner_id: match_owner(settings, owner_id),
               "book-settlements": lambda settings, owner_id: book_settlements(settings, owner_id)}


def run_owner_unit(settings: Settings, job: str, owner_id: str, attempt: int = 1) -> dict[str, Any]:
    """One owner's unit of ``job``, recorded in ``job_runs`` (raises as the unit does)."""
    from aggregator.jobs.history import recorded

    return recorded(engine_for(settings.effective_database_url), job,
                    lambda: OWNER_UNITS[job](settings, owner_id), target=owner_id, owner_id=owner_id,
                    attempt=attempt)


def run_for_owners(settings: Settings, job: str) -> list[dict[str, Any]]:
    """A per-owner job in this process: each owner's unit in turn; a failing owner never stops the rest."""
    from aggregator.jobs.lease import LeaseHeld

    results = []
    for owner_id in owners_to_match(settings):
        try:
            results.append(run_owner_unit(settings, job, owner_id))
        except LeaseHeld as exc:
            results.append({"owner_id": owner_id, "status": "busy", "reason": str(exc)})
        except Exception as exc:
            results.append({"owner_id": owner_id, "status": "error", "reason": f"{type(exc).__name__}: {exc}"})
    return results


def prune_job_runs(settings: Settings) -> dict[str, Any]:
    """Delete scheduled-job executions finished more than ``job_runs_retention_days`` ago."""
    from datetime import datetime, timezone

    from aggregator.jobs.history import prune
    from aggregator.store.db import session_scope

    cutoff = datetime.now(timezone.utc) - timedelta(days=settings.job_runs_retention_days)
    with session_scope(engine_for(settings.effective_database_url)) as session:
        removed = prune(session, cutoff)
    return {"job": "prune-job-runs", "pruned": removed, "before": cutoff.isoformat()}


def prune_outbox(settings: Settings) -> dict[str, Any]:
    """Delete live events delivered more than ``outbox_retention_days`` ago (``events.outbox.prune``)."""
    from datetime import datetime, timezone

    from aggregator.events.outbox import prune
    from aggregator.store.db import session_scope

    cutoff = datetime.now(timezone.utc) - timedelta(days=settings.outbox_retention_days)
    with session_scope(engine_for(settings.effective_database_url)) as session:
        removed = prune(session, cutoff)
    log.info("outbox: pruned %d event(s) delivered before %s", removed, cutoff.isoformat())
    return {"job": "prune-outbox", "pruned": removed, "before": cutoff.isoformat()}


__all__ = ["SyncBusy", "book_settlements", "due_syncs", "engine_for", "fetch_rates", "match_owner", "owners_to_match",
           "prune_job_runs", "prune_outbox", "reap_runs", "run_due_syncs", "run_for_owners", "run_owner_unit", "sync_shop"]
