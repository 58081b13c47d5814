"""Marketplace streams bound to the sync framework: each shop's adapter becomes a ``StreamPuller``.

Streams: ``orders`` (order headers, lines, packages), ``settlements`` (settlement lines from the
platforms' finance APIs) and ``returns`` (returns, refunds and cancellations from the platforms'
after-sales APIs, for adapters that offer ``return_source``). ``sync_shop`` builds, for one shop, the adapter settings from its stored
credentials, the database token provider (single-flight refresh), one HTTP transport with the shared
retry policy and a per-shop rate limiter, and runs ``run_sync`` for the stream with its writer.
A shop needing re-authorization is not synced and says so; an authorization lost during the run
marks the shop ``needs_reauth``.

Records are written in batches by the framework (``write_orders`` / ``write_settlement_lines``),
which holds no transaction while the puller fetches, so a token refresh mid-window never waits on
the sync's own write lock (SQLite has one writer).
"""
from __future__ import annotations

import functools
import logging
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from aggregator.logging_setup import redact_text
from aggregator.auth.shops import adapter_settings, credential_of, shop_context
from aggregator.auth.token_store import DatabaseTokenProvider
from aggregator.store.db import session_scope, statement_reads
from aggregator.store.gc_pause import gc_paused
from aggregator.settlement.writer import write_settlement_record, write_settlement_records
from aggregator.store.marketplace_writer import write_order, write_orders
from aggregator.store.returns_writer import write_return, write_returns
from aggregator.store.models.tenancy import ShopRow
from aggregator.store.upsert import write_audit
from aggregator.store.vault import Vault
from aggregator.sync import push_deferral
from aggregator.sync.framework import Pulled, SyncSummary, Window, run_sync, write_batch
from platform_adapters.auth import AuthorizationRevoked, utc_now
from platform_adapters.http.ratelimit import RateLimiter
from platform_adapters.http.retry import RetryPolicy
from platform_adapters.http.transport import Transport
from platform_adapters.registry import MarketplaceAdapter, OrderSource, ShopContext, get_adapter

log = logging.getLogger(__name__)
WRITERS = {"orders": (write_order, write_orders),
           "settlements": (write_settlement_record, write_settlement_records),
           "returns": (write_return, write_returns)}
STREAMS = tuple(WRITERS)


#: The adapter method that makes each optional stream available.
OPTIONAL_STREAMS = {"settlements": "settlement_source", "returns": "return_source"}


def streams_of(adapter: MarketplaceAdapter) -> tuple[str, ...]:
    """The streams ``adapter`` offers: orders always, settlements and returns when it has their source."""
    return tuple(s for s in STREAMS if s not in OPTIONAL_STREAMS or hasattr(adapter, OPTIONAL_STREAMS[s]))
_LIMITERS: dict[str, RateLimiter] = {}


def limiter_for(adapter: MarketplaceAdapter) -> RateLimiter:
    """One limiter per platform per process, keyed inside by shop."""
    name = adapter.platform.value
    if name not in _LIMITERS:
        _LIMITERS[name] = RateLimiter(rate=adapter.calls_per_second, burst=max(1, int(adapter.calls_per_second)))
    return _LIMITERS[name]


@dataclass
class OrderPuller:
    """``StreamPuller`` for the ``orders`` stream of one shop: pull raw orders, map each one."""

    adapter: MarketplaceAdapter
    settings: Any
    shop: ShopContext
    source: OrderSource

    @property
    def max_window(self):
        return self.source.max_window

    def pull(self, window: Window) -> Iterator[Pulled]:
        for raw in self.source.iter_orders(window.start, window.end):
            with gc_paused():  # the collector waits while a record is mapped, not while pages are fetched
                result = self.adapter.map_order(raw, self.shop, self.settings)
            yield Pulled(raw=raw, result=result, record_key=self.adapter.raw_order_key(raw))

    def request_ids(self) -> list[str]:
        return list(self.source.request_ids())


