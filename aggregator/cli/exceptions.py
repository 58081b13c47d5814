"""The ``exceptions`` verb: the queue of parked records (list, retry, resolve)."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app


@click.group(name="exceptions", help="Parked records: list, retry, resolve.")
def command() -> None:
    pass


@command.command(name="list", help="List exceptions (open by default).")
@click.option("--status", default="open", type=click.Choice(["open", "retried", "resolved", "all"]))
@click.option("--owner", default=None)
@click.option("--limit", default=50, show_default=True)
@pass_app
def list_(app: AppContext, status: str, owner: str | None, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from aggregator.store.db import session_scope
    from aggregator.store.models import ExceptionItem

    table = Table("id", "owner", "source", "kind", "key", "location", "reason", "created")
    with session_scope(app.ready_engine()) as session:
        query = select(ExceptionItem).order_by(ExceptionItem.id.desc()).limit(limit)
        if status != "all":
            query = query.where(ExceptionItem.status == status)
        if owner:
            query = query.where(ExceptionItem.owner_id == owner)
        for item in session.scalars(query):
            table.add_row(str(item.id), item.owner_id or "", item.source, item.kind, item.record_key or "",
                          item.location or "", item.reason[:80], item.created_at.isoformat(timespec="seconds"))
    Console().print(table)


@command.command(help="Mark exception ID resolved with a note (kept in the audit log).")
@click.argument("item_id", type=int)
@click.option("--note", required=True)
@pass_app
def resolve(app: AppContext, item_id: int, note: str) -> None:
    from aggregator.store.db import session_scope
    from aggregator.store.exceptions_queue import resolve as resolve_item

    try:
        with session_scope(app.ready_engine()) as session:
            resolve_item(session, item_id, note=note)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"exception #{item_id} resolved")


@command.command(help="Replay open exceptions through their source's mapper and store (not available yet).")
@click.argument("item_ids", type=int, nargs=-1)
def retry(item_ids: tuple[int, ...]) -> None:
    click.echo("aggregator exceptions retry: not available yet (replay of parked payloads).", err=True)
    raise SystemExit(2)
