"""``--shop`` as a list filter: the id must name a registered shop, checked while the command line is
read, so an unknown shop is refused (exit status 2) instead of an empty list that reads as "nothing
there" — the CLI's side of the API's ``api.filters.known_shop``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from aggregator.cli.context import AppContext


def check_shop(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Option callback: ``value`` unchanged when a registered shop has that id (or it is absent)."""
    if value is None:
        return None
    from sqlalchemy import select

    from aggregator.store.db import session_scope
    from aggregator.store.models.tenancy import ShopRow

    app = ctx.find_object(AppContext) or ctx.ensure_object(AppContext)
    with session_scope(app.ready_engine()) as session:
        found = session.scalars(select(ShopRow.id).where(ShopRow.shop_id == value).limit(1)).first()
    if found is None:
        raise click.BadParameter(f"no shop {value!r} is registered (see: aggregator shops list)", ctx=ctx,
                                 param=param)
    return value


def shop_filter_option(help: str = "Only this shop id; an unknown id is refused.") -> Callable[[Any], Any]:
    """The optional ``--shop`` filter of a list verb (parameter ``shop_id``)."""
    return click.option("--shop", "shop_id", default=None, callback=check_shop, help=help)
