"""Statements and reconciliation results as plain rows, scoped to one owner, for the CLI, the API and
the exports. Every query filters by ``owner_id``: another owner's statement is simply not found. (Only
the API passes ``owner_id=None``, for an unbound staff key that named no owner: every owner's rows.)

``statements_query`` / ``reconciliations_query`` are the filtered selects (the CLI pages them by
offset in issue order, the API by keyset newest first); ``statement_dicts`` turns a page into rows with
their booking state."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from aggregator.fx_service.journal_keys import lines_about
from aggregator.fx_service.receivables import open_amounts
from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow
from aggregator.store.models.marketplace import SettlementLineRow
from aggregator.store.models.settlement import ReconciliationRow, StatementRow
from fx.display import rate_text
from fx.money import Money

STATEMENT_COLUMNS = ("statement", "platform", "shop_id", "statement_id", "issued_at", "currency", "declared_total",
                     "lines_total", "difference", "check", "payout", "reserve", "payment_status", "booked")


class StatementNotFound(LookupError):
    """No such statement for this owner."""


def statement_ref(row: StatementRow) -> str:
    return f"{row.platform}:{row.shop_id}:{row.statement_id}"


def parse_ref(ref: str) -> tuple[str, str, str]:
    """``platform:shop_id:statement_id`` (a statement id may itself contain ``:``)."""
    parts = ref.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise StatementNotFound(f"statement reference {ref!r} must be platform:shop_id:statement_id")
    return parts[0], parts[1], parts[2]


def _booking(session: Session, owner_id: str, refs: list[str]) -> dict[str, FxOpenItemRow]:
    if not refs:
        return {}
    return {row.item_id: row for row in session.scalars(select(FxOpenItemRow).where(
        FxOpenItemRow.owner_id == owner_id, FxOpenItemRow.item_id.in_(refs)))}


def statement_dicts(session: Session, rows: list[StatementRow]) -> list[dict[str, Any]]:
    """``rows`` as plain dicts with their booking state (one lookup per owner on the page)."""
    owners: dict[str, list[str]] = {}
    for row in rows:
        owners.setdefault(row.owner_id, []).append(statement_ref(row))
    booked = {(owner, ref): item for owner, refs in owners.items()
              for ref, item in _booking(session, owner, refs).items()}
    return [statement_dict(r, booked.get((r.owner_id, statement_ref(r)))) for r in rows]


def statements_query(owner_id: str | None, *, platform: str | None = None, shop_id: str | None = None,
                     check: str | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> Select:
    """The owner's statements matching the filters (issued in ``since``..``until``, end excluded)."""
    query = select(StatementRow)
    if owner_id is not None:
        query = query.where(StatementRow.owner_id == owner_id)
    if platform:
        query = query.where(StatementRow.platform == platform)
    if shop_id:
        query = query.where(StatementRow.shop_id == shop_id)
    if check:
        query = query.where(StatementRow.check_status == check)
    if since:
        query = query.where(StatementRow.issued_at >= since)
    if until:
        query = query.where(StatementRow.issued_at < until)
    return query


def _booked_text(item: FxOpenItemRow | None) -> str:
    if item is None:
        return "no"
    return f"settled {item.settled_on}" if item.settled_on else f"recognised {item.recognised_on}"


def list_statements(session: Session, owner_id: str, *, platform: str | None = None, shop_id: str | None = None,
                    check: str | None = None, since: datetime | None = None, until: datetime | None = None,
                    limit: int = 500, offset: int = 0) -> list[dict[str, Any]]:
    query = statements_query(owner_id, platform=platform, shop_id=shop_id, check=check, since=since, until=until)
    rows = session.scalars(query.order_by(StatementRow.issued_at, StatementRow.platform, StatementRow.shop_id,
                                          StatementRow.statement_id).limit(limit).offset(offset)).all()
    return statement_dicts(session, list(rows))


def statement_dict(row: StatementRow, item: FxOpenItemRow | None) -> dict[str, Any]:
    return {"statement": statement_ref(row), "platform": row.platform, "shop_id": row.shop_id,
            "statement_id": row.statement_id, "issued_at": row.issued_at, "currency": row.currency,
            "declared_total": row.declared_total, "lines_total": row.lines_total, "difference": row.difference,
            "check": row.check_status or "unchecked", "payout": row.payout, "reserve": row.reserve,
            "payment_status": row.payment_status, "payout_id": row.payout_id, "paid_at": row.paid_at,
            "booked": _booked_text(item)}


