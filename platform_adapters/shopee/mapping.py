"""Pure mapping of a Shopee ``get_order_detail`` order to the canonical ``Order`` (+ problems).

Amounts are JSON floats in Shopee's payloads: they must reach here as ``Decimal`` (the client decodes
with ``parse_float=Decimal``); a float is refused as a problem, never rounded. Times are Unix seconds.
Lines are keyed ``item_id:model_id`` with ``#n`` appended when the same model repeats in one order.

Money the order detail does not carry: ``get_order_detail`` has no buyer-paid shipping fee (its
``estimated_shipping_fee`` / ``actual_shipping_fee`` are the carrier's cost), and bundle-deal items
are listed with ``model_discounted_price`` 0 because the deal is order-level (schema
``v2.order.get_order_detail``). So ``shipping_fee`` is left unknown here, and a line's ``paid_amount``
starts at its listed price; when the escrow arrives, ``allocate_lines`` spreads the goods total the
buyer paid (``original_cost_of_goods_sold``) over the lines by largest remainder so that they sum to
it, and the buyer-paid shipping fee (``buyer_paid_shipping_fee``) becomes the order's ``shipping_fee``
(``aggregator.settlement.order_money``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from fx.allocation import allocate
from fx.money import Money
from platform_adapters.canonical import MappingResult, Order, OrderLine, OrderStatus, Package, Platform
from platform_adapters.http.values import (
    not_an_object,
    Problems,
    as_list,
    epoch,
    id_str,
    optional_epoch,
    optional_money,
)
from platform_adapters.shopee.statuses import unified_status


def raw_order_key(raw: Any) -> str:
    return str(raw.get("order_sn")) if isinstance(raw, Mapping) and raw.get("order_sn") else "?"


def map_order(raw: Any, shop_id: str) -> MappingResult[Order]:
    if not isinstance(raw, Mapping):
        return not_an_object("order payload", raw)
    problems = Problems(location=f"order {raw_order_key(raw)}")
    order_sn = problems.parse(id_str, raw.get("order_sn"), "order_sn")
    currency = problems.parse(_currency, raw.get("currency"), "currency")
    raw_status = str(raw.get("order_status") or "")
    status = unified_status(raw.get("order_status"))
    if status is OrderStatus.UNKNOWN:
        problems.add("unknown_status", "status not in the Shopee status table", field="order_status",
                     value=raw_status, severity="warning")
    created_at = problems.parse(epoch, raw.get("create_time"), "create_time")
    updated_at = problems.parse(epoch, raw.get("update_time"), "update_time")
    paid_at = problems.parse(optional_epoch, raw.get("pay_time"), "pay_time", required=False)
    total = None
    lines: list[OrderLine] = []
    packages: list[Package] = []
    packages = _packages(raw.get("package_list"), problems)
    if currency:
        total = problems.parse(optional_money, raw.get("total_amount"), "total_amount", currency)
        lines = _lines(raw.get("item_list"), currency, status, raw_status, problems, _package_of(packages))
    region = raw.get("region")
    address = raw.get("recipient_address") if isinstance(raw.get("recipient_address"), Mapping) else {}
    country = address.get("region") or region
    if problems.has_errors or None in (order_sn, currency, created_at, updated_at):
        return MappingResult(None, tuple(problems.items))
    order = Order(
        platform=Platform.SHOPEE, shop_id=str(shop_id), order_id=order_sn, status=status, raw_status=raw_status,
        created_at=created_at, updated_at=updated_at, currency=currency, total_amount=total, paid_at=paid_at,
        buyer_country=str(country).upper()[:2] if country else None, lines=tuple(lines),
        packages=tuple(packages), shipping_fee=None,
    )
    return MappingResult(order, tuple(problems.items))


def _currency(value: object) -> str:
    if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
        raise ValueError(f"not a currency code: {value!r}")
    return value.strip().upper()


def _lines(items: Any, currency: str, status: OrderStatus, raw_status: str, problems: Problems,
           package_of: dict[str, Package]) -> list[OrderLine]:
    if items is None:
        return []
    if not isinstance(items, list):
        problems.add("bad_value", "item_list is not a list", field="item_list")
        return []
    seen: dict[str, int] = {}  # lines per item_id:model_id so far
    lines = []
    for index, item in enumerate(items):
        field = f"item_list[{index}]"
        if type(item) is not dict and not isinstance(item, Mapping):
            problems.add("bad_value", "item is not an object", field=field)
            continue
        item_id = problems.parse(id_str, item.get("item_id"), f"{field}.item_id")
        model_id = problems.parse(id_str, item.get("model_id", 0), f"{field}.model_id")
        quantity = item.get("model_quantity_purchased")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            problems.add("bad_value", "quantity must be a non-negative integer",
                         field=f"{field}.model_quantity_purchased", value=quantity)
            continue
        unit = problems.parse(optional_money, item.get("model_discounted_price"), f"{field}.model_discounted_price",
                              currency)
        original = problems.parse(optional_money, item.get("model_original_price"),
                                  f"{field}.model_original_price", currency, required=False)
        if item_id is None or model_id is None:
            continue
        if unit is not None and unit.is_zero() and original is not None:
            unit = original  # bundle-deal items report a discounted price of 0
        ref = base = f"{item_id}:{model_id}"
        count = seen[base] = seen.get(base, 0) + 1
        if count > 1:
            ref = f"{ref}#{count}"
        package = package_of.get(base)
        sku = str(item.get("model_sku") or item.get("item_sku") or "").strip()
        if not sku:
            problems.add("missing_sku", "no model_sku or item_sku: the line cannot be matched by SKU",
                         field=f"{field}.model_sku", severity="warning")
        lines.append(OrderLine(
            line_ref=ref, seller_sku=sku, quantity=quantity, unit_price=unit,
            paid_amount=unit * quantity if unit is not None else None, item_id=item_id, model_id=model_id,
            product_name=str(item.get("item_name") or ""), status=status, raw_status=raw_status,
            package_id=package.package_id if package else None,
            tracking_number=package.tracking_number if package else None,
        ))
    return lines


def _packages(raw_packages: Any, problems: Problems) -> list[Package]:
    if not isinstance(raw_packages, list):
        return []
    packages = []
    for index, pkg in enumerate(raw_packages):
        if not isinstance(pkg, Mapping) or not pkg.get("package_number"):
            problems.add("bad_package", "package without package_number", field=f"package_list[{index}]",
                         severity="warning")
            continue
        refs = tuple(
            f"{it.get('item_id')}:{it.get('model_id', 0)}" for it in as_list(pkg.get("item_list"))
            if isinstance(it, Mapping) and it.get("item_id") is not None
        )
        packages.append(Package(
            package_id=str(pkg["package_number"]), tracking_number=str(pkg.get("tracking_number") or "") or None,
            carrier=str(pkg.get("shipping_carrier") or "") or None,
            status=str(pkg.get("logistics_status") or "") or None, line_refs=refs,
        ))
    return packages


def _package_of(packages: list[Package]) -> dict[str, Package]:
    """Each line's package by ``item_id:model_id`` (the first package naming it): a line gets its package
    and tracking number from it."""
    owner: dict[str, Package] = {}
    for pkg in packages:
        for ref in pkg.line_refs:
            owner.setdefault(ref, pkg)
    return owner


def allocate_lines(lines: Sequence[OrderLine], goods: Money) -> list[OrderLine]:
    """The lines with ``paid_amount`` re-spread so they sum exactly to ``goods`` (what the buyer paid
    for the items): largest remainder over each line's listed amount (``unit_price × quantity``; a
    bundle item's listed price is its original price). Lines without a price keep theirs."""
    priced = [i for i, line in enumerate(lines) if line.unit_price is not None and line.quantity > 0]
    weights = [lines[i].unit_price.amount * lines[i].quantity for i in priced]  # type: ignore[union-attr]
    out = list(lines)
    if not priced or sum(weights) <= 0:
        return out
    for index, part in zip(priced, allocate(goods, weights)):
        out[index] = replace(lines[index], paid_amount=part)
    return out
