"""An order's timeline for the API: the matching engine's chain (ordered → paid → lot → on board →
arrived → customs released → received → dispatched → delivered → settled), read for the order's
owner only; before any matching run it is the marketplace steps stored with the order."""
from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from aggregator.matching_service.queries import timeline
from aggregator.store.models import OrderRow


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


def order_timeline(session: Session, order: OrderRow) -> list[dict[str, Any]]:
    # the request's own connection: a second transaction would wait on this one (SQLite has one writer)
    frame = timeline(session.connection(), platform=order.platform, shop_id=order.shop_id,
                     order_id=order.order_id, owner_id=order.owner_id)
    steps = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    if steps:
        return steps
    steps = [{"step": "ordered", "at": order.ordered_at, "source": order.platform}]
    if order.paid_at:
        steps.append({"step": "paid", "at": order.paid_at, "source": order.platform})
    steps.append({"step": f"status:{order.status}", "at": order.source_updated_at, "source": order.platform})
    return sorted(steps, key=lambda s: s["at"])
