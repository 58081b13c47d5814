"""One rule for instants typed on the command line: a time zone is required, the result is aware UTC,
and every verb that takes an instant applies it (``sync --since`` and ``title position --at`` agree)."""
from __future__ import annotations

from datetime import datetime, timezone

import click
import pytest
from click.testing import CliRunner

from aggregator.cli.instants import parse_instant
from aggregator.cli.main import cli


def test_offsets_and_z_become_utc() -> None:
    assert parse_instant("2026-03-16T23:59:59+08:00") == datetime(2026, 3, 16, 15, 59, 59, tzinfo=timezone.utc)
    assert parse_instant("2026-03-16T00:00:00Z").tzinfo == timezone.utc


@pytest.mark.parametrize("text", ["2026-03-16T00:00:00", "2026-03-16"])
def test_offset_less_is_refused(text: str) -> None:
    with pytest.raises(click.BadParameter, match="needs a time zone"):
        parse_instant(text, "--at")


def test_garbage_is_refused() -> None:
    with pytest.raises(click.BadParameter, match="not an ISO 8601"):
        parse_instant("16/03/2026")
    with pytest.raises(click.BadParameter, match="not an ISO 8601"):
        parse_instant("")


@pytest.mark.parametrize("argv", [
    ["sync", "--since", "2026-03-16T00:00:00"],
    ["sync", "--until", "2026-03-16"],
    ["title", "position", "--at", "2026-03-16T00:00:00"],
    ["inventory", "availability", "--at", "2026-03-16T00:00:00", "--owner", "o", "--warehouse", "w", "--sku", "s"],
])
def test_every_verb_refuses_the_same_offset_less_instant(tmp_path, argv) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *argv])
    assert result.exit_code == 2, result.output
    assert "needs a time zone" in result.output and "Traceback" not in result.output
