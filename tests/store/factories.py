"""Small builders of canonical records and tenant rows for store and sync tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from aggregator.store.models import ShopRow
from aggregator.tenancy import add_owner
from fx.money import Money
from platform_adapters.canonical import Order, OrderLine, OrderStatus, Platform

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def make_order(order_id: str = "2611010001", *, updated: datetime = T0, status: OrderStatus = OrderStatus.READY_TO_SHIP,
               qty: int = 1, shop_id: str = "480012345", price: str = "19.90") -> Order:
    return Order(
        platform=Platform.SHOPEE, shop_id=shop_id, order_id=order_id, status=status, raw_status=status.value,
        created_at=T0 - timedelta(hours=1), updated_at=updated, currency="MYR",
        total_amount=Money.of(price, "MYR") * qty,
        lines=(OrderLine(line_ref="111:222", seller_sku="LMN-EB-BT53-BLK", quantity=qty,
                         unit_price=Money.of(price, "MYR"), item_id="111", model_id="222"),),
    )


def make_shop(session: Session, owner_id: str = "LUMINA-HK", shop_id: str = "480012345") -> ShopRow:
    add_owner(session, owner_id, "Lumina", "CNY")
    shop = ShopRow(owner_id=owner_id, platform="shopee", shop_id=shop_id, region="MY", name="Lumina MY")
    session.add(shop)
    session.flush()
    return shop
