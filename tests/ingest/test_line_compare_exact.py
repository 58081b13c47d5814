"""A stored record whose source hash changed is compared line by line exactly (``ingest.writers.
write_aggregate``): a line value that differs only past the 28th significant digit (an exchange rate
of 30 digits, which the parser keeps exactly and both databases store exactly) is a change, stored and
audited, like the same difference in a header value."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from aggregator.ingest.writers import Aggregate, write_aggregate
from aggregator.store.models.logistics import CustomsEntryLineRow, CustomsEntryRow
from aggregator.store.upsert import UpsertOutcome

KEY = ("owner_id", "country", "declaration_no")


def _entry(fx_rate: str, raw_hash: str) -> Aggregate:
    values = {"owner_id": "LUMINA", "country": "MY", "declaration_no": "K1-1", "currency": "MYR"}
    line = {"line_no": 1, "hs_code": "8471", "description": "laptop", "quantity": 2, "currency": "MYR",
            "customs_value": Decimal("100.00"), "fx_rate": Decimal(fx_rate)}
    return Aggregate(CustomsEntryRow, KEY, values, [(CustomsEntryLineRow, "entry_pk", [line])], raw_hash=raw_hash)


def test_a_line_value_changed_past_the_28th_digit_is_stored(session) -> None:
    first, second = "7.12345678901234567890123456789", "7.12345678901234567890123456788"
    assert write_aggregate(session, _entry(first, "a" * 64)).outcome is UpsertOutcome.CREATED
    assert write_aggregate(session, _entry(second, "b" * 64)).outcome is UpsertOutcome.UPDATED
    assert session.scalars(select(CustomsEntryLineRow.fx_rate)).all() == [Decimal(second)]


def test_the_same_line_values_written_with_other_scales_stay_unchanged(session) -> None:
    assert write_aggregate(session, _entry("4.2000", "a" * 64)).outcome is UpsertOutcome.CREATED
    assert write_aggregate(session, _entry("4.2", "b" * 64)).outcome is UpsertOutcome.UNCHANGED
