"""A matching run tells live clients what it changed, in its own transaction: ``links.changed`` for each
partition whose links changed (added, removed, stored now), ``title.changed`` for each partition whose title
events were appended or retracted, ``exception.opened`` / ``exception.resolved`` for matching exceptions.
A run that changes nothing tells nothing. Delivered events are pruned by age, never the latest (positions
go on from it)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from aggregator.events.outbox import latest_position, prune, read_after, sequence
from aggregator.store.db import session_scope
from aggregator.store.models.events import OutboxEventRow
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.matching import MatchLinkRow, TitleEventRow
from aggregator.store.models.warehouse import WarehouseShipmentRow
from tests.matching.db_story import cli_run, load_story
from tests.matching.story import FIXTURES

POLICY = str(FIXTURES / "matching" / "story_title_policy.toml")
W = "LUMINA-HK|MYPKG-WH01|"


def _topics(engine, after: int = 0) -> tuple[Counter, list]:
    with session_scope(engine) as session:
        while sequence(session):
            pass
    with session_scope(engine) as session:
        rows = read_after(session, after, owner_id=None, limit=100_000)
        return Counter(r.topic for r in rows if r.topic not in ("order.created", "order.status_changed")), rows


def test_a_matching_run_emits_its_links_title_events_and_exceptions(engine, tmp_path) -> None:
    load_story(engine, tmp_path)
    before = _topics(engine)[1]
    start = before[-1].position if before else 0
    assert cli_run(engine, tmp_path, "match", "--policy", POLICY).exit_code == 0
    counts, rows = _topics(engine, start)
    with session_scope(engine) as session:
        links = session.scalar(select(func.count()).select_from(MatchLinkRow))
        title = session.scalar(select(func.count()).select_from(TitleEventRow))
        opened = session.scalar(select(func.count()).select_from(ExceptionItem).where(ExceptionItem.queue == "match"))
        per_partition = dict(session.execute(select(MatchLinkRow.partition, func.count()).group_by(
            MatchLinkRow.partition)).all())
    told = {r.key: r.data for r in rows if r.topic == "links.changed"}
    assert counts["links.changed"] == len(told) == len(per_partition)  # one per partition, not one per link
    assert {k: (d["added"], d["removed"], d["links"]) for k, d in told.items()} == {
        k: (n, 0, n) for k, n in per_partition.items()}
    assert all(r.data["partition"] == r.key for r in rows if r.topic in ("links.changed", "title.changed"))
    titled = [r.data for r in rows if r.topic == "title.changed"]
    assert sum(d["added"] for d in titled) == title and counts["title.changed"] == len(titled) < title
    assert counts["exception.opened"] == opened
    assert {r.owner_id for r in rows} == {"LUMINA-HK"}
    last = rows[-1].position

    assert cli_run(engine, tmp_path, "match", "--policy", POLICY).exit_code == 0  # nothing changed
    assert _topics(engine, last)[0] == Counter()

    # the returned order's outbound loses its order id: an exception opens, links go; a manual link resolves it
    with session_scope(engine) as session:
        row = session.execute(select(WarehouseShipmentRow).where(
            WarehouseShipmentRow.wms_outbound_no == "OC900260315000007")).scalar_one()
        row.order_id, row.package_id, row.tracking_number = None, None, None
    assert cli_run(engine, tmp_path, "match", "--policy", POLICY).exit_code == 0
    counts, rows = _topics(engine, last)
    opened = [r for r in rows if r.topic == "exception.opened"]
    assert sorted(r.data["kind"] for r in opened) == ["order_without_shipment", "shipment_without_order"]
    assert {r.data["queue"] for r in opened} == {"match"}
    assert any(r.data["retracted"] > 0 for r in rows if r.topic == "title.changed")
    assert any(r.data["removed"] > 0 for r in rows if r.topic == "links.changed")
    last = rows[-1].position
    exception_id = next(r.data["id"] for r in opened if r.data["kind"] == "shipment_without_order")
    target = "LAZADA|LAZADA-MY-100987|8812345679999|8812345679901"
    assert cli_run(engine, tmp_path, "match", "link", "--owner", "LUMINA-HK", "--step", "order_shipment",
                   "--left", target, "--right", W + "OC900260315000007|1", "--qty", "1", "--note", "ticket 17",
                   "--resolves", str(exception_id)).exit_code == 0
    assert cli_run(engine, tmp_path, "match", "--policy", POLICY).exit_code == 0
    counts, rows = _topics(engine, last)
    resolved = {r.key: r.data["status"] for r in rows if r.topic == "exception.resolved"}
    assert resolved[str(exception_id)] == "resolved"  # by the manual link, when it was recorded
    assert "gone" in resolved.values()  # the order's own exception: the link gave it its shipment
    # the manual link counts in its order's shop partition
    assert any(r.topic == "links.changed" and r.key == "shop|LUMINA-HK|LAZADA|LAZADA-MY-100987"
               and r.data["added"] >= 1 for r in rows)


def test_prune_keeps_recent_waiting_and_the_latest_event(engine) -> None:
    old = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with session_scope(engine) as session:
        for n in range(5):
            session.add(OutboxEventRow(owner_id="A", topic="run.finished", key=str(n), data={}, created_at=old))
    with session_scope(engine) as session:
        sequence(session)
        session.add(OutboxEventRow(owner_id="A", topic="run.finished", key="waiting", data={}, created_at=old))
        session.add(OutboxEventRow(owner_id="A", topic="run.finished", key="recent", data={}))
    with session_scope(engine) as session:
        top = latest_position(session)
        assert prune(session, old + timedelta(days=1), batch=2) == 4  # all old delivered ones but the latest
    with session_scope(engine) as session:
        kept = {r.key for r in session.scalars(select(OutboxEventRow))}
        assert kept == {"4", "waiting", "recent"} and latest_position(session) == top
        sequence(session)
        assert latest_position(session) == top + 2  # positions go on, never restart
