"""TikTok Shop settlements: statements by statement time, then each statement's transactions.

``GET /finance/202309/statements`` (page tokens) lists the daily statements in a window; for each,
``GET /finance/202501/statements/{id}/statement_transactions`` (page tokens) lists its order and
adjustment and reserve transactions (the 202309 transaction endpoints are retired). Each raw record
yielded is ``{"statement": {...}, "transaction": {...}}``, and once per statement
``{"statement": {...}, "summary": {...}}`` with the transactions' page header (``payable_amount``,
``total_reserve_amount``, ``total_settlement_amount`` and its breakdown) for the statement record.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.values import as_list, to_epoch_seconds
from platform_adapters.tiktok.client import TikTokClient

STATEMENTS_PATH = "/finance/202309/statements"
TRANSACTIONS_PATH = "/finance/202501/statements/{statement_id}/statement_transactions"
MAX_WINDOW = timedelta(days=30)
MAX_PAGES = 10_000


class TikTokSettlementSource:
    max_window = MAX_WINDOW

    def __init__(self, client: TikTokClient) -> None:
        self.client = client

    def request_ids(self) -> list[str]:
        return self.client.transport.request_ids

    def _pages(self, path: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        token, used = "", set()
        for _ in range(MAX_PAGES):
            data = self.client.call("GET", path, {**query, "page_size": 100, "page_token": token})
            yield data
            token = str(data.get("next_page_token") or "")
            if not token:
                return
            if token in used:
                raise PlatformError(ErrorKind.FATAL, "page_token_loop", f"next_page_token {token!r} repeated",
                                    platform="tiktok", path=path)
            used.add(token)
        raise PlatformError(ErrorKind.FATAL, "too_many_pages", f"more than {MAX_PAGES} pages", platform="tiktok",
                            path=path)

    @staticmethod
    def _rows(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        return [row for row in as_list(data.get(key)) if isinstance(row, dict)]

    def statements(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        query = {"sort_field": "statement_time", "sort_order": "ASC",
                 "statement_time_ge": to_epoch_seconds(start), "statement_time_lt": to_epoch_seconds(end)}
        for page in self._pages(STATEMENTS_PATH, query):
            yield from self._rows(page, "statements")

    def iter_settlements(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        for statement in self.statements(start, end):
            statement_id = str(statement.get("id") or "")
            if not statement_id:
                yield {"statement": statement, "transaction": None}  # mapped as a problem, parked
                continue
            path = TRANSACTIONS_PATH.format(statement_id=statement_id)
            summary = None
            for page in self._pages(path, {"sort_field": "order_create_time"}):
                if summary is None:
                    summary = {k: v for k, v in page.items() if k not in ("transactions", "next_page_token")}
                for transaction in self._rows(page, "transactions"):
                    yield {"statement": statement, "transaction": transaction}
            yield {"statement": statement, "summary": summary or {}}
