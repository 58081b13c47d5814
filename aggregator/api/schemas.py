"""Response models of the REST API. Amounts are exact decimal strings; times are ISO 8601 UTC."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer

DecimalStr = Annotated[Decimal, PlainSerializer(lambda v: format(v, "f"), return_type=str)]


class OrderLineOut(BaseModel):
    line_ref: str
    seller_sku: str
    quantity: int
    currency: str | None
    unit_price: DecimalStr | None
    paid_amount: DecimalStr | None
    status: str | None
    package_id: str | None
    tracking_number: str | None


class OrderOut(BaseModel):
    owner_id: str
    platform: str
    shop_id: str
    order_id: str
    status: str
    raw_status: str
    currency: str
    total_amount: DecimalStr | None
    buyer_country: str | None
    ordered_at: datetime
    paid_at: datetime | None
    source_updated_at: datetime


class TimelineStep(BaseModel):
    step: str
    at: datetime
    source: str
    record: str
    detail: str


class ChainLink(BaseModel):
    """One (order line, lot) of the order's chain, with the records upstream of the lot."""

    order_line_ref: str | None
    lot_id: str
    qty: int
    method: str
    confidence: float
    warehouse_code: str | None
    asn_no: str | None
    container_no: str | None
    transport_document_no: str | None
    customs_declaration_no: str | None
    shipment_line_key: str | None = Field(default=None, description=(
        "the warehouse shipment line the units left on (OWNER|WAREHOUSE|OUTBOUND_NO|LINE_NO): with the lot, it "
        "names their allocation in the title ledger (title events ?shipment=)"))


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]
    packages: list[dict[str, Any]]
    timeline: list[TimelineStep]
    chain: list[ChainLink]


class ShopOut(BaseModel):
    owner_id: str
    platform: str
    shop_id: str
    region: str
    name: str
    status: str
    status_reason: str | None


class RunOut(BaseModel):
    id: int
    owner_id: str
    platform: str
    shop_id: str
    stream: str
    mode: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    created: int
    updated: int
    unchanged: int
    stale: int
    failed: int
    unknown_status: int
    deferred: int  # orders pushed while their page was read, left to the push's re-read
    cursor_after: datetime | None
    error: str | None
