"""Rate plausibility: big jumps between consecutive fixings are flagged, never fixed."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from fx.rate_checks import large_moves, series_key
from fx.rates import Rate
from fx.sources import ecb
from tests.fx.helpers import fixture_bytes


def test_real_samples_have_no_jumps() -> None:
    assert large_moves(ecb.parse(fixture_bytes("eurofxref-hist-90d.sample.xml")).rates) == []


def test_misplaced_decimal_point_is_flagged_against_the_payload_and_the_stored_rate() -> None:
    day = date(2026, 12, 28)
    rates = [Rate("EUR", "IDR", "20251.85", day, "ECB"), Rate("EUR", "IDR", "2030.98", date(2026, 12, 29), "ECB"),
             Rate("EUR", "USD", "1.12", date(2026, 12, 29), "ECB")]
    (jump,) = large_moves(rates)
    assert jump.current.value == Decimal("2030.98") and jump.change < Decimal("-0.89")
    assert "EUR/IDR moved -90.0%" in jump.describe()
    stored = Rate("EUR", "USD", "0.89", date(2026, 12, 24), "ECB")
    (against_stored,) = large_moves(rates[2:], previous={series_key(stored): stored})
    assert against_stored.previous == stored
    assert large_moves(rates, threshold=Decimal("0.95")) == []
