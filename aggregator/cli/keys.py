"""The ``keys`` verb: API keys and their roles (create, list, revoke)."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.output import format_option, render
from aggregator.cli.owner_option import owner_option

ROLES = ("admin", "operations", "finance", "owner-viewer")


@click.group(name="keys", help="API keys: create (printed once), list, revoke. Roles: " + ", ".join(ROLES) + ".")
def command() -> None:
    pass


@command.command(help="Create a key. The key itself is printed alone on the last line, once; only its hash is kept.")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="admin: everything; operations: the chain and exceptions; finance: the chain and the money; "
                   "owner-viewer: read-only, one owner.")
@owner_option(help="Bind the key to this owner (required for owner-viewer).")
@click.option("--name", default="", help="A label to recognise the key by (who or what uses it).")
@click.option("--expires-in-days", default=365, show_default=True, type=click.IntRange(1, 3650))
@pass_app
def create(app: AppContext, role: str, owner_id: str | None, name: str, expires_in_days: int) -> None:
    from datetime import timedelta

    from aggregator.api.keys import KeyError_, create_key
    from aggregator.store.db import session_scope

    try:
        with session_scope(app.ready_engine()) as session:
            row, key = create_key(session, role=role, owner_id=owner_id, name=name,
                                  lifetime=timedelta(days=expires_in_days), actor="cli")
            described = (f"key #{row.id} ({row.role}{', owner ' + row.owner_id if row.owner_id else ', every owner'})"
                         f" expires {row.expires_at.isoformat(timespec='seconds')}; shown once:")
    except KeyError_ as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(described)
    click.echo(key)


@command.command(name="list", help="List keys (never the keys themselves: their first characters).")
@owner_option(help="Only keys bound to this owner.")
@format_option()
@pass_app
def list_(app: AppContext, owner_id: str | None, fmt: str) -> None:
    from aggregator.api.keys import key_state, list_keys
    from aggregator.store.db import session_scope

    columns = ["id", "prefix", "role", "owner", "name", "state", "created", "expires", "revoked"]
    with session_scope(app.ready_engine()) as session:
        rows = [{"id": r.id, "prefix": f"agk_{r.prefix}…", "role": r.role, "owner": r.owner_id or "(every owner)",
                 "name": r.name, "state": key_state(r), "created": r.created_at.isoformat(timespec="seconds"),
                 "expires": r.expires_at.isoformat(timespec="seconds"),
                 "revoked": r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else ""}
                for r in list_keys(session, owner_id)]
    render(rows, columns, fmt)


@command.command(help="Revoke a key by its id (see keys list); it stops working at once.")
@click.argument("key_id", type=click.IntRange(1, 2**62))
@pass_app
def revoke(app: AppContext, key_id: int) -> None:
    from aggregator.api.keys import KeyError_, revoke_key
    from aggregator.store.db import session_scope

    try:
        with session_scope(app.ready_engine()) as session:
            row = revoke_key(session, key_id, actor="cli")
            click.echo(f"key #{row.id} (agk_{row.prefix}…, {row.role}) revoked")
    except KeyError_ as exc:
        raise click.ClickException(str(exc)) from exc
