"""Canonical records: the contract between adapters and the application.

Every record is an immutable, typed dataclass: ids are strings, money is ``fx.Money`` (Decimal +
currency), times are timezone-aware. Mappers return records plus a list of ``Problem`` and never
raise on bad data.
"""
from platform_adapters.canonical.common import Platform, Problem, Severity, MappingResult, aware_utc
from platform_adapters.canonical.tenancy import Owner, OwnerClaim, Shop
from platform_adapters.canonical.marketplace import (
    Order,
    OrderLine,
    OrderStatus,
    Package,
    SettlementLine,
)
from platform_adapters.canonical.settlement import FeeCategory, Statement
from platform_adapters.canonical.returns import Disposition, ReturnKind, ReturnLine, ReturnRecord, ReturnStatus
from platform_adapters.canonical.logistics import (
    Container,
    CustomsEntry,
    CustomsEntryLine,
    DocumentRef,
    Endorsement,
    TransportDocument,
    TransportDocumentLine,
    TransportEvent,
)
from platform_adapters.canonical.warehouse import (
    StockSnapshot,
    WarehouseReceipt,
    WarehouseReceiptLine,
    WarehouseShipment,
    WarehouseShipmentLine,
)

__all__ = [
    "Platform", "Problem", "Severity", "MappingResult", "aware_utc",
    "Owner", "OwnerClaim", "Shop",
    "Order", "OrderLine", "OrderStatus", "Package", "SettlementLine", "FeeCategory", "Statement",
    "Disposition", "ReturnKind", "ReturnLine", "ReturnRecord", "ReturnStatus",
    "Container", "CustomsEntry", "CustomsEntryLine", "DocumentRef", "Endorsement",
    "TransportDocument", "TransportDocumentLine", "TransportEvent",
    "StockSnapshot", "WarehouseReceipt", "WarehouseReceiptLine", "WarehouseShipment",
    "WarehouseShipmentLine",
]
