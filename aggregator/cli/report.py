"""The ``report`` verb: analytics of one owner (``aggregator.analytics``), printed or written to a file.

    aggregator report cash-cycle --owner LUMINA-HK [--period 2026-11] [--by platform --by month]
        [--table distribution|orders] --format table|csv|json|xlsx [--out FILE]

``table`` prints every table of the report with its notes; ``csv`` / ``json`` write one table (the main
one unless ``--table`` names another; csv cells spreadsheet-safe, duration columns named ``…_days``);
``xlsx`` writes every table as a sheet plus an ``export`` sheet (needs ``--out``).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.errors import UserError
from aggregator.cli.instants import INSTANT
from aggregator.cli.owner_option import owner_option

REPORT_FORMATS = ("table", "csv", "json", "xlsx")


def report_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--owner`` (required, checked), ``--period``, ``--format``, ``--table`` and ``--out``."""
    for option in reversed((
        owner_option(required=True),
        click.option("--period", default=None, help="YYYY-MM: only this month (default: everything stored)."),
        click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="table", show_default=True,
                     help="table for people; csv/json (one table) or xlsx (every table) for programs."),
        click.option("--table", "table_name", default=None, help="Which table csv/json write (default: the main one)."),
        click.option("--out", default=None, help="File to write (default: standard output; xlsx needs a file)."),
    )):
        function = option(function)
    return function


def as_of_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--at``: the instant a report is as of (its ``now``), so a report can be made again as it was."""
    return click.option("--at", type=INSTANT, default=None,
                        help="The as-of instant, with a time zone (default: now).")(function)


def build(app: AppContext, make: Callable[..., Any], owner_id: str, period: str | None, **kwargs: Any):
    from aggregator.store.db import session_scope

    with session_scope(app.ready_engine()) as session:
        try:
            return make(session, owner_id, period, **kwargs)
        except ValueError as exc:
            if "period" in str(exc):
                raise click.BadParameter(str(exc), param_hint="--period") from exc
            raise


def emit(report, fmt: str, out: str | None, table_name: str | None, at: datetime | None = None) -> None:
    """Print or write ``report`` in ``fmt``; ``at``: the ``--at`` it was made as of (a workbook names it)."""
    from aggregator.cli.output import frame_money, money_cells, open_out, render_frame, table_text

    if table_name is not None and table_name not in report.tables:
        raise UserError(f"report {report.name} has no table {table_name!r}; its tables: {', '.join(report.tables)}")
    if fmt == "xlsx":
        _write_xlsx(report, out, at)
        return
    if fmt == "table":
        with open_out(out) as handle:
            for note in report.notes:
                handle.write(note + "\n")
            for name, frame in report.tables.items():
                if table_name is not None and name != table_name:
                    continue
                handle.write(f"\n{report.name}: {name}\n")
                columns = [str(c) for c in frame.columns]
                records = money_cells([dict(zip(columns, row)) for row in frame.itertuples(index=False)],
                                      frame_money(frame))
                handle.write(table_text(records, columns))
        return
    with open_out(out) as handle:
        count = render_frame(report.tables[table_name or report.main], fmt, handle)
    if out is not None and out != "-":
        click.echo(f"wrote {count} row(s) to {out}", err=True)


def _write_xlsx(report, out: str | None, at: datetime | None) -> None:
    """Every table as a sheet and an ``export`` sheet. Made as of ``--at``: the sheet names it (``as_of``) and the
    workbook is stamped with it, nothing from the wall clock, so the same ``--at`` gives the same bytes; without
    it the wall clock's ``generated_at``."""
    from aggregator.cli.output import check_out_path
    from aggregator.exports.canonical import sha256_of
    from aggregator.exports.files import write_atomically
    from aggregator.exports.xlsx_table import SheetTable, tables_xlsx_bytes

    if out is None or out == "-":
        raise UserError("--format xlsx needs --out FILE (a workbook is not written to a terminal)")
    target = check_out_path(out)
    sheets = [SheetTable(name, [str(c) for c in frame.columns], frame.itertuples(index=False, name=None))
              for name, frame in report.tables.items()]
    stamp = datetime.now(UTC) if at is None else at.astimezone(UTC)
    when = {"generated_at": stamp.isoformat(timespec="seconds")} if at is None else {"as_of": at.isoformat()}
    about = {"report": report.name, "owner": report.owner_id, "period": report.period or "everything stored",
             **when, **{f"note {i + 1}": n for i, n in enumerate(report.notes)}}
    data = tables_xlsx_bytes(sheets, about, stamp=datetime.combine(stamp.date(), time()))
    write_atomically(target, data)
    click.echo(f"wrote {out} sha256 {sha256_of(data)}", err=True)


@click.group(name="report", help="Analytics of one owner: cash cycle (legs in days per order) and more.")
def command() -> None:
    pass


@command.command(name="cash-cycle", help="Legs in days per order (on board → arrival → customs release → receipt "
                 "→ order → dispatch → delivery → payout) and their p50/p90/std per owner, platform, shop, "
                 "country and month.")
@report_options
@click.option("--by", "by", multiple=True, type=click.Choice(["owner", "platform", "shop", "country", "month"]),
              help="Dimension(s) of the distribution table (repeatable; default: all five).")
@pass_app
def cash_cycle(app: AppContext, owner_id: str, period: str | None, fmt: str, table_name: str | None,
               out: str | None, by: tuple[str, ...]) -> None:
    from aggregator.analytics.cash_cycle import cash_cycle as make
    from aggregator.analytics.legs import DIMENSIONS

    report = build(app, make, owner_id, period, dimensions=tuple(by) or DIMENSIONS)
    emit(report, fmt, out, table_name)


