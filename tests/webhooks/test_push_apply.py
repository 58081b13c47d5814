"""The order push apply path (``aggregator/push_apply.py``) on SQLite and PostgreSQL, against the sandbox:

* a shop's pushes are re-read together: N status pushes of one shop cost one order-detail call (and
  one package call) in all, not one or two per push, and every pushed order ends equal to the
  sandbox's truth, each event closed with its outcome;
* what a push says is written at once, with no call to the platform: the status (header and, on
  Shopee, every line; on Lazada the line it names, the order's derived again), audited and told
  as ``order.status_changed``; a push older than the stored order or than another push of the same
  order loses, whichever is applied first;
* a Shopee tracking-number push writes the package's number as it is and needs no re-read;
* a push that finds the shop being drained by another worker is picked up by that worker;
* through ``receive``: a push is visible when answered and stored once, a re-delivery writes nothing,
  an older push received after a newer one loses, and a push whose order write fails is still stored
  and applied later.
"""
from __future__ import annotations

import dataclasses
import json
import threading
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aggregator.jobs.lease import acquire
from aggregator.push_apply import FROM_PUSH, STALLED_AFTER, drain, patch, resume_stalled
from aggregator.sandbox_link import connect_sandbox
from aggregator.store.db import session_scope
from aggregator.store.models import OrderLineRow, OrderPackageRow, OrderRow, ShopRow
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.events import OutboxEventRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import sync_shop
from aggregator.transport_pool import TransportPool
from aggregator.webhooks import apply, receive, store_event
from platform_adapters.registry import get_adapter
from platform_adapters.sandbox import running_sandbox
from platform_adapters.sandbox.webhooks import sign_message, status_messages


class CountingPool(TransportPool):
    """The process's transport pool with every request's path counted."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter = Counter()

    def client(self, platform: str) -> httpx.Client:
        client = super().client(platform)
        if not client.event_hooks["request"]:
            client.event_hooks["request"].append(lambda request: self.calls.update([request.url.path]))
        return client


@pytest.fixture
def world(engine):
    """The sandbox with every shop synced, then five days on: orders whose status moved since."""
    vault = Vault(Fernet.generate_key())
    with running_sandbox(seed=5, orders=300, days=30) as sandbox:
        connect_sandbox(engine, vault, sandbox.base_url, {})
        with Session(engine) as session:
            shops = {(s.platform, s.shop_id): s for s in session.scalars(select(ShopRow))}
        for shop in shops.values():
            sync_shop(engine, shop, vault, "orders")
        httpx.post(sandbox.base_url + "/_sandbox/clock/advance", params={"seconds": 5 * 86400},
                   timeout=60).raise_for_status()
        truth = {(o["platform"], o["shop_id"], o["order_id"]): o["raw_status"]
                 for o in httpx.get(sandbox.base_url + "/_sandbox/truth/orders", timeout=60).json()["orders"]}
        with Session(engine) as session:
            stored = {(r.platform, r.shop_id, r.order_id): r.raw_status for r in session.execute(
                select(OrderRow.platform, OrderRow.shop_id, OrderRow.order_id, OrderRow.raw_status))}
        by_key = {(o.shop.platform, o.shop.shop_id, o.order_id): o for o in sandbox.state.world.orders}
        moved = [(key, raw, by_key[key]) for key, raw in sorted(truth.items())
                 if key in stored and stored[key] != raw and key in by_key]
        yield sandbox, vault, shops, moved


def push(engine, sandbox, order, raw: str, at: int, *, codes: tuple[int, ...] = (3,)) -> list[int]:
    """Store the sandbox's pushes of one change (as ``receive`` does after verifying); their event ids."""
    pks = []
    with session_scope(engine) as session:
        for message in status_messages(sandbox.state, order, raw, at):
            if "code" in message and message["code"] not in codes:
                continue
            body = json.dumps(message, separators=(",", ":"))
            event = get_adapter(order.shop.platform).webhook_parse(body.encode())
            pks.extend(store_event(session, order.shop.platform, event, body, None).to_apply)
    return pks


