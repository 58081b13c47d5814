"""A small realistic December for the export tests, booked through the FX service.

Owner LUMINA (books CNY) sells on Lazada TH. Three weekly statements:
* W51 (22 Dec, one order): recognised at the ECB cross, settled on 24 Dec under a forward lock;
* W52 (23 Dec, two orders): recognised, settled on 28 Dec at the rate actually obtained;
* W53 (28 Dec): recognised and still open at month end: revalued on 31 Dec, reversed on 1 Jan.
Another owner (OTHER) books a statement of its own that LUMINA's exports must never show.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from aggregator.fx_service.locks import create_lock
from aggregator.fx_service.rates import import_rates, load_rate_book
from aggregator.fx_service.receivables import revalue_period, settle_at_actual, settle_with_lock
from aggregator.fx_service.statements import recognise_statement
from aggregator.store.models import OwnerRow, SettlementLineRow, ShopRow
from fx.convert import ConversionPolicy, Converter
from fx.locks import create_forward
from fx.money import Money
from fx.sources import ecb
from tests.conftest import SAMPLES

OWNER, OTHER = "LUMINA", "OTHER"
SHOP, OTHER_SHOP = "LZ-TH-0001", "LZ-TH-0999"
ORDER_W51 = "1118594800859773"


def _line(owner: str, shop: str, statement: str, tx: str, kind: str, amount: str, at: datetime,
          order: str | None = None, label: str | None = None) -> SettlementLineRow:
    return SettlementLineRow(owner_id=owner, platform="lazada", shop_id=shop, statement_id=statement,
                             transaction_id=tx, kind=kind, raw_kind=label or kind.title(), amount=Decimal(amount),
                             currency="THB", occurred_at=at, order_id=order,
                             content_hash=hashlib.sha256(f"{owner}{statement}{tx}".encode()).hexdigest())


def _day(day: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def book_december(session: Session) -> dict[str, object]:
    """Store rates, settlement lines, a lock; recognise, settle and revalue; returns what was booked."""
    payload = (SAMPLES / "eurofxref-hist-90d.sample.xml").read_bytes()
    import_rates(session, ecb.parse(payload), payload=payload, origin="eurofxref-hist-90d.sample.xml")
    session.add_all([OwnerRow(owner_id=OWNER, name="Lumina Beauty", base_currency="CNY"),
                     OwnerRow(owner_id=OTHER, name="Other Brand", base_currency="CNY")])
    session.flush()
    session.add_all([ShopRow(owner_id=OWNER, platform="lazada", shop_id=SHOP, region="TH", name="Lumina TH"),
                     ShopRow(owner_id=OTHER, platform="lazada", shop_id=OTHER_SHOP, region="TH", name="Other TH")])
    session.add_all([
        _line(OWNER, SHOP, "STMT-2026W51", "T1", "REVENUE", "13990.00", _day(22), ORDER_W51, "Item Price Credit"),
        _line(OWNER, SHOP, "STMT-2026W51", "T2", "COMMISSION", "-978.30", _day(22), ORDER_W51, "Commission"),
        _line(OWNER, SHOP, "STMT-2026W51", "T3", "TRANSACTION_FEE", "-666.03", _day(22), ORDER_W51, "Payment Fee"),
        _line(OWNER, SHOP, "STMT-2026W51", "P1", "PAYOUT", "-12345.67", _day(24)),
        _line(OWNER, SHOP, "STMT-2026W52", "T4", "REVENUE", "2599.00", _day(23), "1118600000000001",
              "Item Price Credit"),
        _line(OWNER, SHOP, "STMT-2026W52", "T5", "REVENUE", "1450.50", _day(23), "1118600000000002",
              "Item Price Credit"),
        _line(OWNER, SHOP, "STMT-2026W52", "T6", "COMMISSION", "-202.48", _day(23), "1118600000000001", "Commission"),
        _line(OWNER, SHOP, "STMT-2026W52", "T7", "SHIPPING_CHARGED", "-80.00", _day(23), "1118600000000002",
              "Shipping Fee (Paid By Customer)"),
        _line(OWNER, SHOP, "STMT-2026W53", "T8", "REVENUE", "8000.00", _day(28), "1118600000000003",
              "Item Price Credit"),
        _line(OTHER, OTHER_SHOP, "STMT-2026W51", "X1", "REVENUE", "500.00", _day(22), "9990001",
              "Item Price Credit"),
    ])
    session.flush()
    converter = Converter(load_rate_book(session), ConversionPolicy(allow_fallback=True, max_age_days=7))
    items = {}
    for owner, shop, statement in ((OWNER, SHOP, "STMT-2026W51"), (OWNER, SHOP, "STMT-2026W52"),
                                   (OWNER, SHOP, "STMT-2026W53"), (OTHER, OTHER_SHOP, "STMT-2026W51")):
        item, _ = recognise_statement(session, owner, platform="lazada", shop_id=shop, statement_id=statement,
                                      book_currency="CNY", converter=converter)
        items[(owner, statement)] = item.item_id
    create_lock(session, OWNER, create_forward(
        "FWD-TH", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.1985",
        notional=Money.of("50000", "THB"), valid_from=_day(20), valid_to=_day(20) + timedelta(days=30)))
    locked = settle_with_lock(session, OWNER, items[(OWNER, "STMT-2026W51")], "FWD-TH", now=_day(24))
    actual = settle_at_actual(session, OWNER, items[(OWNER, "STMT-2026W52")], Money.of("742.18", "CNY"),
                              on=_day(28).date(), reference="PP-20261228-01")
    revaluation = revalue_period(session, OWNER, "2026-12", book_currency="CNY", converter=converter)
    session.flush()
    return {"items": items, "locked": locked, "actual": actual, "revaluation": revaluation}
