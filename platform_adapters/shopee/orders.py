"""Shopee order listing: ``get_order_list`` by update time in ≤ 15-day windows, cursor pagination to
the true end, then ``get_order_detail`` in batches of ≤ 50 order_sn with the optional fields asked for.

The order detail has no tracking numbers: for orders past arrangement of shipment, the numbers of
all their packages come from ``order/get_package_detail`` (``package_number_list``, 1–50 per call:
one call per detail batch, not one per package) and are written into the raw packages as
``tracking_number``. The other batch call, ``logistics/get_mass_tracking_number``, only answers for
packages shipped through ``mass_ship_order`` on one fulfilment channel ("Package is not under the
specified fulfilment channel"), so it is not used. When the batch call is refused (say the app lacks
the permission: DENIED, or another FATAL error) the numbers come from ``logistics/get_tracking_number``
one package at a time; empty numbers are left out and a logistics error on one package is logged.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.values import as_list, to_epoch_seconds
from platform_adapters.shopee.client import ShopeeClient

log = logging.getLogger(__name__)

LIST_PATH = "/api/v2/order/get_order_list"
DETAIL_PATH = "/api/v2/order/get_order_detail"
TRACKING_PATH = "/api/v2/logistics/get_tracking_number"
PACKAGE_DETAIL_PATH = "/api/v2/order/get_package_detail"
PACKAGE_BATCH = 50
TRACKED_STATUSES = frozenset({"PROCESSED", "RETRY_SHIP", "SHIPPED", "TO_CONFIRM_RECEIVE", "COMPLETED", "TO_RETURN"})
MAX_WINDOW = timedelta(days=15)
DETAIL_FIELDS = (
    "buyer_user_id,item_list,total_amount,pay_time,package_list,recipient_address,estimated_shipping_fee,"
    "actual_shipping_fee,shipping_carrier,payment_method,pickup_done_time,cancel_by,cancel_reason"
)
MAX_PAGES_PER_WINDOW = 10_000  # a guard against a server that never says "no more"


def windows(start: datetime, end: datetime, size: timedelta = MAX_WINDOW) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive half-open windows [a, b) covering [start, end), none longer than ``size``."""
    cursor = start
    while cursor < end:
        upper = min(cursor + size, end)
        yield cursor, upper
        cursor = upper


