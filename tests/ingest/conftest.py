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