@dataclass
class StatementDetail:
    statement: dict[str, Any]
    breakdown: dict[str, str]
    by_category: dict[str, Decimal]
    lines: list[dict[str, Any]]
    booking: dict[str, Any] | None
    journals: list[dict[str, Any]]


def get_statement(session: Session, owner_id: str | None, ref: str) -> StatementDetail:
    platform, shop_id, statement_id = parse_ref(ref)
    row = session.scalars(statements_query(owner_id, platform=platform, shop_id=shop_id).where(
        StatementRow.statement_id == statement_id)).first()
    if row is None:
        raise StatementNotFound(f"no statement {ref!r} for owner {owner_id!r}")
    owner_id = row.owner_id
    lines = session.scalars(select(SettlementLineRow).where(
        SettlementLineRow.owner_id == owner_id, SettlementLineRow.platform == platform,
        SettlementLineRow.shop_id == shop_id, SettlementLineRow.statement_id == statement_id)
        .order_by(SettlementLineRow.order_id, SettlementLineRow.transaction_id)).all()
    by_category: Counter = Counter()
    for line in lines:
        by_category[line.kind] += line.amount
    item = _booking(session, owner_id, [ref]).get(ref)
    booking = None
    journals: list[dict[str, Any]] = []
    if item is not None:
        booking = {"item_id": item.item_id, "original": str(Money(item.original_amount, item.original_currency)),
                   "carrying": str(Money(item.carrying_amount, item.book_currency)), "rate": rate_text(item.carrying_rate),
                   "rate_source": item.rate_source, "rate_ref": item.rate_ref, "recognised_on": item.recognised_on,
                   "rate_date": item.rate_date, "settled_on": item.settled_on}
        still_open, still_carried = open_amounts(session, item)  # less the parts paid so far
        booking.update({"open": str(still_open), "open_carrying": str(still_carried)})
        by_journal: dict[tuple[date, str], list[FxJournalLineRow]] = {}
        for line in lines_about(session, owner_id, ref):  # its own lines, never another statement's
            by_journal.setdefault((line.journal_date, line.journal_id), []).append(line)
        journals = [{"journal_id": j, "date": d, "lines": len(rows), "book_currency": min(r.book_currency for r in rows)}
                    for (d, j), rows in sorted(by_journal.items())]
    return StatementDetail(
        statement_dict(row, item), dict(row.breakdown or {}), dict(sorted(by_category.items())),
        [{"transaction_id": li.transaction_id, "order_id": li.order_id, "kind": li.kind, "raw_kind": li.raw_kind,
          "amount": li.amount, "currency": li.currency, "occurred_at": li.occurred_at, "description": li.description}
         for li in lines], booking, journals)


RECON_COLUMNS = ("platform", "shop_id", "order_id", "status", "currency", "order_gross", "deductions", "expected_net",
                 "settled", "difference", "statements")


def reconciliations_query(owner_id: str | None, *, status: str | None = None, platform: str | None = None,
                          shop_id: str | None = None) -> Select:
    """The owner's per-order verdicts matching the filters."""
    query = select(ReconciliationRow)
    if owner_id is not None:
        query = query.where(ReconciliationRow.owner_id == owner_id)
    if status:
        query = query.where(ReconciliationRow.status == status)
    if platform:
        query = query.where(ReconciliationRow.platform == platform)
    if shop_id:
        query = query.where(ReconciliationRow.shop_id == shop_id)
    return query


def reconciliation_dict(row: ReconciliationRow) -> dict[str, Any]:
    return {c: getattr(row, c) for c in RECON_COLUMNS} | {"by_category": row.by_category}


def list_reconciliations(session: Session, owner_id: str, *, status: str | None = None, platform: str | None = None,
                         shop_id: str | None = None, limit: int = 500, offset: int = 0) -> list[dict[str, Any]]:
    query = reconciliations_query(owner_id, status=status, platform=platform, shop_id=shop_id)
    rows = session.scalars(query.order_by(ReconciliationRow.platform, ReconciliationRow.shop_id,
                                          ReconciliationRow.order_id).limit(limit).offset(offset)).all()
    return [reconciliation_dict(r) for r in rows]


def status_counts(session: Session, owner_id: str | None = None) -> dict[str, dict[str, int]]:
    """owner → status → number of orders (every owner when ``owner_id`` is None)."""
    query = select(ReconciliationRow.owner_id, ReconciliationRow.status, func.count()).group_by(
        ReconciliationRow.owner_id, ReconciliationRow.status)
    if owner_id is not None:
        query = query.where(ReconciliationRow.owner_id == owner_id)
    out: dict[str, dict[str, int]] = {}
    for owner, status, count in session.execute(query):
        out.setdefault(owner, {})[status] = count
    return out
