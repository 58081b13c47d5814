"""TikTok Shop order listing: ``POST /order/{v}/orders/search`` by update time, page tokens to the end,
and ``GET /order/{v}/orders?ids=`` for details in batches of ≤ 50.

Search returns whole order objects, so a sync uses them directly; detail fetch serves webhooks and
re-reads. Within a window an order seen again with the same or an older ``update_time`` is dropped,
a newer version (updated during the run) is passed on.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.values import as_list, to_epoch_seconds
from platform_adapters.tiktok.client import TikTokClient

MAX_WINDOW = timedelta(days=30)  # none documented; bounded windows keep runs resumable
MAX_PAGES_PER_WINDOW = 10_000


class TikTokOrderSource:
    max_window = MAX_WINDOW

    def __init__(self, client: TikTokClient) -> None:
        self.client = client

    @property
    def search_path(self) -> str:
        return f"/order/{self.client.settings.orders_version}/orders/search"

    @property
    def detail_path(self) -> str:
        return f"/order/{self.client.settings.orders_version}/orders"

    def request_ids(self) -> list[str]:
        return self.client.transport.request_ids

    def iter_orders(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        seen: dict[str, int] = {}
        for page in self.search_pages(start, end):
            for raw in page:
                order_id = str(raw.get("id") or "")
                stamp = raw.get("update_time")
                stamp = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else -1
                if order_id and order_id in seen and seen[order_id] >= stamp:
                    continue
                if order_id:
                    seen[order_id] = stamp
                yield raw

    def search_pages(self, start: datetime, end: datetime) -> Iterator[list[dict[str, Any]]]:
        body = {"update_time_ge": to_epoch_seconds(start), "update_time_lt": to_epoch_seconds(end)}
        token, used = "", set()
        for _ in range(MAX_PAGES_PER_WINDOW):
            data = self.client.call("POST", self.search_path, {
                "page_size": self.client.settings.page_size, "page_token": token,
                "sort_field": "update_time", "sort_order": "ASC",
            }, body)
            yield [o for o in as_list(data.get("orders")) if isinstance(o, dict)]
            token = str(data.get("next_page_token") or "")
            if not token:
                return
            if token in used:
                raise PlatformError(ErrorKind.FATAL, "page_token_loop", f"next_page_token {token!r} repeated",
                                    platform="tiktok", path=self.search_path)
            used.add(token)
        raise PlatformError(ErrorKind.FATAL, "too_many_pages", f"more than {MAX_PAGES_PER_WINDOW} pages",
                            platform="tiktok", path=self.search_path)

    def fetch_orders(self, order_ids: list[str]) -> list[dict[str, Any]]:
        """Current state of the given orders (webhooks, re-reads)."""
        return self.fetch_details(list(dict.fromkeys(str(i) for i in order_ids)))

    def fetch_details(self, order_ids: list[str]) -> list[dict[str, Any]]:
        """Orders by id, ≤ 50 per call (more ids are split into several calls)."""
        size = self.client.settings.detail_batch_size
        found: list[dict[str, Any]] = []
        for i in range(0, len(order_ids), size):
            data = self.client.call("GET", self.detail_path, {"ids": ",".join(order_ids[i:i + size])})
            found.extend(o for o in as_list(data.get("orders")) if isinstance(o, dict))
        return found