def row(engine, key):
    with Session(engine) as session:
        return session.execute(select(OrderRow).where(OrderRow.platform == key[0], OrderRow.shop_id == key[1],
                                                      OrderRow.order_id == key[2])).scalar_one()


def event_row(engine, pk: int) -> WebhookEventRow:
    with Session(engine) as session:
        return session.get(WebhookEventRow, pk)


def test_one_shops_pushes_are_re_read_in_one_batch(engine, world) -> None:
    sandbox, vault, shops, moved = world
    counts = Counter(key[:2] for key, _, _ in moved if key[0] == "shopee")
    shop_key = max(counts, key=counts.get)
    changes = [m for m in moved if m[0][:2] == shop_key]
    assert len(changes) >= 8, counts
    now = int(sandbox.state.now)
    pks = [pk for key, raw, order in changes for pk in push(engine, sandbox, order, raw, now)]
    pool = CountingPool()
    try:
        statuses = [apply(engine, vault, pk, pool) for pk in pks]  # as the lost-push recovery applies them
    finally:
        pool.close()
    assert pool.calls["/api/v2/order/get_order_detail"] == 1, pool.calls
    assert pool.calls["/api/v2/order/get_package_detail"] <= 1, pool.calls
    assert set(statuses) == {"applied"}, Counter(statuses)
    for key, raw, _ in changes:
        assert row(engine, key).raw_status == raw
    with Session(engine) as session:
        details = session.scalars(select(WebhookEventRow.detail).where(WebhookEventRow.id.in_(pks))).all()
    assert all("re-read: updated 1" in d for d in details), details
    # the whole order as the platform has it: a second re-read of the same orders changes nothing
    from aggregator.sync.marketplace import refresh_orders
    again = refresh_orders(engine, shops[shop_key], vault, [key[2] for key, _, _ in changes])
    assert again.counts["unchanged"] == len(changes) and not again.not_found, again.counts


def test_a_push_is_written_at_once_and_an_older_one_loses(engine, world) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "shopee")
    now = int(sandbox.state.now)
    before = row(engine, key)
    newer = push(engine, sandbox, order, raw, now)[0]
    older_raw = "RETRY_SHIP" if raw != "RETRY_SHIP" else "SHIPPED"
    older = push(engine, sandbox, order, older_raw, now - 60)[0]
    # the older push applied first loses too: a newer push of the order is stored
    event = get_adapter("shopee").webhook_parse(event_row(engine, older).body.encode())
    assert patch(engine, event_row(engine, older), event).outcome == "stale"
    event = get_adapter("shopee").webhook_parse(event_row(engine, newer).body.encode())
    assert patch(engine, event_row(engine, newer), event).outcome == "applied"  # no transport: no call
    after = row(engine, key)
    assert (after.raw_status, after.content_hash) == (raw, "")
    assert after.source_updated_at == before.source_updated_at  # the push's clock is not the order's
    with Session(engine) as session:
        lines = session.scalars(select(OrderLineRow.raw_status).where(OrderLineRow.order_pk == after.id)).all()
        told = session.scalars(select(OutboxEventRow).where(OutboxEventRow.topic == "order.status_changed")).all()
        audited = session.scalars(select(AuditEntry).where(AuditEntry.entity == "orders",
                                                           AuditEntry.actor == "webhook")).all()
    assert lines and set(lines) == {raw}
    assert [(e.key, e.data["status"], e.data["previous_status"]) for e in told] == [
        ("|".join(key), after.status, before.status)]
    assert len(audited) == 1 and audited[0].changes["raw_status"] == [before.raw_status, raw]
    # a push older than the stored order loses as well
    with session_scope(engine) as session:
        session.execute(update(OrderRow).where(OrderRow.id == after.id)
                        .values(source_updated_at=before.source_updated_at + timedelta(days=30)))
    late = push(engine, sandbox, order, "CANCELLED", now + 5)[0]
    event = get_adapter("shopee").webhook_parse(event_row(engine, late).body.encode())
    assert patch(engine, event_row(engine, late), event).outcome == "stale"
    assert row(engine, key).raw_status == raw


