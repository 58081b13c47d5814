"""The ``inventory`` verb: the optional full-inventory mode (feed the core, ask availability)."""
from __future__ import annotations

from datetime import datetime

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.instants import INSTANT
from aggregator.cli.owner_option import owner_option


@click.group(name="inventory", help="Optional inventory core: mode, feed, availability.")
def command() -> None:
    pass


@command.command(help="Show the configured mode and core.")
@pass_app
def mode(app: AppContext) -> None:
    from aggregator.inventory.loader import core_for

    click.echo(f"mode: {app.settings.inventory_mode}; core: {core_for(app.settings, app.engine).name}")


@command.command(help="Feed movements derived from stored warehouse receipts and shipments into the core.")
@owner_option(name="owner")
@pass_app
def feed(app: AppContext, owner: str | None) -> None:
    from aggregator.inventory.feed import feed_inventory
    from aggregator.inventory.loader import core_for

    engine = app.ready_engine()
    summary = feed_inventory(engine, core_for(app.settings, engine), owner)
    r = summary.recorded
    click.echo(f"{summary.movements} movements: created {r.created}, updated {r.updated}, "
               f"unchanged {r.unchanged}; retracted {summary.retracted}")


@command.command(help="On hand, allocated and available for one SKU in one warehouse.")
@owner_option(required=True, name="owner")
@click.option("--warehouse", required=True)
@click.option("--sku", required=True)
@click.option("--at", "at", type=INSTANT, default=None, help="ISO 8601 instant with a time zone (default: now).")
@pass_app
def availability(app: AppContext, owner: str, warehouse: str, sku: str, at: datetime | None) -> None:
    from aggregator.inventory.loader import core_for
    from aggregator.inventory.port import InventoryModeError

    try:
        result = core_for(app.settings, app.ready_engine()).availability(owner, warehouse, sku, at)
    except InventoryModeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{owner} {warehouse} {sku}: on hand {result.on_hand}, allocated {result.allocated}, "
               f"available {result.available}")
