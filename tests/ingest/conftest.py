"""Fixtures for the ingestion tests: paths of the sample files and of the ingestion fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "fixtures" / "samples"
INGEST_FIXTURES = REPO / "tests" / "fixtures" / "ingest"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def ingest_fixtures() -> Path:
    return INGEST_FIXTURES


#: The owners the ingestion tests import for (``--owner``) or attribute rows to.
TEST_OWNERS = ("L", "LUMINA", "LUMINA-HK", "TROPIKA")


def add_owners(engine, owners=TEST_OWNERS) -> None:
    from aggregator.store.db import session_scope
    from aggregator.tenancy import add_owner

    with session_scope(engine) as session:
        for owner_id in owners:
            add_owner(session, owner_id, owner_id.title())


@pytest.fixture(autouse=True)
def _test_owners(request: pytest.FixtureRequest) -> None:
    """Every ingestion test's database has the owners its imports name (an unknown owner is refused)."""
    for name in ("engine", "pg_engine", "sqlite_engine"):
        if name in request.fixturenames:
            add_owners(request.getfixturevalue(name))
            return