def test_lazada_line_pushes_derive_the_orders_status(engine, world) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "lazada" and len(m[2].lines) > 1)
    now = int(sandbox.state.now)
    pks = push(engine, sandbox, order, raw, now)
    assert len(pks) == len(order.lines)
    outcomes = []
    for pk in pks:
        event = get_adapter("lazada").webhook_parse(event_row(engine, pk).body.encode())
        outcomes.append(patch(engine, event_row(engine, pk), event).outcome)
    assert outcomes[-1] == "applied"
    assert row(engine, key).raw_status == raw  # every line moved: the order's status is the truth's
    pool = CountingPool()
    try:
        assert drain(engine, vault, shops[key[:2]], pool) == 1
    finally:
        pool.close()
    assert pool.calls["/rest/order/get"] == 1 and pool.calls["/rest/orders/items/get"] == 1, pool.calls
    with Session(engine) as session:
        statuses = session.scalars(select(WebhookEventRow.status).where(WebhookEventRow.id.in_(pks))).all()
    assert set(statuses) == {"applied"} and row(engine, key).raw_status == raw


def test_tracking_push_is_written_from_the_push(engine, world) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "shopee" and m[2].packages)
    package = order.packages[0]
    with Session(engine) as session:
        order_pk = row(engine, key).id
        stored = session.scalar(select(OrderPackageRow.tracking_number).where(
            OrderPackageRow.order_pk == order_pk, OrderPackageRow.package_id == package.package_id))
    with session_scope(engine) as session:  # as if the number had not been assigned when last read
        session.execute(update(OrderPackageRow).where(OrderPackageRow.order_pk == order_pk)
                        .values(tracking_number=None))
    message = {"data": {"ordersn": order.order_id, "forder_id": "", "package_number": package.package_id,
                        "tracking_no": "SPXMY0000000042"}, "shop_id": int(key[1]), "code": 4, "timestamp": 1}
    body = json.dumps(message, separators=(",", ":"))
    with session_scope(engine) as session:
        pk, = store_event(session, "shopee", get_adapter("shopee").webhook_parse(body.encode()), body, None).to_apply
    pool = CountingPool()
    try:
        assert apply(engine, vault, pk, pool) == "applied"
    finally:
        pool.close()
    assert not pool.calls  # the push carried the change: no call
    with Session(engine) as session:
        number = session.scalar(select(OrderPackageRow.tracking_number).where(
            OrderPackageRow.order_pk == order_pk, OrderPackageRow.package_id == package.package_id))
        on_lines = set(session.scalars(select(OrderLineRow.tracking_number).where(
            OrderLineRow.order_pk == order_pk, OrderLineRow.package_id == package.package_id)))
    assert number == "SPXMY0000000042" and on_lines <= {"SPXMY0000000042"}
    assert stored is None or stored != number


def test_a_late_older_tracking_push_does_not_overwrite_the_newer_number(engine, world) -> None:
    """Tracking pushes carry no time of change: with two numbers pushed for one order, the second
    applied is left to the re-read (the platform's number), not written over the first."""
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "shopee" and m[2].packages)
    package = order.packages[0]
    order_pk = row(engine, key).id

    def tracking_push(number: str, timestamp: int) -> int:
        message = {"data": {"ordersn": order.order_id, "forder_id": "", "package_number": package.package_id,
                            "tracking_no": number}, "shop_id": int(key[1]), "code": 4, "timestamp": timestamp}
        body = json.dumps(message, separators=(",", ":"))
        with session_scope(engine) as session:
            pk, = store_event(session, "shopee", get_adapter("shopee").webhook_parse(body.encode()), body,
                              None).to_apply
        return pk

    def stored_number() -> str | None:
        with Session(engine) as session:
            return session.scalar(select(OrderPackageRow.tracking_number).where(
                OrderPackageRow.order_pk == order_pk, OrderPackageRow.package_id == package.package_id))

    newer = tracking_push("SPXMY0000000002", 2)
    assert apply(engine, vault, newer) == "applied" and stored_number() == "SPXMY0000000002"
    older = tracking_push("SPXMY0000000001", 1)  # delivered late (a retried delivery)
    pool = CountingPool()
    try:
        apply(engine, vault, older, pool)
    finally:
        pool.close()
    assert pool.calls["/api/v2/order/get_order_detail"] == 1, pool.calls  # the platform decides
    assert stored_number() == package.tracking_number != "SPXMY0000000001"
    assert event_row(engine, older).status != "received"


