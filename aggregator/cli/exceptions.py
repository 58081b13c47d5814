"""The ``exceptions`` verb: the queue of parked records (list, retry, resolve)."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.output import format_option, render
from aggregator.cli.owner_option import owner_option


@click.group(name="exceptions", help="Parked records: list, retry, resolve.")
def command() -> None:
    pass


@command.command(name="list", help="List exceptions (open by default).")
@click.option("--status", default="open", type=click.Choice(["open", "retried", "resolved", "all"]))
@owner_option(name="owner")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1_000_000))
@format_option()
@pass_app
def list_(app: AppContext, status: str, owner: str | None, limit: int, fmt: str) -> None:
    from sqlalchemy import select

    from aggregator.store.db import session_scope
    from aggregator.store.models import ExceptionItem

    with session_scope(app.ready_engine()) as session:
        query = select(ExceptionItem).order_by(ExceptionItem.id.desc()).limit(limit)
        if status != "all":
            query = query.where(ExceptionItem.status == status)
        if owner:
            query = query.where(ExceptionItem.owner_id == owner)
        rows = [(item.id, item.owner_id or "", item.source, item.kind, item.record_key or "", item.location or "",
                 item.reason, item.created_at.isoformat(timespec="seconds")) for item in session.scalars(query)]
    render(rows, ("id", "owner", "source", "kind", "key", "location", "reason", "created"), fmt)


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


@command.command(help="Replay parked marketplace records (all open ones, or the IDs given) through their "
                       "adapter's mapper and the store.")
@click.argument("item_ids", type=int, nargs=-1)
@pass_app
def retry(app: AppContext, item_ids: tuple[int, ...]) -> None:
    from sqlalchemy import select

    from aggregator.replay import replay_exception
    from aggregator.store.db import session_scope
    from aggregator.store.models import ExceptionItem
    from aggregator.store.vault import Vault

    vault = Vault.from_settings(app.settings)
    failed = 0
    with session_scope(app.ready_engine()) as session:
        ids = item_ids or tuple(session.scalars(select(ExceptionItem.id).where(ExceptionItem.status == "open")
                                                .order_by(ExceptionItem.id)))
        for item_id in ids:
            try:
                outcome = replay_exception(session, vault, item_id)
            except LookupError as exc:
                raise click.ClickException(str(exc)) from exc
            failed += not outcome.replayed
            click.echo(f"#{item_id}: {'replayed' if outcome.replayed else 'still open'} — {outcome.detail}")
    if failed:
        raise SystemExit(1)
