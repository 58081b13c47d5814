"""Pure mapping of a TikTok Shop order (search or detail object) to the canonical ``Order``.

Ids are strings of 18–19 digits; amounts are decimal strings in ``payment``; times are Unix seconds.
A line item is one unit (TikTok has no quantity field), so each becomes a line of quantity 1.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_adapters.canonical import MappingResult, Order, OrderLine, OrderStatus, Package, Platform
from platform_adapters.http.values import Problems, epoch, id_str, optional_epoch, optional_money
from platform_adapters.tiktok.statuses import unified_status


def raw_order_key(raw: Any) -> str:
    return str(raw.get("id")) if isinstance(raw, Mapping) and raw.get("id") else "?"


def map_order(raw: Any, shop_id: str) -> MappingResult[Order]:
    problems = Problems(location=f"order {raw_order_key(raw)}")
    if not isinstance(raw, Mapping):
        problems.add("not_an_object", f"order payload is {type(raw).__name__}, not an object")
        return MappingResult(None, tuple(problems.items))
    order_id = problems.parse(id_str, raw.get("id"), "id")
    payment = raw.get("payment") if isinstance(raw.get("payment"), Mapping) else {}
    currency = str(payment.get("currency") or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        problems.add("missing_currency", "payment.currency is missing or not a currency code",
                     field="payment.currency", value=payment.get("currency"))
        currency = None
    raw_status = str(raw.get("status") or "")
    status = unified_status(raw.get("status"))
    if status is OrderStatus.UNKNOWN:
        problems.add("unknown_status", "status not in the TikTok status table", field="status", value=raw_status,
                     severity="warning")
    created_at = problems.parse(epoch, raw.get("create_time"), "create_time")
    updated_at = problems.parse(epoch, raw.get("update_time"), "update_time")
    paid_at = problems.parse(optional_epoch, raw.get("paid_time"), "paid_time", required=False)
    total = shipping = None
    lines: list[OrderLine] = []
    if currency:
        total = problems.parse(optional_money, payment.get("total_amount"), "payment.total_amount", currency)
        shipping = problems.parse(optional_money, payment.get("shipping_fee"), "payment.shipping_fee", currency,
                                  required=False)
        lines = _lines(raw.get("line_items"), currency, problems)
    packages = _packages(raw, lines)
    address = raw.get("recipient_address") if isinstance(raw.get("recipient_address"), Mapping) else {}
    country = str(address.get("region_code") or "").upper()[:2] or None
    if problems.has_errors or None in (order_id, currency, created_at, updated_at):
        return MappingResult(None, tuple(problems.items))
    order = Order(
        platform=Platform.TIKTOK, shop_id=str(shop_id), order_id=order_id, status=status, raw_status=raw_status,
        created_at=created_at, updated_at=updated_at, currency=currency, total_amount=total, paid_at=paid_at,
        buyer_country=country, lines=tuple(lines), packages=tuple(packages), shipping_fee=shipping,
    )
    return MappingResult(order, tuple(problems.items))


def _lines(items: Any, currency: str, problems: Problems) -> list[OrderLine]:
    if items is None:
        return []
    if not isinstance(items, list):
        problems.add("bad_value", "line_items is not a list", field="line_items")
        return []
    lines = []
    for index, item in enumerate(items):
        field = f"line_items[{index}]"
        if not isinstance(item, Mapping):
            problems.add("bad_value", "line item is not an object", field=field)
            continue
        line_ref = problems.parse(id_str, item.get("id"), f"{field}.id")
        item_currency = str(item.get("currency") or currency).upper()
        if item_currency != currency:
            problems.add("mixed_currency", f"line currency {item_currency} differs from payment {currency}",
                         field=f"{field}.currency")
            continue
        price = problems.parse(optional_money, item.get("sale_price"), f"{field}.sale_price", currency)
        if line_ref is None:
            continue
        sku = str(item.get("seller_sku") or "").strip()
        if not sku:
            problems.add("missing_sku", "no seller_sku: the line cannot be matched by SKU", field=f"{field}.seller_sku",
                         severity="warning")
        raw_status = str(item.get("display_status") or "") or None
        lines.append(OrderLine(
            line_ref=line_ref, seller_sku=sku, quantity=1, unit_price=price, paid_amount=price,
            item_id=str(item["product_id"]) if item.get("product_id") not in (None, "") else None,
            model_id=str(item["sku_id"]) if item.get("sku_id") not in (None, "") else None,
            product_name=str(item.get("product_name") or ""),
            status=unified_status(raw_status) if raw_status else None, raw_status=raw_status,
            package_id=str(item.get("package_id") or "") or None,
            tracking_number=str(item.get("tracking_number") or "") or None,  # empty until shipped
        ))
    return lines


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _packages(raw: Mapping, lines: list[OrderLine]) -> list[Package]:
    ids = [str(p.get("id")) for p in _list(raw.get("packages")) if isinstance(p, Mapping) and p.get("id")]
    for line in lines:
        if line.package_id and line.package_id not in ids:
            ids.append(line.package_id)
    packages = []
    for package_id in ids:
        members = [line for line in lines if line.package_id == package_id]
        tracking = next((line.tracking_number for line in members if line.tracking_number), None)
        carrier = next((str(i.get("shipping_provider_name")) for i in _list(raw.get("line_items"))
                        if isinstance(i, Mapping) and str(i.get("package_id") or "") == package_id
                        and i.get("shipping_provider_name")), None) or (str(raw.get("shipping_provider") or "") or None)
        packages.append(Package(package_id=package_id, tracking_number=tracking, carrier=carrier,
                                line_refs=tuple(line.line_ref for line in members)))
    return packages
