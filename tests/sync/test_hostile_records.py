"""A marketplace record holding a NUL character (which no PostgreSQL text or JSONB column can hold)
is parked with the field named and its raw payload kept visibly; the window goes on and the shop is
never stuck on it (before: the whole window failed on PostgreSQL, on every run)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from aggregator.store.db import session_scope
from aggregator.store.marketplace_writer import write_order
from aggregator.store.models import ExceptionItem, OrderRow
from aggregator.sync.framework import run_sync
from platform_adapters.canonical import MappingResult
from tests.sync.test_framework import START, ListPuller, good


@pytest.fixture
def shop(engine):
    from tests.store.factories import make_shop

    with session_scope(engine) as session:
        return make_shop(session)


def test_a_record_with_a_nul_is_parked_and_the_window_goes_on(engine, shop) -> None:
    raw, result = good("B", 2)
    damaged = (dict(raw, note="hi\x00there"), MappingResult(replace(result.record, raw_status="READY\x00")))
    puller = ListPuller([good("A", 1), damaged, good("C", 3)])
    for _ in range(2):  # and again: never stuck on it
        summary = run_sync(engine, shop, "orders", puller, write_order, since=START, until=START + timedelta(hours=6))
        assert summary.status == "partial" and summary.failed == 1, summary.error
    with session_scope(engine) as session:
        assert sorted(session.scalars(select(OrderRow.order_id))) == ["A", "C"]
        item = session.scalars(select(ExceptionItem)).one()  # refreshed, not duplicated
        assert item.kind == "control_character" and "record.raw_status holds a NUL" in item.reason
        assert item.raw_payload["note"] == "hi\\x00there" and item.attempts == 1
