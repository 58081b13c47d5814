"""Pure mapping of a TikTok Shop order (search or detail object) to the canonical ``Order``.

Ids are strings of 18–19 digits; amounts are decimal strings in ``payment``; times are Unix seconds.
A virtual bundle line (``combined_listing_skus``: "for a virtual bundle SKU, an array of related
product SKUs that compose the virtual bundle SKU", each with ``sku_id``, ``seller_sku``,
``sku_count``; Get Order Detail 202309+) becomes one line per component SKU, ``line_ref``
``<line id>+<component sku_id>``, quantity ``sku_count``, keeping the bundle's line id in
``bundle_ref``; the bundle's price is split over the components by largest remainder weighted by
their unit counts (``fx.allocation.allocate``), so the components sum exactly to what was paid.
A line item is one unit (TikTok has no quantity field), so each becomes a line of quantity 1.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from platform_adapters.canonical import MappingResult, Order, OrderLine, OrderStatus, Package, Platform
from platform_adapters.http.values import Problems, epoch, id_str, optional_epoch, optional_money, not_an_object
from fx.allocation import AllocationError, allocate
from fx.money import Money
from platform_adapters.tiktok.statuses import order_status, unified_status


def raw_order_key(raw: Any) -> str:
    return str(raw.get("id")) if isinstance(raw, Mapping) and raw.get("id") else "?"


def map_order(raw: Any, shop_id: str) -> MappingResult[Order]:
    problems = Problems(location=f"order {raw_order_key(raw)}")
    if not isinstance(raw, Mapping):
        return not_an_object("order payload", raw, problems.location)
    order_id = problems.parse(id_str, raw.get("id"), "id")
    payment = raw.get("payment") if isinstance(raw.get("payment"), Mapping) else {}
    currency = str(payment.get("currency") or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        problems.add("missing_currency", "payment.currency is missing or not a currency code",
                     field="payment.currency", value=payment.get("currency"))
        currency = None
    raw_status = str(raw.get("status") or "")
    status = order_status(raw.get("status"), raw.get("is_buyer_request_cancel") is True)
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
        if type(item) is not dict and not isinstance(item, Mapping):
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
        line = OrderLine(
            line_ref=line_ref, seller_sku=sku, quantity=1, unit_price=price, paid_amount=price,
            item_id=str(item["product_id"]) if item.get("product_id") not in (None, "") else None,
            model_id=str(item["sku_id"]) if item.get("sku_id") not in (None, "") else None,
            product_name=str(item.get("product_name") or ""),
            status=unified_status(raw_status) if raw_status else None, raw_status=raw_status,
            package_id=str(item.get("package_id") or "") or None,
            tracking_number=str(item.get("tracking_number") or "") or None,  # empty until shipped
        )
        components = item.get("combined_listing_skus")
        if components:
            lines.extend(_bundle_components(line, components, f"{field}.combined_listing_skus", problems))
        else:
            lines.append(line)
    return lines


def _bundle_components(bundle: OrderLine, components: Any, field: str, problems: Problems) -> list[OrderLine]:
    """The component lines of a virtual bundle line (the bundle line itself when they are unusable)."""
    parts: list[tuple[str, str, int, str | None]] = []
    for index, entry in enumerate(components if isinstance(components, list) else [None]):
        where = f"{field}[{index}]"
        if not isinstance(entry, Mapping):
            problems.add("bad_bundle", "bundle component is not an object; the bundle line is kept", field=where,
                         severity="warning")
            return [bundle]
        sku_id = problems.parse(id_str, entry.get("sku_id"), f"{where}.sku_id", required=False, code="bad_bundle")
        count = entry.get("sku_count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            problems.add("bad_bundle", "sku_count must be a positive integer; the bundle line is kept",
                         field=f"{where}.sku_count", value=count, severity="warning")
            return [bundle]
        seller_sku = str(entry.get("seller_sku") or "").strip()
        if sku_id is None:
            return [bundle]
        if not seller_sku:
            problems.add("missing_sku", "bundle component without seller_sku: it cannot be matched by SKU",
                         field=f"{where}.seller_sku", severity="warning")
        product = str(entry["product_id"]) if entry.get("product_id") not in (None, "") else None
        parts.append((sku_id, seller_sku, count, product))
    try:
        paid = allocate(bundle.paid_amount, [count for _, _, count, _ in parts]) if bundle.paid_amount \
            else [None] * len(parts)
    except AllocationError as exc:
        problems.add("bad_bundle", f"bundle price cannot be split: {exc}", field=field, severity="warning")
        paid = [None] * len(parts)
    out = []
    for (sku_id, seller_sku, count, product), share in zip(parts, paid):
        unit = _exact_unit(share, count)
        out.append(replace(bundle, line_ref=f"{bundle.line_ref}+{sku_id}", seller_sku=seller_sku, quantity=count,
                           unit_price=unit, paid_amount=share, item_id=product, model_id=sku_id,
                           bundle_ref=bundle.line_ref, bundle_sku=bundle.seller_sku or None))
    return out


def _exact_unit(share: Money | None, count: int) -> Money | None:
    """``share / count`` when it is a whole number of minor units (else None: only the total is exact)."""
    if share is None:
        return None
    unit = Money(share.amount / count, share.currency)
    return unit if unit.fits() and unit * count == share else None


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _packages(raw: Mapping, lines: list[OrderLine]) -> list[Package]:
    """The order's packages (those listed in ``packages``, then any a line names), each with its lines, the
    first tracking number among them and the carrier of the first line item in it that names one (else
    the order's ``shipping_provider``). One pass over the lines and the line items."""
    ids = [str(p.get("id")) for p in _list(raw.get("packages")) if isinstance(p, Mapping) and p.get("id")]
    members: dict[str, list[OrderLine]] = {}
    for line in lines:
        if line.package_id:
            members.setdefault(line.package_id, []).append(line)
    known = set(ids)
    ids.extend(package_id for package_id in members if package_id not in known)
    carriers: dict[str, str] = {}
    for item in _list(raw.get("line_items")):
        if isinstance(item, Mapping) and item.get("shipping_provider_name"):
            carriers.setdefault(str(item.get("package_id") or ""), str(item.get("shipping_provider_name")))
    order_carrier = str(raw.get("shipping_provider") or "") or None
    packages = []
    for package_id in ids:
        group = members.get(package_id, ())
        tracking = next((line.tracking_number for line in group if line.tracking_number), None)
        packages.append(Package(package_id=package_id, tracking_number=tracking,
                                carrier=carriers.get(package_id) or order_carrier,
                                line_refs=tuple(line.line_ref for line in group)))
    return packages
