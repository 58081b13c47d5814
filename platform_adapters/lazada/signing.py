"""Lazada (LazOP) request and push signing.

Request sign: HMAC-SHA256 keyed with ``app_secret`` over ``api_path`` followed by ``key + value``
for every parameter (system and business, query or form body) sorted by ASCII key, leaving out
``sign`` and file parameters; written as UPPER-case hex. ``api_path`` has no ``/rest`` prefix.
The access token is a signed parameter. Empty values are signed as-is (the official Python SDK
does; the Java/C# SDKs skip them), so the client never sends empty parameters and both agree.

Push sign: lower-case hex HMAC-SHA256(app_secret, app_key + raw body) in ``Authorization``.
"""
from __future__ import annotations

from collections.abc import Mapping

from platform_adapters.signature import Signature, hmac_sha256_hex, sign_key_and_body, verify_authorization


def sign_request(
    app_secret: str,
    api_path: str,
    params: Mapping[str, str],
    body: Mapping[str, str] | None = None,
) -> Signature:
    """Sign the parameters of one call; ``body`` holds form-body parameters (signed like the rest)."""
    if not api_path.startswith("/") or api_path.startswith("/rest/") or "?" in api_path:
        raise ValueError(f"api_path must be the bare API path like /orders/get, got {api_path!r}")
    merged: dict[str, str] = {}
    for source in (params, body or {}):
        for key, value in source.items():
            if key == "sign":
                continue
            if isinstance(value, (bytes, bytearray)) or hasattr(value, "read"):
                continue  # file parameters are never signed
            if key in merged and merged[key] != str(value):
                raise ValueError(f"parameter {key!r} appears in both query and body with different values")
            merged[key] = str(value)
    base = api_path + "".join(f"{key}{merged[key]}" for key in sorted(merged))
    return Signature(base_string=base, sign=hmac_sha256_hex(app_secret, base).upper())


#: Push sign: lower-case hex HMAC-SHA256(app_secret, app_key + raw body).
sign_push = sign_key_and_body


def verify_push(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    """Constant-time check of a push's ``Authorization`` header over the raw body bytes."""
    return verify_authorization(lambda: sign_push(app_key, app_secret, raw_body), authorization)
