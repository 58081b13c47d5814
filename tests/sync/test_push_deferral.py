"""A sync page read before a push arrived never writes over what the push stored (``sync.push_deferral``),
on SQLite and PostgreSQL, with a real interleaving: the sync reads the page, a signed push is received and
committed, then the page is written.

* a status push: the push's status stays after the sync (the order is deferred, counted and told); the
  push's re-read then brings the platform's state; nothing is parked; a second sync changes nothing;
* a tracking push closed at once (no re-read of its own): the sync requests a re-read and drains it, so
  the page's other change (the order's new status) reaches the store and the push's number stays.
"""
from __future__ import annotations

import csv
import dataclasses
import io
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import func, select, update
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import aggregator.sync.marketplace as marketplace
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.push_apply import REREAD
from aggregator.store.db import session_scope
from aggregator.api.app import create_app
from aggregator.cli.main import cli
from aggregator.store.models import OrderLineRow, OrderPackageRow, SyncRun
from aggregator.sync.marketplace import refresh_orders, sync_shop
from aggregator.transport_pool import TransportPool
from aggregator.webhooks import apply
from platform_adapters.sandbox.webhooks import status_messages
from tests.api.conftest import OPERATOR_KEY
from tests.webhooks.test_push_apply import event_row, order_events, receive_push, row, world  # noqa: F401  (fixture)


def _sync(engine, sandbox, vault, shop):
    now = datetime.fromtimestamp(sandbox.state.now, timezone.utc)
    return sync_shop(engine, shop, vault, "orders", since=now - timedelta(days=40), now=now, lag=timedelta(0))


def _push_while_read(monkeypatch, order_id: str, push, page=lambda pulled: pulled):
    """The sync's page holding ``order_id`` is read, then ``push()`` is received and committed, then the
    page (``page`` may make its record older) is written."""
    real = marketplace.OrderPuller.pull

    def pull(self, window):
        for pulled in real(self, window):
            if pulled.record_key == order_id:
                push()
                pulled = page(pulled)
            yield pulled

    monkeypatch.setattr(marketplace.OrderPuller, "pull", pull)


def _parked(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(ExceptionItem))


def test_a_page_read_before_a_status_push_does_not_write_over_it(engine, world, monkeypatch, tmp_path) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "shopee" and m[1] != "COMPLETED")
    later = int(sandbox.state.now) + 60
    message = next(m for m in status_messages(sandbox.state, order, "COMPLETED", later) if m.get("code") == 3)
    pushed = []
    _push_while_read(monkeypatch, key[2], lambda: pushed.append(
        receive_push(engine, sandbox, vault, "shopee", message).event_pk))
    parked = _parked(engine)
    summary = _sync(engine, sandbox, vault, shops[key[:2]])

    assert pushed and summary.status == "succeeded", summary.line()
    assert row(engine, key).raw_status == "COMPLETED"  # the push's status stays: the page was read before it
    assert summary.deferred == 1 and summary.rereads_requested == 0  # the status push is re-read anyway
    assert "deferred to a push's re-read 1" in summary.line()
    assert summary.updated >= 1  # the page's other moved orders were written
    assert event_row(engine, pushed[0]).status == "received"
    monkeypatch.undo()
    pool = TransportPool()
    try:
        assert apply(engine, vault, pushed[0], pool) == "applied"  # the push's re-read
    finally:
        pool.close()
    assert row(engine, key).raw_status == raw  # the platform's state, read after the push
    again = refresh_orders(engine, shops[key[:2]], vault, [key[2]])
    assert again.counts["unchanged"] == 1, again.counts  # equal to the platform's state in full
    assert _parked(engine) == parked
    rerun = _sync(engine, sandbox, vault, shops[key[:2]])  # idempotent: nothing left to write or defer
    assert rerun.created == rerun.updated == rerun.deferred == rerun.failed == 0, rerun.line()
    assert row(engine, key).raw_status == raw
    _deferred_is_listed(engine, tmp_path, {summary.run_id: 1, rerun.run_id: 0})


def _deferred_is_listed(engine, tmp_path, wanted: dict[int, int]) -> None:
    """Each run's deferred count is stored on its run row and listed by ``runs list`` and ``/api/v1/runs``."""
    with Session(engine) as session:
        assert {run: session.get(SyncRun, run).deferred for run in wanted} == wanted
    listed = CliRunner().invoke(cli, ["--database-url", engine.url.render_as_string(hide_password=False),
                                      "--data-dir", str(tmp_path / "data"), "runs", "list", "--format", "csv"])
    assert listed.exit_code == 0, listed.output
    rows = {int(r["run"]): r for r in csv.DictReader(io.StringIO(listed.output))}
    assert {run: int(rows[run]["deferred"]) for run in wanted} == wanted
    client = TestClient(create_app(engine, operator_key=OPERATOR_KEY))
    items = client.get("/api/v1/runs?limit=100", headers={"Authorization": f"Bearer {OPERATOR_KEY}"}).json()["items"]
    assert {r["id"]: r["deferred"] for r in items if r["id"] in wanted} == wanted


