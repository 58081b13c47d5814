"""Lazada reverse orders: ``/reverse/getreverseordersforseller`` by line modification time, and
``/order/reverse/return/detail/list`` for one reverse order.

``GetReverseOrdersForSeller`` filters by ``ReverseOrderLineModifiedTimeRangeStart`` / ``…End`` (Unix
milliseconds) and by ``trade_order_id``; it pages with ``page_no`` / ``page_size`` (documented default
10, no maximum given, so 10 is what is asked) and answers ``{code, result: {page_no, page_size, total,
items}}`` (``result``, not ``data``). A reverse order modified during the run can appear on two pages;
repeats with the same line modification times are dropped. No window limit is documented; windows
stay bounded (30 days) so runs resume. Lazada's reverse-order overview: reverse orders exist for
refunds and returns raised after delivery and for buyer cancellations; a failed delivery makes none.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.values import as_list
from platform_adapters.lazada.client import LazadaClient

LIST_PATH = "/reverse/getreverseordersforseller"
DETAIL_PATH = "/order/reverse/return/detail/list"
PAGE_SIZE = 10
MAX_WINDOW = timedelta(days=30)
MAX_PAGES = 100_000


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _version(raw: dict[str, Any]) -> tuple:
    return tuple(str(line.get("return_order_line_gmt_modified")) for line in as_list(raw.get("reverse_order_lines"))
                 if isinstance(line, dict))


class LazadaReturnSource:
    max_window = MAX_WINDOW

    def __init__(self, client: LazadaClient) -> None:
        self.client = client

    def request_ids(self) -> list[str]:
        return self.client.transport.request_ids

    def iter_returns(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        seen: dict[str, tuple] = {}
        for raw in self._pages({"ReverseOrderLineModifiedTimeRangeStart": _ms(start),
                                "ReverseOrderLineModifiedTimeRangeEnd": _ms(end) - 1}):
            key, version = str(raw.get("reverse_order_id") or ""), _version(raw)
            if key and seen.get(key) == version:
                continue
            seen[key] = version
            yield raw

    def fetch_for_orders(self, order_ids: list[str]) -> list[dict[str, Any]]:
        """Every reverse order of the given orders (webhooks, re-reads)."""
        return [raw for order_id in dict.fromkeys(str(i) for i in order_ids)
                for raw in self._pages({"trade_order_id": order_id})]

    def fetch_returns(self, return_ids: list[str]) -> list[dict[str, Any]]:
        """Reverse orders by id through ``GetReverseOrderDetail`` (its lines renamed to the list's key)."""
        found = []
        for reverse_id in dict.fromkeys(str(i) for i in return_ids):
            data = self.client.call("GET", DETAIL_PATH, {"reverse_order_id": reverse_id})
            if isinstance(data, dict) and data:
                found.append(data)
        return found

    def _pages(self, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for page_no in range(1, MAX_PAGES + 1):
            result = self.client.call("GET", LIST_PATH, {**filters, "page_no": page_no, "page_size": PAGE_SIZE},
                                      part="result")
            if not isinstance(result, dict):
                raise PlatformError(ErrorKind.FATAL, "bad_response", "reverse order list without 'result'",
                                    platform="lazada", path=LIST_PATH)
            items = [i for i in as_list(result.get("items")) if isinstance(i, dict)]
            yield from items
            total = result.get("total")
            total = int(total) if isinstance(total, (int, str)) and str(total).isdigit() else None
            if not items or total is None or page_no * PAGE_SIZE >= total:
                return
        raise PlatformError(ErrorKind.FATAL, "too_many_pages", f"more than {MAX_PAGES} pages",
                            platform="lazada", path=LIST_PATH)
