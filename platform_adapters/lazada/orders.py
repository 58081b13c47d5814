"""Lazada order listing: ``/orders/get`` by update time (ISO-8601 with offset), offset/limit paging to
an empty or short page, then ``/orders/items/get`` for the items of ≤ 50 orders at a time.

Offset paging over a moving set: when ``countTotal`` shrinks between pages (orders updated during
the run leave the window, shifting the rest left), the page is read again from ``offset - shrink``
so no order is skipped; the repeats are dropped by (order_id, updated_at). A net-zero change (one
order leaves while another enters) cannot be seen this way; the next incremental run's window
overlap (the framework's lag) covers late entries.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.values import as_list
from platform_adapters.lazada.client import LazadaClient

LIST_PATH = "/orders/get"
ITEMS_PATH = "/orders/items/get"
ORDER_PATH = "/order/get"
MAX_WINDOW = timedelta(days=30)  # none documented; bounded windows keep runs resumable
MAX_PAGES_PER_WINDOW = 10_000


def iso(moment: datetime) -> str:
    """ISO-8601 with an explicit offset, as ``/orders/get`` requires (E017 otherwise)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


class LazadaOrderSource:
    """Raw orders (header + ``order_items``) updated in a time range."""

    max_window = MAX_WINDOW

    def __init__(self, client: LazadaClient) -> None:
        self.client = client

    def request_ids(self) -> list[str]:
        return self.client.transport.request_ids

    def iter_orders(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        seen: dict[str, str] = {}
        pending: list[dict[str, Any]] = []
        batch = self.client.settings.items_batch_size
        for page in self.list_pages(start, end):
            for header in page:
                order_id = str(header.get("order_id") or header.get("order_number") or "")
                stamp = str(header.get("updated_at") or "")
                if order_id and seen.get(order_id) == stamp:
                    continue  # the same version again (page shift or duplicate)
                if order_id:
                    seen[order_id] = stamp
                pending.append(header)
            while len(pending) >= batch:
                yield from self._with_items(pending[:batch])
                pending = pending[batch:]
        if pending:
            yield from self._with_items(pending)

    def list_pages(self, start: datetime, end: datetime) -> Iterator[list[dict[str, Any]]]:
        limit = self.client.settings.page_size
        offset, previous_total = 0, None
        for _ in range(MAX_PAGES_PER_WINDOW):
            data = self.client.call("GET", LIST_PATH, {
                "update_after": iso(start), "update_before": iso(end), "sort_by": "updated_at",
                "sort_direction": "ASC", "offset": offset, "limit": limit,
            })
            if data is None:
                data = {}
            if not isinstance(data, dict) or not isinstance(data.get("orders", []), list):
                raise PlatformError(ErrorKind.FATAL, "bad_response", "/orders/get data is not {orders: [...]}",
                                    platform="lazada", path=LIST_PATH)
            orders = [o for o in as_list(data.get("orders")) if isinstance(o, dict)]
            total = _int(data.get("countTotal"))
            yield orders
            shrink = 0
            if previous_total is not None and total is not None:
                shrink = max(0, previous_total - total)
            if total is not None:
                previous_total = total
            if shrink:
                # orders left the set before this page was cut: it started `shrink` rows late, so
                # read again from there (the repeats are dropped by the caller)
                offset = max(0, offset - shrink)
                continue
            if not orders or len(orders) < limit:
                return
            offset += len(orders)
        raise PlatformError(ErrorKind.FATAL, "too_many_pages", f"more than {MAX_PAGES_PER_WINDOW} pages",
                            platform="lazada", path=LIST_PATH)

    def fetch_orders(self, order_ids: list[str]) -> list[dict[str, Any]]:
        """Current header + items of the given orders (``/order/get`` each, items in batches)."""
        headers = []
        for order_id in dict.fromkeys(str(i) for i in order_ids):
            data = self.client.call("GET", ORDER_PATH, {"order_id": order_id})
            if isinstance(data, dict) and data:
                headers.append(data)
        batch = self.client.settings.items_batch_size
        return [o for i in range(0, len(headers), batch) for o in self._with_items(headers[i:i + batch])]

    def fetch_items(self, order_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Items of up to 50 orders: order_id → its ``order_items``."""
        if not 1 <= len(order_ids) <= self.client.settings.items_batch_size:
            raise ValueError("/orders/items/get takes 1..50 order ids")
        data = self.client.call("GET", ITEMS_PATH, {"order_ids": "[" + ",".join(order_ids) + "]"})
        if data is not None and not isinstance(data, list):
            raise PlatformError(ErrorKind.FATAL, "bad_response", "/orders/items/get data is not a list",
                                platform="lazada", path=ITEMS_PATH)
        found: dict[str, list[dict[str, Any]]] = {}
        for entry in data or []:
            if isinstance(entry, dict) and entry.get("order_id") is not None:
                found[str(entry["order_id"])] = [i for i in as_list(entry.get("order_items")) if isinstance(i, dict)]
        return found

    def _with_items(self, headers: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        ids = [str(h.get("order_id")) for h in headers if h.get("order_id") is not None]
        items = self.fetch_items(ids) if ids else {}
        for header in headers:
            order_id = str(header.get("order_id"))
            yield {**header, "order_items": items.get(order_id)}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
