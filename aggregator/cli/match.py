"""The ``match`` verb: link order lines to lots, containers, documents and customs entries."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app


@click.command(name="match", help="Link order lines to shipments, lots, receipts, documents and customs entries; "
                                  "derive title events. Only changed partitions are re-matched unless --full.")
@click.option("--full", is_flag=True, help="Re-match every partition.")
@click.option("--owner", "owner_id", default=None, help="Only this owner (brand).")
@click.option("--policy", "policy_path", default=None, type=click.Path(dir_okay=False, exists=True),
              help="Title policy TOML (default: title_policy.toml in the data dir, if present).")
@pass_app
def command(app: AppContext, full: bool, owner_id: str | None, policy_path: str | None) -> None:
    from pathlib import Path

    from aggregator.matching_service.policy_file import PolicyFileError
    from aggregator.matching_service.service import run_match

    path = Path(policy_path) if policy_path else app.settings.data_dir / "title_policy.toml"
    try:
        summary = run_match(app.ready_engine(), full=full, owner_id=owner_id, policy_path=path)
    except PolicyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary.describe())
