"""The ``match`` verb: link order lines to lots, containers, documents and customs entries.

``aggregator match [--full]`` runs the matcher; ``aggregator match link ...`` records a manual link (which
every later run applies before its own rules, and which can resolve a match exception).
"""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.owner_option import owner_option

# the steps the matcher takes manual links for (``matching.manual.MANUAL_STEPS``; kept literal so that
# ``aggregator --help`` does not import pandas)
STEPS = ("order_shipment", "shipment_lot", "receipt_transport_doc", "receipt_customs_entry", "receipt_document",
         "receipt_customs")


@click.group(name="match", invoke_without_command=True,
             help="Link order lines to shipments, lots, receipts, documents and customs entries; derive title "
                  "events. Only changed partitions are re-matched unless --full.")
@click.option("--full", is_flag=True, help="Re-match every partition.")
@owner_option(help="Only this owner (brand); an unknown id is refused.")
@click.option("--policy", "policy_path", default=None, type=click.Path(dir_okay=False, exists=True),
              help="Title policy TOML (default: title_policy.toml in the data dir, if present).")
@click.pass_context
def command(ctx: click.Context, full: bool, owner_id: str | None, policy_path: str | None) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from pathlib import Path

    from aggregator.matching_service.policy_file import PolicyFileError
    from aggregator.matching_service.service import run_match

    app: AppContext = ctx.find_object(AppContext) or AppContext()
    path = Path(policy_path) if policy_path else app.settings.data_dir / "title_policy.toml"
    try:
        summary = run_match(app.ready_engine(), full=full, owner_id=owner_id, policy_path=path)
    except PolicyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary.describe())


@command.command(name="link", help="Record a manual link (keys as in 'export links' / match exceptions). Both "
                                    "keys must name records of the owner, of the kinds the step joins; --resolves "
                                    "must name an open match exception this link resolves. Anything else is "
                                    "refused and nothing is written.")
@owner_option(required=True)
@click.option("--step", type=click.Choice(STEPS), required=True)
@click.option("--left", "left_key", required=True, help="e.g. an order line key PLATFORM|SHOP|ORDER|LINE.")
@click.option("--right", "right_key", required=True, help="e.g. a shipment line key OWNER|WH|OUTBOUND|LINE.")
@click.option("--qty", type=click.IntRange(1, 2**31 - 1), required=True, help="Units the link carries.")
@click.option("--note", default="", help="Why (ticket, who agreed).")
@click.option("--resolves", "exception_id", default=None,
              help="The match exception this link resolves: its id in 'aggregator exceptions list', or the "
                   "matcher's stable id (ref).")
@pass_app
def link(app: AppContext, owner_id: str, step: str, left_key: str, right_key: str, qty: int, note: str,
         exception_id: str | None) -> None:
    from aggregator.cli.errors import UserError
    from aggregator.matching_service.manual_links import ManualLinkRefused, add_manual_link
    from aggregator.refusals import cli_flag

    try:
        row, resolved = add_manual_link(app.ready_engine(), owner_id=owner_id, step=step, left_key=left_key,
                                        right_key=right_key, qty=qty, note=note, resolves=exception_id)
    except ManualLinkRefused as exc:
        raise UserError(f"manual link refused: {exc.render(cli_flag)}") from exc
    click.echo(f"manual link #{row.id} recorded; it applies from the next 'aggregator match'"
               + (f"; exception #{resolved.id} ({resolved.kind}) resolved" if resolved is not None else ""))
