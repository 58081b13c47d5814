"""Tenancy records: the brand owner and its marketplace shops."""
from __future__ import annotations

from dataclasses import dataclass

from platform_adapters.canonical.common import Platform


@dataclass(frozen=True, slots=True)
class Owner:
    """A brand owner (tenant). Everything else is keyed by it."""

    owner_id: str
    name: str
    base_currency: str = "CNY"


@dataclass(frozen=True, slots=True)
class Shop:
    """A marketplace shop of an owner. Key: (platform, shop_id)."""

    platform: Platform
    shop_id: str
    owner_id: str
    region: str  # ISO 3166 alpha-2: SG MY TH ID PH VN
    name: str = ""
    base_url: str | None = None  # explicit host override (sandbox, tests)
