"""The ``owners`` verb: brand owners (tenants)."""
from __future__ import annotations

import click

from aggregator.cli import owner_aliases
from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.output import format_option, render
from aggregator.cli.owner_option import check_owner


@click.group(name="owners", help="Brand owners (tenants): add, list; their aliases in files (alias add|list|remove).")
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


@command.command(name="set", help="Change an owner's base currency (the currency its title position is valued "
                                   "in; an ISO 4217 code) or name.")
@click.argument("owner_id", callback=check_owner)
@click.option("--base-currency", default=None, help="ISO 4217 code, e.g. CNY, USD, MYR.")
@click.option("--name", default=None)
@pass_app
def set_(app: AppContext, owner_id: str, base_currency: str | None, name: str | None) -> None:
    from aggregator.store.db import session_scope
    from aggregator.tenancy import set_owner

    if base_currency is None and name is None:
        raise click.UsageError("nothing to change: give --base-currency and/or --name")
    with session_scope(app.ready_engine()) as session:
        row = set_owner(session, owner_id, base_currency=base_currency, name=name)
        click.echo(f"owner {row.owner_id}: name {row.name!r}, base currency {row.base_currency}")


@command.command(name="list", help="List owners.")
@format_option()
@pass_app
def list_(app: AppContext, fmt: str) -> None:
    from aggregator.store.db import session_scope
    from aggregator.tenancy import list_owners

    with session_scope(app.ready_engine()) as session:
        rows = [(row.owner_id, row.name, row.base_currency, row.created_at.isoformat(timespec="seconds"))
                for row in list_owners(session)]
    render(rows, ("owner", "name", "base currency", "created"), fmt)


command.add_command(owner_aliases.alias)