def print_cash_cycle_summary(database_url: str) -> None:
    """The demo's closing lines: each owner's cash cycle (``aggregator report cash-cycle`` in one line)."""
    from aggregator.analytics.cash_cycle import every_owner_summary
    from aggregator.store.db import create_engine_for, session_scope

    engine = create_engine_for(database_url)
    try:
        with session_scope(engine) as session:
            lines = every_owner_summary(session)
    finally:
        engine.dispose()
    click.echo("cash cycle (aggregator report cash-cycle --owner ID): p50 / p90 in days, orders measured")
    for line in lines:
        click.echo("  " + line)


@command.command(name="in-transit", help="Units and value at cost in the owner's base currency by title state and "
                 "stage, one row per day up to the as-of instant (the period's days, or the 90 ending on it), from "
                 "the title ledger; the instant and the rate paths are printed.")
@report_options
@click.option("--at", type=INSTANT, default=None,
              help="The as-of instant, with a time zone (default: the data's end, when the last title event takes "
                   "effect); values at the rates of its date.")
@pass_app
def in_transit(app: AppContext, owner_id: str, period: str | None, fmt: str, table_name: str | None,
               out: str | None, at: datetime | None) -> None:
    from aggregator.analytics.in_transit import in_transit as make

    report = build(app, make, owner_id, period, at=at)
    if fmt != "table":
        for note in report.notes:  # the instant and the rate paths, beside the file or the data
            click.echo(note, err=True)
    emit(report, fmt, out, table_name, at)


@command.command(name="ageing", help="Lots on hand at the latest stock snapshot: days in warehouse, units sold over "
                 "the window, turnover, slow-moving share.")
@report_options
@click.option("--window-days", default=90, show_default=True, type=click.IntRange(1, 3660),
              help="Sales window before the snapshot (turnover, days of supply).")
@click.option("--slow-days", default=90, show_default=True, type=click.IntRange(0, 3660),
              help="A lot older than this (days in warehouse) is slow-moving.")
@as_of_option
@pass_app
def ageing(app: AppContext, owner_id: str, period: str | None, fmt: str, table_name: str | None, out: str | None,
           window_days: int, slow_days: int, at: datetime | None) -> None:
    from aggregator.analytics.stock_ageing import ageing as make

    emit(build(app, make, owner_id, period, window_days=window_days, slow_days=slow_days, now=at), fmt, out,
         table_name, at)


@command.command(name="demand", help="Weekly sales per SKU × warehouse, an exponential-smoothing forecast, its rolling "
                 "3-month WAPE, days of cover (on hand + in transit) and the reorder signal.")
@report_options
@click.option("--lead-days", type=click.FloatRange(0, 3660), default=None,
              help="Supply lead time in days (default: the owner's measured p90 on board → receipt).")
@click.option("--safety-days", type=click.FloatRange(0, 3660), default=14, show_default=True,
              help="Safety days added to the lead time for the reorder point.")
@as_of_option
@pass_app
def demand(app: AppContext, owner_id: str, period: str | None, fmt: str, table_name: str | None, out: str | None,
           lead_days: float | None, safety_days: float, at: datetime | None) -> None:
    from aggregator.analytics.demand_report import NoLeadTime
    from aggregator.analytics.demand_report import demand as make
    from aggregator.refusals import cli_flag

    try:
        report = build(app, make, owner_id, period, lead_days=lead_days, safety_days=safety_days,
                       now=at)
    except NoLeadTime as exc:  # the input named by its flag (--lead-days)
        raise UserError(exc.render(cli_flag)) from exc
    emit(report, fmt, out, table_name, at)


@command.command(name="collaboration", help="Exception resolution times (first seen → resolved) by kind: match "
                 "exceptions and parked records.")
@report_options
@as_of_option
@pass_app
def collaboration(app: AppContext, owner_id: str, period: str | None, fmt: str, table_name: str | None,
                  out: str | None, at: datetime | None) -> None:
    from aggregator.analytics.collaboration_report import collaboration as make

    emit(build(app, make, owner_id, period, now=at), fmt, out, table_name, at)


@command.command(name="resilience", help="The resilience index (0–100) and its four parts: delivery-cycle "
                 "elasticity, inventory health, demand-sensing accuracy, collaboration; with the owner's own history.")
@report_options
@click.option("--turnover-target", type=click.FloatRange(0.1, 365), default=6.0, show_default=True,
              help="Turns a year that score full marks in inventory health.")
@click.option("--resolution-days", type=click.FloatRange(0.01, 365), default=2.0, show_default=True,
              help="Mean exception resolution time (days) that scores 50 in collaboration.")
@as_of_option
@pass_app
def resilience(app: AppContext, owner_id: str, period: str | None, fmt: str, table_name: str | None,
               out: str | None, turnover_target: float, resolution_days: float,
               at: datetime | None) -> None:
    from aggregator.analytics.resilience import Parameters
    from aggregator.analytics.resilience_report import resilience as make

    emit(build(app, make, owner_id, period, params=Parameters(turnover_target, resolution_days), now=at), fmt,
         out, table_name, at)


@command.command(name="expiry", help="Lots with expiry dates sold first-expiry-first-out at the forecast demand: "
                 "days to expiry against days of cover, units and value that will expire unsold.")
@report_options
@click.option("--near-days", type=click.IntRange(0, 3660), default=30, show_default=True,
              help="A lot expiring within this many days is NEAR_EXPIRY even when it sells in time.")
@as_of_option
@pass_app
def expiry(app: AppContext, owner_id: str, period: str | None, fmt: str, table_name: str | None, out: str | None,
           near_days: int, at: datetime | None) -> None:
    from aggregator.analytics.expiry_report import expiry as make

    emit(build(app, make, owner_id, period, near_days=near_days, now=at), fmt, out, table_name, at)