def test_a_return_push_of_the_order_waiting_its_turn_does_not_hold_the_drain(engine, world) -> None:
    """A return push of the same order (TikTok sends type 11 with the type 1 of a cancellation) is
    re-read by its own apply, after the drain on a one-process worker: the drain closes the status
    push instead of re-reading the order again and again while the return push is 'received'."""
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "tiktok")
    shop = shops[key[:2]]
    pks = push(engine, sandbox, order, raw, int(sandbox.state.now))
    with session_scope(engine) as session:
        session.add(WebhookEventRow(platform="tiktok", event_id=f"return-{order.order_id}", owner_id=shop.owner_id,
                                    shop_id=shop.shop_id, kind="RETURN_STATUS", order_id=order.order_id,
                                    status="received", body="{}"))
    reads: list[int] = []
    worker = threading.Thread(target=lambda: reads.append(drain(engine, vault, shop)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the drain re-reads the order while the return push waits"
    assert reads == [1]
    assert event_row(engine, pks[0]).status == "applied" and row(engine, key).raw_status == raw


def test_a_push_finding_the_shop_drained_elsewhere_is_picked_up(engine, world) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "tiktok")
    shop = shops[key[:2]]
    pks = push(engine, sandbox, order, raw, int(sandbox.state.now))
    held = acquire(engine, f"push:{shop.id}", holder="otherhost:1:1")  # another machine's worker
    assert drain(engine, vault, shop) == 0
    assert event_row(engine, pks[0]).status == "received"
    with session_scope(engine) as session:
        held.release_in(session)
    assert drain(engine, vault, shop) == 1  # what the holder does once it looks again
    assert event_row(engine, pks[0]).status == "applied" and row(engine, key).raw_status == raw


def test_a_drain_told_its_push_is_pending_re_reads_it_once_and_stops(engine, world) -> None:
    """``drain(pending=True)`` (``apply`` has just read its push still to re-read) skips its first look
    only: it re-reads the batch, then looks again and returns; told so with nothing pending, it returns."""
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "tiktok")
    shop = shops[key[:2]]
    pks = push(engine, sandbox, order, raw, int(sandbox.state.now))
    reads: list[int] = []
    for _ in range(2):
        worker = threading.Thread(target=lambda: reads.append(drain(engine, vault, shop, pending=True)), daemon=True)
        worker.start()
        worker.join(timeout=120)
        assert not worker.is_alive(), "the drain did not stop"
    assert reads == [1, 0]
    assert event_row(engine, pks[0]).status == "applied" and row(engine, key).raw_status == raw


def test_a_push_whose_worker_died_is_re_read_by_the_recovery_job(engine, world) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "lazada")
    pks = push(engine, sandbox, order, raw, int(sandbox.state.now))  # stored; its worker never ran
    received = event_row(engine, pks[0]).received_at
    assert resume_stalled(engine, vault, now=received + STALLED_AFTER) == 0  # too recent: its worker may still be on it
    later = received + STALLED_AFTER + timedelta(seconds=1)
    assert resume_stalled(engine, vault, now=later) == 1
    with Session(engine) as session:
        statuses = set(session.scalars(select(WebhookEventRow.status).where(WebhookEventRow.id.in_(pks))))
    assert statuses == {"applied"} and row(engine, key).raw_status == raw


