"""Pure mapping of a Lazada reverse order to a canonical ``ReturnRecord``.

Shapes (Lazada Open Platform, "Return and Refund API"): ``GetReverseOrdersForSeller``
(``/reverse/getreverseordersforseller``) lists ``result.items[] {reverse_order_id, trade_order_id,
request_type (CANCEL | RETURN | ONLY_REFUND), is_rtm, shipping_type, reverse_order_lines[]}`` and
``GetReverseOrderDetail`` (``/order/reverse/return/detail/list``) answers ``data`` with the same header
and ``reverseOrderLineDTOList[]``. A line carries ``reverse_order_line_id``, ``trade_order_line_id``
(the order item id: the order mapper's ``line_ref``; Lazada lists one item per unit), ``seller_sku_id``,
``reverse_status``, ``ofc_status``, ``refund_amount`` and ``item_unit_price`` ("currency in cent,
except VN"), ``whqc_decision`` (scrap / return_to_merchant / return_to_merchant_cb / return_to_customer
/ return_to_warehouse / not_returned), ``tracking_number``, ``reason_text`` and
``return_order_line_gmt_create`` / ``_gmt_modified`` (ms). There is no currency: it is the venture's.

Statuses: the API documents ``reverse_status`` REQUEST_INITIATE, REQUEST_REJECT, REQUEST_CANCEL,
CANCEL_SUCCESS; the reverse-order push (message_type 10, "Webhook API - Reverse order") documents the
finer keys per reverse type (CANCEL_INIT … REFUND_REJECTED). Both vocabularies are in the table; any
other value is UNKNOWN (counted). A case's state is the least advanced of its live lines.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fx.money import Money
from platform_adapters.canonical import MappingResult, Platform
from platform_adapters.canonical.returns import (
    Disposition, ReturnKind, ReturnLine, ReturnRecord, ReturnStatus, overall_status,
)
from platform_adapters.http.values import Problems, as_list, epoch, id_str, not_an_object

STATUS_TABLE: dict[str, ReturnStatus] = {
    # GetReverseOrderDetail reverse_status
    "REQUEST_INITIATE": ReturnStatus.REQUESTED,
    "REQUEST_REJECT": ReturnStatus.REJECTED,
    "REQUEST_CANCEL": ReturnStatus.WITHDRAWN,
    "CANCEL_SUCCESS": ReturnStatus.REFUNDED,  # "Cancellation Approved: your refund has been issued"
    # reverse-order push keys
    "CANCEL_INIT": ReturnStatus.REQUESTED,
    "CANCEL_REFUND_ISSUED": ReturnStatus.REFUNDED,
    "RTM_INIT": ReturnStatus.REQUESTED,
    "RTM_CANCELED": ReturnStatus.WITHDRAWN,
    "RTM_SHIPPING_BACK": ReturnStatus.IN_TRANSIT,
    "RTM_RECEIVE_ITEM": ReturnStatus.RECEIVED,
    "RTW_INIT": ReturnStatus.REQUESTED,
    "RTW_CANCELED": ReturnStatus.WITHDRAWN,
    "RTW_SHIPPING_BACK": ReturnStatus.IN_TRANSIT,
    "RTW_REJECT": ReturnStatus.REJECTED,
    "RTW_REFUND_PENDING": ReturnStatus.RECEIVED,  # inspected at Lazada's warehouse; refund on its way
    "REFUND_INIT": ReturnStatus.REQUESTED,
    "REFUND_PENDING": ReturnStatus.APPROVED,
    "REFUND_SUCCESS": ReturnStatus.REFUNDED,
    "REFUND_REJECTED": ReturnStatus.REJECTED,
}
DOCUMENTED = frozenset(STATUS_TABLE)
KINDS = {"CANCEL": ReturnKind.CANCELLATION, "RETURN": ReturnKind.RETURN, "ONLY_REFUND": ReturnKind.REFUND_ONLY}
QC_DECISIONS = {"scrap": Disposition.SCRAP, "return_to_merchant": Disposition.TO_SELLER,
                "return_to_merchant_cb": Disposition.TO_SELLER, "return_to_customer": Disposition.TO_BUYER,
                "return_to_warehouse": Disposition.RESTOCK}
#: Ventures whose reverse-order amounts are whole units (every other one is in cents).
WHOLE_UNIT_VENTURES = frozenset({"VN"})


def raw_return_key(raw: Any) -> str:
    return str(raw.get("reverse_order_id")) if isinstance(raw, Mapping) and raw.get("reverse_order_id") else "?"


def cents(value: Any, currency: str, country: str) -> Money:
    """A reverse-order amount: minor units ("currency in cent") except in Vietnam."""
    if isinstance(value, bool) or value in (None, ""):
        raise ValueError("missing amount")
    amount = Decimal(str(value).strip())
    if amount != amount.to_integral_value():
        raise ValueError(f"not a whole number of cents: {value!r}")
    return Money(amount if country.upper() in WHOLE_UNIT_VENTURES else amount / 100, currency)


def map_return(raw: Any, shop_id: str, currency: str | None, country: str) -> MappingResult[ReturnRecord]:
    if not isinstance(raw, Mapping):
        return not_an_object("reverse order", raw)
    problems = Problems(location=f"reverse order {raw_return_key(raw)}")
    reverse_id = problems.parse(id_str, raw.get("reverse_order_id"), "reverse_order_id")
    order_id = problems.parse(id_str, raw.get("trade_order_id"), "trade_order_id")
    request_type = str(raw.get("request_type") or "")
    kind = KINDS.get(request_type)
    if kind is None:
        problems.add("unknown_request_type", "request_type is not CANCEL, RETURN or ONLY_REFUND",
                     field="request_type", value=request_type)
    raw_lines = raw.get("reverse_order_lines", raw.get("reverseOrderLineDTOList"))
    lines, statuses, raw_statuses, created, modified, trackings, reasons = [], [], [], [], [], [], []
    refund_total = None
    for index, entry in enumerate(as_list(raw_lines)):
        field = f"reverse_order_lines[{index}]"
        if not isinstance(entry, Mapping):
            problems.add("bad_value", "reverse order line is not an object", field=field)
            continue
        line_id = problems.parse(id_str, entry.get("reverse_order_line_id"), f"{field}.reverse_order_line_id")
        order_line = problems.parse(id_str, entry.get("trade_order_line_id"), f"{field}.trade_order_line_id")
        raw_status = str(entry.get("reverse_status") or "")
        status = STATUS_TABLE.get(raw_status, ReturnStatus.UNKNOWN)
        if status is ReturnStatus.UNKNOWN:
            problems.add("unknown_status", "reverse_status not in the Lazada table",
                         field=f"{field}.reverse_status", value=raw_status, severity="warning")
        statuses.append(status)
        raw_statuses.append(raw_status)
        created.append(problems.parse(epoch, entry.get("return_order_line_gmt_create"),
                                      f"{field}.return_order_line_gmt_create"))
        modified.append(problems.parse(epoch, entry.get("return_order_line_gmt_modified"),
                                       f"{field}.return_order_line_gmt_modified"))
        refund = None
        if currency:
            refund = problems.parse(cents, entry.get("refund_amount"), f"{field}.refund_amount", currency, country,
                                    required=False)
            if refund is not None:
                refund_total = refund if refund_total is None else refund_total + refund
        if entry.get("tracking_number"):
            trackings.append(str(entry["tracking_number"]).strip())
        if entry.get("reason_text"):
            reasons.append(str(entry["reason_text"]))
        if line_id is None:
            continue
        lines.append(ReturnLine(
            line_ref=line_id, order_line_ref=order_line, seller_sku=str(entry.get("seller_sku_id") or "").strip(),
            quantity=1, refund_amount=refund,
            disposition=QC_DECISIONS.get(str(entry.get("whqc_decision") or "").strip().lower())))
    if not lines:
        problems.add("no_lines", "reverse order without lines", field="reverse_order_lines")
    if not currency:
        problems.add("missing_currency", "no venture currency for the reverse order's amounts", severity="warning")
    if problems.has_errors or None in (reverse_id, order_id, kind) or None in created or None in modified:
        return MappingResult(None, tuple(problems.items))
    found = {line.disposition for line in lines if line.disposition is not None}
    record = ReturnRecord(
        platform=Platform.LAZADA, shop_id=str(shop_id), return_id=reverse_id, order_id=order_id, kind=kind,
        status=overall_status(statuses), raw_status=",".join(dict.fromkeys(raw_statuses)),
        created_at=min(created), updated_at=max(modified), refund_amount=refund_total,
        reason="; ".join(dict.fromkeys(reasons))[:500], tracking_number=trackings[0] if trackings else None,
        disposition=found.pop() if len(found) == 1 else None, lines=tuple(lines))
    return MappingResult(record, tuple(problems.items))