@dataclass
class ReturnPuller:
    """``StreamPuller`` for the ``returns`` stream: raw after-sales cases, each mapped to one record."""

    adapter: MarketplaceAdapter
    settings: Any
    shop: ShopContext
    source: Any  # ReturnSource

    @property
    def max_window(self):
        return self.source.max_window

    def pull(self, window: Window) -> Iterator[Pulled]:
        for raw in self.source.iter_returns(window.start, window.end):
            yield self.pulled(raw)

    def pulled(self, raw: Any) -> Pulled:
        with gc_paused():
            result = self.adapter.map_return(raw, self.shop, self.settings)
        return Pulled(raw=raw, result=result, record_key=self.adapter.raw_return_key(raw))

    def request_ids(self) -> list[str]:
        return list(self.source.request_ids())


@dataclass
class SettlementPuller:
    """``StreamPuller`` for the ``settlements`` stream: one raw finance record can give several lines."""

    adapter: MarketplaceAdapter
    settings: Any
    shop: ShopContext
    source: Any  # SettlementSource

    @property
    def max_window(self):
        return self.source.max_window

    def pull(self, window: Window) -> Iterator[Pulled]:
        for raw in self.source.iter_settlements(window.start, window.end):
            key = self.adapter.raw_settlement_key(raw)
            with gc_paused():
                results = self.adapter.map_settlement(raw, self.shop, self.settings)
            for result in results:
                record = result.record
                line_key = f"{key}:{getattr(record, 'transaction_id', None) or 'statement'}" if record is not None else key
                yield Pulled(raw=raw, result=result, record_key=line_key)

    def request_ids(self) -> list[str]:
        return list(self.source.request_ids())


class ShopNotReady(RuntimeError):
    """The shop cannot be synced now (needs re-authorization, disabled); the message says why."""


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The process's TLS context (certificate store loaded once): building it took about 80 ms of CPU, paid
    by every run's new client before, which under a pool of runs was CPU every other run waited for.
    ``SSLContext`` is safe to share between clients and threads."""
    return httpx.create_ssl_context()


def make_transport(platform: str, *, retries: int = 6, timeout: float = 30.0,
                   client: httpx.Client | None = None) -> Transport:
    """The production transport: timeouts, the shared retry policy, the platform's per-shop limiter.
    ``client``: a long-lived client to reuse (``aggregator.transport_pool``); else a new one (its own
    connections, the process's TLS context)."""
    adapter = get_adapter(platform)
    client = client or httpx.Client(timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)), verify=tls_context())
    return Transport(client, retry=RetryPolicy(max_attempts=retries), limiter=limiter_for(adapter), platform=platform)


def build_puller(engine: Engine, shop: ShopRow, vault: Vault, transport: Transport, stream: str = "orders", *,
                 clock: Callable[[], datetime] = utc_now
                 ) -> tuple[OrderPuller | SettlementPuller | ReturnPuller, DatabaseTokenProvider]:
    """The puller of ``stream`` for ``shop`` and the token provider it uses."""
    adapter = get_adapter(shop.platform)
    if stream not in streams_of(adapter):
        raise ValueError(f"unknown stream {stream!r} for {shop.platform}; known: {', '.join(streams_of(adapter))}")
    with Session(statement_reads(engine)) as session:  # one statement: no transaction round trips
        credential = credential_of(session, shop)
        settings = adapter_settings(shop, credential, vault)
        context = shop_context(shop, credential)

    once = getattr(adapter, "refresh_single_use", False)  # Shopee: a refresh token "can be used once"

    def refresher(stale):  # a single-use refresh is sent once, never retried after it may have arrived
        return adapter.refresh_tokens(settings, transport.single_use() if once else transport, context, stale, clock)

    tokens = DatabaseTokenProvider(engine, shop.id, shop.shop_id, vault, refresher, clock=clock)
    if stream == "settlements":
        source = adapter.settlement_source(settings, context, tokens, transport, clock)
        return SettlementPuller(adapter, settings, context, source), tokens
    if stream == "returns":
        source = adapter.return_source(settings, context, tokens, transport, clock)
        return ReturnPuller(adapter, settings, context, source), tokens
    source = adapter.order_source(settings, context, tokens, transport, clock)
    return OrderPuller(adapter, settings, context, source), tokens


