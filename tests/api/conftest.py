"""API fixtures: two owners with orders each, a TestClient, their keys."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from aggregator.api.app import create_app
from aggregator.store.db import session_scope
from aggregator.store.marketplace_writer import write_order
from aggregator.store.models import ShopRow
from aggregator.tenancy import add_owner
from platform_adapters.canonical import OrderStatus
from tests.store.factories import T0, make_order

OPERATOR_KEY = "operator-test-key-0123456789"


@dataclass
class World:
    client: TestClient
    key_a: str
    key_b: str


def seed(engine) -> tuple[str, str]:
    with session_scope(engine) as session:
        _, key_a = add_owner(session, "BRAND-A", "Brand A")
        _, key_b = add_owner(session, "BRAND-B", "Brand B")
        session.add_all([
            ShopRow(owner_id="BRAND-A", platform="shopee", shop_id="111", region="MY", name="A MY"),
            ShopRow(owner_id="BRAND-B", platform="shopee", shop_id="222", region="SG", name="B SG"),
        ])
        session.flush()
        for i in range(3):
            write_order(session, make_order(f"A{i}", shop_id="111", updated=T0 + timedelta(hours=i),
                                            status=OrderStatus.SHIPPED if i else OrderStatus.DELIVERED), "BRAND-A")
        write_order(session, make_order("B0", shop_id="222", price="7.10"), "BRAND-B")
    return key_a, key_b


@pytest.fixture
def world(engine) -> World:
    key_a, key_b = seed(engine)
    return World(TestClient(create_app(engine, operator_key=OPERATOR_KEY)), key_a, key_b)
