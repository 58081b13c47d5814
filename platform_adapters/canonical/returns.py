"""After-sales records: returns, refunds and cancellations a marketplace reports for an order.

One ``ReturnRecord`` is one after-sales case as the platform keys it (Shopee ``return_sn``, Lazada
``reverse_order_id``, TikTok ``return_id`` or ``cancel_id``); its key is (platform, shop_id, kind,
return_id) because TikTok numbers returns and cancellations separately. Each ``ReturnLine`` names the
order line it takes back by the order's own ``line_ref`` (``order_line_ref``), so a return links to
its order line through the natural keys whichever arrives first.

``status`` is the unified after-sales state; the platform's own words stay in ``raw_status``. An
unknown raw status maps to ``UNKNOWN`` and is counted, never guessed. ``disposition`` is what became
of the returned goods when the platform or its warehouse says so (Shopee ``follow_up_action_list``,
Lazada ``whqc_decision``): ``RESTOCK`` (back in sellable stock), ``SCRAP`` (written off),
``TO_SELLER`` (sent back to the seller), ``TO_BUYER`` (returned to the buyer), or None when unsaid.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from fx.money import Money
from platform_adapters.canonical.common import Platform, require_aware


class ReturnKind(str, enum.Enum):
    CANCELLATION = "CANCELLATION"  # before shipment: no goods travel back
    RETURN = "RETURN"  # return and refund: the goods come back
    REFUND_ONLY = "REFUND_ONLY"  # the buyer keeps the goods (or they never arrived)


class ReturnStatus(str, enum.Enum):
    """Unified after-sales states, in the order a case normally walks them."""

    REQUESTED = "REQUESTED"  # raised, waiting for the seller / platform
    APPROVED = "APPROVED"  # accepted; goods not yet on their way back
    IN_TRANSIT = "IN_TRANSIT"  # the buyer or carrier is sending the goods back
    RECEIVED = "RECEIVED"  # the goods reached the seller or the platform's warehouse
    REFUNDED = "REFUNDED"  # the money went back to the buyer: the case is done
    REJECTED = "REJECTED"  # refused (by the seller, the platform or arbitration)
    WITHDRAWN = "WITHDRAWN"  # cancelled by the buyer or closed by the system without a refund
    UNKNOWN = "UNKNOWN"

    @property
    def final(self) -> bool:
        return self in (ReturnStatus.REFUNDED, ReturnStatus.REJECTED, ReturnStatus.WITHDRAWN)


class Disposition(str, enum.Enum):
    RESTOCK = "RESTOCK"
    SCRAP = "SCRAP"
    TO_SELLER = "TO_SELLER"
    TO_BUYER = "TO_BUYER"


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """One returned order line: ``line_ref`` is the platform's return-line identity (or the order
    line's when it has none), ``order_line_ref`` the order's ``OrderLine.line_ref`` it takes back."""

    line_ref: str
    order_line_ref: str | None
    seller_sku: str
    quantity: int
    refund_amount: Money | None = None
    disposition: Disposition | None = None

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity < 0:
            raise ValueError(f"quantity must be a non-negative int, got {self.quantity!r}")


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    platform: Platform
    shop_id: str
    return_id: str
    order_id: str
    kind: ReturnKind
    status: ReturnStatus
    raw_status: str
    created_at: datetime
    updated_at: datetime
    refund_amount: Money | None = None
    reason: str = ""
    tracking_number: str | None = None
    disposition: Disposition | None = None
    lines: tuple[ReturnLine, ...] = ()

    def __post_init__(self) -> None:
        require_aware(self, "created_at", "updated_at")

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.platform.value, self.shop_id, self.kind.value, self.return_id)

    @property
    def returned_units(self) -> int:
        return sum(line.quantity for line in self.lines)


#: How far a case has gone, for ranking the states of a case's several lines.
PROGRESS = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED,
            ReturnStatus.REFUNDED)


def overall_status(statuses: list[ReturnStatus]) -> ReturnStatus:
    """One state for a case whose lines each have theirs (Lazada reverse-order lines): the least
    advanced of the lines still live; when none is live, the first line's ending; UNKNOWN if any is."""
    if not statuses or ReturnStatus.UNKNOWN in statuses:
        return ReturnStatus.UNKNOWN
    live = [s for s in statuses if s in PROGRESS]
    if live:
        return min(live, key=PROGRESS.index)
    return statuses[0]
