"""Shopee settlements: escrows released in a window (``payment/get_escrow_list``, ≤ 15 days, page
numbers), each with its ``payment/get_escrow_detail``. Each raw record yielded is the escrow detail
with the list entry under ``"_release"`` (order_sn, payout_amount, escrow_release_time), then, per
UTC day of release whose last release lies in the window, ``{"_statement": {"day", "escrow_list"}}``
with every release of that whole day (the list is read for whole days, so a window edge never splits a
statement). The statement comes after the escrow details of every release of its day — those of earlier
windows already written, those of this one yielded before it — so a statement is never stored before its
lines (a window ending mid-day left the day's statement stored with none of the later releases' lines
until the next window: a false ``statement_mismatch`` for any reconcile in between, or until the next
sync if the run stopped there). A day whose later releases fall after the window is written with them.

Then the cross-border payout batches paid in the window (``payment/get_payout_detail``, ≤ 15 days,
page numbers, ``more``), each as ``{"_payout": payout_list entry}``. The API serves cross-border
shops only; a local shop's documented refusal ("This payment API is only applicable for cross
boarder shop") means it has no such batches (its payouts are wallet withdrawals), nothing else does.

A shop is local when, and only when, Shopee refuses its ``get_payout_detail`` with that documented
message (the platform's own answer for the shop, asked on every settlements run; no region or name is
guessed from, and the stored shop keeps no kind of its own). For a local shop the run then reads its
wallet (``payment/get_wallet_transaction_list``, "Only applicable for local shops": ≤ 15-day
``create_time_from``/``create_time_to`` windows, ``page_no`` from 1 with ``page_size`` 100 while
``more``; the same signed GET as every payment call), each transaction as
``{"_wallet": transaction, "_release": the get_escrow_list entry of its order or None}``: the release of
the same order among the whole days of releases read above, so the pure mapper
(``shopee.wallet_mapping``) can tell a money-in that a known escrow release explains from one that none
does. A completed (or cancelled) withdrawal also carries ``"_created"``: its ``WITHDRAWAL_CREATED`` transaction (when
the money left the balance: what it may have taken out is what was released before then), read with it
or looked up in the 15 days before its completion (``creation_of``). A cross-border shop's wallet is
never read (its batches already pay its releases).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone
from typing import Any

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.values import as_list, to_epoch_seconds
from platform_adapters.shopee.client import ShopeeClient
from platform_adapters.shopee.orders import MAX_WINDOW, windows

ESCROW_LIST_PATH = "/api/v2/payment/get_escrow_list"
ESCROW_DETAIL_PATH = "/api/v2/payment/get_escrow_detail"
PAYOUT_DETAIL_PATH = "/api/v2/payment/get_payout_detail"
WALLET_PATH = "/api/v2/payment/get_wallet_transaction_list"
NOT_CROSS_BORDER = "only applicable for cross boarder shop"  # sic: Shopee's documented message
MAX_PAGES = 10_000


class ShopeeSettlementSource:
    max_window = MAX_WINDOW

    def __init__(self, client: ShopeeClient) -> None:
        self.client = client
        self.local: bool | None = None  # known once get_payout_detail answered: refused = a local shop

    def request_ids(self) -> list[str]:
        return self.client.transport.request_ids

    def _pages(self, path: str, names: tuple[str, str], listed: str, start: datetime,
               end: datetime) -> Iterator[dict[str, Any]]:
        """The ``listed`` entries of ``path`` for [start, end), in ≤ 15-day calls of numbered pages."""
        for lower, upper in windows(start, end):
            time_from = to_epoch_seconds(lower)
            time_to = max(time_from, to_epoch_seconds(upper) - 1)
            for page_no in range(1, MAX_PAGES + 1):
                response = self.client.call("GET", path, {
                    names[0]: time_from, names[1]: time_to, "page_size": 100, "page_no": page_no})
                yield from (e for e in as_list(response.get(listed)) if isinstance(e, dict))
                if not response.get("more"):
                    break
            else:
                raise PlatformError(ErrorKind.FATAL, "too_many_pages", f"more than {MAX_PAGES} pages",
                                    platform="shopee", path=path)

    def released(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Escrow list entries released in [start, end), in ≤ 15-day calls."""
        return self._pages(ESCROW_LIST_PATH, ("release_time_from", "release_time_to"), "escrow_list", start, end)

    def payouts(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Cross-border payout batches paid in [start, end); none for a local shop (documented refusal)."""
        try:
            for batch in self._pages(PAYOUT_DETAIL_PATH, ("payout_time_from", "payout_time_to"), "payout_list",
                                     start, end):
                self.local = False
                yield batch
            self.local = False if self.local is None else self.local
        except PlatformError as exc:
            if exc.code == "error_param" and NOT_CROSS_BORDER in (exc.message or ""):
                self.local = True
                return
            raise

    def wallet(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """A local shop's wallet transactions created in [start, end), in ≤ 15-day calls of numbered pages."""
        return self._pages(WALLET_PATH, ("create_time_from", "create_time_to"), "transaction_list", start, end)

    def iter_settlements(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        first_day = datetime.combine(start.astimezone(timezone.utc).date(), time(), timezone.utc)
        last = (end - timedelta(microseconds=1)).astimezone(timezone.utc).date()
        after_last = datetime.combine(last + timedelta(days=1), time(), timezone.utc)
        seen: set[str] = set()
        days: dict[str, list[dict[str, Any]]] = {}
        for entry in self.released(first_day, after_last):
            order_sn = str(entry.get("order_sn") or "")
            at = _released_at(entry)
            if at is not None:
                days.setdefault(at.strftime("%Y-%m-%d"), []).append(entry)
            if at is not None and not start <= at < end:
                continue  # read for its day's statement only
            if not order_sn or order_sn in seen:
                if not order_sn:
                    yield {"_release": entry}  # mapped as a problem, parked
                continue
            seen.add(order_sn)
            detail = self.client.call("GET", ESCROW_DETAIL_PATH, {"order_sn": order_sn})
            yield {**detail, "_release": entry}
        for day, entries in sorted(days.items()):
            if start <= max(_released_at(e) for e in entries) < end:  # the day's last release is read here
                yield {"_statement": {"day": day, "escrow_list": entries}}
        for payout in self.payouts(start, end):
            yield {"_payout": payout}
        if self.local:
            releases = {str(e.get("order_sn")): e for entries in days.values() for e in entries if e.get("order_sn")}
            transactions = list(self.wallet(start, end))
            created = {str(t.get("withdrawal_id")): t for t in transactions
                       if str(t.get("transaction_type") or "").upper() == "WITHDRAWAL_CREATED"}
            for transaction in transactions:
                record = {"_wallet": transaction, "_release": releases.get(str(transaction.get("order_sn") or ""))}
                if str(transaction.get("transaction_type") or "").upper() in ("WITHDRAWAL_COMPLETED",
                                                                             "WITHDRAWAL_CANCELLED"):
                    record["_created"] = self.creation_of(transaction, created)
                yield record

    def creation_of(self, completed: dict[str, Any], seen: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        """The ``WITHDRAWAL_CREATED`` transaction of a completed or cancelled withdrawal: among those read with it, else
        looked up in the 15 days before its completion (one call filtered by ``transaction_type``); None
        when Shopee lists none there."""
        key = str(completed.get("withdrawal_id"))
        if key in seen:
            return seen[key]
        at = completed.get("create_time")
        if not (str(at or "").isascii() and str(at or "").isdigit()):
            return None  # the mapper refuses the completion itself
        upper = int(at)
        for page_no in range(1, MAX_PAGES + 1):
            response = self.client.call("GET", WALLET_PATH, {
                "create_time_from": upper - int(MAX_WINDOW.total_seconds()), "create_time_to": upper,
                "transaction_type": "WITHDRAWAL_CREATED", "page_size": 100, "page_no": page_no})
            for entry in as_list(response.get("transaction_list")):
                if isinstance(entry, dict) and str(entry.get("withdrawal_id")) not in seen:
                    seen[str(entry.get("withdrawal_id"))] = entry
            if key in seen or not response.get("more"):
                break
        return seen.get(key)


def _released_at(entry: dict[str, Any]) -> datetime | None:
    released = entry.get("escrow_release_time")
    return datetime.fromtimestamp(int(released), timezone.utc) if str(released or "").isascii() and str(released or "").isdigit() else None
