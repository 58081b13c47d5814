"""GET /api/v1/events: Server-Sent Events of the key's owner only, live from another process's writes
(a commit on its own connection) and resumable with Last-Event-ID."""
from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta

import httpx
import pytest

from aggregator.api.app import create_app
from aggregator.store.db import session_scope
from aggregator.store.marketplace_writer import write_order
from platform_adapters.canonical import OrderStatus
from tests.api.conftest import World, seed
from tests.api.server import serving
from tests.store.factories import T0, make_order


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def parse(lines) -> list[dict]:
    """SSE events (id, event, data) from an iterator of lines; stops at the first empty line after data."""
    event: dict = {}
    for line in lines:
        if not line:
            if "data" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            field, _, value = line.partition(":")
            event[field] = value.lstrip(" ")


def test_catch_up_read_is_scoped_and_resumable(world: World) -> None:
    page = world.client.get("/api/v1/events?after=0&follow=false", headers=auth(world.key_a))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/event-stream")
    events = list(parse(page.text.splitlines()))
    assert [json.loads(e["data"])["key"] for e in events] == ["shopee|111|A0", "shopee|111|A1", "shopee|111|A2"]
    assert {json.loads(e["data"])["owner_id"] for e in events} == {"BRAND-A"}
    rest = world.client.get("/api/v1/events?follow=false", headers={**auth(world.key_a),
                                                                      "Last-Event-ID": events[0]["id"]})
    assert [e["id"] for e in parse(rest.text.splitlines())] == [e["id"] for e in events[1:]]
    b = list(parse(world.client.get("/api/v1/events?after=0&follow=false", headers=auth(world.key_b)).text.splitlines()))
    assert [json.loads(e["data"])["key"] for e in b] == ["shopee|222|B0"]


@pytest.mark.parametrize("query,headers", [("topics=order.exploded", {}), ("after=-1", {}),
                                           ("", {"Last-Event-ID": "abc"}), ("", {"Last-Event-ID": "9" * 30})])
def test_bad_stream_requests_are_422(world: World, query: str, headers: dict) -> None:
    reply = world.client.get(f"/api/v1/events?follow=false&{query}", headers={**auth(world.key_a), **headers})
    assert reply.status_code == 422 and reply.headers["content-type"] == "application/problem+json"


def test_live_events_arrive_from_another_connection_for_the_owner_only(engine, monkeypatch) -> None:
    """The stream is woken by the outbox watcher: its own re-read after a quiet ``HEARTBEAT`` is put out of
    reach, so an event that arrives at all arrived live (the client's 60 s read timeout only bounds a hang)."""
    from aggregator.api.routes import events as events_route

    monkeypatch.setattr(events_route, "HEARTBEAT", 3600.0)
    key_a, _ = seed(engine)
    app = create_app(engine)
    received: list[dict] = []
    with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        connected = threading.Event()

        def write_later() -> None:
            # (the stream's cursor is fixed before its answer's headers: what commits after them is news)
            assert connected.wait(60)
            with session_scope(engine) as session:  # another owner first, then ours
                write_order(session, make_order("B0", shop_id="222", updated=T0 + timedelta(days=1),
                                                status=OrderStatus.SHIPPED), "BRAND-B")
            with session_scope(engine) as session:
                write_order(session, make_order("A9", shop_id="111"), "BRAND-A")

        writer = threading.Thread(target=write_later)
        writer.start()
        try:
            with client.stream("GET", "/api/v1/events", headers=auth(key_a)) as stream:
                assert stream.status_code == 200
                connected.set()
                for event in parse(stream.iter_lines()):
                    received.append(event)
                    break
        finally:
            connected.set()
            writer.join(timeout=60)
    data = json.loads(received[0]["data"])
    assert received[0]["event"] == "order.created" and data["key"] == "shopee|111|A9" and data["owner_id"] == "BRAND-A"


def _raw_get(base: str, path: str, head: bytes) -> tuple[int, bytes]:
    """A GET written byte for byte on a socket (HTTP clients re-encode header values): status and body."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + head + b"Connection: close\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status_line, _, rest = reply.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("value", [b"\xb2", b"1\xb9", b"12\xb3", b"\xb9" * 19])
def test_a_last_event_id_of_non_ascii_digits_is_422(engine, value: bytes) -> None:
    """A header byte such as 0xB2 reaches the route as '²' (latin-1), a character ``str.isdigit`` takes for a
    digit and ``int`` refuses: the cursor is refused like any other bad one, never a 500."""
    key_a, _ = seed(engine)
    with serving(create_app(engine)) as base:
        status, body = _raw_get(base, "/api/v1/events?follow=false",
                                b"Authorization: Bearer " + key_a.encode() + b"\r\nLast-Event-ID: " + value + b"\r\n")
    assert status == 422, body
    assert b"Last-Event-ID must be the id of an event from this stream" in body
