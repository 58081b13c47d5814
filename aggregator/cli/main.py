"""The ``aggregator`` command: the whole map of verbs, one module each.

Verb modules expose ``command`` and keep heavy imports (pandas, the web stack) inside their
functions so that ``aggregator --help`` stays fast.
"""
from __future__ import annotations

import click

from aggregator import __version__
from aggregator.cli import (
    beat, db, demo, exceptions, export, fx, importing, inventory, keys, match, owners, report, runs, sandbox,
    serve, settlements, shops, sync, title, worker,
)
from aggregator.cli.context import AppContext
from aggregator.cli.errors import HandledGroup

VERB_MODULES = (db, owners, keys, shops, sync, importing, match, title, fx, settlements, export, report, inventory,
                runs, exceptions, serve, worker, beat, sandbox, demo)


@click.group(cls=HandledGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aggregator")
@click.option("--database-url", envvar="AGGREGATOR_DATABASE_URL", default=None,
              help="SQLAlchemy URL (default: SQLite under --data-dir).")
@click.option("--data-dir", envvar="AGGREGATOR_DATA_DIR", default=None, type=click.Path(file_okay=False),
              help="Where the embedded database, keys and reports live (default .data).")
@click.option("--log-level", envvar="AGGREGATOR_LOG_LEVEL", default=None)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, data_dir: str | None, log_level: str | None) -> None:
    """Inventory-less cross-border commerce aggregator."""
    overrides = {k: v for k, v in {"database_url": database_url, "data_dir": data_dir,
                                   "log_level": log_level}.items() if v is not None}
    app = AppContext(overrides=overrides)
    ctx.obj = app
    from aggregator.logging_setup import configure_logging

    configure_logging(app.settings.log_level, app.settings.log_format)


for _module in VERB_MODULES:
    cli.add_command(_module.command)


def main() -> None:
    cli(prog_name="aggregator")


if __name__ == "__main__":
    main()
