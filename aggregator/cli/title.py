"""The ``title`` verb: who holds title to goods in transit."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app


@click.group(name="title", help="Title to goods in transit: positions from the title ledger.")
def command() -> None:
    pass


def _instant(value: str):
    import pandas as pd

    try:
        when = pd.Timestamp(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 instant: {value!r}") from exc
    if when.tzinfo is None:
        raise click.BadParameter("give a time zone (e.g. 2026-03-05T00:00:00Z or +08:00)")
    return when


@command.command(name="position", help="Quantity and value by owner x title holder x title state x location.")
@click.option("--at", "at", required=True, help="ISO 8601 instant with a zone, e.g. 2026-03-05T00:00:00+08:00.")
@click.option("--owner", "owner_id", default=None, help="Only this owner (brand).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@pass_app
def position(app: AppContext, at: str, owner_id: str | None, fmt: str) -> None:
    from aggregator.matching_service.queries import position_at

    frame = position_at(app.ready_engine(), _instant(at), owner_id)
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*frame.columns)
    for row in frame.itertuples(index=False):
        table.add_row(*[str(v) for v in row])
    Console().print(table)
