"""The ``sync`` verb: pull marketplace orders or settlements for one shop or all active shops.

Backfill with ``--since`` (and ``--until``); without them each shop continues from its cursor.
Each shop ends with one summary line (created/updated/unchanged/stale/failed/unknown status).
Shops run side by side (``sync_concurrency`` at a time, each within its own rate limit); their
lines are printed in shop order. Exit status 1 when a shop's run failed or a shop needs re-authorization. Runs left ``running`` by a
dead worker are closed as ``abandoned`` first (the reaper); a shop whose run cannot be started or
closed (the database away longer than the retry allows) is reported and the next shop goes on.
"""
from __future__ import annotations

from datetime import datetime

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.platforms import PLATFORM
from aggregator.cli.instants import INSTANT
from aggregator.cli.owner_option import owner_option


@click.command(name="sync", help="Pull orders, settlements or returns from the marketplaces (one shop or every active shop).")
@click.option("--shop", "shop_id", default=None, help="Only this shop id.")
@click.option("--platform", type=PLATFORM, default=None)
@owner_option(help="Only this owner's shops.")
@click.option("--stream", default="orders", type=click.Choice(["orders", "settlements", "returns"]), show_default=True,
              help="orders, settlements (payout/fee lines from the finance APIs) or returns (returns, refunds, cancellations).")
@click.option("--since", type=INSTANT, default=None,
              help="Backfill from this instant (ISO 8601 with a time zone, e.g. 2026-10-01T00:00:00+08:00).")
@click.option("--until", type=INSTANT, default=None,
              help="Stop at this instant (ISO 8601 with a time zone; default: now minus the sync lag).")
@pass_app
def command(app: AppContext, shop_id: str | None, platform: str | None, owner_id: str | None, stream: str,
            since: datetime | None, until: datetime | None) -> None:
    from datetime import timedelta

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from aggregator.store.db import session_scope
    from aggregator.store.models import ShopRow
    from aggregator.store.vault import Vault
    from aggregator.logging_setup import redact_text
    from aggregator.sync.framework import RunNotClosed, SyncBusy
    from aggregator.sync.marketplace import ShopNotReady, sync_shop
    from aggregator.sync.pool import run_pooled
    from aggregator.sync.reaper import reap_abandoned_runs

    start, end = since, until
    if start and end and start >= end:
        raise click.BadParameter("--since must be before --until")
    engine = app.ready_engine()
    vault = Vault.from_settings(app.settings)
    with session_scope(engine) as session:
        query = select(ShopRow).order_by(ShopRow.platform, ShopRow.shop_id)
        if shop_id:
            query = query.where(ShopRow.shop_id == shop_id)
        if platform:
            query = query.where(ShopRow.platform == platform)
        if owner_id:
            query = query.where(ShopRow.owner_id == owner_id)
        shops = list(session.scalars(query))
    if not shops:
        raise click.ClickException("no matching shop; add one with: aggregator shops add …")
    if not shop_id:
        shops = [s for s in shops if s.status != "disabled"]
    console = Console(stderr=True)
    ok = True
    lines: list[str] = [reaped.line() for reaped in reap_abandoned_runs(engine)]
    options = dict(since=start, until=end, retries=app.settings.http_max_retries,
                   timeout=app.settings.http_timeout_seconds, lag=timedelta(seconds=app.settings.sync_lag_seconds),
                   initial_lookback=timedelta(days=app.settings.sync_initial_lookback_days),
                   lease=timedelta(seconds=app.settings.lease_ttl_seconds),
                   db_retry_seconds=app.settings.db_retry_seconds)

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} records"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        tasks = {shop.id: progress.add_task(f"{shop.platform}:{shop.shop_id} {stream}", total=None) for shop in shops}

        def run_one(shop: ShopRow) -> tuple[bool, str]:
            """One shop's run: (succeeded, its summary line); every expected failure is a line."""
            key, task = f"{shop.platform}:{shop.shop_id}", tasks[shop.id]
            try:
                summary = sync_shop(engine, shop, vault, stream, on_record=lambda: progress.advance(task), **options)
            except (ShopNotReady, SyncBusy) as exc:
                progress.update(task, description=f"{key} {stream}: skipped")
                return False, f"{key} {stream}: skipped — {exc}"
            except RunNotClosed as exc:
                progress.update(task, description=f"{key} {stream}: not closed")
                return False, f"{exc.summary.line()} — {exc}"
            except SQLAlchemyError as exc:  # the database stayed away: say so and go on with the next shop
                cause = getattr(exc, "orig", None) or exc
                progress.update(task, description=f"{key} {stream}: error")
                return False, (f"{key} {stream}: error — database unavailable: "
                               + redact_text(f"{type(cause).__name__}: {cause}".strip()))
            progress.update(task, description=f"{key} {stream}: {summary.status}")
            return (summary.status in ("succeeded", "partial"),
                    summary.line() + (f" — {summary.error}" if summary.error else ""))

        for outcome in run_pooled(shops, run_one, workers=app.settings.sync_concurrency):
            if outcome.error is not None:  # not a failure sync knows: reported, the other shops went on
                ok = False
                shop = outcome.task
                lines.append(f"{shop.platform}:{shop.shop_id} {stream}: error — "
                             + redact_text(f"{type(outcome.error).__name__}: {outcome.error}"))
                continue
            succeeded, line = outcome.value
            ok = ok and succeeded
            lines.append(line)
    for line in lines:
        click.echo(line)
    if stream == "settlements":
        _book_after_sync(app, engine, sorted({shop.owner_id for shop in shops}))
    if not ok:
        raise SystemExit(1)


def _book_after_sync(app: AppContext, engine, owner_ids: list[str]) -> None:  # noqa: ANN001 - an Engine
    """Journals exist after every settlements sync: reconcile and book each synced owner (no manual step)."""
    from aggregator.settlement.cycle import rate_sources, settle_owners

    for result in settle_owners(engine, owner_ids, sources=rate_sources(app.settings.fx_rate_sources),
                                max_age_days=app.settings.fx_max_rate_age_days):
        for line in result.lines():
            click.echo(line)
