"""Shared transport for the marketplace adapters: retries, rate limiting, request ids, redaction.

Platform folders build and sign requests and read their envelopes; this package sends them with one
retry policy (tenacity, honouring Retry-After, jittered capped backoff), a per-shop rate limiter,
and a log of every response's request id. Nothing here knows a platform's protocol.
"""
from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.ratelimit import RateLimiter
from platform_adapters.http.retry import RetryPolicy
from platform_adapters.http.transport import Transport

__all__ = ["ErrorKind", "PlatformError", "RateLimiter", "RetryPolicy", "Transport"]
