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


@dataclass(frozen=True, slots=True)
class OwnerClaim:
    """A value of a row that names the row's owner, for the application to resolve (mappers stay pure).

    ``via`` says how it names the owner:

    * ``owner_code`` (a 3PL's code for the brand; ``scope`` = warehouse code), ``legal_name``
      (consignee, notify party, importer of record) and ``registration_no`` (``scope`` = country):
      through the owner aliases;
    * ``shop``: the registered shop (``value`` = shop id, ``scope`` = platform);
    * ``receipt`` (ASN number, ``scope`` = warehouse), ``document`` (transport document number),
      ``customs_entry`` (declaration number): the owner of that stored record;
    * ``houses_of``: a master document names no owner itself; its owners are those of the house
      documents that name it as their master.

    ``column`` is the canonical column the value came from (a rejected row names it); ``value`` may
    be empty (the column was blank), which claims nothing but tells a rejection where to look.
    """

    via: str
    column: str
    value: str
    scope: str = ""
