"""The ``title`` verb: who holds title to goods in transit."""
from __future__ import annotations

from datetime import datetime

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.instants import INSTANT
from aggregator.cli.output import format_option, render_frame


@click.group(name="title", help="Title to goods in transit: positions from the title ledger.")
def command() -> None:
    pass


@command.command(name="position", help="Quantity and value by owner x title holder x title state x location.")
@click.option("--at", "at", type=INSTANT, required=True,
              help="ISO 8601 instant with a time zone, e.g. 2026-03-05T00:00:00+08:00.")
@click.option("--owner", "owner_id", default=None, help="Only this owner (brand).")
@format_option()
@pass_app
def position(app: AppContext, at: datetime, owner_id: str | None, fmt: str) -> None:
    import pandas as pd

    from aggregator.matching_service.queries import position_at

    render_frame(position_at(app.ready_engine(), pd.Timestamp(at), owner_id), fmt)
