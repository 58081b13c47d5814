"""Helpers for the FX tests: where the FX fixtures live."""
from __future__ import annotations

from pathlib import Path

FX_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fx"


def fixture_bytes(name: str) -> bytes:
    return (FX_FIXTURES / name).read_bytes()
