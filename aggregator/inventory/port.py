"""The InventoryCore port: the movements it receives and the availability it answers."""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from platform_adapters.canonical.common import require_aware


class MovementKind(str, enum.Enum):
    RECEIPT = "RECEIPT"  # goods put on hand (good quantity of a receipt line)
    ALLOCATION = "ALLOCATION"  # reserved for an outbound not yet shipped
    DISPATCH = "DISPATCH"  # left the warehouse
    RETURN = "RETURN"  # came back to stock
    ADJUSTMENT = "ADJUSTMENT"  # counted difference (signed)


@dataclass(frozen=True, slots=True)
class StockMovement:
    """One stock fact. ``movement_id`` identifies the fact: recording it again with a new quantity
    replaces the old quantity (a later confirmation of the same receipt line), never adds to it."""

    movement_id: str
    owner_id: str
    warehouse_code: str
    sku: str
    kind: MovementKind
    quantity: int
    occurred_at: datetime
    lot_id: str | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        require_aware(self, "occurred_at")
        if self.kind is not MovementKind.ADJUSTMENT and self.quantity < 0:
            raise ValueError(f"{self.kind.value} quantity must be non-negative, got {self.quantity}")


@dataclass(frozen=True, slots=True)
class Availability:
    owner_id: str
    warehouse_code: str
    sku: str
    on_hand: int  # received + returned + adjustments - dispatched
    allocated: int

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


@dataclass(frozen=True, slots=True)
class RecordResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class InventoryModeError(RuntimeError):
    """Asked for stock in inventory-less mode."""


class InventoryCore(Protocol):
    name: str

    def record(self, movements: Iterable[StockMovement]) -> RecordResult: ...

    def retract(self, movement_ids: Iterable[str]) -> int: ...

    def availability(self, owner_id: str, warehouse_code: str, sku: str,
                     at: datetime | None = None) -> Availability: ...


class NullCore:
    """Inventory-less mode: movements are not kept; availability is not a question it answers."""

    name = "inventory-less"

    def record(self, movements: Iterable[StockMovement]) -> RecordResult:
        return RecordResult(unchanged=sum(1 for _ in movements))

    def retract(self, movement_ids: Iterable[str]) -> int:
        return 0

    def availability(self, owner_id: str, warehouse_code: str, sku: str,
                     at: datetime | None = None) -> Availability:
        raise InventoryModeError("no stock ledger in inventory-less mode (set AGGREGATOR_INVENTORY_MODE=core)")
