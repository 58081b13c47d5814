"""FX rates, locks and receivables, and journal / settlement exports as downloads, over the booked
December of ``tests/exports/scenario.py`` (owner LUMINA, and OTHER whose money LUMINA's key never sees):
the downloads are the bytes the export code writes, in every layout, spreadsheet-safe."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from fastapi.testclient import TestClient

from aggregator.api.app import create_app
from aggregator.api.keys import create_key
from aggregator.exports import settlement
from aggregator.exports.files import render_journals
from aggregator.exports.registry import LAYOUTS
from aggregator.store.db import session_scope
from fx.locks import LockState
from tests.api.conftest import OPERATOR_KEY
from tests.exports.scenario import OTHER, OWNER, book_december


@pytest.fixture
def money(engine):
    with session_scope(engine) as session:
        book_december(session)
        _, lumina = create_key(session, role="owner-viewer", owner_id=OWNER)
        _, other = create_key(session, role="owner-viewer", owner_id=OTHER)
        _, ops = create_key(session, role="operations")
    client = TestClient(create_app(engine, operator_key=OPERATOR_KEY))
    return engine, client, {"lumina": lumina, "other": other, "ops": ops}


def _get(client: TestClient, key: str, path: str, **params):
    return client.get(path, params=params, headers={"Authorization": f"Bearer {key}"})


def test_locks_receivables_and_rates(money) -> None:
    _, client, keys = money
    locks = _get(client, keys["lumina"], "/api/v1/fx/locks").json()
    assert [x["lock_id"] for x in locks["items"]] == ["FWD-TH"]
    lock = locks["items"][0]
    assert (lock["pair"], lock["notional"], lock["notional_currency"]) == ("THB/CNY", "50000", "THB")
    assert (lock["used"], lock["remaining"]) == ("12345.67", "37654.33")
    assert lock["state"] in {s.value for s in LockState}  # the state now (the clock decides which)
    detail = _get(client, keys["lumina"], "/api/v1/fx/locks/LUMINA/FWD-TH").json()
    assert len(detail["utilisations"]) == 1 and detail["utilisations"][0]["dealt_currency"] == "THB"
    assert _get(client, keys["other"], "/api/v1/fx/locks/LUMINA/FWD-TH").status_code == 404
    assert _get(client, keys["other"], "/api/v1/fx/locks").json()["items"] == []
    mine = _get(client, keys["lumina"], "/api/v1/fx/receivables").json()["items"]
    assert len(mine) == 3 and {r["owner_id"] for r in mine} == {OWNER}
    for r in mine:  # what is still open: all of it until paid (no part paid here), nothing once settled
        assert (r["open_amount"], r["open_carrying"]) == ((r["original_amount"], r["carrying_amount"])
                                                         if r["settled_on"] is None else ("0", "0"))
    assert len(_get(client, keys["lumina"], "/api/v1/fx/receivables", status="open").json()["items"]) == 1
    theirs = _get(client, keys["other"], "/api/v1/fx/receivables").json()["items"]
    assert [r["owner_id"] for r in theirs] == [OTHER]
    rates = _get(client, keys["lumina"], "/api/v1/fx/rates", base="EUR", quote="THB", limit=5).json()
    assert rates["items"] and all(r["source"] == "ECB" and r["quote"] == "THB" for r in rates["items"])
    assert _get(client, keys["ops"], "/api/v1/fx/locks").status_code == 403  # operations may not read money


def test_journal_downloads_in_every_layout_are_the_exported_bytes(money) -> None:
    engine, client, keys = money
    for layout in sorted(LAYOUTS):
        reply = _get(client, keys["lumina"], "/api/v1/exports/journals", layout=layout, **{"from": "2026-12-01",
                                                                                           "to": "2026-12-31"})
        assert reply.status_code == 200, (layout, reply.text)
        with session_scope(engine) as session:
            expected = render_journals(session, OWNER, layout, date(2026, 12, 1), date(2026, 12, 31))
        if len(expected.payloads) == 1:
            assert reply.content == expected.payloads[0], layout
        else:
            parts = zipfile.ZipFile(io.BytesIO(reply.content))
            assert [parts.read(n) for n in parts.namelist()] == list(expected.payloads), layout
        assert "attachment" in reply.headers["content-disposition"]
        assert b"9990001" not in reply.content and OTHER.encode() not in reply.content, layout
    csv = _get(client, keys["lumina"], "/api/v1/exports/settlement", period="2026-12", format="csv")
    with session_scope(engine) as session:
        rows = settlement.load(session, OWNER, date(2026, 12, 1), date(2026, 12, 31))
    assert csv.status_code == 200 and csv.content == settlement.export_file(rows, "csv", owner_id=OWNER,
                                                                            period="2026-12", last=date(2026, 12, 31))
    xlsx = _get(client, keys["lumina"], "/api/v1/exports/settlement", period="2026-12", format="xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # an unbound staff key names the owner; without one the export is refused with the reason
    assert _get(client, OPERATOR_KEY, "/api/v1/exports/settlement", period="2026-12", format="csv").status_code == 422
    assert _get(client, OPERATOR_KEY, "/api/v1/exports/settlement", period="2026-12", format="csv",
                owner=OWNER).content == csv.content
    backwards = _get(client, keys["lumina"], "/api/v1/exports/journals", layout="csv",
                     **{"from": "2026-12-31", "to": "2026-12-01"})
    assert backwards.status_code == 422 and backwards.headers["content-type"] == "application/problem+json"