class ShopeeOrderSource:
    """Raw order details changed in a time range, each order once per window."""

    max_window = MAX_WINDOW

    def __init__(self, client: ShopeeClient) -> None:
        self.client = client

    def request_ids(self) -> list[str]:
        return self.client.transport.request_ids

    def iter_orders(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        for lower, upper in windows(start, end):
            yield from self._window(lower, upper)

    def list_order_sns(self, start: datetime, end: datetime) -> Iterator[list[str]]:
        """Pages of order_sn updated in [start, end) (≤ 15 days), following ``next_cursor`` while ``more``."""
        if end - start > MAX_WINDOW:
            raise ValueError("a Shopee order-list window is at most 15 days")
        time_from = to_epoch_seconds(start)
        time_to = max(time_from, to_epoch_seconds(end) - 1)  # half-open: the next window starts at `end`
        cursor, seen_cursors = "", set()
        for _ in range(MAX_PAGES_PER_WINDOW):
            page = self.client.call("GET", LIST_PATH, {
                "time_range_field": "update_time", "time_from": time_from, "time_to": time_to,
                "page_size": self.client.settings.page_size, "cursor": cursor,
                "response_optional_fields": "order_status",
            })
            sns = [str(o["order_sn"]) for o in as_list(page.get("order_list")) if isinstance(o, dict) and o.get("order_sn")]
            yield sns
            next_cursor = str(page.get("next_cursor") or "")
            if not page.get("more") or not next_cursor:
                return
            if next_cursor in seen_cursors:
                raise PlatformError(ErrorKind.FATAL, "cursor_loop", f"next_cursor {next_cursor!r} repeated",
                                    platform="shopee", path=LIST_PATH)
            seen_cursors.add(next_cursor)
            cursor = next_cursor
        raise PlatformError(ErrorKind.FATAL, "too_many_pages", f"more than {MAX_PAGES_PER_WINDOW} pages",
                            platform="shopee", path=LIST_PATH)

    def fetch_details(self, order_sns: list[str]) -> list[dict[str, Any]]:
        """Order details for up to 50 order_sn (raw dicts, amounts as Decimal)."""
        if not 1 <= len(order_sns) <= self.client.settings.detail_batch_size:
            raise ValueError("get_order_detail takes 1..50 order_sn")
        response = self.client.call("GET", DETAIL_PATH, {
            "order_sn_list": ",".join(order_sns), "response_optional_fields": DETAIL_FIELDS,
        })
        return [o for o in as_list(response.get("order_list")) if isinstance(o, dict)]

    def fetch_orders(self, order_ids: list[str]) -> list[dict[str, Any]]:
        """Current details (with tracking numbers) of the given orders, ≤ 50 per call (webhooks, re-reads)."""
        batch = self.client.settings.detail_batch_size
        wanted = list(dict.fromkeys(str(i) for i in order_ids))
        return [d for i in range(0, len(wanted), batch) for d in self._details(wanted[i:i + batch])]

    def _window(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        pending: list[str] = []
        batch = self.client.settings.detail_batch_size
        for sns in self.list_order_sns(start, end):
            for sn in sns:
                if sn not in seen:  # an order moved by an update during paging shows up again
                    seen.add(sn)
                    pending.append(sn)
            while len(pending) >= batch:
                yield from self._details(pending[:batch])
                pending = pending[batch:]
        if pending:
            yield from self._details(pending)

    def _details(self, sns: list[str]) -> Iterator[dict[str, Any]]:
        details = self.fetch_details(sns)
        returned = {str(d.get("order_sn")) for d in details}
        missing = [sn for sn in sns if sn not in returned]
        if missing:
            log.warning("shopee get_order_detail did not return %d of %d orders: %s", len(missing), len(sns),
                        ",".join(missing[:10]))
        if self.client.settings.fetch_tracking:
            self.add_tracking_numbers(details)
        yield from details

    def add_tracking_numbers(self, details: list[dict[str, Any]]) -> None:
        """Fill ``tracking_number`` into the packages of the shipped orders among ``details`` (in place)."""
        waiting = [(detail, package) for detail in details
                   if str(detail.get("order_status") or "") in TRACKED_STATUSES
                   for package in as_list(detail.get("package_list"))
                   if isinstance(package, dict) and package.get("package_number") and not package.get("tracking_number")]
        for start in range(0, len(waiting), PACKAGE_BATCH):
            chunk = waiting[start:start + PACKAGE_BATCH]
            try:
                numbers = self.package_tracking_numbers([str(p["package_number"]) for _, p in chunk])
            except PlatformError as exc:
                if exc.kind not in (ErrorKind.FATAL, ErrorKind.DENIED):
                    raise
                log.warning("shopee get_package_detail refused (%s); asking package by package", exc)
                for detail, package in chunk:
                    self._single_tracking_number(detail, package)
                continue
            for _, package in chunk:
                number = numbers.get(str(package["package_number"]))
                if number:
                    package["tracking_number"] = number

    def package_tracking_numbers(self, package_numbers: list[str]) -> dict[str, str]:
        """package_number → tracking number (non-empty ones) for 1..50 packages, in one call."""
        if not 1 <= len(package_numbers) <= PACKAGE_BATCH:
            raise ValueError("get_package_detail takes 1..50 package numbers")
        response = self.client.call("GET", PACKAGE_DETAIL_PATH, {"package_number_list": ",".join(package_numbers)})
        found = {}
        for entry in as_list(response.get("package_list")):
            if isinstance(entry, dict) and entry.get("package_number"):
                number = str(entry.get("tracking_number") or "").strip()
                if number:
                    found[str(entry["package_number"])] = number
        return found

    def _single_tracking_number(self, detail: dict[str, Any], package: dict[str, Any]) -> None:
        try:
            response = self.client.call("GET", TRACKING_PATH, {"order_sn": detail.get("order_sn"),
                                                               "package_number": package["package_number"]})
        except PlatformError as exc:
            if exc.kind is not ErrorKind.FATAL:
                raise
            log.warning("shopee tracking number of %s/%s: %s", detail.get("order_sn"), package["package_number"], exc)
            return
        number = str(response.get("tracking_number") or "").strip()
        if number:
            package["tracking_number"] = number
