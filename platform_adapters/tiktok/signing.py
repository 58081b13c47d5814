"""TikTok Shop (202309+) request and webhook signing.

Request sign: ``app_secret + path + Σ sorted(key + value) + body + app_secret`` where the pairs are
the query parameters except ``sign`` and ``access_token``, and the body is the exact bytes sent
(left out for ``multipart/form-data``); HMAC-SHA256 keyed with ``app_secret``, lower-case hex.
The access token travels in the ``x-tts-access-token`` header and is not signed. Serialise a JSON
body once and send those same bytes: re-serialising (e.g. ``json.dumps`` with default spaces)
changes the sign.

Webhook sign: lower-case hex HMAC-SHA256(app_secret, app_key + raw body) in ``Authorization``.
"""
from __future__ import annotations

from collections.abc import Mapping

from platform_adapters.signature import Signature, hmac_sha256_hex, sign_key_and_body, verify_authorization

EXCLUDED_PARAMS = frozenset({"sign", "access_token"})


def sign_request(
    app_secret: str,
    path: str,
    query: Mapping[str, str],
    body: bytes | None,
    content_type: str | None,
) -> Signature:
    """Sign one call from its path, decoded query values, raw body bytes and content type."""
    if not path.startswith("/") or "?" in path or "://" in path:
        raise ValueError(f"path must be the bare URL path like /order/202309/orders/search, got {path!r}")
    pairs = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in EXCLUDED_PARAMS)
    inner = path + pairs
    if body and not (content_type or "").lower().startswith("multipart/form-data"):
        inner += bytes(body).decode("utf-8")
    base = app_secret + inner + app_secret
    return Signature(base_string=base, sign=hmac_sha256_hex(app_secret, base))


#: Webhook sign: lower-case hex HMAC-SHA256(app_secret, app_key + raw body) (same rule as Lazada pushes).
sign_webhook = sign_key_and_body


def verify_webhook(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    """Constant-time check of a webhook's ``Authorization`` header over the raw body bytes."""
    return verify_authorization(lambda: sign_webhook(app_key, app_secret, raw_body), authorization)
