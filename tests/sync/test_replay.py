"""Parked marketplace records replay through the adapter's mapper: fixed ones are stored, bad ones stay open."""
from __future__ import annotations

import json
from decimal import Decimal

from cryptography.fernet import Fernet
from sqlalchemy import select

from aggregator.auth.shops import add_shop
from aggregator.replay import replay_exception
from aggregator.exceptions_queue.writes import park
from aggregator.store.models import AuditEntry, ExceptionItem, OrderRow
from aggregator.store.vault import Vault
from aggregator.tenancy import add_owner
from tests.conftest import FIXTURES


def test_replay_stores_a_fixed_record_and_keeps_a_bad_one_open(session) -> None:
    vault = Vault(Fernet.generate_key())
    add_owner(session, "LUMINA-HK", "Lumina")
    add_shop(session, vault, platform="shopee", owner_id="LUMINA-HK", shop_id="480012345", region="MY",
             app_key="2001234", app_secret="partner-key-value")
    raw = json.loads((FIXTURES / "marketplace" / "shopee" / "order_detail.json").read_text(), parse_float=Decimal)
    good = park(session, owner_id="LUMINA-HK", source="shopee:orders", kind="mapping_error",
                reason="old mapper rejected it", raw_payload=raw, record_key=f"480012345:{raw['order_sn']}")
    broken = dict(raw, order_sn="2611019999", currency=None)
    bad = park(session, owner_id="LUMINA-HK", source="shopee:orders", kind="mapping_error",
               reason="no currency", raw_payload=broken, record_key="480012345:2611019999")
    session.flush()

    replayed = replay_exception(session, vault, good.id)
    assert replayed.replayed and replayed.detail == "created"
    order = session.scalars(select(OrderRow)).one()
    assert order.order_id == raw["order_sn"] and order.owner_id == "LUMINA-HK"
    assert session.get(ExceptionItem, good.id).status == "retried"
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "retry")).one().entity_key == str(good.id)

    still = replay_exception(session, vault, bad.id)
    item = session.get(ExceptionItem, bad.id)
    assert not still.replayed and item.status == "open" and item.attempts == 1 and "currency" in item.reason
    assert replay_exception(session, vault, good.id).detail == "already retried"
