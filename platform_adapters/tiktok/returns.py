"""TikTok Shop returns and cancellations: ``POST /return_refund/202309/returns/search`` and
``POST /return_refund/202309/cancellations/search`` by update time.

Both searches take ``sort_field``/``sort_order``/``page_size``/``page_token`` in the query (page size
"Valid range: [10-50]" for returns; the same 50 is asked of cancellations) and the filters in the
JSON body (``update_time_ge``/``update_time_lt``, ``order_ids``, ``return_ids``/``cancel_ids``), and
answer ``next_page_token`` (empty on the last page). Cancellation records are tagged
(``return_mapping.CANCELLATION_TAG``) so one stream carries both. No window limit is documented; the
order stream's 30 days is used.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.values import as_list, to_epoch_seconds
from platform_adapters.tiktok.client import TikTokClient
from platform_adapters.tiktok.orders import MAX_WINDOW
from platform_adapters.tiktok.return_mapping import CANCELLATION_TAG

RETURNS_PATH = "/return_refund/202309/returns/search"
CANCELLATIONS_PATH = "/return_refund/202309/cancellations/search"
PAGE_SIZE = 50
MAX_PAGES = 10_000
#: (path, list key in ``data``, tag added to each record)
SEARCHES = ((RETURNS_PATH, "return_orders", None), (CANCELLATIONS_PATH, "cancellations", CANCELLATION_TAG))


class TikTokReturnSource:
    max_window = MAX_WINDOW

    def __init__(self, client: TikTokClient) -> None:
        self.client = client

    def request_ids(self) -> list[str]:
        return self.client.transport.request_ids

    def iter_returns(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        yield from self._all({"update_time_ge": to_epoch_seconds(start), "update_time_lt": to_epoch_seconds(end)})

    def fetch_for_orders(self, order_ids: list[str]) -> list[dict[str, Any]]:
        """Every return and cancellation of the given orders (webhooks 11 and 12, re-reads)."""
        wanted = list(dict.fromkeys(str(i) for i in order_ids))
        return [raw for i in range(0, len(wanted), PAGE_SIZE)
                for raw in self._all({"order_ids": wanted[i:i + PAGE_SIZE]})]

    def _all(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for path, key, tag in SEARCHES:
            for page in self._pages(path, key, body):
                for raw in page:
                    yield {**raw, tag: True} if tag else raw

    def _pages(self, path: str, key: str, body: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        token, used = "", set()
        for _ in range(MAX_PAGES):
            data = self.client.call("POST", path, {"page_size": PAGE_SIZE, "page_token": token,
                                                   "sort_field": "update_time", "sort_order": "ASC"}, body)
            yield [r for r in as_list(data.get(key)) if isinstance(r, dict)]
            token = str(data.get("next_page_token") or "")
            if not token:
                return
            if token in used:
                raise PlatformError(ErrorKind.FATAL, "page_token_loop", f"next_page_token {token!r} repeated",
                                    platform="tiktok", path=path)
            used.add(token)
        raise PlatformError(ErrorKind.FATAL, "too_many_pages", f"more than {MAX_PAGES} pages",
                            platform="tiktok", path=path)