class _RevocationWatch:
    """Wraps a puller so an ``AuthorizationRevoked`` raised mid-pull marks the shop before it propagates."""

    def __init__(self, engine: Engine, shop: ShopRow, puller: OrderPuller | SettlementPuller) -> None:
        self.engine, self.shop, self.puller = engine, shop, puller
        self.max_window = puller.max_window

    def pull(self, window: Window) -> Iterator[Pulled]:
        try:
            yield from self.puller.pull(window)
        except AuthorizationRevoked as exc:
            with session_scope(self.engine) as session:
                session.execute(update(ShopRow).where(ShopRow.id == self.shop.id)
                                .values(status="needs_reauth", status_reason=exc.reason[:1000]))
                write_audit(session, entity="shops", key=f"{self.shop.platform}:{self.shop.shop_id}",
                            action="needs_reauth", owner_id=self.shop.owner_id, changes={"reason": exc.reason})
            raise

    def request_ids(self) -> list[str]:
        return self.puller.request_ids()


def sync_shop(engine: Engine, shop: ShopRow, vault: Vault, stream: str = "orders", *,
              since: datetime | None = None, until: datetime | None = None, transport: Transport | None = None,
              clock: Callable[[], datetime] = utc_now, now: datetime | None = None,
              on_record: Callable[[], None] | None = None, retries: int = 6, timeout: float = 30.0,
              **run_options: Any) -> SyncSummary:
    """One run of ``stream`` for ``shop`` (backfill when ``since`` is given)."""
    if stream not in streams_of(get_adapter(shop.platform)):
        raise ValueError(f"unknown stream {stream!r} for {shop.platform}; "
                         f"known: {', '.join(streams_of(get_adapter(shop.platform)))}")
    if shop.status != "active":
        raise ShopNotReady(f"{shop.platform}:{shop.shop_id} is {shop.status}"
                           + (f" ({shop.status_reason})" if shop.status_reason else "")
                           + ("; run: aggregator shops authorize" if shop.status == "needs_reauth" else ""))
    owned = transport is None
    transport = transport or make_transport(shop.platform, retries=retries, timeout=timeout)
    writer, batch_writer = WRITERS[stream]
    try:
        puller, _ = build_puller(engine, shop, vault, transport, stream, clock=clock)
        watched = _RevocationWatch(engine, shop, puller)
        summary = run_sync(engine, shop, stream, watched, writer, batch_writer=batch_writer, since=since, until=until,
                           now=now, on_record=on_record, pushes=push_deferral if stream == "orders" else None,
                           **run_options)
    finally:
        if owned:
            transport.close()
    if summary.rereads_requested:
        _drain_requested(engine, vault, shop)
    return summary


def _drain_requested(engine: Engine, vault: Vault, shop: ShopRow) -> None:
    """Re-read now the orders the run left to a re-read it requested (``sync.push_deferral``); when that
    fails, the requests wait for the lost-push recovery (``push_apply.resume_stalled``)."""
    from aggregator.push_apply import drain

    try:
        drain(engine, vault, shop)
    except Exception as exc:  # noqa: BLE001 - the requests stay stored: the recovery job re-reads them
        log.warning("re-reading the orders %s:%s's sync left to a re-read failed (%s: %s); the lost-push "
                    "recovery re-reads them", shop.platform, shop.shop_id, type(exc).__name__, redact_text(str(exc)))


def sync_shop_orders(engine: Engine, shop: ShopRow, vault: Vault, **options: Any) -> SyncSummary:
    """One run of the ``orders`` stream for ``shop`` (see ``sync_shop``)."""
    return sync_shop(engine, shop, vault, "orders", **options)


