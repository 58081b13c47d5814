"""Lazada settlements: ``/finance/transaction/details/get`` rows between two local dates, then the
statements created since the window's first day (``/finance/payout/status/get?created_after=``) up to its
last day, each yielded as ``{"_payout": entry}``. A statement is created after the rows it sums, so one
created by the window's last day has its rows in this window or an earlier one (already written): a
statement is never stored before its lines. One created later (the API lists every statement since the
date) is left to the window holding its creation day; yielding it early stored it with none of its rows
until the next window (a false ``statement_mismatch`` for any reconcile in between).

Finance dates are the venture's calendar days (``YYYY-MM-DD``, window < 180 days); the window
[start, end) is widened to the local days it touches, so rows at its edges may be read twice (the
upsert makes that harmless). Paging is offset/limit (≤ 500) to an empty or short page.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.lazada.client import LazadaClient

DETAILS_PATH = "/finance/transaction/details/get"
PAYOUT_PATH = "/finance/payout/status/get"
MAX_WINDOW = timedelta(days=30)
PAGE = 500
MAX_PAGES = 10_000


class LazadaSettlementSource:
    max_window = MAX_WINDOW

    def __init__(self, client: LazadaClient) -> None:
        self.client = client

    def request_ids(self) -> list[str]:
        return self.client.transport.request_ids

    def iter_settlements(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        zone = timezone(timedelta(hours=self.client.settings.utc_offset_hours))
        first = start.astimezone(zone).date()
        last = (end - timedelta(seconds=1)).astimezone(zone).date()
        offset = 0
        for _ in range(MAX_PAGES):
            data = self.client.call("GET", DETAILS_PATH, {
                "start_time": first.isoformat(), "end_time": max(first, last).isoformat(),
                "offset": offset, "limit": PAGE})
            if data is None:
                data = []
            if not isinstance(data, list):
                raise PlatformError(ErrorKind.FATAL, "bad_response", "transaction details data is not a list",
                                    platform="lazada", path=DETAILS_PATH)
            yield from data
            if len(data) < PAGE:
                break
            offset += len(data)
        else:
            raise PlatformError(ErrorKind.FATAL, "too_many_pages", f"more than {MAX_PAGES} pages", platform="lazada",
                                path=DETAILS_PATH)
        payouts = self.client.call("GET", PAYOUT_PATH, {"created_after": first.isoformat()})
        if payouts is None:
            payouts = []
        if not isinstance(payouts, list):
            raise PlatformError(ErrorKind.FATAL, "bad_response", "payout status data is not a list",
                                platform="lazada", path=PAYOUT_PATH)
        for entry in payouts:
            if _created_on(entry, zone) is None or _created_on(entry, zone) <= last:
                yield {"_payout": entry}  # one created after the window: yielded by the window that reads its rows


def _created_on(entry: Any, zone: timezone) -> date | None:
    """The local day a statement was created (None when unreadable: the mapper parks it)."""
    try:
        return datetime.fromisoformat(str(entry.get("created_at"))).astimezone(zone).date()
    except (AttributeError, TypeError, ValueError):
        return None
