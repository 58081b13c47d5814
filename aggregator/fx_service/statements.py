"""Marketplace statements into FX: the statement's lines (net of fees) become one foreign-currency
receivable, booked with its recognition journal at the rate of the statement date (or a period
average); the payout later settles it under a lock or at the actual rate (``receivables``).

Re-running is idempotent (the item and every journal line have stable keys). A statement whose
lines changed after it was recognised is refused with a clear error instead of being re-booked.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.fx_service.receivables import recognise_receivable, save_journal, to_open_item
from aggregator.store.models.fx import FxOpenItemRow
from aggregator.store.models.marketplace import SettlementLineRow
from fx.convert import Converter
from fx.money import Money
from fx.rates import Rate
from fx.recognition import RecognitionAccounts, StatementPart, net_of, recognition_journal

PAYOUT_KINDS = frozenset({"PAYOUT"})


class StatementNotFound(LookupError):
    """No settlement lines for that statement."""


class StatementChanged(ValueError):
    """The statement's lines no longer sum to the receivable recognised earlier."""


def recognise_statement(session: Session, owner_id: str, *, platform: str, shop_id: str, statement_id: str,
                        book_currency: str, converter: Converter, receivable_account: str | None = None,
                        accounts: RecognitionAccounts = RecognitionAccounts(),
                        average_over: tuple[date, date] | None = None,
                        rounding: str = ROUND_HALF_UP, on: date | None = None,
                        at_rate: Rate | None = None) -> tuple[FxOpenItemRow, int]:
    """Recognise one statement on ``on`` (default: its last line's day) at ``at_rate`` (a lock's client
    rate) or at the converter's rate; returns the open item and how many journal lines were new."""
    rows = session.scalars(select(SettlementLineRow).where(
        SettlementLineRow.owner_id == owner_id, SettlementLineRow.platform == platform,
        SettlementLineRow.shop_id == shop_id, SettlementLineRow.statement_id == statement_id,
        SettlementLineRow.kind.not_in(PAYOUT_KINDS),
    ).order_by(SettlementLineRow.occurred_at, SettlementLineRow.transaction_id)).all()
    if not rows:
        raise StatementNotFound(f"no settlement lines for {platform}:{shop_id}:{statement_id} of {owner_id}")
    parts = [StatementPart(r.kind, Money(r.amount, r.currency), r.raw_kind or r.description or r.kind,
                           r.transaction_id) for r in rows]
    net = net_of(parts)
    item_id = f"{platform}:{shop_id}:{statement_id}"
    on = on or max(r.occurred_at for r in rows).date()
    item_row = recognise_receivable(
        session, owner_id, item_id, net, book_currency=book_currency, on=on,
        account=receivable_account or f"1122.{platform.upper()}-{shop_id}", converter=converter,
        average_over=average_over, rounding=rounding, at_rate=at_rate)
    item = to_open_item(item_row)
    if item.original != net:
        raise StatementChanged(f"{item_id} was recognised as {item.original} but its lines now sum to {net}; "
                               "reverse the booking before recognising it again")
    journal = recognition_journal(item, parts, journal_id=f"REC-{item_id}", on=item.recognised_on,
                                  idem_prefix=item_id, accounts=accounts, rounding=rounding)
    return item_row, save_journal(session, owner_id, journal)
