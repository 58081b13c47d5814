"""A statement's detail lists its own journals only (``GET /api/v1/settlements/statements/…`` and
``aggregator settlements statements show``): its recognition and its settlements, never those of a statement
whose id holds its own (``S1`` in ``S10``), nor of one its id matches as a pattern (``S_1`` against ``SX1``),
nor of one whose id extends it past a ``:`` (``S1:B``)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

from click.testing import CliRunner
from fastapi.testclient import TestClient

from aggregator.api.app import create_app
from aggregator.cli.main import cli
from aggregator.fx_service.receivables import settle_at_actual
from aggregator.fx_service.statements import recognise_statement
from aggregator.store.db import session_scope
from aggregator.store.models import SettlementLineRow, ShopRow
from aggregator.store.models.settlement import StatementRow
from aggregator.tenancy import add_owner
from fx.money import Money
from fx.rates import Rate

AT = datetime(2026, 10, 20, tzinfo=timezone.utc)
STATEMENTS = ("S1", "S10", "SX1", "S_1", "S1:B", "S%1")


def _book(engine) -> str:
    with session_scope(engine) as session:
        _, key = add_owner(session, "BRAND-A", "Brand A", "CNY")
        session.add(ShopRow(owner_id="BRAND-A", platform="shopee", shop_id="111", region="MY", name="A MY"))
        for statement in STATEMENTS:
            session.add(StatementRow(owner_id="BRAND-A", platform="shopee", shop_id="111", statement_id=statement,
                                     currency="MYR", issued_at=AT, declared_total=Decimal("9.00"), breakdown={},
                                     source_updated_at=AT, content_hash=statement))
            session.add(SettlementLineRow(owner_id="BRAND-A", platform="shopee", shop_id="111", statement_id=statement,
                                          transaction_id=f"{statement}-T", kind="REVENUE", amount=Decimal("9.00"),
                                          currency="MYR", occurred_at=AT, order_id="A0", content_hash=statement,
                                          raw_kind="x"))
            session.flush()
            recognise_statement(session, "BRAND-A", platform="shopee", shop_id="111", statement_id=statement,
                                book_currency="CNY", converter=None,
                                at_rate=Rate("MYR", "CNY", Decimal("1.52"), AT.date(), "TEST"))
            settle_at_actual(session, "BRAND-A", f"shopee:111:{statement}", Money(Decimal("13.70"), "CNY"),
                             on=date(2026, 10, 25), reference=f"PAYOUT:p-{statement}")
    return key


def _expected(statement: str) -> list[str]:
    return [f"REC-shopee:111:{statement}", f"FX-PAYOUT:p-{statement}:shopee:111:{statement}"]


def test_the_route_lists_the_statements_own_journals(engine) -> None:
    key = _book(engine)
    client = TestClient(create_app(engine))
    for statement in STATEMENTS:
        reply = client.get(f"/api/v1/settlements/statements/shopee/111/{statement.replace('%', '%25')}",
                           headers={"Authorization": f"Bearer {key}"})
        assert reply.status_code == 200, reply.text
        journals = reply.json()["journals"]
        assert [j["journal_id"] for j in journals] == _expected(statement), statement
        assert [j["lines"] for j in journals] == [2, 3]  # receivable + revenue; cash, clearing, realized FX (13.70 - 13.68)


def test_the_cli_lists_the_statements_own_journals(engine, tmp_path) -> None:
    _book(engine)
    url = engine.url.render_as_string(hide_password=False)
    for statement in STATEMENTS:
        result = CliRunner().invoke(cli, ["--database-url", url, "--data-dir", str(tmp_path), "settlements",
                                          "statements", "show", "--owner", "BRAND-A", f"shopee:111:{statement}",
                                          "--format", "json"])
        assert result.exit_code == 0, result.output
        assert [j["journal_id"] for j in json.loads(result.output)["journals"]] == _expected(statement), statement
