"""Shared fixtures: real SQLite and real PostgreSQL databases, one of its own per test run.

PostgreSQL is required (a run that cannot reach it fails, it does not skip): the server is
``AGGREGATOR_TEST_PG_URL`` or postgresql://postgres@127.0.0.1:5432/test; each test session creates
its own database there and drops it at the end, so parallel runs never meet.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text

from aggregator.store.base import Base
from aggregator.store.db import create_engine_for, normalise_url, session_factory, upgrade_schema

# Test-only: AGGREGATOR_TEST_ANCHOR_SHIFT_MINUTES=N makes the sandbox's default anchor (its simulated "now",
# which follows the wall clock's minute) N minutes later (negative: earlier), to run the suite as if at another
# time of day and find tests that assume a particular world. Patched in every module that imported it by name.
_ANCHOR_SHIFT = os.environ.get("AGGREGATOR_TEST_ANCHOR_SHIFT_MINUTES")
if _ANCHOR_SHIFT:
    import sys

    from platform_adapters.sandbox import server as _sandbox_server

    _wall_anchor = _sandbox_server.default_anchor

    def _shifted_anchor(_shift: int = int(_ANCHOR_SHIFT) * 60) -> int:
        return _wall_anchor() + _shift

    for _module in list(sys.modules.values()):
        if getattr(_module, "default_anchor", None) is _wall_anchor:
            _module.default_anchor = _shifted_anchor

# No per-example deadline: on a loaded 2-core machine a slow example is not a failure.
hypothesis_settings.register_profile("aggregator", deadline=None)
hypothesis_settings.load_profile("aggregator")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SAMPLES = FIXTURES / "samples"
PG_ADMIN_URL = normalise_url(os.environ.get("AGGREGATOR_TEST_PG_URL",
                                            "postgresql://postgres@127.0.0.1:5432/test"))


def _admin_engine() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_database_factory() -> Iterator[Callable[[], str]]:
    """Make fresh empty PostgreSQL databases (dropped at the end of the session); returns their URLs."""
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # pragma: no cover - environment failure must be loud
        pytest.fail(f"PostgreSQL is required for the store tests and is not reachable at {PG_ADMIN_URL}: {exc}")
    created: list[str] = []

    def make() -> str:
        name = f"agg_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _pg_engine_with_schema(pg_database_factory: Callable[[], str]) -> Iterator[Engine]:
    engine = create_engine_for(pg_database_factory())
    upgrade_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(_pg_engine_with_schema: Engine) -> Iterator[Engine]:
    """The session's PostgreSQL database at head, emptied before each test."""
    engine = _pg_engine_with_schema
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield engine


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file we copy
    return path


@pytest.fixture
def sqlite_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    """A new SQLite file at head for this test."""
    path = tmp_path / "aggregator.sqlite"
    shutil.copy(_sqlite_template, path)
    engine = create_engine_for(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on both databases."""
    return request.getfixturevalue("pg_engine" if request.param == "postgresql" else "sqlite_engine")


@pytest.fixture
def session(engine: Engine) -> Iterator:
    db = session_factory(engine)()
    try:
        yield db
    finally:
        db.rollback()
        db.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        callspec = getattr(item, "callspec", None)
        on_pg = "pg_engine" in names or "pg_database_factory" in names or (
            callspec is not None and callspec.params.get("engine") == "postgresql")
        if on_pg:
            item.add_marker(pytest.mark.postgres)
