"""Pure mapping of one Shopee local shop's wallet transaction to a paid withdrawal statement (+ problems).

Source: Shopee Open Platform v2 ``payment.get_wallet_transaction_list`` ("Only applicable for local
shops"; schema copy in congminh1254/shopee-sdk ``schemas/v2.payment.get_wallet_transaction_list.json``;
reference marketplace_apis.md §"Local shops' wallet"). One ``transaction_list[]`` entry is

    {"status": "COMPLETED", "transaction_type": "WITHDRAWAL_COMPLETED", "amount": -2724.48,
     "current_balance": 1205.25, "create_time": 1795744800, "order_sn": "", "refund_sn": "",
     "withdrawal_id": 23170002, "transaction_fee": 15.0, "money_flow": "MONEY_OUT", …}

The documented transaction types this mapper knows (the schema's ``transaction_type`` list):
``ESCROW_VERIFIED_ADD`` (101, "escrow has been verified and paid to seller"), ``ESCROW_VERIFIED_MINUS``
(102, charged as the escrow is negative), ``WITHDRAWAL_CREATED`` (201, "deducted from balance"),
``WITHDRAWAL_COMPLETED`` (202, "the withdrawal has been completed"), ``WITHDRAWAL_CANCELLED`` (203, "the
amount is added back to the seller balance"); statuses FAILED, COMPLETED, PENDING, INITIAL (also in
aqualaguna/shopee-client ``GetTransactionListResponse.ts``). The direction is ``money_flow`` (MONEY_IN
addition, MONEY_OUT deduction); the sources do not say how ``amount`` is signed, so either sign is read
as the magnitude, and a negative amount of money in (against either reading) is refused.

* A ``WITHDRAWAL_COMPLETED`` with status ``COMPLETED`` is money paid to the seller: the statement
  ``withdrawal-<withdrawal_id>`` issued when the withdrawal was created (the ``create_time`` of its
  ``WITHDRAWAL_CREATED``, given as ``_created``: the money left the balance then, so it can only be money
  released before; a completion without it is refused, never dated by guess) and paid at its own
  ``create_time``, in the shop's currency, ``payout`` = the
  amount withdrawn, with one ``PAYOUT`` line (minus that amount: money leaving the wallet; outside
  statement checks and order verdicts) and, when ``transaction_fee`` is not zero, one
  ``TRANSACTION_FEE`` line (minus the fee: the statement's ``declared_total``; the fee is inside the
  amount, the bank receives amount − fee). Which release days it pays is decided where the stored
  release days are (``aggregator.settlement.wallet``: oldest first).
* A ``WITHDRAWAL_CREATED`` with status ``COMPLETED`` (the money "deducted from balance") is the same
  statement while the withdrawal is pending: ``withdrawal-<withdrawal_id>`` issued and updated at its
  ``create_time``, ``payment_status`` ``PENDING``, ``payout`` the amount taken, ``declared_total`` 0 and no
  lines (it pays nothing yet; its fee is known at its completion). The completion, later in Shopee's
  clock, replaces it (``updated_at`` newer: a creation read again never writes over it).
* A ``WITHDRAWAL_CANCELLED`` with status ``COMPLETED`` ends it: the schema documents no other type for a
  failed or reversed withdrawal, and this one "the amount is added back to the seller balance. Ongoing
  amount decreases as well" (203, congminh1254/shopee-sdk
  ``schemas/v2.payment.get_wallet_transaction_list.json``). The statement becomes ``CANCELLED`` (issued at
  its creation, ``_created`` as for a completion, else refused the same way; ``breakdown["cancelled_at"]``
  its ``create_time``: the money is back in the wallet from then), pays nothing, has no lines.
* A creation with another status (FAILED, PENDING, INITIAL: the balance did not move), a completion with
  a status other than ``COMPLETED`` (the withdrawal stays pending until its completion or cancellation)
  and a cancellation with another status give no record.
* A money-in ``ESCROW_VERIFIED_ADD`` (or a money-out ``ESCROW_VERIFIED_MINUS``) whose order's escrow
  release was read with it (``_release``, same amount) is that release, already stated in its release
  day: no record.
* The other documented types that move the balance (the schema's list: adjustments 401, 402, 404–407,
  cost passing and taxes 408–410, paid ads 450/451, affiliate fees 455/456/460) are money the wallet
  got or gave outside any escrow: each completed one is a statement of its own,
  ``wallet-<create_time>-<digest>`` (``wallet_statement_id``: a digest of the transaction's own fields,
  stable across reads), issued at its ``create_time``, ``declared_total`` = the signed amount (``money_flow``),
  with one line in the category ``WALLET_TYPES`` gives it (its ``reason``/``description`` kept, an order it
  names in the text only: it is not part of the order's escrow). The wallet's allocation takes it like a
  release day: money in that withdrawals pay, money out netted against the money in
  (``aggregator.settlement.wallet_allocation``).
* Fast escrow (452, 458, 459) pays an order's escrow early, in one or two parts, and takes it back on a
  return: the escrow release that follows would state the same money again, so it is parked with that
  reason (``fast_escrow``) for a person, never booked twice. Any other money in or out (a type the schema
  does not list, or an escrow release nothing explains) is an error naming the transaction and why, so
  the record is parked: never absorbed silently.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fx.money import Money
from platform_adapters.canonical import FeeCategory, Platform, SettlementLine, Statement
from platform_adapters.http.values import Problems, epoch, id_str, money

ESCROW_IN, ESCROW_OUT = "ESCROW_VERIFIED_ADD", "ESCROW_VERIFIED_MINUS"
CREATED, COMPLETED, CANCELLED = "WITHDRAWAL_CREATED", "WITHDRAWAL_COMPLETED", "WITHDRAWAL_CANCELLED"
STATUSES = frozenset({"FAILED", "COMPLETED", "PENDING", "INITIAL"})
FLOWS = frozenset({"MONEY_IN", "MONEY_OUT"})
#: the documented direction of the types this mapper acts on, when ``money_flow`` is not given
DIRECTION = {ESCROW_IN: "MONEY_IN", ESCROW_OUT: "MONEY_OUT", CREATED: "MONEY_OUT", COMPLETED: "MONEY_OUT",
             CANCELLED: "MONEY_IN"}


C = FeeCategory
#: The documented balance-moving types outside escrow and withdrawals: (code, direction, category).
WALLET_TYPES = {
    "ADJUSTMENT_ADD": (401, "MONEY_IN", C.ADJUSTMENT), "ADJUSTMENT_MINUS": (402, "MONEY_OUT", C.ADJUSTMENT),
    "FBS_ADJUSTMENT_ADD": (404, "MONEY_IN", C.ADJUSTMENT), "FBS_ADJUSTMENT_MINUS": (405, "MONEY_OUT", C.ADJUSTMENT),
    "ADJUSTMENT_CENTER_ADD": (406, "MONEY_IN", C.ADJUSTMENT),
    "ADJUSTMENT_CENTER_DEDUCT": (407, "MONEY_OUT", C.ADJUSTMENT),
    "FSF_COST_PASSING_DEDUCT": (408, "MONEY_OUT", C.SHIPPING_CHARGED),
    "PERCEPTION_VAT_TAX_DEDUCT": (409, "MONEY_OUT", C.TAX_WITHHELD),
    "PERCEPTION_TURNOVER_TAX_DEDUCT": (410, "MONEY_OUT", C.TAX_WITHHELD),
    "PAID_ADS_CHARGE": (450, "MONEY_OUT", C.MARKETING_FEE), "PAID_ADS_REFUND": (451, "MONEY_IN", C.MARKETING_FEE),
    "AFFILIATE_ADS_SELLER_FEE": (455, "MONEY_OUT", C.MARKETING_FEE),
    "AFFILIATE_ADS_SELLER_FEE_REFUND": (456, "MONEY_IN", C.MARKETING_FEE),
    "AFFILIATE_FEE_DEDUCT": (460, "MONEY_OUT", C.MARKETING_FEE),
}
#: Fast escrow: an order's escrow paid early (and taken back on a return); parked, see the module.
FAST_ESCROW = {"FAST_ESCROW_DISBURSE": 452, "FAST_ESCROW_DEDUCT": 458, "FAST_ESCROW_DISBURSE_REMAIN": 459}
WALLET_PREFIX = "wallet-"
DIRECTION.update({name: flow for name, (_, flow, _) in WALLET_TYPES.items()})


def wallet_statement_id(body: Mapping, at: datetime) -> str:
    """``wallet-<create_time>-<digest>``: the digest of the fields that make the transaction what it is."""
    fields = [str(body.get(k) or "") for k in ("transaction_type", "amount", "money_flow", "order_sn", "refund_sn",
                                                 "reason", "description", "transaction_id")]
    digest = hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]
    return f"{WALLET_PREFIX}{int(at.timestamp())}-{digest}"


def withdrawal_statement_id(withdrawal_id: str) -> str:
    return f"withdrawal-{withdrawal_id}"


def raw_wallet_key(raw: Any) -> str:
    body = raw.get("_wallet") if isinstance(raw, Mapping) else None
    if not isinstance(body, Mapping):
        return "wallet ?"
    ref = body.get("withdrawal_id") or body.get("order_sn") or body.get("refund_sn") or "?"
    return f"wallet {body.get('transaction_type') or '?'} {ref} at {body.get('create_time') or '?'}"


def map_wallet_transaction(raw: Any, shop_id: str, currency: str | None) -> tuple[list[Statement | SettlementLine],
                                                                                     list]:
    """The records of one ``{"_wallet": transaction, "_release": escrow list entry | None}`` (see the module)."""
    problems = Problems(location=raw_wallet_key(raw))
    body = raw.get("_wallet") if isinstance(raw, Mapping) else None
    if not isinstance(body, Mapping):
        problems.add("bad_value", "wallet record needs a transaction object", field="_wallet")
        return [], problems.items
    if not currency:
        problems.add("missing_currency", "no currency for the shop's region", field="currency")
        return [], problems.items
    kind = str(body.get("transaction_type") or "").strip().upper()
    status = str(body.get("status") or "").strip().upper()
    flow = str(body.get("money_flow") or DIRECTION.get(kind, "")).strip().upper()
    at = problems.parse(epoch, body.get("create_time"), "create_time")
    amount = problems.parse(money, body.get("amount"), "amount", currency)
    if status not in STATUSES:
        problems.add("bad_value", f"unknown status {status or 'missing'}", field="status", value=body.get("status"))
    if flow not in FLOWS:
        problems.add("bad_value", f"money_flow {flow or 'missing'} is neither MONEY_IN nor MONEY_OUT",
                     field="money_flow", value=body.get("money_flow"))
    if problems.has_errors or at is None or amount is None:
        return [], problems.items
    if amount.amount < 0 and flow == "MONEY_IN":  # unsigned or signed as the balance moves: never this
        problems.add("bad_value", f"amount {amount.amount} is negative for money in", field="amount",
                     value=amount.amount)
        return [], problems.items
    size = abs(amount)
    if kind in (CREATED, COMPLETED, CANCELLED) and status != "COMPLETED":
        return [], problems.items  # did not happen (creation, cancellation) or not yet (completion)
    if kind == CREATED:
        return _unpaid(body, shop_id, currency, at, None, size, problems)
    if kind in (COMPLETED, CANCELLED):
        created = _creation(raw.get("_created"), body, at, problems)
        if created is None:
            return [], problems.items
        if kind == CANCELLED:
            return _unpaid(body, shop_id, currency, created, at, size, problems)
        return _withdrawal(body, shop_id, currency, created, at, size, problems)
    if kind in (ESCROW_IN, ESCROW_OUT) and status == "COMPLETED":
        release = raw.get("_release") if isinstance(raw.get("_release"), Mapping) else None
        released = problems.parse(money, release.get("payout_amount"), "_release.payout_amount", currency) \
            if release is not None else None
        signed = size if flow == "MONEY_IN" else -size
        if released is not None and released == signed:
            return [], problems.items  # the order's escrow release, already in its release day
        why = ("no escrow release of this order was read with it" if release is None
               else f"the order's escrow release paid {released.amount if released else '?'} {currency}")
        problems.add("unmatched_money_in" if flow == "MONEY_IN" else "unexplained_money_out",
                     f"{kind} of order {body.get('order_sn') or '(none)'}: {signed.amount} {currency}; {why}",
                     field="order_sn", value=body.get("order_sn"))
        return [], problems.items
    if status != "COMPLETED":
        return [], problems.items  # a transaction that did not happen (failed, pending, initial) moves nothing
    if kind in WALLET_TYPES:
        return _wallet_statement(body, kind, flow, shop_id, currency, at, size, problems)
    if kind in FAST_ESCROW:
        problems.add("fast_escrow", f"{kind} ({FAST_ESCROW[kind]}) {flow} {size.amount} {currency} of order "
                     f"{body.get('order_sn') or '(none)'}: fast escrow pays an order's escrow before its release, "
                     "which would state the same money again; not booked, for a person to settle",
                     field="transaction_type", value=kind)
        return [], problems.items
    code = "unmatched_money_in" if flow == "MONEY_IN" else "unexplained_money_out"
    problems.add(code, f"{kind or 'transaction without a type'} {flow} {size.amount} {currency}: "
                 "no escrow release or withdrawal explains it", field="transaction_type", value=kind)
    return [], problems.items


def _wallet_statement(body: Mapping, kind: str, flow: str, shop_id: str, currency: str, at: datetime, size: Money,
                      problems: Problems) -> tuple[list[Statement | SettlementLine], list]:
    """A documented balance-moving transaction outside escrow: a statement of its own with one line."""
    code, documented, category = WALLET_TYPES[kind]
    if flow != documented:
        problems.add("bad_value", f"{kind} ({code}) is documented as {documented}, not {flow}", field="money_flow",
                     value=flow)
        return [], problems.items
    signed = size if flow == "MONEY_IN" else -size
    sid = wallet_statement_id(body, at)
    text = " ".join(str(body.get(k)).strip() for k in ("reason", "description") if str(body.get(k) or "").strip())
    order = str(body.get("order_sn") or "").strip()
    description = (f"{kind}: {text}" if text else kind) + (f" (order {order})" if order else "")
    line = SettlementLine(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=sid, transaction_id=f"{sid}:1",
                          kind=category.value, amount=signed, occurred_at=at, order_id=None, raw_kind=kind,
                          description=description[:500], updated_at=at)
    breakdown = {"transaction_type": kind, "code": str(code), "money_flow": flow, "amount": str(signed.amount)}
    for key in ("order_sn", "refund_sn", "reason", "current_balance"):
        if body.get(key) not in (None, ""):
            breakdown[key] = str(body.get(key))[:200]
    statement = Statement(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=sid, currency=currency,
                          issued_at=at, declared_total=signed, updated_at=at, payout=signed, breakdown=breakdown)
    return [statement, line], problems.items


def _unpaid(body: Mapping, shop_id: str, currency: str, created: datetime, cancelled: datetime | None,
            size: Money, problems: Problems) -> tuple[list[Statement | SettlementLine], list]:
    """A withdrawal that pays nothing (yet): pending since ``created``, or ``cancelled`` then."""
    withdrawal_id = problems.parse(id_str, body.get("withdrawal_id"), "withdrawal_id")
    if withdrawal_id is None or problems.has_errors:
        return [], problems.items
    sid = withdrawal_statement_id(withdrawal_id)
    breakdown = {"withdrawal_id": withdrawal_id, "amount": str(size.amount), "created_at": created.isoformat()}
    if cancelled is not None:
        breakdown["cancelled_at"] = cancelled.isoformat()
    if body.get("withdrawal_type") not in (None, ""):
        breakdown["withdrawal_type"] = str(body.get("withdrawal_type"))
    statement = Statement(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=sid, currency=currency,
                          issued_at=created, declared_total=Money.zero(currency), updated_at=cancelled or created,
                          payout=size, payment_status="PENDING" if cancelled is None else "CANCELLED",
                          breakdown=breakdown)
    return [statement], problems.items


def _creation(created: Any, body: Mapping, completed: datetime, problems: Problems) -> datetime | None:
    """When the completed (or cancelled) withdrawal ``body`` was created: its ``WITHDRAWAL_CREATED``
    transaction's ``create_time`` (same ``withdrawal_id``, not after the completion), else an error naming why."""
    if not isinstance(created, Mapping):
        problems.add("missing_withdrawal_creation", f"withdrawal {body.get('withdrawal_id')}: no WITHDRAWAL_CREATED "
                     "transaction of it in the 15 days before its completion or cancellation, so what it may have "
                     "taken is unknown",
                     field="withdrawal_id", value=body.get("withdrawal_id"))
        return None
    if str(created.get("withdrawal_id")) != str(body.get("withdrawal_id")) \
            or str(created.get("transaction_type") or "").strip().upper() != CREATED:
        problems.add("bad_value", "_created is not the WITHDRAWAL_CREATED of this withdrawal", field="_created")
        return None
    at = problems.parse(epoch, created.get("create_time"), "_created.create_time")
    if at is not None and at > completed:
        problems.add("bad_value", f"withdrawal {body.get('withdrawal_id')} created at {at:%Y-%m-%d %H:%M:%S} UTC, "
                     f"after its completion at {completed:%Y-%m-%d %H:%M:%S} UTC", field="_created.create_time")
        return None
    return at