@dataclass
class RefreshOutcome:
    """Counts of a by-id refresh (webhook or re-read): outcome name → number of orders."""

    counts: dict[str, int]
    not_found: list[str]


def read_orders(engine: Engine, shop: ShopRow, vault: Vault, order_ids: list[str], transport: Transport, *,
                clock: Callable[[], datetime] = utc_now) -> list[Pulled]:
    """Fetch the current state of ``order_ids`` (the adapter's batch calls) and map each; nothing is
    written and no transaction is open meanwhile."""
    if shop.status != "active":
        raise ShopNotReady(f"{shop.platform}:{shop.shop_id} is {shop.status}")
    puller, _ = build_puller(engine, shop, vault, transport, "orders", clock=clock)
    raws = puller.source.fetch_orders(order_ids)
    return [Pulled(raw=raw, result=puller.adapter.map_order(raw, puller.shop, puller.settings),
                   record_key=puller.adapter.raw_order_key(raw)) for raw in raws]


def write_read_orders(session: Session, shop: ShopRow, pulled: list[Pulled], counts: dict[str, int],
                      outcomes: dict[str, str] | None = None) -> None:
    """Store what ``read_orders`` returned in ``session``, with the same parking and isolation as a sync
    (``outcomes``: filled with each order id's outcome)."""
    write_batch(session, shop, f"{shop.platform}:orders", write_order, write_orders, pulled, None, counts, outcomes)


def refresh_counts() -> dict[str, int]:
    return dict.fromkeys(("created", "updated", "unchanged", "stale", "failed", "unknown_status"), 0)


def refresh_orders(engine: Engine, shop: ShopRow, vault: Vault, order_ids: list[str], *,
                   transport: Transport | None = None, clock: Callable[[], datetime] = utc_now) -> RefreshOutcome:
    """Fetch the current state of ``order_ids`` and upsert them (no cursor, no run row).

    For re-reads: the upsert's source-time guard keeps an older state from overwriting a newer one,
    so late or repeated notifications are harmless. Unmappable orders are parked like in a sync.
    """
    if shop.status != "active":
        raise ShopNotReady(f"{shop.platform}:{shop.shop_id} is {shop.status}")
    owned = transport is None
    transport = transport or make_transport(shop.platform)
    counts = refresh_counts()
    try:
        pulled = read_orders(engine, shop, vault, order_ids, transport, clock=clock)  # all HTTP first
        with session_scope(engine) as session:
            write_read_orders(session, shop, pulled, counts)
        found = {p.record_key for p in pulled}
    finally:
        if owned:
            transport.close()
    return RefreshOutcome(counts, [i for i in dict.fromkeys(map(str, order_ids)) if i not in found])


def refresh_returns(engine: Engine, shop: ShopRow, vault: Vault, order_ids: list[str], *,
                    transport: Transport | None = None, clock: Callable[[], datetime] = utc_now) -> dict[str, int]:
    """Re-read every return and cancellation of ``order_ids`` and upsert them (webhooks: TikTok types
    11 and 12, Lazada reverse-order messages). Needs an adapter whose return source can search by
    order (``fetch_for_orders``); counts per outcome."""
    if shop.status != "active":
        raise ShopNotReady(f"{shop.platform}:{shop.shop_id} is {shop.status}")
    owned = transport is None
    transport = transport or make_transport(shop.platform)
    counts = refresh_counts()
    try:
        puller, _ = build_puller(engine, shop, vault, transport, "returns", clock=clock)
        if not hasattr(puller.source, "fetch_for_orders"):
            raise ValueError(f"{shop.platform} returns cannot be looked up by order")
        pulled = [puller.pulled(raw) for raw in puller.source.fetch_for_orders(order_ids)]
        with session_scope(engine) as session:
            write_batch(session, shop, f"{shop.platform}:returns", write_return, write_returns, pulled, None, counts)
    finally:
        if owned:
            transport.close()
    return counts
