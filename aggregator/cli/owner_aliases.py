"""``aggregator owners alias add|list|remove``: the values that name an owner in other people's files.

Kinds: ``owner-code`` (a 3PL's code for the brand; ``--scope`` = warehouse code when codes differ per
warehouse), ``legal-name`` (consignee, notify party, importer of record), ``registration-no``
(importer registration number; ``--scope`` = country). Values compare exactly after normalisation
(case, punctuation, company-form spellings for legal names), never fuzzily; a value that would name
two owners is refused.
"""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.output import format_option, render
from aggregator.cli.owner_option import check_owner, owner_option

KIND_NAMES = {"owner-code": "owner_code", "legal-name": "legal_name", "registration-no": "registration_no"}
kind_choice = click.Choice(list(KIND_NAMES))


@click.group(name="alias", help="Values that name an owner in forwarders', customs and 3PL files: add, list, remove.")
def alias() -> None:
    pass


@alias.command(name="add", help="Register VALUE (a 3PL owner code, legal name or registration number) as naming OWNER.")
@click.argument("owner_id", callback=check_owner)
@click.option("--kind", required=True, type=kind_choice)
@click.option("--value", required=True, help="As written in the files (e.g. \"Lumina Commerce (M) Sdn Bhd\").")
@click.option("--scope", default=None, help="owner-code: the warehouse code it is used at; registration-no: the "
                                            "country (ISO 3166 alpha-2). Default: everywhere.")
@pass_app
def add(app: AppContext, owner_id: str, kind: str, value: str, scope: str | None) -> None:
    from aggregator.owners.aliases import add_alias
    from aggregator.store.db import session_scope
    from aggregator.tenancy import TenancyError

    try:
        with session_scope(app.ready_engine()) as session:
            added = add_alias(session, owner_id, KIND_NAMES[kind], value, scope)
            where = f" at {added.row.scope}" if added.row.scope else ""
            text = (f"{kind} {added.row.value!r}{where} now names {owner_id}" if added.created
                    else f"{owner_id} already has {kind} {added.row.value!r}{where}; nothing changed")
    except TenancyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(text)


@alias.command(name="list", help="List owner aliases (all, or one owner's).")
@owner_option()
@click.option("--kind", default=None, type=kind_choice)
@format_option()
@pass_app
def list_(app: AppContext, owner_id: str | None, kind: str | None, fmt: str) -> None:
    from aggregator.owners.aliases import list_aliases
    from aggregator.store.db import session_scope

    with session_scope(app.ready_engine()) as session:
        rows = [(row.owner_id, row.kind.replace("_", "-"), row.scope, row.value, row.normalized, row.created_at)
                for row in list_aliases(session, owner_id, KIND_NAMES[kind] if kind else None)]
    render(rows, ("owner", "kind", "scope", "value", "compared as", "created"), fmt)


@alias.command(name="remove", help="Remove one of OWNER's aliases.")
@click.argument("owner_id", callback=check_owner)
@click.option("--kind", required=True, type=kind_choice)
@click.option("--value", required=True)
@click.option("--scope", default=None)
@pass_app
def remove(app: AppContext, owner_id: str, kind: str, value: str, scope: str | None) -> None:
    from aggregator.owners.aliases import remove_alias
    from aggregator.store.db import session_scope
    from aggregator.tenancy import TenancyError

    try:
        with session_scope(app.ready_engine()) as session:
            row = remove_alias(session, owner_id, KIND_NAMES[kind], value, scope)
            text = f"removed {kind} {row.value!r}{' at ' + row.scope if row.scope else ''} of {owner_id}"
    except TenancyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(text)
