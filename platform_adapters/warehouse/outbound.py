"""Outbound (fulfilment) rows → ``WarehouseShipment``: one record per (warehouse, WMS outbound no.).

One row per outbound line. Rows of one outbound are expected to be contiguous in the file (the
import runner merges a late group with an earlier one and says so). A row's platform is a registered
marketplace's (``registry.require_platform``: a built-in or a plug-in's adapter) or none; a row naming
another (a typo such as ``Shoppe``) or a shop without its platform is rejected: it could never be linked
to its order.
"""
from __future__ import annotations

from platform_adapters.canonical.common import Problem
from platform_adapters.canonical.identifiers import clean_text
from platform_adapters.canonical.tenancy import OwnerClaim
from platform_adapters.canonical.warehouse import WarehouseShipment, WarehouseShipmentLine
from platform_adapters.registry import UnknownPlatform, require_platform
from platform_adapters.tabular.rows import (
    CanonicalRow,
    GroupResult,
    ReadOptions,
    RowView,
    build_group,
    claim,
    header_value,
)
from platform_adapters.warehouse.statuses import SHIPMENT_STATUSES, status_or_unknown

KIND = "outbound"
#: Part of every stored record's content hash: bump it when a change here maps the same rows differently.
MAPPING_VERSION = 1
#: The columns ``owner_claims`` reads (the import resolves each distinct combination of them once).
OWNER_COLUMNS = ("platform", "shop_id", "owner_code", "warehouse_code")
#: The columns ``record_key`` reads besides the owner.
KEY_COLUMNS = ("warehouse_code", "wms_outbound_no")


def platform_of(text: str) -> str:
    """The registered platform the (cleaned, not empty) platform cell ``text`` names ("Shopee", "TikTok Shop",
    a plug-in's); ``ValueError`` saying why and naming the registered ones when no adapter is registered under
    it (a typo, a malformed name)."""
    try:
        return require_platform(text)
    except UnknownPlatform as exc:
        raise ValueError(f"{exc}; a row of a marketplace no adapter is registered for cannot be linked to its "
                         "order") from None


def shop_without_platform(shop_id: str) -> str:
    """Why a row naming the shop ``shop_id`` and no platform is refused."""
    return f"shop id {shop_id!r} without its platform: which marketplace's shop it is cannot be told; fill the platform"


def owner_claims(values: dict[str, str]) -> tuple[OwnerClaim, ...]:
    """The registered shop (platform, shop id) the package was sold in, and the 3PL's owner code when
    the layout has one (B2B and transfer outbounds name no shop). A platform no adapter is registered
    under is claimed as written (lower case): no shop is registered under it."""
    platform = clean_text(values.get("platform", ""))
    try:
        platform = platform_of(platform) if platform else ""
    except ValueError:
        platform = platform.lower()
    return (claim(values, "shop", "shop_id", scope=platform),
            claim(values, "owner_code", "owner_code", "warehouse_code"))


def record_key(values: dict[str, str], owner_id: str) -> tuple[str, ...] | None:
    warehouse, number = clean_text(values.get("warehouse_code")), clean_text(values.get("wms_outbound_no"))
    if not warehouse or not number:
        return None
    return (owner_id, warehouse, number)


def _read(view: RowView) -> dict:
    platform_raw = view.text("platform")
    platform = None
    if platform_raw:
        try:
            platform = platform_of(platform_raw)
        except ValueError as exc:
            view.problem("platform", "unknown_platform", str(exc))
    shop_id = view.text("shop_id")
    if shop_id and not platform_raw:
        view.problem("platform", "missing_platform", shop_without_platform(shop_id))
    return {
        "wms_outbound_no": view.text("wms_outbound_no", required=True),
        "warehouse_code": view.text("warehouse_code", required=True),
        "outbound_type": view.upper("outbound_type"),
        "raw_status": view.text("status"),
        "platform": platform,
        "shop_id": shop_id,
        "order_id": view.text("marketplace_order_id"),
        "package_id": view.text("package_id"),
        "carrier_code": view.text("carrier_code"),
        "tracking_number": view.text("tracking_number"),
        "first_mile_tracking_number": view.text("first_mile_tracking_number"),
        "created_at": view.datetime("created_at"),
        "shipped_at": view.datetime("shipped_at"),
        "delivered_at": view.datetime("delivered_at"),
        "returned_at": view.datetime("returned_at"),
        "weight_g": view.quantity("weight_g"),
        "remark": view.text("remark"),
        "sku": view.text("sku", required=True),
        "qty": view.quantity("qty", required=True),
        "order_line_ref": view.text("order_line_ref"),
        "lot_id": view.text("stock_lot_id"),
        "batch_no": view.text("batch_no"),
        "source_updated_at": view.datetime("source_updated_at"),
    }


def map_rows(rows: list[CanonicalRow], options: ReadOptions, line_offset: int = 0) -> GroupResult[WarehouseShipment]:
    """Map the rows of one outbound. ``line_offset`` numbers lines after ones already stored."""

    def build(accepted: list[tuple[RowView, dict]]):
        problems: list[Problem] = []
        first_view = accepted[0][0]

        def head(name):
            return header_value(accepted, name)

        raw_status = head("raw_status")
        status = status_or_unknown(raw_status, SHIPMENT_STATUSES, "outbound", options.source_name("status"),
                                   first_view.location, problems)
        weights = [data["weight_g"] for _, data in accepted if data["weight_g"] is not None]
        lines = tuple(
            WarehouseShipmentLine(line_no=line_offset + index, sku=data["sku"], quantity=data["qty"],
                                  order_line_ref=data["order_line_ref"], lot_id=data["lot_id"],
                                  batch_no=data["batch_no"])
            for index, (_, data) in enumerate(accepted, start=1)
        )
        record = WarehouseShipment(
            owner_id=options.owner_id, warehouse_code=head("warehouse_code"),
            wms_outbound_no=head("wms_outbound_no"), outbound_type=head("outbound_type"), status=status,
            raw_status=raw_status, platform=head("platform"), shop_id=head("shop_id"), order_id=head("order_id"),
            package_id=head("package_id"), carrier_code=head("carrier_code"), tracking_number=head("tracking_number"),
            first_mile_tracking_number=head("first_mile_tracking_number"), created_at=head("created_at"),
            shipped_at=head("shipped_at"), delivered_at=head("delivered_at"), returned_at=head("returned_at"),
            weight_g=sum(weights) if weights else None, remark=head("remark"), lines=lines,
            source_updated_at=head("source_updated_at"),
        )
        return record, problems

    return build_group(rows, options, _read, build)