def test_a_drain_failing_after_the_push_was_applied_keeps_its_outcome(engine, world, monkeypatch) -> None:
    """A drain that applies this push in one batch and then fails in a later one: the push stays
    'applied' with its detail, not 'failed' over the outcome it already had."""
    import aggregator.webhooks as webhooks

    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "shopee")
    (pk,) = push(engine, sandbox, order, raw, int(sandbox.state.now))

    def drain_then_fail(*args, **kwargs):
        drain(*args, **kwargs)
        raise RuntimeError("a later batch failed")

    monkeypatch.setattr(webhooks, "drain", drain_then_fail)
    pool = TransportPool()
    try:
        assert apply(engine, vault, pk, pool) == "applied"
    finally:
        pool.close()
    stored = event_row(engine, pk)
    assert stored.status == "applied" and "re-read: updated 1" in stored.detail, (stored.status, stored.detail)
    assert row(engine, key).raw_status == raw


def receive_push(engine, sandbox, vault, platform: str, message: dict):
    """A signed push through ``receive`` (verify, decode, write what it says, store once), committed."""
    body = json.dumps(message, separators=(",", ":")).encode()
    url = f"http://testserver/webhooks/{platform}"
    with session_scope(engine) as session:
        return receive(session, vault, platform, body, sign_message(sandbox.state, platform, url, body), url)


def order_events(engine, key) -> list[WebhookEventRow]:
    with Session(engine) as session:
        return session.scalars(select(WebhookEventRow).where(
            WebhookEventRow.platform == key[0], WebhookEventRow.shop_id == key[1], WebhookEventRow.order_id == key[2])
            .order_by(WebhookEventRow.id)).all()


def test_a_received_push_is_visible_at_once_stored_once_and_a_redelivery_changes_nothing(engine, world) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "shopee")
    message = status_messages(sandbox.state, order, raw, int(sandbox.state.now))[0]
    first = receive_push(engine, sandbox, vault, "shopee", message)
    assert not first.duplicate and first.to_apply == (first.event_pk,)
    assert row(engine, key).raw_status == raw  # visible when the push is answered: no call made
    again = receive_push(engine, sandbox, vault, "shopee", message)  # at-least-once delivery
    assert again.duplicate and again.to_apply == ()
    events = order_events(engine, key)
    assert [(e.id, e.status) for e in events] == [(first.event_pk, "received")]  # its re-read still to come
    assert events[0].detail.startswith(FROM_PUSH)
    with Session(engine) as session:
        audited = session.scalars(select(AuditEntry).where(AuditEntry.entity == "orders",
                                                           AuditEntry.entity_key == "|".join(key))
                                  .where(AuditEntry.actor == "webhook")).all()
        told = session.scalars(select(OutboxEventRow).where(OutboxEventRow.key == "|".join(key),
                                                            OutboxEventRow.topic == "order.status_changed")).all()
    assert len(audited) == 1 and len(told) == 1  # the re-delivery wrote nothing
    pool = TransportPool()
    try:
        assert apply(engine, vault, first.event_pk, pool) == "applied"
    finally:
        pool.close()
    assert row(engine, key).raw_status == raw


def test_an_older_push_received_after_a_newer_one_loses(engine, world) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "tiktok")
    now = int(sandbox.state.now)
    newer = receive_push(engine, sandbox, vault, "tiktok", status_messages(sandbox.state, order, raw, now)[0])
    older_raw = "CANCELLED" if raw != "CANCELLED" else "DELIVERED"
    older = receive_push(engine, sandbox, vault, "tiktok", status_messages(sandbox.state, order, older_raw, now - 60)[0])
    assert not older.duplicate and older.event_pk != newer.event_pk
    assert row(engine, key).raw_status == raw
    by_id = {e.id: e for e in order_events(engine, key)}
    assert by_id[newer.event_pk].detail.startswith(FROM_PUSH)
    assert by_id[older.event_pk].detail == "older than the stored order or another push of it"


