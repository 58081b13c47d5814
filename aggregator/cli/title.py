"""The ``title`` verb: who holds title to goods in transit."""
from __future__ import annotations

from datetime import datetime

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.instants import INSTANT
from aggregator.cli.errors import UserError
from aggregator.cli.output import format_option, render_frame
from aggregator.cli.owner_option import owner_option


@click.group(name="title", help="Title to goods in transit: positions from the title ledger.")
def command() -> None:
    pass


@command.command(name="position", help="Goods on the water, at port / in customs, in warehouse, in last mile and "
                                        "delivered, per owner and title holder, with each owner's total: quantity "
                                        "and value at cost in the owner's base currency (rates of the instant's "
                                        "date, path shown). Values print rounded half-up to the currency's minor "
                                        "units; units with no cost count as unvalued.")
@click.option("--at", "at", type=INSTANT, required=True,
              help="ISO 8601 instant with a time zone, e.g. 2026-03-05T00:00:00+08:00.")
@owner_option(help="Only this owner (brand).")
@click.option("--detail", is_flag=True, help="Split each stage by title state and location state.")
@format_option()
@pass_app
def position(app: AppContext, at: datetime, owner_id: str | None, detail: bool, fmt: str) -> None:
    import pandas as pd

    from aggregator.matching_service.queries import valued_position_at
    from aggregator.matching_service.valuation import MissingBaseCurrency

    engine = app.ready_engine()
    try:
        frame = valued_position_at(engine, pd.Timestamp(at), owner_id, detail=detail)
    except MissingBaseCurrency as exc:
        raise UserError(str(exc)) from exc
    shown = frame.copy()
    shown["value"] = shown_values(frame, blank_unvalued=fmt == "table")
    render_frame(shown, fmt)
    if fmt == "table":
        for line in position_summary(frame):
            click.echo(line)


def shown_values(frame, *, blank_unvalued: bool) -> list[str]:
    """Each row's value rounded to its currency's minor units; with ``blank_unvalued`` (the table for people) a
    row none of whose units has a cost shows "—", not a value of 0.00 that reads as "worth nothing"."""
    from fx.money import Money

    return ["—" if blank_unvalued and q and q == u else str(Money(v, c).round().amount) if c else str(v)
            for v, c, q, u in zip(frame["value"], frame["currency"], frame["qty"], frame["unvalued_qty"])]


def position_summary(frame) -> list[str]:
    """One line per owner: the value it holds title to (its ``TOTAL`` row), the units of the position with no
    cost and the values not converted, each counted once (the ``TOTAL`` row repeats its stages, so it is left
    out of the counts)."""
    from fx.money import Money

    lines = []
    totals = frame[frame["stage"] == "TOTAL"]
    stages = frame[frame["stage"] != "TOTAL"]
    for owner_id, rows in stages.groupby("owner_id", sort=True):
        held = totals[totals["owner_id"] == owner_id]
        total = f"{Money(held['value'].iloc[0], held['currency'].iloc[0]).round()}" if not held.empty else "nothing"
        unvalued = int(rows["unvalued_qty"].sum())
        failed = sum(bool(x) for x in rows["unconverted"])
        lines.append(f"{owner_id}: holds title to {total} at cost; {unvalued} unit(s) without a cost; "
                     f"{failed} value(s) not converted")
    return lines
