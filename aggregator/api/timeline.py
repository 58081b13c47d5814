"""An order's timeline for the API: the marketplace steps stored with the order, in time order."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from aggregator.store.models import OrderRow


def order_timeline(session: Session, order: OrderRow) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [
        {"step": "ordered", "at": order.ordered_at, "source": order.platform},
    ]
    if order.paid_at:
        steps.append({"step": "paid", "at": order.paid_at, "source": order.platform})
    steps.append({"step": f"status:{order.status}", "at": order.source_updated_at, "source": order.platform})
    return sorted(steps, key=lambda s: s["at"])