def test_a_push_whose_write_fails_is_still_stored_and_applied_later(engine, world, monkeypatch) -> None:
    """Nothing lost: the order's write fails inside the push's transaction, the event is stored alone
    (not looked at: no detail) and its apply writes and re-reads the order."""
    import aggregator.push_apply as push_apply

    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "lazada")
    before = row(engine, key).raw_status
    messages = status_messages(sandbox.state, order, raw, int(sandbox.state.now))
    real = push_apply._status

    def failing(*args, **kwargs):
        raise RuntimeError("the order's write failed")

    monkeypatch.setattr(push_apply, "_status", failing)
    received = [receive_push(engine, sandbox, vault, "lazada", message) for message in messages]
    assert all(not r.duplicate for r in received)
    assert row(engine, key).raw_status == before
    assert [(e.status, e.detail) for e in order_events(engine, key)] == [("received", None)] * len(messages)
    monkeypatch.setattr(push_apply, "_status", real)
    pool = TransportPool()
    try:
        statuses = [apply(engine, vault, r.event_pk, pool) for r in received]
    finally:
        pool.close()
    assert set(statuses) == {"applied"} and row(engine, key).raw_status == raw


def test_a_tracking_push_received_while_its_order_is_re_read_is_not_overwritten(engine, world, monkeypatch) -> None:
    """Shopee sends a code 3 then a code 4 per package: the code 4 can commit while the drain reads the
    order for the code 3. Written from its body and closed at once, it must not be overwritten by that
    read, made before the number was assigned: its order is left to the next batch like any order pushed
    meanwhile."""
    import aggregator.sync.marketplace as marketplace

    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "shopee" and m[2].packages
                           and all(p.tracking_number for p in m[2].packages))
    package = order.packages[0]
    order_pk = row(engine, key).id
    with session_scope(engine) as session:  # the number not assigned when the order was last read
        session.execute(update(OrderPackageRow).where(OrderPackageRow.order_pk == order_pk).values(tracking_number=None))
        session.execute(update(OrderLineRow).where(OrderLineRow.order_pk == order_pk).values(tracking_number=None))
    status_pk, = push(engine, sandbox, order, raw, int(sandbox.state.now))
    real, reads, tracking = marketplace.read_orders, [], []

    def read_then_tracking_push(*args, **kwargs):
        pulled = real(*args, **kwargs)
        reads.append(args[3])
        if len(reads) == 1:  # the read saw no number yet; the code 4 commits before its write
            pulled = [dataclasses.replace(p, result=dataclasses.replace(p.result, record=dataclasses.replace(
                p.result.record, packages=tuple(dataclasses.replace(k, tracking_number=None)
                                                for k in p.result.record.packages),
                lines=tuple(dataclasses.replace(line, tracking_number=None) for line in p.result.record.lines))))
                      if p.result.record is not None and p.result.record.order_id == key[2] else p for p in pulled]
            message = {"data": {"ordersn": order.order_id, "forder_id": "", "package_number": package.package_id,
                                "tracking_no": package.tracking_number}, "shop_id": int(key[1]), "code": 4,
                       "timestamp": int(sandbox.state.now)}
            tracking.append(receive_push(engine, sandbox, vault, "shopee", message).event_pk)
        return pulled

    monkeypatch.setattr(marketplace, "read_orders", read_then_tracking_push)
    pool = TransportPool()
    try:
        apply(engine, vault, status_pk, pool)
    finally:
        pool.close()
    assert event_row(engine, tracking[0]).status == "applied"  # written from its body, closed
    with Session(engine) as session:
        number = session.scalar(select(OrderPackageRow.tracking_number).where(
            OrderPackageRow.order_pk == order_pk, OrderPackageRow.package_id == package.package_id))
    assert number == package.tracking_number, (number, reads)
    assert event_row(engine, status_pk).status == "applied" and row(engine, key).raw_status == raw
