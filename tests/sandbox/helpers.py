"""Small helpers shared by the sandbox tests."""
from __future__ import annotations

import json
import time

import httpx


def first_shop(shops: dict, platform: str) -> dict:
    return next(s for s in shops["shops"] if s["platform"] == platform)


def fresh_tokens(control: httpx.Client, shop: dict) -> dict:
    reply = control.post(f"/_sandbox/shops/{shop['platform']}/{shop['shop_id']}/token")
    reply.raise_for_status()
    return reply.json()


def shopee_get(client: httpx.Client, shops: dict, shop: dict, path: str, params: dict, access_token: str,
               timestamp: int | None = None) -> httpx.Response:
    """A Shop API GET signed with the adapters' Shopee signer."""
    from platform_adapters.shopee.signing import sign_request

    app = shops["apps"]["shopee"]
    stamp = int(time.time()) if timestamp is None else timestamp
    sig = sign_request(int(app["app_key"]), app["app_secret"], path, stamp, access_token=access_token,
                       shop_id=shop["shop_id"])
    query = {"partner_id": app["app_key"], "timestamp": str(stamp), "access_token": access_token,
             "shop_id": shop["shop_id"], "sign": sig.sign, **{k: str(v) for k, v in params.items()}}
    return client.get(path, params=query)


def shopee_public_post(client: httpx.Client, shops: dict, path: str, body: dict) -> httpx.Response:
    from platform_adapters.shopee.signing import sign_request

    app = shops["apps"]["shopee"]
    stamp = int(time.time())
    sig = sign_request(int(app["app_key"]), app["app_secret"], path, stamp)
    return client.post(path, params={"partner_id": app["app_key"], "timestamp": str(stamp), "sign": sig.sign},
                       content=json.dumps({"partner_id": int(app["app_key"]), **body}),
                       headers={"Content-Type": "application/json"})


def lazada_get(client: httpx.Client, shops: dict, api_path: str, params: dict, access_token: str | None,
               timestamp_ms: int | None = None) -> httpx.Response:
    from platform_adapters.lazada.signing import sign_request

    app = shops["apps"]["lazada"]
    values = {k: str(v) for k, v in params.items()}
    values.update({"app_key": app["app_key"], "sign_method": "sha256",
                   "timestamp": str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)})
    if access_token:
        values["access_token"] = access_token
    values["sign"] = sign_request(app["app_secret"], api_path, values).sign
    return client.get("/rest" + api_path, params=values)


def tiktok_call(client: httpx.Client, shops: dict, method: str, path: str, query: dict, access_token: str,
                body: dict | None = None, timestamp: int | None = None) -> httpx.Response:
    from platform_adapters.tiktok.signing import sign_request

    app = shops["apps"]["tiktok"]
    values = {k: str(v) for k, v in query.items()}
    values.update({"app_key": app["app_key"], "timestamp": str(int(time.time()) if timestamp is None else timestamp)})
    raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    content_type = "application/json"
    values["sign"] = sign_request(app["app_secret"], path, values, raw or None, content_type).sign
    return client.request(method, path, params=values, content=raw or None,
                          headers={"x-tts-access-token": access_token, "content-type": content_type})
