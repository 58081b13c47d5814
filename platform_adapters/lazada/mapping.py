"""Pure mapping of a Lazada order (``/orders/get`` header + ``order_items``) to the canonical ``Order``.

Lazada has no currency on the order header: it comes from the items (all must agree); with no items
the venture's currency is used and a warning says so. Amounts are decimal strings; ids are strings
of 15+ digits; each order item is one unit (one line per ``order_item_id``). Times are ISO-8601 or
``YYYY-MM-DD HH:MM:SS +0800`` and must carry an offset. ``total_amount`` is what the buyer paid:
the items' ``paid_price`` plus the header ``shipping_fee``. ``paid_at`` is the earliest item
``payment_time``, which GetOrderItems documents as "payment time in milliseconds, local time": the
venture's wall clock written as epoch milliseconds, so the venture's UTC offset is taken off.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from fx.money import Money
from platform_adapters.canonical import MappingResult, Order, OrderLine, OrderStatus, Package, Platform
from platform_adapters.http.values import Problems, as_list, epoch, id_str, iso_time, optional_money, not_an_object
from platform_adapters.lazada.statuses import order_status, unified_status


def raw_order_key(raw: Any) -> str:
    if isinstance(raw, Mapping):
        return str(raw.get("order_id") or raw.get("order_number") or "?")
    return "?"


def map_order(raw: Any, shop_id: str, country: str, default_currency: str | None,
              utc_offset_hours: int = 8) -> MappingResult[Order]:
    problems = Problems(location=f"order {raw_order_key(raw)}")
    if not isinstance(raw, Mapping):
        return not_an_object("order payload", raw, problems.location)
    order_id = problems.parse(id_str, raw.get("order_id") or raw.get("order_number"), "order_id")
    created_at = problems.parse(iso_time, raw.get("created_at"), "created_at")
    updated_at = problems.parse(iso_time, raw.get("updated_at"), "updated_at")
    items = raw.get("order_items")
    if items is None:
        problems.add("missing_items", "no order_items fetched for this order", field="order_items")
        items = []
    elif not isinstance(items, list):
        problems.add("bad_value", "order_items is not a list", field="order_items")
        items = []
    currency = _currency(items, default_currency, problems)
    raw_statuses = [str(i.get("status")) for i in items if isinstance(i, Mapping) and i.get("status")]
    if not raw_statuses:
        raw_statuses = [str(s) for s in as_list(raw.get("statuses"))]
    status = order_status(raw_statuses, cancel_pending=raw.get("is_cancel_pending") in (True, "true", 1, "1"))
    raw_status = ",".join(sorted(set(raw_statuses)))
    if status is OrderStatus.UNKNOWN:
        problems.add("unknown_status", "status not in the Lazada status table", field="statuses", value=raw_status,
                     severity="warning")
    lines, packages = ([], []) if currency is None else _lines(items, currency, problems)
    shipping = problems.parse(optional_money, raw.get("shipping_fee"), "shipping_fee", currency) if currency else None
    total = None
    if currency and lines and all(line.paid_amount is not None for line in lines):
        total = sum((line.paid_amount for line in lines), Money.zero(currency))
        if shipping is not None:
            total = total + shipping
    if problems.has_errors or None in (order_id, created_at, updated_at, currency):
        return MappingResult(None, tuple(problems.items))
    order = Order(
        platform=Platform.LAZADA, shop_id=str(shop_id), order_id=order_id, status=status, raw_status=raw_status,
        created_at=created_at, updated_at=updated_at, currency=currency, total_amount=total,
        paid_at=_paid_at(items, utc_offset_hours, problems),
        buyer_country=country.upper() if country else None, lines=tuple(lines), packages=tuple(packages),
        shipping_fee=shipping,
    )
    return MappingResult(order, tuple(problems.items))


def _paid_at(items: list, utc_offset_hours: int, problems: Problems) -> datetime | None:
    """The earliest item ``payment_time`` (local-time epoch ms) as aware UTC; None when unpaid."""
    times = []
    for index, item in enumerate(items):
        if isinstance(item, Mapping) and item.get("payment_time") not in (None, "", 0, "0"):
            local = problems.parse(epoch, item.get("payment_time"), f"order_items[{index}].payment_time",
                                   required=False)
            if local is not None:
                times.append(local - timedelta(hours=utc_offset_hours))
    return min(times) if times else None


def _currency(items: list, default: str | None, problems: Problems) -> str | None:
    found = {str(i.get("currency")).strip().upper() for i in items if isinstance(i, Mapping) and i.get("currency")}
    if len(found) > 1:
        problems.add("mixed_currency", f"items carry several currencies: {sorted(found)}", field="order_items.currency")
        return None
    if found:
        code = found.pop()
        if len(code) != 3 or not code.isalpha():
            problems.add("bad_value", "not a currency code", field="order_items.currency", value=code)
            return None
        return code
    if default:
        problems.add("currency_from_venture", f"no item currency; using the venture's {default}",
                     field="order_items.currency", severity="warning")
        return default
    problems.add("missing_currency", "no item currency and no venture default", field="order_items.currency")
    return None


def _lines(items: list, currency: str, problems: Problems) -> tuple[list[OrderLine], list[Package]]:
    lines: list[OrderLine] = []
    packages: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(items):
        field = f"order_items[{index}]"
        if not isinstance(item, Mapping):
            problems.add("bad_value", "item is not an object", field=field)
            continue
        line_ref = problems.parse(id_str, item.get("order_item_id"), f"{field}.order_item_id")
        unit = problems.parse(optional_money, item.get("item_price"), f"{field}.item_price", currency)
        paid = problems.parse(optional_money, item.get("paid_price"), f"{field}.paid_price", currency)
        if line_ref is None:
            continue
        sku = str(item.get("sku") or "").strip()
        if not sku:
            problems.add("missing_sku", "no seller sku: the line cannot be matched by SKU", field=f"{field}.sku",
                         severity="warning")
        raw_status = str(item.get("status") or "") or None
        package_id = str(item.get("package_id") or "") or None
        tracking = str(item.get("tracking_code") or "") or None
        lines.append(OrderLine(
            line_ref=line_ref, seller_sku=sku, quantity=1, unit_price=unit, paid_amount=paid,
            item_id=str(item["product_id"]) if item.get("product_id") not in (None, "") else None,
            model_id=str(item["sku_id"]) if item.get("sku_id") not in (None, "") else None,
            product_name=str(item.get("name") or ""), status=unified_status(raw_status) if raw_status else None,
            raw_status=raw_status, package_id=package_id, tracking_number=tracking,
        ))
        key = package_id or tracking
        if key:
            pkg = packages.setdefault(key, {"tracking": tracking, "carrier": item.get("shipment_provider"), "refs": []})
            pkg["refs"].append(line_ref)
    return lines, [
        Package(package_id=key, tracking_number=p["tracking"], carrier=str(p["carrier"] or "") or None,
                line_refs=tuple(p["refs"]))
        for key, p in packages.items()
    ]