def test_a_tracking_push_closed_at_once_gets_a_re_read_so_the_page_is_not_lost(engine, world, monkeypatch) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "shopee" and m[2].packages
                           and all(p.tracking_number for p in m[2].packages))
    package = order.packages[0]
    order_pk = row(engine, key).id
    before = row(engine, key).raw_status
    with session_scope(engine) as session:  # the number not assigned when the order was last read
        session.execute(update(OrderPackageRow).where(OrderPackageRow.order_pk == order_pk).values(tracking_number=None))
        session.execute(update(OrderLineRow).where(OrderLineRow.order_pk == order_pk).values(tracking_number=None))
    message = {"data": {"ordersn": order.order_id, "forder_id": "", "package_number": package.package_id,
                        "tracking_no": package.tracking_number}, "shop_id": int(key[1]), "code": 4,
               "timestamp": int(sandbox.state.now)}
    pushed = []

    def numberless(pulled):  # the page was read before the number was assigned
        record = pulled.result.record
        return dataclasses.replace(pulled, result=dataclasses.replace(pulled.result, record=dataclasses.replace(
            record, packages=tuple(dataclasses.replace(k, tracking_number=None) for k in record.packages),
            lines=tuple(dataclasses.replace(line, tracking_number=None) for line in record.lines))))

    _push_while_read(monkeypatch, key[2], lambda: pushed.append(
        receive_push(engine, sandbox, vault, "shopee", message).event_pk), numberless)
    parked = _parked(engine)
    summary = _sync(engine, sandbox, vault, shops[key[:2]])

    assert pushed and event_row(engine, pushed[0]).status == "applied"  # written from its body, closed at once
    assert summary.deferred == 1 and summary.rereads_requested == 1, summary.line()
    requests = [e for e in order_events(engine, key) if e.kind == REREAD]
    assert len(requests) == 1 and requests[0].status == "applied", [(e.kind, e.status, e.detail) for e in requests]
    assert "re-read: updated 1" in requests[0].detail
    # the page's other change (the order's new status) came with the requested re-read; the number stays
    assert before != raw and row(engine, key).raw_status == raw
    with Session(engine) as session:
        number = session.scalar(select(OrderPackageRow.tracking_number).where(
            OrderPackageRow.order_pk == order_pk, OrderPackageRow.package_id == package.package_id))
    assert number == package.tracking_number
    assert _parked(engine) == parked
    monkeypatch.undo()
    again = refresh_orders(engine, shops[key[:2]], vault, [key[2]])
    assert again.counts["unchanged"] == 1, again.counts
    rerun = _sync(engine, sandbox, vault, shops[key[:2]])
    assert rerun.created == rerun.updated == rerun.deferred == rerun.rereads_requested == 0, rerun.line()
    assert [e.id for e in order_events(engine, key) if e.kind == REREAD] == [requests[0].id]


def test_a_push_committing_between_the_look_and_the_write_is_not_overwritten(pg_engine, monkeypatch) -> None:
    """PostgreSQL (SQLite's write transaction holds its one write lock from its start): the push commits
    after the batch looked for pushes and before its write; the write updates the order, looks again,
    finds the push and writes the batch again without that order."""
    engine = pg_engine
    worlds = world.__wrapped__(engine)
    sandbox, vault, shops, moved = next(worlds)
    try:
        key, raw, order = next(m for m in moved if m[0][0] == "shopee" and m[1] != "COMPLETED")
        message = next(m for m in status_messages(sandbox.state, order, "COMPLETED", int(sandbox.state.now) + 60)
                       if m.get("code") == 3)
        writer, batch_writer = marketplace.WRITERS["orders"]
        pushed, written = [], []

        def push_then_write(session, records, owner_id):
            if not pushed and any(r.order_id == key[2] for r in records):
                pushed.append(receive_push(engine, sandbox, vault, "shopee", message).event_pk)
            results = batch_writer(session, records, owner_id)
            written.append({r.order_id: res.outcome.value for r, res in zip(records, results)})
            return results

        monkeypatch.setitem(marketplace.WRITERS, "orders", (writer, push_then_write))
        summary = _sync(engine, sandbox, vault, shops[key[:2]])
        first = next(i for i, batch in enumerate(written) if key[2] in batch)
        assert pushed and written[first][key[2]] == "updated"  # the first write went over the push ...
        assert key[2] not in written[first + 1]  # ... was rolled back, and the batch written again without it
        assert written[first + 1] == {k: v for k, v in written[first].items() if k != key[2]}
        assert summary.deferred == 1 and summary.status == "succeeded", summary.line()
        assert row(engine, key).raw_status == "COMPLETED"
        assert event_row(engine, pushed[0]).status == "received"  # its re-read brings the platform's state
    finally:
        next(worlds, None)
