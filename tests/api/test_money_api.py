"""FX rates, locks and receivables, and journal / settlement exports as downloads, over the booked
December of ``tests/exports/scenario.py`` (owner LUMINA, and OTHER whose money LUMINA's key never sees):
the downloads are the bytes the export code writes, in every layout, spreadsheet-safe."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timezone

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


SHOP_900 = "9" * 20  # with S3's id: a recognition journal id of 85 bytes


@pytest.fixture
def refused(engine, tmp_path):
    """An owner whose December journals no single-currency layout holds (S1 booked in CNY, S2 in USD after a
    base-currency change) and whose statement S3's journal id is longer than Kingdee's 80-byte FTRANSID."""
    from decimal import Decimal

    from aggregator.fx_service.statements import recognise_statement
    from aggregator.store.models import SettlementLineRow
    from aggregator.store.models.settlement import StatementRow
    from aggregator.tenancy import add_owner
    from fx.rates import Rate

    at = datetime(2026, 12, 10, tzinfo=timezone.utc)
    with session_scope(engine) as session:
        _, key = add_owner(session, "REFUSED", "Refused Brand", "CNY")
        for statement, day, quote, value in (("S1", 10, "CNY", "1.52"), ("S2", 11, "USD", "0.21"),
                                             ("S3-" + "7" * 50, 12, "CNY", "1.52")):
            session.add(StatementRow(owner_id="REFUSED", platform="shopee", shop_id=SHOP_900, statement_id=statement,
                                     currency="MYR", issued_at=at, declared_total=Decimal("9.00"), breakdown={},
                                     source_updated_at=at, content_hash=statement))
            session.add(SettlementLineRow(owner_id="REFUSED", platform="shopee", shop_id=SHOP_900, statement_id=statement,
                                          transaction_id=f"{statement}-1", kind="REVENUE", amount=Decimal("9.00"),
                                          currency="MYR", occurred_at=at.replace(day=day), order_id="O1",
                                          content_hash=statement, raw_kind="x"))
            session.flush()
            recognise_statement(session, "REFUSED", platform="shopee", shop_id=SHOP_900, statement_id=statement,
                                book_currency=quote, converter=None,
                                at_rate=Rate("MYR", quote, Decimal(value), date(2026, 12, day), "TEST"))
    return engine, TestClient(create_app(engine)), key


@pytest.mark.parametrize("layout, first, last, reason", [
    ("xero", "2026-12-10", "2026-12-11", "a Xero organisation has one base currency"),
    ("quickbooks", "2026-12-10", "2026-12-11", "one QuickBooks company has one home currency"),
    ("kingdee", "2026-12-12", "2026-12-12", "is longer than 80 bytes"),
])
def test_a_layouts_refusal_is_422_with_the_message_the_cli_gives(refused, tmp_path, layout: str, first: str,
                                                                last: str, reason: str) -> None:
    """The route refuses what ``aggregator export journal`` refuses, with the same reason, never a 500."""
    from click.testing import CliRunner

    from aggregator.cli.main import cli

    engine, client, key = refused
    reply = _get(client, key, "/api/v1/exports/journals", layout=layout, **{"from": first, "to": last})
    assert reply.status_code == 422 and reply.headers["content-type"] == "application/problem+json", reply.text
    detail = reply.json()["detail"]
    assert detail.startswith("nothing exported: ") and reason in detail
    url = engine.url.render_as_string(hide_password=False)
    out = tmp_path / f"j.{layout}"
    result = CliRunner().invoke(cli, ["--database-url", url, "--data-dir", str(tmp_path), "export", "journal",
                                      "--owner", "REFUSED", "--format", layout, "--from", first, "--to", last,
                                      "--out", str(out)])
    assert result.exit_code == 1 and detail.removeprefix("nothing exported: ") in result.output, result.output
    assert not out.exists()
