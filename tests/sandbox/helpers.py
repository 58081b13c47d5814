"""Small helpers shared by the sandbox tests."""
from __future__ import annotations

import httpx


def first_shop(shops: dict, platform: str) -> dict:
    return next(s for s in shops["shops"] if s["platform"] == platform)


def fresh_tokens(control: httpx.Client, shop: dict) -> dict:
    reply = control.post(f"/_sandbox/shops/{shop['platform']}/{shop['shop_id']}/token")
    reply.raise_for_status()
    return reply.json()
