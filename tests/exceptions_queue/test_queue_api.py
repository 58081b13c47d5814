"""One exceptions queue over the API: parked records, match exceptions and settlement findings in one list
(filters, keyset pages), one item with its candidates, resolve and retry with their refusals, owner scoping,
and the events each change tells."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from sqlalchemy import select, update

from aggregator.exceptions_queue.writes import park, store_match_exceptions
from aggregator.settlement.exceptions import clear_finding, raise_finding
from aggregator.store.db import session_scope
from aggregator.store.models.events import OutboxEventRow
from aggregator.store.models.exceptions import ExceptionItem
from matching.exceptions import EXCEPTION_COLUMNS
from tests.api.conftest import OPERATOR_KEY, World, world  # noqa: F401 - the two-owner API world

A = "BRAND-A"
PART = f"wh|{A}|WH1"


def match_frame(*rows: dict) -> pd.DataFrame:
    base = {"step": "receipt_transport_doc", "owner_id": A, "partition": PART, "record_kind": "receipt",
            "related_keys": "", "qty": 0}
    return pd.DataFrame([{**base, **r} for r in rows], columns=EXCEPTION_COLUMNS)


AMBIGUOUS = {"exception_id": "amb1", "reason": "ambiguous", "record_key": f"{A}|WH1|ASN1",
             "related_keys": f"{A}|HBL1 {A}|HBL2", "detail": "several house bills fit: HBL1 HBL2"}
UNLINKED = {"exception_id": "unl1", "reason": "unlinked_receipt", "record_key": f"{A}|WH1|ASN2",
            "detail": "no transport document matches"}

LINE = {"exception_id": "lin1", "reason": "unmatched_receipt_line", "record_kind": "receipt_line",
        "record_key": f"{A}|WH1|ASN3|1", "detail": "no bill line carries it"}


@pytest.fixture
def queue(world: World, engine) -> dict[str, int]:
    """One item of each queue for owner A, one parked record for owner B."""
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        parked = park(session, owner_id=A, source="shopee:orders", kind="mapping_error", reason="no currency",
                      raw_payload={"order_sn": "A9", "access_token": "secret-token"}, record_key="111:A9")
        other = park(session, owner_id="BRAND-B", source="shopee:orders", kind="mapping_error", reason="bad",
                     raw_payload={}, record_key="222:B9")
        raise_finding(session, owner_id=A, kind="statement_mismatch", key="shopee|111|S1", reason="lines sum to 9",
                      details={"declared": "10"})
        store_match_exceptions(session, match_frame(AMBIGUOUS, UNLINKED), {PART}, now)
        ids = {i.kind: i.id for i in session.scalars(select(ExceptionItem))}
        ids["other"] = other.id
        ids["parked"] = parked.id
    return ids


def admin(world: World, **params):
    return {"headers": {"Authorization": f"Bearer {OPERATOR_KEY}"}, "params": params}


def viewer(world: World, **params):
    return {"headers": {"Authorization": f"Bearer {world.key_a}"}, "params": params}


def test_one_list_with_filters_and_keyset_pages(world: World, queue) -> None:
    client = world.client
    every = client.get("/api/v1/exceptions", **viewer(world)).json()
    assert [(i["queue"], i["kind"]) for i in every["items"]] == [
        ("match", "unlinked_receipt"), ("match", "ambiguous"), ("settlement", "statement_mismatch"),
        ("parked", "mapping_error")]
    assert every["count"] == 4 and "BRAND-B" not in str(every)
    assert [i["id"] for i in every["items"]] == sorted((i["id"] for i in every["items"]), reverse=True)
    kinds = {k: [i["kind"] for i in client.get("/api/v1/exceptions", **viewer(world, kind=k)).json()["items"]]
             for k in ("match", "settlement", "parked", "unlinked_receipt")}
    assert sorted(kinds["match"]) == ["ambiguous", "unlinked_receipt"]
    assert kinds["settlement"] == ["statement_mismatch"] and kinds["parked"] == ["mapping_error"]
    assert kinds["unlinked_receipt"] == ["unlinked_receipt"]
    assert client.get("/api/v1/exceptions", **viewer(world, older_than="1h")).json()["count"] == 0
    assert client.get("/api/v1/exceptions", **viewer(world, newer_than="1h")).json()["count"] == 4
    typo = client.get("/api/v1/exceptions", **viewer(world, kind="maping_error"))
    assert typo.status_code == 422 and "no item has kind 'maping_error'" in typo.text
    assert "kinds in the queue: ambiguous, mapping_error, statement_mismatch, unlinked_receipt" in typo.text
    bad = client.get("/api/v1/exceptions", **viewer(world, older_than="soon"))
    assert bad.status_code == 422 and "e.g. 90s, 15m, 6h, 3d or 2w" in bad.text
    first = client.get("/api/v1/exceptions", **viewer(world, limit=3)).json()
    second = client.get("/api/v1/exceptions", **viewer(world, limit=3, cursor=first["next_cursor"])).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in every["items"]]
    assert second["next_cursor"] is None
    reused = client.get("/api/v1/exceptions", **viewer(world, limit=3, kind="match", cursor=first["next_cursor"]))
    assert reused.status_code == 422  # a cursor only pages the list it came from



@pytest.mark.parametrize("params", [{"older_than": "999999w"}, {"newer_than": "999999d"}, {"older_than": "800000d"},
                                    {"older_than": "36526d"}])
def test_an_age_beyond_any_item_is_422_naming_the_limit(world: World, queue, params: dict) -> None:
    """An age that would reach before year 1 (``now - age`` overflows ``datetime``) is refused, as is any beyond
    the stated limit: a 422 naming it, never a 500."""
    reply = world.client.get("/api/v1/exceptions", **viewer(world, **params))
    assert reply.status_code == 422, reply.text
    assert "at most 36525 days" in reply.json()["detail"]


def test_an_age_up_to_the_limit_is_a_filter(world: World, queue) -> None:
    for age in ("36525d", "5217w", "876600h"):
        assert world.client.get("/api/v1/exceptions", **viewer(world, older_than=age)).json()["count"] == 0
        assert world.client.get("/api/v1/exceptions", **viewer(world, newer_than=age)).json()["count"] == 4
    arabic = world.client.get("/api/v1/exceptions", **viewer(world, older_than="\u0663d"))  # '٣d': not ASCII digits
    assert arabic.status_code == 422 and "e.g. 90s, 15m, 6h, 3d or 2w" in arabic.text

def test_show_has_the_candidates_and_the_redacted_payload_and_hides_other_owners(world: World, queue) -> None:
    client = world.client
    shown = client.get(f"/api/v1/exceptions/{queue['ambiguous']}", **viewer(world)).json()
    why = "fits equally (the matcher would not choose)"
    assert shown["candidates"] == [{"key": f"{A}|HBL1", "kind": "transport_document", "why": why},
                                   {"key": f"{A}|HBL2", "kind": "transport_document", "why": why}]
    unlinked = client.get(f"/api/v1/exceptions/{queue['unlinked_receipt']}", **viewer(world)).json()
    assert unlinked["candidates"] == []  # its receipt is not in the store: nothing to compare with
    assert shown["ref"] == "amb1" and shown["step"] == "receipt_transport_doc"
    parked = client.get(f"/api/v1/exceptions/{queue['parked']}", **viewer(world)).json()
    assert parked["candidates"] == [] and "secret-token" not in str(parked) and parked["raw_payload"]["order_sn"] == "A9"
    assert client.get(f"/api/v1/exceptions/{queue['other']}", **viewer(world)).status_code == 404
    assert client.get("/api/v1/exceptions/999999", **viewer(world)).status_code == 404


def test_resolve_and_retry_with_their_refusals(world: World, queue, engine) -> None:
    client = world.client
    url = f"/api/v1/exceptions/{queue['statement_mismatch']}/resolve"
    assert client.post(url, json={"note": "checked"}, **viewer(world)).status_code == 403  # a viewer only reads
    scoped = client.post(url, json={"note": "checked"}, **admin(world, owner="BRAND-B"))
    assert scoped.status_code == 404  # another owner's item is not found
    assert client.post(url, json={"note": ""}, **admin(world)).status_code == 422
    done = client.post(url, json={"note": "Shopee support ticket 42"}, **admin(world))
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["resolution"], done.json()["resolved_by"]) == (
        "resolved", "Shopee support ticket 42", "operator-key")
    again = client.post(url, json={"note": "again"}, **admin(world))
    assert again.status_code == 409 and "already resolved" in again.json()["detail"]
    link_on_parked = client.post(f"/api/v1/exceptions/{queue['parked']}/resolve",
                                 json={"note": "x", "link": f"{A}|HBL1"}, **admin(world))
    assert link_on_parked.status_code == 409 and "only match exceptions" in link_on_parked.json()["detail"]
    bogus = client.post(f"/api/v1/exceptions/{queue['ambiguous']}/resolve",
                        json={"note": "x", "link": f"{A}|HBL1"}, **admin(world))
    assert bogus.status_code == 409 and "has no lines" in bogus.json()["detail"]  # the receipt is not in the store
    # a refusal names the body's fields, never the CLI's flags
    with session_scope(engine) as session:
        store_match_exceptions(session, match_frame(AMBIGUOUS, UNLINKED, LINE), {PART}, datetime.now(timezone.utc))
        queue = {**queue, "unmatched_receipt_line": session.scalar(
            select(ExceptionItem.id).where(ExceptionItem.kind == "unmatched_receipt_line"))}
    line = client.post(f"/api/v1/exceptions/{queue['unmatched_receipt_line']}/resolve",
                       json={"note": "x", "link": f"{A}|HBL9"}, **admin(world))
    # no quantity given or stored, but the link is wrong: the link is refused first (not "qty is needed")
    assert line.status_code == 422 and line.json()["detail"].startswith("manual link refused: "), line.text
    assert f"link '{A}|HBL9' names no transport document" in line.json()["detail"] and "qty" not in line.json()["detail"]
    line = client.post(f"/api/v1/exceptions/{queue['unmatched_receipt_line']}/resolve",
                       json={"note": "x", "link": f"{A}|HBL9", "qty": 2}, **admin(world))
    assert line.status_code == 422 and line.json()["detail"].startswith("manual link refused: "), line.text
    assert f"; link '{A}|HBL9' names no transport document of owner '{A}'" in line.json()["detail"]
    assert f"the exception's record '{A}|WH1|ASN3|1' names no receipt line" in line.json()["detail"]
    assert "--" not in line.json()["detail"]
    retried = client.post(f"/api/v1/exceptions/{queue['unlinked_receipt']}/retry", **admin(world))
    assert retried.status_code == 409 and "aggregator match --owner BRAND-A" in retried.json()["detail"]
    with session_scope(engine) as session:
        assert session.get(ExceptionItem, queue["ambiguous"]).status == "open"  # nothing written by a refusal


def test_the_matchers_exceptions_keep_their_row_go_and_come_back_and_tell_live_clients(world: World, queue,
                                                                                      engine) -> None:
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    with session_scope(engine) as session:
        store_match_exceptions(session, match_frame(UNLINKED), {PART}, later)  # the ambiguity is gone
        clear_finding(session, key="shopee|111|S1", note="lines now sum to 10")
    with session_scope(engine) as session:
        status = {i.kind: i.status for i in session.scalars(select(ExceptionItem).where(ExceptionItem.owner_id == A))}
    assert status == {"ambiguous": "gone", "unlinked_receipt": "open", "statement_mismatch": "resolved",
                      "mapping_error": "open"}
    with session_scope(engine) as session:
        store_match_exceptions(session, match_frame(UNLINKED, AMBIGUOUS), {PART}, later)  # found again
        ids = {i.kind: i.id for i in session.scalars(select(ExceptionItem).where(ExceptionItem.queue == "match"))}
        events = session.execute(select(OutboxEventRow.topic, OutboxEventRow.key).where(
            OutboxEventRow.owner_id == A, OutboxEventRow.topic.like("exception.%")).order_by(OutboxEventRow.id)).all()
    assert ids == {k: queue[k] for k in ("ambiguous", "unlinked_receipt")}  # stable ids
    amb, unl, fin = str(queue["ambiguous"]), str(queue["unlinked_receipt"]), str(queue["statement_mismatch"])
    assert [e for e in events if e.key in (amb, unl, fin)] == [
        ("exception.opened", fin), ("exception.opened", amb), ("exception.opened", unl),
        ("exception.resolved", amb), ("exception.resolved", fin), ("exception.opened", amb)]


def _blocked_on_a_lock(pg_engine, thread, patience: float = 60.0) -> bool:
    """Whether a backend of this database comes to wait on a lock (``pg_stat_activity``) while ``thread``
    runs: seen by the server, not guessed from how long the thread took (``patience`` only bounds a hang)."""
    import time

    from sqlalchemy import text

    deadline = time.monotonic() + patience
    with pg_engine.connect() as conn:
        while thread.is_alive() and time.monotonic() < deadline:
            if conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar():
                return True
            conn.rollback()
            time.sleep(0.02)
    return False


def test_two_people_resolving_one_item_act_one_after_the_other(pg_engine) -> None:
    """On PostgreSQL the second resolver waits for the first's commit, then sees it closed and is refused."""
    import threading

    from aggregator.exceptions_queue.actions import QueueRefusal, resolve
    from aggregator.exceptions_queue.queries import get_item
    from aggregator.store.db import session_factory

    with session_scope(pg_engine) as session:
        item_id = park(session, owner_id=None, source="import:outbound", kind="mapping_error", reason="bad row",
                       raw_payload={}).id
    first = session_factory(pg_engine)()
    resolve(first, get_item(first, item_id, for_update=True), note="first", actor="ana")  # holds the row lock
    outcome: list[str] = []

    def second() -> None:
        with session_scope(pg_engine) as session:
            try:
                resolve(session, get_item(session, item_id, for_update=True), note="second", actor="ben")
                outcome.append("resolved")
            except QueueRefusal as exc:
                outcome.append(str(exc))

    waiting = threading.Thread(target=second)
    waiting.start()
    assert _blocked_on_a_lock(pg_engine, waiting)  # the second resolver waits for the first's row lock
    assert waiting.is_alive() and outcome == []
    first.commit()
    first.close()
    waiting.join(timeout=60)
    assert not waiting.is_alive()
    assert outcome == [f"exception #{item_id} is already resolved (first)"]
    with session_scope(pg_engine) as session:
        assert (session.get(ExceptionItem, item_id).resolved_by,
                session.get(ExceptionItem, item_id).resolution) == ("ana", "first")


def test_a_resolution_is_committed_before_it_is_answered(world: World, queue, engine) -> None:
    """The resolve answer comes after its commit: a commit that fails is never answered 'resolved'."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def refuse_commit(session: Session) -> None:
        raise RuntimeError("the database went away at commit")

    client = TestClient(world.client.app, raise_server_exceptions=False)
    event.listen(Session, "before_commit", refuse_commit)
    try:
        answer = client.post(f"/api/v1/exceptions/{queue['statement_mismatch']}/resolve",
                             json={"note": "checked"}, **admin(world))
    finally:
        event.remove(Session, "before_commit", refuse_commit)
    assert answer.status_code == 500 and "resolved" not in answer.text
    with session_scope(engine) as session:
        assert session.get(ExceptionItem, queue["statement_mismatch"]).status == "open"
