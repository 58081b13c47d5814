"""The ``runs`` verb: the sync run log."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app


@click.group(name="runs", help="Sync runs: list.")
def command() -> None:
    pass


@command.command(name="list", help="List the most recent sync runs.")
@click.option("--limit", default=20, show_default=True)
@click.option("--shop", "shop_id", default=None, help="Only this shop id.")
@pass_app
def list_(app: AppContext, limit: int, shop_id: str | None) -> None:
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from aggregator.store.db import session_scope
    from aggregator.store.models import ShopRow, SyncRun

    table = Table("run", "shop", "stream", "mode", "status", "started", "created", "updated",
                  "unchanged", "stale", "failed", "unknown", "cursor after", "error")
    with session_scope(app.ready_engine()) as session:
        query = select(SyncRun, ShopRow).join(ShopRow, ShopRow.id == SyncRun.shop_pk)
        if shop_id:
            query = query.where(ShopRow.shop_id == shop_id)
        for run, shop in session.execute(query.order_by(SyncRun.id.desc()).limit(limit)):
            table.add_row(str(run.id), f"{shop.platform}:{shop.shop_id}", run.stream, run.mode, run.status,
                          run.started_at.isoformat(timespec="seconds"), str(run.created), str(run.updated),
                          str(run.unchanged), str(run.stale), str(run.failed), str(run.unknown_status),
                          run.cursor_after.isoformat(timespec="seconds") if run.cursor_after else "",
                          (run.error or "")[:60])
    Console().print(table)
