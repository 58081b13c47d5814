"""The ``owners`` verb: brand owners (tenants)."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app


@click.group(name="owners", help="Brand owners (tenants): add, list.")
def command() -> None:
    pass


@command.command(help="Add an owner; prints its API key once.")
@click.argument("owner_id")
@click.option("--name", required=True)
@click.option("--base-currency", default="CNY", show_default=True)
@pass_app
def add(app: AppContext, owner_id: str, name: str, base_currency: str) -> None:
    from aggregator.store.db import session_scope
    from aggregator.tenancy import TenancyError, add_owner

    try:
        with session_scope(app.ready_engine()) as session:
            _, api_key = add_owner(session, owner_id, name, base_currency)
    except TenancyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"owner {owner_id} added; API key (shown once): {api_key}")


@command.command(name="list", help="List owners.")
@pass_app
def list_(app: AppContext) -> None:
    from rich.console import Console
    from rich.table import Table

    from aggregator.store.db import session_scope
    from aggregator.tenancy import list_owners

    table = Table("owner", "name", "base currency", "created")
    with session_scope(app.ready_engine()) as session:
        for row in list_owners(session):
            table.add_row(row.owner_id, row.name, row.base_currency, row.created_at.isoformat(timespec="seconds"))
    Console().print(table)
