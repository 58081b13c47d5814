"""Pure mapping of TikTok Shop returns and cancellations to canonical ``ReturnRecord``s.

Shapes (TikTok Shop API reference, "Return and refund" 202309): Search Returns
(``POST /return_refund/202309/returns/search``) answers ``data.return_orders[] {return_id, order_id,
return_type (REFUND | RETURN_AND_REFUND | REPLACEMENT), return_status, return_reason_text,
return_tracking_number, create_time, update_time, refund_amount{currency, refund_total, …},
return_line_items[] {return_line_item_id, order_line_item_id, seller_sku, sku_id, refund_amount}}``;
Search Cancellations (``/return_refund/202309/cancellations/search``) answers ``data.cancellations[]
{cancel_id, order_id, cancel_type, cancel_status, cancel_reason_text, create_time, update_time,
refund_amount, cancel_line_items[] {cancel_line_item_id, order_line_item_id, seller_sku, …}}``.
Amounts are decimal strings; a line item is one unit, and ``order_line_item_id`` is the order
mapper's ``line_ref`` (a virtual bundle's components are ``<line>+<sku_id>`` there: the store links a
return of the bundle line to its components).

Statuses: ``return_status`` RETURN_OR_REFUND_REQUEST_PENDING, REFUND_OR_RETURN_REQUEST_REJECT,
AWAITING_BUYER_SHIP, BUYER_SHIPPED_ITEM, REJECT_RECEIVE_PACKAGE, RETURN_OR_REFUND_REQUEST_SUCCESS,
RETURN_OR_REFUND_REQUEST_CANCEL, RETURN_OR_REFUND_REQUEST_COMPLETE, AWAITING_BUYER_RESPONSE (Search
Returns); ``cancel_status`` CANCELLATION_REQUEST_PENDING / _SUCCESS / _CANCEL / _COMPLETE (Search
Cancellations; webhook 11 spells the third ``CANCELLATION_REQUEST_CANCELLED``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_adapters.canonical import MappingResult, Platform
from platform_adapters.canonical.returns import ReturnKind, ReturnLine, ReturnRecord, ReturnStatus
from platform_adapters.http.values import Problems, as_list, epoch, id_str, optional_money, not_an_object

#: Marks a raw record the cancellation search returned (the return search's records carry none).
CANCELLATION_TAG = "_cancellation"

RETURN_STATUS: dict[str, ReturnStatus] = {
    "RETURN_OR_REFUND_REQUEST_PENDING": ReturnStatus.REQUESTED,
    "AWAITING_BUYER_RESPONSE": ReturnStatus.REQUESTED,  # the seller offered another solution
    "REFUND_OR_RETURN_REQUEST_REJECT": ReturnStatus.REJECTED,
    "AWAITING_BUYER_SHIP": ReturnStatus.APPROVED,
    "BUYER_SHIPPED_ITEM": ReturnStatus.IN_TRANSIT,
    "REJECT_RECEIVE_PACKAGE": ReturnStatus.REJECTED,
    "RETURN_OR_REFUND_REQUEST_SUCCESS": ReturnStatus.APPROVED,  # RECEIVED when goods came back (below)
    "RETURN_OR_REFUND_REQUEST_CANCEL": ReturnStatus.WITHDRAWN,
    "RETURN_OR_REFUND_REQUEST_COMPLETE": ReturnStatus.REFUNDED,
}
CANCEL_STATUS: dict[str, ReturnStatus] = {
    "CANCELLATION_REQUEST_PENDING": ReturnStatus.REQUESTED,
    "CANCELLATION_REQUEST_SUCCESS": ReturnStatus.APPROVED,
    "CANCELLATION_REQUEST_CANCEL": ReturnStatus.WITHDRAWN,
    "CANCELLATION_REQUEST_CANCELLED": ReturnStatus.WITHDRAWN,
    "CANCELLATION_REQUEST_COMPLETE": ReturnStatus.REFUNDED,
}
DOCUMENTED = frozenset(RETURN_STATUS) | frozenset(CANCEL_STATUS)
RETURN_TYPES = {"REFUND": ReturnKind.REFUND_ONLY, "RETURN_AND_REFUND": ReturnKind.RETURN,
                "REPLACEMENT": ReturnKind.RETURN}


def is_cancellation(raw: Any) -> bool:
    return isinstance(raw, Mapping) and bool(raw.get(CANCELLATION_TAG))


def raw_return_key(raw: Any) -> str:
    if not isinstance(raw, Mapping):
        return "?"
    key = raw.get("cancel_id") if is_cancellation(raw) else raw.get("return_id")
    return f"{'cancel' if is_cancellation(raw) else 'return'}:{key}" if key else "?"


def map_return(raw: Any, shop_id: str) -> MappingResult[ReturnRecord]:
    if not isinstance(raw, Mapping):
        return not_an_object("return payload", raw)
    cancellation = is_cancellation(raw)
    prefix = "cancel" if cancellation else "return"
    problems = Problems(location=f"tiktok {raw_return_key(raw)}")
    return_id = problems.parse(id_str, raw.get(f"{prefix}_id"), f"{prefix}_id")
    order_id = problems.parse(id_str, raw.get("order_id"), "order_id")
    created = problems.parse(epoch, raw.get("create_time"), "create_time")
    updated = problems.parse(epoch, raw.get("update_time"), "update_time")
    raw_status = str(raw.get(f"{prefix}_status") or "")
    if cancellation:
        kind = ReturnKind.CANCELLATION
        status = CANCEL_STATUS.get(raw_status, ReturnStatus.UNKNOWN)
    else:
        kind = RETURN_TYPES.get(str(raw.get("return_type") or ""))
        if kind is None:
            problems.add("unknown_return_type", "return_type is not REFUND, RETURN_AND_REFUND or REPLACEMENT",
                         field="return_type", value=raw.get("return_type"))
        status = RETURN_STATUS.get(raw_status, ReturnStatus.UNKNOWN)
        if status is ReturnStatus.APPROVED and raw_status == "RETURN_OR_REFUND_REQUEST_SUCCESS" \
                and kind is ReturnKind.RETURN:
            status = ReturnStatus.RECEIVED  # a return succeeds once the seller accepted the goods back
    if status is ReturnStatus.UNKNOWN:
        problems.add("unknown_status", f"{prefix}_status not in the TikTok table", field=f"{prefix}_status",
                     value=raw_status, severity="warning")
    refund = _amount(raw.get("refund_amount"), "refund_amount", problems)
    lines = []
    for index, item in enumerate(as_list(raw.get(f"{prefix}_line_items"))):
        field = f"{prefix}_line_items[{index}]"
        if not isinstance(item, Mapping):
            problems.add("bad_value", "line item is not an object", field=field)
            continue
        line_id = problems.parse(id_str, item.get(f"{prefix}_line_item_id"), f"{field}.{prefix}_line_item_id")
        order_line = problems.parse(id_str, item.get("order_line_item_id"), f"{field}.order_line_item_id")
        if line_id is None:
            continue
        lines.append(ReturnLine(line_ref=line_id, order_line_ref=order_line,
                                seller_sku=str(item.get("seller_sku") or "").strip(), quantity=1,
                                refund_amount=_amount(item.get("refund_amount"), f"{field}.refund_amount",
                                                      problems)))
    if problems.has_errors or None in (return_id, order_id, created, updated, kind):
        return MappingResult(None, tuple(problems.items))
    record = ReturnRecord(
        platform=Platform.TIKTOK, shop_id=str(shop_id), return_id=return_id, order_id=order_id, kind=kind,
        status=status, raw_status=raw_status, created_at=created, updated_at=updated, refund_amount=refund,
        reason=str(raw.get(f"{prefix}_reason_text") or raw.get(f"{prefix}_reason") or "")[:500],
        tracking_number=str(raw.get("return_tracking_number") or "").strip() or None, lines=tuple(lines))
    return MappingResult(record, tuple(problems.items))


def _amount(value: Any, field: str, problems: Problems):
    if not isinstance(value, Mapping) or value.get("refund_total") in (None, ""):
        return None
    currency = str(value.get("currency") or "").strip().upper()
    if len(currency) != 3:
        problems.add("missing_currency", "refund amount without a currency", field=f"{field}.currency",
                     value=value.get("currency"))
        return None
    return problems.parse(optional_money, value.get("refund_total"), f"{field}.refund_total", currency)
