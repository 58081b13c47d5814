"""The ``db`` verb: schema migrations (Alembic)."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app


@click.group(name="db", help="Database schema: upgrade, downgrade, current revision.")
def command() -> None:
    pass


@command.command(help="Apply migrations up to REVISION (default head).")
@click.argument("revision", default="head")
@pass_app
def upgrade(app: AppContext, revision: str) -> None:
    from aggregator.store.db import current_revision, upgrade_schema

    for line in upgrade_schema(app.engine, revision):
        click.echo(f"caught up with the models: {line}")
    click.echo(f"database at revision {current_revision(app.engine)} ({app.engine.url.render_as_string()})")


@command.command(help="Revert migrations down to REVISION (default base: drops every table).")
@click.argument("revision", default="base")
@click.confirmation_option(prompt="Revert the schema? Data in dropped tables is lost.")
@pass_app
def downgrade(app: AppContext, revision: str) -> None:
    from aggregator.store.db import current_revision, downgrade_schema

    downgrade_schema(app.engine, revision)
    click.echo(f"database at revision {current_revision(app.engine)}")


@command.command(help="Print the current revision.")
@pass_app
def current(app: AppContext) -> None:
    from aggregator.store.db import current_revision

    click.echo(current_revision(app.engine) or "empty (run: aggregator db upgrade)")
