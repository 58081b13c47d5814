"""Shopee returns: ``GET /api/v2/returns/get_return_list`` by update time and ``get_return_detail``.

``get_return_list`` (schema ``v2.returns.get_return_list``) pages with ``page_no``/``page_size``
(≤ 100) and says ``more``; its ``update_time_from``/``update_time_to`` range is at most 15 days
("The period between update_time_from and update_time_to must not more than 15 days"), so a sync
walks 15-day windows like the order list. The list already carries every field of a return (items,
status, refund), so no detail call is needed per return; ``get_return_detail`` (``return_sn``)
re-reads single returns. Shopee documents ``page_no``'s start ambiguously ("Default is 0" beside a
sample of 1); the first page asked for is 1, as the official request sample does.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.values import as_list, to_epoch_seconds
from platform_adapters.shopee.client import ShopeeClient
from platform_adapters.shopee.orders import MAX_WINDOW, windows

LIST_PATH = "/api/v2/returns/get_return_list"
DETAIL_PATH = "/api/v2/returns/get_return_detail"
PAGE_SIZE = 100
MAX_PAGES = 10_000


class ShopeeReturnSource:
    """Raw returns updated in a time range (each once per window)."""

    max_window = MAX_WINDOW

    def __init__(self, client: ShopeeClient) -> None:
        self.client = client

    def request_ids(self) -> list[str]:
        return self.client.transport.request_ids

    def iter_returns(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        for lower, upper in windows(start, end):
            seen: set[str] = set()
            for raw in self._window(lower, upper):
                key = str(raw.get("return_sn") or "")
                if key and key in seen:
                    continue
                seen.add(key)
                yield raw

    def _window(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        time_from = to_epoch_seconds(start)
        time_to = max(time_from, to_epoch_seconds(end) - 1)
        for page_no in range(1, MAX_PAGES + 1):
            page = self.client.call("GET", LIST_PATH, {"page_no": page_no, "page_size": PAGE_SIZE,
                                                       "update_time_from": time_from, "update_time_to": time_to})
            yield from (r for r in as_list(page.get("return")) if isinstance(r, dict))
            if not page.get("more"):
                return
        raise PlatformError(ErrorKind.FATAL, "too_many_pages", f"more than {MAX_PAGES} pages",
                            platform="shopee", path=LIST_PATH)

    def fetch_returns(self, return_ids: list[str]) -> list[dict[str, Any]]:
        """Current state of the given returns (one ``get_return_detail`` call each)."""
        found = []
        for return_sn in dict.fromkeys(str(i) for i in return_ids):
            detail = self.client.call("GET", DETAIL_PATH, {"return_sn": return_sn})
            if detail:
                found.append(detail)
        return found
