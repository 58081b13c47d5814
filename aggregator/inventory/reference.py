"""The reference InventoryCore: a stock ledger in this database, idempotent by movement id."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, case, delete, func, select

from aggregator.inventory.port import Availability, MovementKind, RecordResult, StockMovement
from aggregator.store.db import session_scope
from aggregator.store.models.inventory import StockMovementRow
from aggregator.store.upsert import UpsertOutcome, upsert

ON_HAND_SIGN = {MovementKind.RECEIPT.value: 1, MovementKind.RETURN.value: 1,
                MovementKind.ADJUSTMENT.value: 1, MovementKind.DISPATCH.value: -1}


class ReferenceCore:
    name = "reference"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, movements: Iterable[StockMovement]) -> RecordResult:
        counts = {o: 0 for o in UpsertOutcome}
        with session_scope(self.engine) as session:
            for move in movements:
                values = {"movement_id": move.movement_id, "owner_id": move.owner_id,
                          "warehouse_code": move.warehouse_code, "sku": move.sku, "lot_id": move.lot_id,
                          "kind": move.kind.value, "quantity": move.quantity, "occurred_at": move.occurred_at,
                          "reference": move.reference}
                counts[upsert(session, StockMovementRow, values, ("movement_id",), source_updated_col=None).outcome] += 1
        return RecordResult(created=counts[UpsertOutcome.CREATED], updated=counts[UpsertOutcome.UPDATED],
                            unchanged=counts[UpsertOutcome.UNCHANGED])

    def retract(self, movement_ids: Iterable[str]) -> int:
        ids = list(movement_ids)
        if not ids:
            return 0
        with session_scope(self.engine) as session:
            return session.execute(delete(StockMovementRow).where(StockMovementRow.movement_id.in_(ids))).rowcount

    def availability(self, owner_id: str, warehouse_code: str, sku: str,
                     at: datetime | None = None) -> Availability:
        sign = case(*((StockMovementRow.kind == k, v) for k, v in ON_HAND_SIGN.items()), else_=0)
        allocated = case((StockMovementRow.kind == MovementKind.ALLOCATION.value, 1), else_=0)
        query = select(func.coalesce(func.sum(sign * StockMovementRow.quantity), 0),
                       func.coalesce(func.sum(allocated * StockMovementRow.quantity), 0)).where(
            StockMovementRow.owner_id == owner_id, StockMovementRow.warehouse_code == warehouse_code,
            StockMovementRow.sku == sku)
        if at is not None:
            query = query.where(StockMovementRow.occurred_at <= at)
        with session_scope(self.engine) as session:
            on_hand, alloc = session.execute(query).one()
        return Availability(owner_id, warehouse_code, sku, on_hand=int(on_hand), allocated=int(alloc))
