"""The ``runs`` verb: the sync run log."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.output import format_option, render


@click.group(name="runs", help="Sync runs: list.")
def command() -> None:
    pass


COLUMNS = ("run", "shop", "stream", "mode", "status", "started", "finished", "created", "updated", "unchanged",
           "stale", "failed", "unknown", "cursor after", "error")


@command.command(name="list", help="List the most recent sync runs (newest first).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--shop", "shop_id", default=None, help="Only this shop id.")
@format_option()
@pass_app
def list_(app: AppContext, limit: int, shop_id: str | None, fmt: str) -> None:
    from sqlalchemy import select

    from aggregator.store.db import session_scope
    from aggregator.store.models import ShopRow, SyncRun

    rows = []
    with session_scope(app.ready_engine()) as session:
        query = select(SyncRun, ShopRow).join(ShopRow, ShopRow.id == SyncRun.shop_pk)
        if shop_id:
            query = query.where(ShopRow.shop_id == shop_id)
        for run, shop in session.execute(query.order_by(SyncRun.id.desc()).limit(limit)):
            rows.append((run.id, f"{shop.platform}:{shop.shop_id}", run.stream, run.mode, run.status,
                         run.started_at.isoformat(timespec="seconds"),
                         run.finished_at.isoformat(timespec="seconds") if run.finished_at else "",
                         run.created, run.updated, run.unchanged, run.stale, run.failed, run.unknown_status,
                         run.cursor_after.isoformat(timespec="seconds") if run.cursor_after else "",
                         run.error or ""))
    render(rows, COLUMNS, fmt)
