"""Shopee v2 request and push signing (HMAC-SHA256, lower-case hex, key = partner_key as UTF-8).

Base string, plain concatenation with no separators:
* Public API (auth link, token get/refresh, /public/*, /push/*): ``partner_id + path + timestamp``
* Shop API: ``partner_id + path + timestamp + access_token + shop_id``
* Merchant API: ``partner_id + path + timestamp + access_token + merchant_id``

``path`` is the full API path (``/api/v2/order/get_order_list``) without host or query; the
timestamp is Unix seconds. Body parameters and other query parameters are never signed. The
partner key is used as its UTF-8 bytes, never hex-decoded.
"""
from __future__ import annotations


from platform_adapters.signature import Signature, hmac_sha256_hex, verify_authorization

PUBLIC_PATH_PREFIXES = ("/api/v2/public/", "/api/v2/push/")
PUBLIC_PATHS = frozenset({"/api/v2/shop/auth_partner", "/api/v2/auth/token/get", "/api/v2/auth/access_token/get"})


def is_public_path(path: str) -> bool:
    """Whether ``path`` is signed with the short (Public API) base string."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PATH_PREFIXES)


def sign_request(
    partner_id: int,
    partner_key: str,
    path: str,
    timestamp: int,
    access_token: str | None = None,
    shop_id: int | str | None = None,
    merchant_id: int | str | None = None,
) -> Signature:
    """Sign one Shopee v2 call. Without ``access_token`` this is the Public API sign.

    With an access token exactly one of ``shop_id`` / ``merchant_id`` must be given.
    """
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise TypeError(f"timestamp must be int Unix seconds, got {type(timestamp).__name__}")
    if not path.startswith("/") or "?" in path or "://" in path:
        raise ValueError(f"path must be the bare API path like /api/v2/..., got {path!r}")
    base = f"{int(partner_id)}{path}{timestamp}"
    if access_token is not None:
        if (shop_id is None) == (merchant_id is None):
            raise ValueError("a Shop/Merchant API sign needs exactly one of shop_id or merchant_id")
        base += f"{access_token}{shop_id if shop_id is not None else merchant_id}"
    return Signature(base_string=base, sign=hmac_sha256_hex(partner_key, base))


def sign_push(partner_key: str, callback_url: str, raw_body: bytes) -> Signature:
    """Push (webhook) sign: HMAC-SHA256(partner_key, callback_url + "|" + raw body), lower hex."""
    base = callback_url + "|" + raw_body.decode("utf-8")
    return Signature(base_string=base, sign=hmac_sha256_hex(partner_key, base))


def verify_push(partner_key: str, callback_url: str, raw_body: bytes, authorization: str | None) -> bool:
    """Constant-time check of a push's ``Authorization`` header against the registered URL and raw body."""
    return verify_authorization(lambda: sign_push(partner_key, callback_url, raw_body), authorization)
