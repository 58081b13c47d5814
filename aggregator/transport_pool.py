"""Long-lived HTTP clients per platform for work that calls a marketplace many times a minute from one
process: the webhook apply path (re-reading a pushed order) in the API process or a Celery worker.

Building an ``httpx.Client`` builds a TLS context (certificate store loaded and parsed) and a fresh
connection pool, so a client per push spent most of the apply step's CPU on setup and a new TCP+TLS
handshake. The pool keeps one client per platform (its connections kept alive and reused; httpx's
``Client`` is safe to share between threads) and hands out a light ``Transport`` per use around it,
with the platform's process-wide rate limiter and a fresh retry count and request-id log.
"""
from __future__ import annotations

import threading

import httpx

from platform_adapters.http import Transport

KEEPALIVE = httpx.Limits(max_connections=50, max_keepalive_connections=20, keepalive_expiry=120.0)


class TransportPool:
    def __init__(self, *, timeout: float = 30.0, retries: int = 6) -> None:
        self.timeout, self.retries = timeout, retries
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()

    def client(self, platform: str) -> httpx.Client:
        with self._lock:
            client = self._clients.get(platform)
            if client is None or client.is_closed:
                client = httpx.Client(timeout=httpx.Timeout(self.timeout, connect=min(10.0, self.timeout)),
                                      limits=KEEPALIVE)
                self._clients[platform] = client
            return client

    def transport(self, platform: str) -> Transport:
        """A transport over the platform's shared client (closing it is not needed; the pool owns the client)."""
        from aggregator.sync.marketplace import make_transport

        return make_transport(platform, retries=self.retries, timeout=self.timeout, client=self.client(platform))

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


#: the pool of this process (API server, Celery worker); closed at exit by whoever created the process
_shared: TransportPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> TransportPool:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TransportPool()
        return _shared
