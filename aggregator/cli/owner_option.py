"""``--owner`` for every verb: the id is resolved with ``aggregator.tenancy.require_owner`` while the
command line is read, so an unknown owner is refused (exit status 2, the known owners named) before
the verb does anything; never an empty answer or rows stored under an owner that does not exist."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from aggregator.cli.context import AppContext


def check_owner(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Option callback: ``value`` unchanged when it names an owner (or is absent), else ``BadParameter``."""
    if value is None:
        return None
    from aggregator.store.db import session_scope
    from aggregator.tenancy import UnknownOwner, require_owner

    app = ctx.find_object(AppContext) or ctx.ensure_object(AppContext)
    try:
        with session_scope(app.ready_engine()) as session:
            require_owner(session, value)
    except UnknownOwner as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


def owner_option(*, required: bool = False, name: str = "owner_id",
                 help: str = "Owner (brand) id; an unknown id is refused.") -> Callable[[Any], Any]:
    """The ``--owner`` option, checked against the store (parameter ``name``, default ``owner_id``).

    A required one is given no default at all: under click 8.2+ an explicit ``default=None`` counts as a
    value, so ``required=True`` was never enforced and a verb ran for owner ``None`` (``export journal``
    without ``--owner`` wrote an empty journal and exited 0)."""
    if required:
        return click.option("--owner", name, required=True, callback=check_owner, help=help)
    return click.option("--owner", name, default=None, callback=check_owner, help=help)
