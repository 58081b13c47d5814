"""Concurrent lock utilisation on the real PostgreSQL server: many connections, no over-draw.

Each worker thread has its own connection and transaction; a barrier releases them together so
they race for the same lock row. The row lock (``SELECT … FOR UPDATE``) plus the version check
must let exactly as many through as the notional allows, and an idempotency key used by several
workers at once must be stored once.
"""
from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Engine, select

from aggregator.fx_service.locks import create_lock, utilise_lock
from aggregator.store.db import session_factory
from aggregator.store.models.fx import FxLockRow, FxLockUtilisationRow
from fx.locks import LockError, create_forward
from fx.money import Money

T0 = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=1)


def _setup(engine: Engine, notional: str, tolerance: str = "0") -> None:
    with session_factory(engine)() as session:
        create_lock(session, "OWN-C", create_forward(
            "FWD-C", counterparty="BANK", sell_currency="USD", buy_currency="CNY", rate="7.1",
            notional=Money.of(notional, "USD"), valid_from=T0, valid_to=T0 + timedelta(days=30),
            tolerance=tolerance))
        session.commit()


def _race(engine: Engine, requests: list[tuple[str, Decimal]]) -> list[str]:
    barrier = threading.Barrier(len(requests))
    outcomes: list[str] = [""] * len(requests)

    def work(index: int, key: str, amount: Decimal) -> None:
        with session_factory(engine)() as session:
            session.connection()  # open the connection and transaction before the race
            barrier.wait(timeout=60)
            try:
                outcome = utilise_lock(session, "OWN-C", "FWD-C", Money(amount, "USD"), key, NOW)
                session.commit()
                outcomes[index] = "replayed" if outcome.replayed else "used"
            except LockError as exc:
                session.rollback()
                outcomes[index] = type(exc).__name__

    threads = [threading.Thread(target=work, args=(i, key, amount)) for i, (key, amount) in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _stored(engine: Engine) -> tuple[Decimal, list[Decimal], int]:
    with session_factory(engine)() as session:
        lock = session.scalars(select(FxLockRow)).one()
        amounts = [u.dealt_amount for u in session.scalars(select(FxLockUtilisationRow))]
        return lock.used_amount, amounts, lock.version


def test_eight_connections_racing_never_overdraw(pg_engine: Engine) -> None:
    _setup(pg_engine, "100")
    outcomes = _race(pg_engine, [(f"PAYOUT-{i}", Decimal(30)) for i in range(8)])
    assert sorted(outcomes) == ["OverUtilisation"] * 5 + ["used"] * 3
    used, amounts, version = _stored(pg_engine)
    assert used == Decimal(90) and sorted(amounts) == [Decimal(30)] * 3 and version == 4


def test_same_key_from_many_connections_is_stored_once(pg_engine: Engine) -> None:
    _setup(pg_engine, "100")
    outcomes = _race(pg_engine, [("PAYOUT-SAME", Decimal("12.34"))] * 6)
    assert sorted(outcomes) == ["replayed"] * 5 + ["used"]
    used, amounts, _ = _stored(pg_engine)
    assert used == Decimal("12.34") and amounts == [Decimal("12.34")]


def test_random_race_keeps_the_cap_and_the_ledger_consistent(pg_engine: Engine) -> None:
    _setup(pg_engine, "500", tolerance="0.05")
    rng = random.Random(7)
    requests = [(f"K{rng.randint(0, 9)}", Decimal(rng.randint(1, 20000)).scaleb(-2)) for _ in range(12)]
    _race(pg_engine, requests)
    used, amounts, version = _stored(pg_engine)
    assert used <= Decimal("525") and used == sum(amounts, Decimal(0))
    assert version == len(amounts) + 1
