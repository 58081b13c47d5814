"""The ``settlements`` verb: marketplace statements (list, show), per-order reconciliation (orders,
reconcile) and booking (book: reconcile, then recognise new statements and settle paid ones).

    aggregator settlements statements list --owner LUMINA-HK [--platform lazada] [--check mismatch]
    aggregator settlements statements show --owner LUMINA-HK lazada:1001234567:2026-W10
    aggregator settlements orders --owner LUMINA-HK [--status under_paid]
    aggregator settlements reconcile --owner LUMINA-HK [--full]
    aggregator settlements book [--owner LUMINA-HK]
"""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.platforms import PLATFORM
from aggregator.cli.output import format_option, render
from aggregator.cli.owner_option import owner_option
from aggregator.cli.shop_option import shop_filter_option

STATUSES = ("unsettled", "partially_settled", "settled", "over_paid", "under_paid", "settled_without_order",
            "refunded")
required_owner = owner_option(required=True, help="Owner (tenant) id; an unknown id is refused.")


@click.group(name="settlements", help="Marketplace statements, per-order reconciliation and automatic booking.")
def command() -> None:
    pass


@command.group(help="Statements: the platforms' own payout groupings with their declared totals.")
def statements() -> None:
    pass


@statements.command(name="list", help="List an owner's statements: declared total, lines, difference, booking.")
@required_owner
@click.option("--platform", type=PLATFORM, default=None)
@shop_filter_option()
@click.option("--check", type=click.Choice(["balanced", "mismatch"]), default=None)
@click.option("--limit", type=click.IntRange(1, 100_000), default=500, show_default=True)
@format_option()
@pass_app
def statements_list(app: AppContext, owner_id: str, platform: str | None, shop_id: str | None, check: str | None,
                    limit: int, fmt: str) -> None:
    from aggregator.settlement.queries import STATEMENT_COLUMNS, list_statements
    from aggregator.store.db import session_scope

    with session_scope(app.ready_engine()) as session:
        rows = list_statements(session, owner_id, platform=platform, shop_id=shop_id, check=check, limit=limit)
    render(rows, STATEMENT_COLUMNS, fmt, money=dict.fromkeys(("declared_total", "lines_total", "difference", "payout",
                                                          "reserve"), "currency"))


@statements.command(name="show", help="One statement: totals, lines by category, its lines, booking and journals.")
@required_owner
@click.argument("ref", metavar="PLATFORM:SHOP:STATEMENT")
@format_option(formats=("table", "json"))
@pass_app
def statements_show(app: AppContext, owner_id: str, ref: str, fmt: str) -> None:
    import json

    from aggregator.settlement.queries import StatementNotFound, get_statement
    from fx.display import format_amount
    from aggregator.store.db import session_scope
    from aggregator.store.jsonutil import to_jsonable

    with session_scope(app.ready_engine()) as session:
        try:
            detail = get_statement(session, owner_id, ref)
        except StatementNotFound as exc:
            raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(to_jsonable({"statement": detail.statement, "breakdown": detail.breakdown,
                                           "by_category": detail.by_category, "lines": detail.lines,
                                           "booking": detail.booking, "journals": detail.journals}),
                              ensure_ascii=False, indent=1))
        return
    s = detail.statement
    ccy = s["currency"]

    def amount(value) -> str:  # noqa: ANN001 - a Decimal, a text from the platform, or None
        try:
            return "—" if value is None else format_amount(value, ccy)
        except ArithmeticError:  # a platform total that is not a number: as it came
            return str(value)

    click.echo(f"statement {s['statement']} issued {s['issued_at'].isoformat()} in {ccy}")
    click.echo(f"  declared {amount(s['declared_total'])}  lines {amount(s['lines_total'])}  "
               f"difference {amount(s['difference'])}  check {s['check']}")
    click.echo(f"  payout {amount(s['payout'])}  reserve {amount(s['reserve'])}  status {s['payment_status']}  "
               f"payout id {s['payout_id'] or '-'}")
    if detail.breakdown:
        click.echo("  platform totals: " + ", ".join(f"{k} {amount(v)}" for k, v in sorted(detail.breakdown.items())))
    click.echo("by category:")
    render([{"category": k, "amount": amount(v)} for k, v in detail.by_category.items()], ("category", "amount"),
           "table")
    click.echo(f"lines ({len(detail.lines)}):")
    render(detail.lines, ("order_id", "kind", "raw_kind", "amount", "currency", "description", "transaction_id"),
           "table", money={"amount": "currency"})
    if detail.booking is None:
        click.echo("booking: not booked yet (aggregator settlements book)")
    else:
        b = detail.booking
        fallback = f" (rate of {b['rate_date']})" if b["rate_date"] and b["rate_date"] != b["recognised_on"] else ""
        click.echo(f"booking: {b['original']} carried at {b['carrying']}, rate {b['rate']} {b['rate_source']} "
                   f"{b['rate_ref'] or ''}, recognised {b['recognised_on']}{fallback}"
                   + (f", settled {b['settled_on']}" if b["settled_on"] else ", open")
                   + (f" {b['open']} (paid in part)" if not b["settled_on"] and b["open"] != b["original"] else ""))
        render(detail.journals, ("journal_id", "date", "lines", "book_currency"), "table")


@command.command(name="orders", help="Per-order reconciliation: expected net against what was settled.")
@required_owner
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--platform", type=PLATFORM, default=None)
@shop_filter_option()
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=500, show_default=True)
@format_option()
@pass_app
def orders(app: AppContext, owner_id: str, status: str | None, platform: str | None, shop_id: str | None,
           limit: int, fmt: str) -> None:
    from aggregator.settlement.queries import RECON_COLUMNS, list_reconciliations
    from aggregator.store.db import session_scope

    with session_scope(app.ready_engine()) as session:
        rows = list_reconciliations(session, owner_id, status=status, platform=platform, shop_id=shop_id,
                                    limit=limit)
    render(rows, RECON_COLUMNS, fmt, money=dict.fromkeys(("order_gross", "deductions", "expected_net", "settled",
                                                       "difference"), "currency"))


@command.command(name="reconcile", help="Reconcile an owner's changed orders and statements (no booking).")
@required_owner
@click.option("--full", is_flag=True, help="Recompute every order and statement, not only what changed.")
@pass_app
def reconcile(app: AppContext, owner_id: str, full: bool) -> None:
    from aggregator.settlement.queries import status_counts
    from aggregator.settlement.service import reconcile_owner
    from aggregator.store.db import session_scope

    with session_scope(app.ready_engine()) as session:
        summary = reconcile_owner(session, owner_id, full=full)
    click.echo(summary.describe())
    with session_scope(app.engine) as session:
        counts = status_counts(session, owner_id).get(owner_id, {})
    click.echo("orders by status: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))


@command.command(name="book", help="Reconcile, then book every new balanced statement (recognition at its own "
                 "date, at its lock or the configured rate sources) and settle paid ones.")
@owner_option(help="Only this owner (default: every owner).")
@pass_app
def book(app: AppContext, owner_id: str | None) -> None:
    from aggregator.settlement.cycle import rate_sources, settle_owners

    engine = app.ready_engine()
    results = settle_owners(engine, [owner_id] if owner_id else None,
                            sources=rate_sources(app.settings.fx_rate_sources),
                            max_age_days=app.settings.fx_max_rate_age_days)
    for result in results:
        for line in result.lines():
            click.echo(line)
