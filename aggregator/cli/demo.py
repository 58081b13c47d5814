"""The ``demo`` verb: the whole chain on the embedded default, in one command."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app


@click.command(name="demo", help="Run the whole chain on the embedded default: a fresh SQLite database, the sandbox "
                                  "marketplaces on loopback, signed order syncs, logistics imports, matching, "
                                  "title position, signed webhook pushes through the API and FX. The database in --data-dir is recreated.")
@click.option("--seed", default=42, show_default=True, help="Seed of the sandbox world.")
@click.option("--orders", default=300, show_default=True, help="Orders in the sandbox world.")
@click.option("--faults", default="429=0.02,5xx=0.02", show_default=True,
              help="Faults the sandbox injects (see aggregator sandbox --help).")
@pass_app
def command(app: AppContext, seed: int, orders: int, faults: str) -> None:
    from aggregator.demo.runner import run_demo

    report = run_demo(app.settings, seed=seed, orders=orders, faults=faults)
    from aggregator.cli.report import print_cash_cycle_summary

    print_cash_cycle_summary(report.database_url)
    problems = report.chain.failures() if report.chain is not None else ["no chain verdict"]
    problems += report.returns.failures() if report.returns is not None else ["no returns verdict"]
    problems += report.pushes.failures() if report.pushes is not None else ["no webhook verdict"]
    problems += report.payouts.failures() if report.payouts is not None else ["no payout verdict"]
    if report.money_mismatches:
        problems.append(f"{len(report.money_mismatches)} settled order(s) differ in money or status")
    if report.open_exceptions.get("unlinked_receipt"):
        problems.append(f"{report.open_exceptions['unlinked_receipt']} receipt(s) linked to no document")
    if problems:
        raise click.ClickException("the demo differs from the sandbox's ground truth: " + "; ".join(problems))
    if report.orders_stored != report.orders_in_sandbox:
        raise click.ClickException(f"synced {report.orders_stored} orders but the sandbox has "
                                   f"{report.orders_in_sandbox}")
