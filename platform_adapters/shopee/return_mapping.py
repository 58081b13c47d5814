"""Pure mapping of a Shopee return (``v2.returns.get_return_list`` / ``get_return_detail``) to a
canonical ``ReturnRecord``.

Fields (Shopee Open Platform schema ``v2.returns.get_return_list``, module "Returns"; the same object
is ``get_return_detail``'s ``response``): ``return_sn``, ``order_sn``, ``status``, ``create_time``,
``update_time`` (Unix s), ``refund_amount`` (float, in ``currency``), ``reason``/``text_reason``,
``tracking_number``, ``needs_logistics`` and ``return_solution`` (0 return and refund, 1 refund only),
``item[] {item_id, model_id, amount, item_price, item_sku, variation_sku}``, and for warehouse-validated
returns ``is_arrived_at_warehouse`` (1 pending inbound, 2 rejected, 3 inbound, 4 cancelled) and
``follow_up_action_list[] {item_id, model_id, qty, current_status}`` (1 dispose, 2 return to seller,
7 received and put away, 8 return to buyer, 9 shortage).

Statuses ("Data Definition - ReturnStatus": REQUESTED, ACCEPTED, CANCELLED, JUDGING, REFUND_PAID,
CLOSED, PROCESSING, SELLER_DISPUTE; the same list in LightsoftHub/open-platforms
``ShopeeSdk.Core/Enums/ReturnStatus.cs``). A return line names its order line as ``item_id:model_id``,
the order mapper's ``line_ref``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_adapters.canonical import MappingResult, Platform
from platform_adapters.canonical.returns import Disposition, ReturnKind, ReturnLine, ReturnRecord, ReturnStatus
from platform_adapters.http.values import Problems, as_list, epoch, id_str, optional_money, not_an_object

STATUS_TABLE: dict[str, ReturnStatus] = {
    "REQUESTED": ReturnStatus.REQUESTED,
    "JUDGING": ReturnStatus.REQUESTED,  # under Shopee's review (dispute): not decided yet
    "SELLER_DISPUTE": ReturnStatus.REQUESTED,
    "ACCEPTED": ReturnStatus.APPROVED,
    "PROCESSING": ReturnStatus.APPROVED,
    "REFUND_PAID": ReturnStatus.REFUNDED,
    "CLOSED": ReturnStatus.WITHDRAWN,
    "CANCELLED": ReturnStatus.WITHDRAWN,
}
DOCUMENTED = frozenset(STATUS_TABLE)
#: ``follow_up_action_list[].current_status`` → what became of the goods.
FOLLOW_UP = {1: Disposition.SCRAP, 2: Disposition.TO_SELLER, 7: Disposition.RESTOCK, 8: Disposition.TO_BUYER}
WAREHOUSE_INBOUND = 3


def raw_return_key(raw: Any) -> str:
    return str(raw.get("return_sn")) if isinstance(raw, Mapping) and raw.get("return_sn") else "?"


def map_return(raw: Any, shop_id: str) -> MappingResult[ReturnRecord]:
    if not isinstance(raw, Mapping):
        return not_an_object("return payload", raw)
    problems = Problems(location=f"return {raw_return_key(raw)}")
    return_sn = problems.parse(id_str, raw.get("return_sn"), "return_sn")
    order_sn = problems.parse(id_str, raw.get("order_sn"), "order_sn")
    created = problems.parse(epoch, raw.get("create_time"), "create_time")
    updated = problems.parse(epoch, raw.get("update_time"), "update_time")
    raw_status = str(raw.get("status") or "")
    status = STATUS_TABLE.get(raw_status, ReturnStatus.UNKNOWN)
    if status is ReturnStatus.UNKNOWN:
        problems.add("unknown_status", "status not in the Shopee ReturnStatus table", field="status",
                     value=raw_status, severity="warning")
    if status in (ReturnStatus.APPROVED, ReturnStatus.REQUESTED) and raw.get("is_arrived_at_warehouse") == WAREHOUSE_INBOUND:
        status = ReturnStatus.RECEIVED
    currency = str(raw.get("currency") or "").strip().upper()
    refund = None
    if currency:
        refund = problems.parse(optional_money, raw.get("refund_amount"), "refund_amount", currency)
    elif raw.get("refund_amount") not in (None, "", 0):
        problems.add("missing_currency", "refund_amount without currency", field="currency")
    dispositions = _follow_ups(raw.get("follow_up_action_list"))
    lines = _lines(raw.get("item"), dispositions, problems)
    kind = ReturnKind.REFUND_ONLY if raw.get("return_solution") == 1 or raw.get("needs_logistics") is False \
        else ReturnKind.RETURN
    if problems.has_errors or None in (return_sn, order_sn, created, updated):
        return MappingResult(None, tuple(problems.items))
    found = {line.disposition for line in lines if line.disposition is not None}
    record = ReturnRecord(
        platform=Platform.SHOPEE, shop_id=str(shop_id), return_id=return_sn, order_id=order_sn, kind=kind,
        status=status, raw_status=raw_status, created_at=created, updated_at=updated, refund_amount=refund,
        reason=str(raw.get("text_reason") or raw.get("reason") or "")[:500],
        tracking_number=str(raw.get("tracking_number") or "").strip() or None,
        disposition=found.pop() if len(found) == 1 else None, lines=tuple(lines))
    return MappingResult(record, tuple(problems.items))


def _follow_ups(value: Any) -> dict[str, Disposition]:
    out: dict[str, Disposition] = {}
    for entry in as_list(value):
        if isinstance(entry, Mapping) and entry.get("item_id") is not None:
            disposition = FOLLOW_UP.get(entry.get("current_status"))
            if disposition is not None:
                out[f"{entry.get('item_id')}:{entry.get('model_id', 0)}"] = disposition
    return out


def _lines(items: Any, dispositions: dict[str, Disposition], problems: Problems) -> list[ReturnLine]:
    lines: list[ReturnLine] = []
    for index, item in enumerate(as_list(items)):
        field = f"item[{index}]"
        if not isinstance(item, Mapping):
            problems.add("bad_value", "item is not an object", field=field)
            continue
        item_id = problems.parse(id_str, item.get("item_id"), f"{field}.item_id")
        model_id = problems.parse(id_str, item.get("model_id", 0), f"{field}.model_id")
        quantity = item.get("amount")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            problems.add("bad_value", "amount (quantity) must be a non-negative integer", field=f"{field}.amount",
                         value=quantity)
            continue
        if item_id is None or model_id is None:
            continue
        ref = f"{item_id}:{model_id}"
        lines.append(ReturnLine(line_ref=ref, order_line_ref=ref,
                                seller_sku=str(item.get("variation_sku") or item.get("item_sku") or "").strip(),
                                quantity=quantity, disposition=dispositions.get(ref)))
    return lines