def _withdrawal(body: Mapping, shop_id: str, currency: str, created: datetime, at: datetime, size: Money,
                problems: Problems) -> tuple[list[Statement | SettlementLine], list]:
    withdrawal_id = problems.parse(id_str, body.get("withdrawal_id"), "withdrawal_id")
    fee = problems.parse(money, body.get("transaction_fee") if body.get("transaction_fee") not in (None, "") else 0,
                         "transaction_fee", currency)
    if withdrawal_id is None or fee is None or problems.has_errors:
        return [], problems.items
    fee = abs(fee)
    if fee > size:
        problems.add("bad_value", f"fee {fee.amount} exceeds the withdrawal {size.amount}", field="transaction_fee",
                     value=fee.amount)
        return [], problems.items
    sid = withdrawal_statement_id(withdrawal_id)

    def line(suffix: str, category: FeeCategory, amount: Money, raw_kind: str, description: str) -> SettlementLine:
        return SettlementLine(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=sid,
                              transaction_id=f"{sid}:{suffix}", kind=category.value, amount=amount, occurred_at=at,
                              order_id=None, raw_kind=raw_kind, description=description, payout_id=sid,
                              updated_at=at)

    lines = [line("withdrawn", FeeCategory.PAYOUT, -size, "wallet_withdrawal",
                  f"withdrawal {withdrawal_id} from the seller wallet")]
    if not fee.is_zero():
        lines.append(line("fee", FeeCategory.TRANSACTION_FEE, -fee, "withdrawal_transaction_fee",
                          f"transaction fee of withdrawal {withdrawal_id}"))
    breakdown = {"withdrawal_id": withdrawal_id, "amount": str(size.amount), "transaction_fee": str(fee.amount),
                 "received": str((size - fee).amount), "created_at": created.isoformat()}
    for key in ("withdrawal_type", "current_balance"):
        if body.get(key) not in (None, ""):
            breakdown[key] = str(body.get(key))
    statement = Statement(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=sid, currency=currency,
                          issued_at=created, declared_total=-fee, updated_at=at, payout=size, payment_status="PAID",
                          payout_id=sid, paid_at=at, breakdown=breakdown)
    return [statement, *lines], problems.items
