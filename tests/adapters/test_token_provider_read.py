"""The token provider's read (``DatabaseTokenProvider.current``): every call sees the pair as stored now (another
worker's refresh is read at once, though the decrypted pair is kept between calls while the stored columns stay
the same), and the read never waits for a writer: on SQLite its transaction begins deferred, so a shop's API
call goes on while another shop's batch write holds the write lock; on PostgreSQL a plain read of the row
another transaction has locked."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.auth.shops import add_shop, store_authorization
from aggregator.auth.token_store import DatabaseTokenProvider
from aggregator.store.db import session_scope
from aggregator.store.models import ShopCredential, ShopRow
from aggregator.store.vault import Vault
from aggregator.tenancy import add_owner
from tests.adapters.helpers import T0, Clock, tokens

NOW = T0 + timedelta(days=2)


@pytest.fixture
def vault() -> Vault:
    return Vault(Fernet.generate_key())


def _shop(engine, vault: Vault) -> int:
    with session_scope(engine) as session:
        add_owner(session, "brand-a", "Brand A")
        shop = add_shop(session, vault, platform="tiktok", owner_id="brand-a", shop_id="7", region="TH",
                        app_key="1", app_secret="k")
        store_authorization(session, vault, shop, tokens("access-A", "refresh-A", now=NOW))
        return shop.id


def test_a_pair_another_worker_stored_is_read_on_the_next_call(engine, vault) -> None:
    shop_pk = _shop(engine, vault)
    provider = DatabaseTokenProvider(engine, shop_pk, "7", vault, lambda stale: pytest.fail("no refresh is due"),
                                     clock=Clock(NOW))
    first = provider.current()
    assert first.access_token == "access-A" and provider.current() is first  # decrypted once while unchanged
    with session_scope(engine) as session:  # another worker refreshed the pair
        shop = session.get(ShopRow, shop_pk)
        store_authorization(session, vault, shop, tokens("access-B", "refresh-B", now=NOW))
    assert provider.current().access_token == "access-B" and provider.current().refresh_token == "refresh-B"
    assert provider.refreshes == 0


def test_the_read_does_not_wait_for_a_writer(engine, vault) -> None:
    shop_pk = _shop(engine, vault)
    provider = DatabaseTokenProvider(engine, shop_pk, "7", vault, lambda stale: pytest.fail("no refresh is due"),
                                     clock=Clock(NOW))
    read: list[object] = []

    def call() -> None:
        try:
            read.append(provider.current().access_token)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            read.append(exc)

    with Session(engine) as writer:  # a batch write in progress: the write lock (SQLite), the row lock (PG)
        query = select(ShopCredential).where(ShopCredential.shop_pk == shop_pk)
        row = writer.scalars(query.with_for_update() if engine.dialect.name == "postgresql" else query).one()
        row.seller_account = "being written"
        writer.flush()
        worker = threading.Thread(target=call)
        worker.start()
        # While the writer holds its lock: a read queued for the lock would fail at SQLite's busy timeout (30 s)
        # or stay blocked (PostgreSQL); 60 s only bounds that wait, it is no threshold a slow read can cross.
        worker.join(timeout=60)
        done = not worker.is_alive()
        writer.rollback()
    worker.join(timeout=60)
    assert done, "the token read waited for the writer"
    assert read == ["access-A"]
