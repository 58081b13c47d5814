"""Instants typed on the command line end aware UTC; an offset-less one is refused unless a verb says
it reads it as UTC."""
from __future__ import annotations

from datetime import datetime, timezone

import click
import pytest

from aggregator.cli.instants import parse_instant


def test_offsets_and_z_become_utc() -> None:
    assert parse_instant("2026-03-16T23:59:59+08:00") == datetime(2026, 3, 16, 15, 59, 59, tzinfo=timezone.utc)
    assert parse_instant("2026-03-16T00:00:00Z").tzinfo == timezone.utc


def test_offset_less_is_refused_unless_declared_utc() -> None:
    with pytest.raises(click.BadParameter, match="needs a time zone"):
        parse_instant("2026-03-16T00:00:00", "--at")
    assert parse_instant("2026-03-16", naive_is_utc=True) == datetime(2026, 3, 16, tzinfo=timezone.utc)
    with pytest.raises(click.BadParameter, match="not an ISO 8601"):
        parse_instant("16/03/2026")
