"""``larger_page_cache`` enlarges SQLite's page cache for its block only and changes nothing on PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from aggregator.store.db import session_scope
from aggregator.store.page_cache import larger_page_cache


def _cache_size(session) -> int:
    return session.execute(text("PRAGMA cache_size")).scalar_one()


def test_sqlite_cache_is_larger_in_the_block_and_restored_after(sqlite_engine) -> None:
    with session_scope(sqlite_engine) as session:
        before = _cache_size(session)
        with larger_page_cache(session, kib=65_536):
            assert _cache_size(session) == -65_536
        assert _cache_size(session) == before


def test_sqlite_cache_is_restored_when_the_block_fails(sqlite_engine) -> None:
    with session_scope(sqlite_engine) as session:
        before = _cache_size(session)
        with pytest.raises(RuntimeError):
            with larger_page_cache(session, kib=65_536):
                raise RuntimeError("the write failed")
        assert _cache_size(session) == before


def test_a_cache_larger_already_is_left_alone(sqlite_engine) -> None:
    with session_scope(sqlite_engine) as session:
        session.execute(text("PRAGMA cache_size = -131072"))
        with larger_page_cache(session, kib=65_536):
            assert _cache_size(session) == -131_072
        pages = 100_000 * 1024 // session.execute(text("PRAGMA page_size")).scalar_one()  # (100,000 KiB)
        session.execute(text(f"PRAGMA cache_size = {pages}"))
        with larger_page_cache(session, kib=65_536):
            assert _cache_size(session) == pages
        with larger_page_cache(session, kib=200_000):
            assert _cache_size(session) == -200_000
        assert _cache_size(session) == pages
        session.execute(text("PRAGMA cache_size = -2000"))


def test_postgresql_is_untouched(pg_engine) -> None:
    with session_scope(pg_engine) as session:
        with larger_page_cache(session):
            assert session.execute(text("SELECT 1")).scalar_one() == 1
