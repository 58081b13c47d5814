"""One rule for instants typed on the command line: a time zone is required, the result is aware UTC,
and every verb that takes an instant applies it (``sync --since`` and ``title position --at`` agree)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

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


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                  "1969-12-31T23:59:59Z", "9001-01-01T00:00:00Z"])
def test_an_instant_out_of_range_is_refused_not_overflowed(text: str) -> None:
    """Near year 1 or 9999 converting to UTC (or going back a report's window) would overflow: refused."""
    with pytest.raises(click.BadParameter, match="out of range"):
        parse_instant(text, "--at")


@pytest.mark.parametrize(("text", "utc"), [
    ("1970-01-01T00:00:00+14:00", None),  # 1969-12-31T10:00Z: before 1970 in UTC, a negative instant
    ("9000-12-31T23:00:00-14:00", None),  # 9001-01-01T13:00Z
    ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=timezone.utc)),
    ("1969-12-31T20:00:00-04:00", datetime(1970, 1, 1, tzinfo=timezone.utc)),  # year 1969 in its offset only
    ("9000-12-31T23:59:59Z", datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
])
def test_the_year_range_is_checked_on_the_utc_instant(text: str, utc: datetime | None) -> None:
    """The range (years 1970 to 9000) bounds the instant, so it is checked in UTC, not in the offset written:
    1970-01-01T00:00:00+14:00 is 1969 in UTC (refused), 1969-12-31T20:00:00-04:00 is 1970-01-01Z (accepted)."""
    if utc is None:
        with pytest.raises(click.BadParameter, match="out of range"):
            parse_instant(text, "--at")
    else:
        assert parse_instant(text, "--at") == utc


def test_the_api_refuses_with_the_same_rule() -> None:
    """One rule for the CLI and the API (``aggregator.instants``): the API answers 422 with its message."""
    from fastapi import HTTPException

    from aggregator.api.instants import aware

    with pytest.raises(HTTPException) as refused:
        aware("at", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))
    assert refused.value.status_code == 422 and "out of range" in refused.value.detail
    with pytest.raises(HTTPException, match="needs a time zone"):
        aware("at", datetime(2026, 3, 16))
    plus8 = datetime(2026, 3, 16, 8, tzinfo=timezone(timedelta(hours=8)))
    assert aware("at", plus8) is plus8 and aware("at", plus8, utc=True) == datetime(2026, 3, 16, tzinfo=timezone.utc)


def test_the_cli_refuses_an_overflowing_instant_without_a_traceback(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "title", "position", "--at",
                                      "0001-01-01T00:00:00+14:00"])
    assert result.exit_code == 2 and "out of range" in result.output and "Traceback" not in result.output
