"""A verb that is on the map but not built yet says so and exits non-zero; nothing pretends to work."""
from __future__ import annotations

import click


def unavailable_command(name: str, what: str) -> click.Command:
    @click.command(name=name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                   help=f"{what} (not available yet).")
    def command() -> None:
        click.echo(f"aggregator {name}: not available yet ({what}).", err=True)
        raise SystemExit(2)

    return command
