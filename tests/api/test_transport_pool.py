"""The webhook apply path's long-lived clients: one per platform per process, a light transport per use."""
from __future__ import annotations

from aggregator.transport_pool import TransportPool


def test_one_client_per_platform_a_fresh_transport_per_use() -> None:
    pool = TransportPool(timeout=5)
    try:
        first, second = pool.transport("shopee"), pool.transport("shopee")
        assert first is not second and first.client is second.client  # connections and TLS context reused
        first.request_ids.append("req-1")
        assert second.request_ids == [] and first.limiter is second.limiter
        assert pool.transport("lazada").client is not first.client
    finally:
        pool.close()
    assert first.client.is_closed
    assert not pool.transport("shopee").client.is_closed  # a closed pool makes a new client when used again
    pool.close()
