"""Status tables: raw 3PL statuses (Qimen, 4PX, ShipBob words) onto the canonical sets.

An unknown raw status maps to ``UNKNOWN`` (the raw text is kept and the mapper reports it); it is
never guessed.
"""
from __future__ import annotations

from platform_adapters.canonical.common import Problem, Severity

RECEIPT_STATUSES = {
    # canonical values pass through
    **{s: s for s in ("CREATED", "IN_TRANSIT", "ARRIVED", "RECEIVING", "PARTIALLY_RECEIVED", "RECEIVED",
                      "PUT_AWAY", "EXCEPTION", "CANCELLED")},
    # Qimen entryorder
    "NEW": "CREATED", "ACCEPT": "CREATED", "PARTFULFILLED": "PARTIALLY_RECEIVED", "FULFILLED": "RECEIVED",
    "CANCELED": "CANCELLED", "REJECT": "CANCELLED", "CLOSED": "RECEIVED",
    # ShipBob WRO
    "AWAITING": "IN_TRANSIT", "PARTIALLYARRIVED": "ARRIVED", "PROCESSING": "RECEIVING", "COMPLETED": "RECEIVED",
    "INCOMPLETE": "PARTIALLY_RECEIVED",
}

SHIPMENT_STATUSES = {
    **{s: s for s in ("CREATED", "PICKED", "SHIPPED", "DELIVERED", "RETURNED", "CANCELLED", "EXCEPTION")},
    # Qimen deliveryorder
    "NEW": "CREATED", "ACCEPT": "CREATED", "PARTDELIVERED": "SHIPPED", "CANCELED": "CANCELLED",
    "REJECT": "CANCELLED", "CLOSED": "DELIVERED",
    # ShipBob
    "PROCESSING": "CREATED", "COMPLETED": "SHIPPED", "ON HOLD": "EXCEPTION", "ONHOLD": "EXCEPTION",
}


def normalise_status(raw: str | None, table: dict[str, str]) -> str | None:
    """Canonical status for ``raw``; ``None`` when empty, ``"UNKNOWN"`` when not in the table."""
    if not raw:
        return None
    key = raw.strip().upper().replace("-", "_")
    return table.get(key) or table.get(key.replace("_", "")) or "UNKNOWN"


def status_or_unknown(raw: str | None, table: dict[str, str], what: str, column: str, location: str | None,
                      problems: list[Problem]) -> str | None:
    """``normalise_status`` that also reports an unknown raw status (kept as UNKNOWN, never guessed)."""
    status = normalise_status(raw, table)
    if status == "UNKNOWN":
        problems.append(Problem("unknown_status", f"status not in the {what} status table; stored as UNKNOWN",
                                Severity.WARNING, column, raw, location))
    return status
