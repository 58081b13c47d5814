"""The ``export`` verb: export links, exceptions, open lots / documents and order timelines (CSV)."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.platforms import PLATFORM
from aggregator.cli.export_finance import journal
from aggregator.cli.exceptions import filter_options, make_filters
from aggregator.cli.output import check_out_path, format_option, open_out, render, render_frame
from aggregator.cli.owner_option import owner_option


@click.group(name="export", help="Export links, exceptions, open lots and documents, and order timelines.")
def command() -> None:
    pass


command.add_command(journal)


@command.command(name="settlement", help="One row per order of an owner's statements issued in a period: original "
                 "amounts, fees by category, rate and its source, book amounts, realized FX, reconciliation status.")
@owner_option(required=True, help="Owner (tenant) id: only its statements are exported.")
@click.option("--period", required=True, help="YYYY-MM: statements issued in this month.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@pass_app
def settlement(app: AppContext, owner_id: str, period: str, fmt: str, out: str) -> None:
    from aggregator.exports import settlement as layout
    from aggregator.exports.canonical import sha256_of
    from aggregator.exports.files import write_atomically
    from aggregator.store.db import session_scope
    from fx.gains import period_bounds

    try:
        first, last = period_bounds(period)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    target = check_out_path(out)
    with session_scope(app.ready_engine()) as session:
        rows = layout.load(session, owner_id, first, last)
    data = layout.export_file(rows, fmt, owner_id=owner_id, period=period, last=last)
    write_atomically(target, data)
    booked = sum(1 for r in rows if r.book_amount is not None)
    click.echo(f"wrote {out} sha256 {sha256_of(data)}")
    click.echo(f"{len(rows)} row(s) ({booked} booked), statements issued {first}..{last}, owner {owner_id}")


def _write(frame, out: str | None, fmt: str = "csv") -> None:
    """The frame as spreadsheet-safe CSV (or JSON) to ``--out`` or standard output."""
    _write_with(out, lambda handle: render_frame(frame, fmt, handle))


def _write_with(out: str | None, write) -> None:  # noqa: ANN001 - (handle) -> rows written
    with open_out(out) as handle:
        count = write(handle)
    if out is not None and out != "-":
        click.echo(f"wrote {count} row(s) to {out}", err=True)


def _as_stored(app: AppContext, frame):  # noqa: ANN001, ANN202 - a DataFrame
    """Matching's key forms (upper-cased platform, shop and owner) as the store names them."""
    from aggregator.exports.stored_forms import as_stored
    from aggregator.store.db import session_scope

    with session_scope(app.ready_engine()) as session:
        return as_stored(session, frame)


def export_format():
    return format_option(default="csv", formats=("csv", "json"))


@command.command(name="links", help="One row per (order line, lot) link with its whole chain.")
@export_format()
@click.option("--out", default=None, help="File to write (default: standard output).")
@owner_option()
@pass_app
def links(app: AppContext, fmt: str, out: str | None, owner_id: str | None) -> None:
    from aggregator.matching_service.queries import link_chains

    _write(_as_stored(app, link_chains(app.ready_engine(), owner_id)), out, fmt)


@command.command(name="exceptions", help="Items of the exceptions queue (every field; open ones by default): "
                                         "the same filters as 'aggregator exceptions list', no row limit.")
@export_format()
@click.option("--out", default=None, help="File to write (default: standard output).")
@filter_options
@pass_app
def exceptions(app: AppContext, fmt: str, out: str | None, kind: str | None, owner_id: str | None, status: str,
               older_than, newer_than) -> None:  # noqa: ANN001 - timedelta | None
    from aggregator.exceptions_queue.queries import COLUMNS, as_row, check_kind, list_items
    from aggregator.store.db import session_scope

    filters = make_filters(owner_id, kind, status, older_than, newer_than)
    with session_scope(app.ready_engine()) as session:
        check_kind(session, kind, owner_id)
        rows = [as_row(item) for item in list_items(session, filters, limit=10**12)]
    _write_with(out, lambda handle: render(rows, COLUMNS, fmt, handle))


@command.command(name="lots", help="Lots with planned, received, shipped, returned and open quantities.")
@export_format()
@click.option("--out", default=None, help="File to write (default: standard output).")
@owner_option()
@pass_app
def lots(app: AppContext, fmt: str, out: str | None, owner_id: str | None) -> None:
    from aggregator.matching_service.queries import open_quantities

    _write(_as_stored(app, open_quantities(app.ready_engine(), "lots", owner_id)), out, fmt)


@command.command(name="documents", help="Transport document lines with declared, received and open quantities.")
@export_format()
@click.option("--out", default=None, help="File to write (default: standard output).")
@owner_option()
@pass_app
def documents(app: AppContext, fmt: str, out: str | None, owner_id: str | None) -> None:
    from aggregator.matching_service.queries import open_quantities

    _write(_as_stored(app, open_quantities(app.ready_engine(), "documents", owner_id)), out, fmt)


@command.command(name="timeline", help="An order's timeline from the bill of lading to settlement.")
@click.option("--order", "order_id", required=True, help="Marketplace order id.")
@click.option("--platform", required=True, type=PLATFORM)
@click.option("--shop", "shop_id", required=True, help="Shop id (Lazada order ids are only unique per shop).")
@export_format()
@click.option("--out", default=None, help="File to write (default: standard output).")
@pass_app
def timeline(app: AppContext, order_id: str, platform: str, shop_id: str, fmt: str, out: str | None) -> None:
    from aggregator.matching_service.queries import timeline as load

    frame = load(app.ready_engine(), platform=platform, shop_id=shop_id, order_id=order_id)
    if frame.empty:
        raise click.ClickException(f"no order {platform}/{shop_id}/{order_id} in the store")
    _write(frame, out, fmt)
