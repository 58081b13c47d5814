"""The ``export`` verb: export links, exceptions, open lots / documents and order timelines (CSV)."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.export_finance import journal


@click.group(name="export", help="Export links, exceptions, open lots and documents, and order timelines.")
def command() -> None:
    pass


command.add_command(journal)


def _write(frame, out: str | None) -> None:
    if out is None or out == "-":
        click.echo(frame.to_csv(index=False), nl=False)
    else:
        frame.to_csv(out, index=False)
        click.echo(f"wrote {len(frame)} row(s) to {out}", err=True)


@command.command(name="links", help="One row per (order line, lot) link with its whole chain.")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--out", default=None, help="File to write (default: standard output).")
@click.option("--owner", "owner_id", default=None)
@pass_app
def links(app: AppContext, fmt: str, out: str | None, owner_id: str | None) -> None:
    from aggregator.matching_service.queries import link_chains

    _write(link_chains(app.ready_engine(), owner_id), out)


@command.command(name="exceptions", help="Match exceptions with reason, records involved and status.")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--out", default=None, help="File to write (default: standard output).")
@click.option("--owner", "owner_id", default=None)
@click.option("--status", default=None, help="OPEN, RESOLVED, IGNORED or GONE.")
@pass_app
def exceptions(app: AppContext, fmt: str, out: str | None, owner_id: str | None, status: str | None) -> None:
    from aggregator.matching_service.queries import exceptions as load

    _write(load(app.ready_engine(), owner_id, status), out)


@command.command(name="lots", help="Lots with planned, received, shipped, returned and open quantities.")
@click.option("--out", default=None, help="File to write (default: standard output).")
@click.option("--owner", "owner_id", default=None)
@pass_app
def lots(app: AppContext, out: str | None, owner_id: str | None) -> None:
    from aggregator.matching_service.queries import open_quantities

    _write(open_quantities(app.ready_engine(), "lots", owner_id), out)


@command.command(name="documents", help="Transport document lines with declared, received and open quantities.")
@click.option("--out", default=None, help="File to write (default: standard output).")
@click.option("--owner", "owner_id", default=None)
@pass_app
def documents(app: AppContext, out: str | None, owner_id: str | None) -> None:
    from aggregator.matching_service.queries import open_quantities

    _write(open_quantities(app.ready_engine(), "documents", owner_id), out)


@command.command(name="timeline", help="An order's timeline from the bill of lading to settlement.")
@click.option("--order", "order_id", required=True, help="Marketplace order id.")
@click.option("--platform", required=True, help="shopee, lazada or tiktok.")
@click.option("--shop", "shop_id", required=True, help="Shop id (Lazada order ids are only unique per shop).")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--out", default=None, help="File to write (default: standard output).")
@pass_app
def timeline(app: AppContext, order_id: str, platform: str, shop_id: str, fmt: str, out: str | None) -> None:
    from aggregator.matching_service.queries import timeline as load

    frame = load(app.ready_engine(), platform=platform, shop_id=shop_id, order_id=order_id)
    if frame.empty:
        raise click.ClickException(f"no order {platform}/{shop_id}/{order_id} in the store")
    _write(frame, out)
