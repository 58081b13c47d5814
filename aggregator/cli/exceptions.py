"""The ``exceptions`` verb: the one exceptions queue (parked records, match exceptions, settlement findings):
``list`` (filters by kind, owner, status, age), ``show`` (with the records a match exception could be linked to),
``resolve`` (a note, or the manual link that fixes a match exception) and ``retry`` (parked records)."""
from __future__ import annotations

from datetime import timedelta

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.output import format_option, render
from aggregator.cli.owner_option import owner_option

#: what ``list`` shows in a table (csv and json carry every public field)
TABLE_COLUMNS = ("id", "queue", "owner_id", "kind", "status", "record_key", "reason", "created_at")
_STATUSES = ("open", "retried", "resolved", "gone", "all")
ITEM_ID = click.IntRange(1, 2**31 - 1)  # the id column's range (a larger number names no item)


def _age(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    from aggregator.exceptions_queue.queries import BadFilter, parse_age

    try:
        return parse_age(value)
    except BadFilter as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def filter_options(function):  # noqa: ANN001, ANN201 - a click decorator
    """``--kind --owner --status --older-than --newer-than``, shared by ``list`` and ``export exceptions``."""
    for option in reversed((
        click.option("--kind", default=None, help="A queue (parked, match, settlement) or one kind of item "
                                                   "(e.g. unlinked_receipt, mapping_error, statement_mismatch)."),
        owner_option(help="Only this owner's items; an unknown id is refused."),
        click.option("--status", default="open", show_default=True, type=click.Choice(_STATUSES)),
        click.option("--older-than", callback=_age, default=None, help="Raised at least this long ago: 90s, 15m, "
                                                                        "6h, 3d, 2w."),
        click.option("--newer-than", callback=_age, default=None, help="Raised less than this long ago."),
    )):
        function = option(function)
    return function


def make_filters(owner_id: str | None, kind: str | None, status: str, older_than: timedelta | None,
                 newer_than: timedelta | None):  # noqa: ANN201 - queries.Filters
    from aggregator.exceptions_queue.queries import Filters

    return Filters(owner_id=owner_id, kind=kind, status=None if status == "all" else status, older_than=older_than,
                   newer_than=newer_than)


@click.group(name="exceptions", help="The exceptions queue: parked records, match exceptions and settlement "
                                     "findings; list, show, resolve, retry.")
def command() -> None:
    pass


@command.command(name="list", help="List items, newest first (open ones by default).")
@filter_options
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1_000_000))
@format_option()
@pass_app
def list_(app: AppContext, kind: str | None, owner_id: str | None, status: str, older_than: timedelta | None,
          newer_than: timedelta | None, limit: int, fmt: str) -> None:
    from aggregator.exceptions_queue.queries import COLUMNS, as_row, check_kind, list_items
    from aggregator.store.db import session_scope

    filters = make_filters(owner_id, kind, status, older_than, newer_than)
    with session_scope(app.ready_engine()) as session:
        check_kind(session, kind, owner_id)
        rows = [as_row(item) for item in list_items(session, filters, limit=limit)]
    render(rows, TABLE_COLUMNS if fmt == "table" else COLUMNS, fmt)


@command.command(help="One item with every field, its raw payload and, for a match exception, the records it "
                      "could be linked to (candidates, best first, with why).")
@click.argument("item_id", type=ITEM_ID)
@format_option(formats=("table", "json"))
@pass_app
def show(app: AppContext, item_id: int, fmt: str) -> None:
    import json

    from aggregator.exceptions_queue.queries import as_row, candidates, get_item
    from aggregator.store.db import session_scope
    from aggregator.store.jsonutil import to_jsonable

    with session_scope(app.ready_engine()) as session:
        item = get_item(session, item_id)
        row, options, payload = as_row(item), candidates(session, item), item.raw_payload
    if fmt == "json":
        click.echo(json.dumps(to_jsonable({**row, "candidates": options, "raw_payload": payload}), ensure_ascii=False,
                              indent=1))
        return
    render([{"field": k, "value": v} for k, v in row.items() if v not in (None, "")], ("field", "value"), "table")
    if options:
        click.echo("candidates (resolve with one: aggregator exceptions resolve "
                   f"{item_id} --link KEY --note …):")
        render(options, ("key", "kind", "why"), "table")
    if payload is not None:
        click.echo("raw payload:")
        click.echo(json.dumps(to_jsonable(payload), ensure_ascii=False, indent=1))


@command.command(help="Close item ID with a note (kept in the audit log). For a match exception, --link KEY "
                      "records the manual link that fixes it (KEY: the record on the other side of its step, e.g. "
                      "one of its candidates), checked like 'aggregator match link'.")
@click.argument("item_id", type=ITEM_ID)
@click.option("--note", required=True, help="Why (ticket, who agreed).")
@click.option("--link", default=None, help="Key of the record to link the exception's record to.")
@click.option("--qty", type=click.IntRange(1, 2**31 - 1), default=None,
              help="Units the link carries (default: the exception's quantity; a receipt: each line's planned).")
@pass_app
def resolve(app: AppContext, item_id: int, note: str, link: str | None, qty: int | None) -> None:
    from aggregator.exceptions_queue.actions import resolve as resolve_item
    from aggregator.exceptions_queue.queries import get_item
    from aggregator.store.db import session_scope

    with session_scope(app.ready_engine()) as session:
        item = get_item(session, item_id, for_update=True)
        resolve_item(session, item, note=note, actor="cli", link=link, qty=qty)
        described = f"exception #{item.id} ({item.queue} {item.kind}) resolved: {item.resolution}"
    click.echo(described)


@command.command(help="Replay parked records (the IDs given, or every open parked record, of one owner with "
                      "--owner) through their adapter's mapper and the store.")
@click.argument("item_ids", type=ITEM_ID, nargs=-1)
@owner_option(help="Only this owner's parked records (without IDs).")
@pass_app
def retry(app: AppContext, item_ids: tuple[int, ...], owner_id: str | None) -> None:
    from aggregator.exceptions_queue.actions import retry as retry_item
    from aggregator.exceptions_queue.queries import Filters, get_item, list_items
    from aggregator.store.db import session_scope
    from aggregator.store.vault import Vault

    vault = Vault.from_settings(app.settings)
    failed = 0
    with session_scope(app.ready_engine()) as session:
        items = ([get_item(session, i, owner_id, for_update=True) for i in item_ids] if item_ids else
                 list_items(session, Filters(owner_id=owner_id, kind="parked"), limit=1_000_000))
        if not items:
            click.echo("no open parked records" + (f" of {owner_id}" if owner_id else "") + " to replay")
        for item in sorted(items, key=lambda i: i.id):
            outcome = retry_item(session, vault, item, actor="cli")
            failed += not outcome.replayed
            click.echo(f"#{item.id}: {'replayed' if outcome.replayed else 'still open'} — {outcome.detail}")
    if failed:
        raise SystemExit(1)
