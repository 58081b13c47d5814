"""Marketplace shops: register (with app credentials encrypted at rest), list, remove, authorize.

Authorization stores the token pair from a code exchange (or from a manual token import) and puts
the shop back to ``active``. A TikTok shop also needs its ``shop_cipher``, looked up with the new
token.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aggregator.auth.token_store import write_tokens
from aggregator.store.db import session_scope
from aggregator.store.models.tenancy import ShopCredential, ShopRow
from aggregator.store.upsert import write_audit
from aggregator.store.vault import Vault
from aggregator.tenancy import TenancyError, require_owner
from platform_adapters.auth import TokenSet
from platform_adapters.registry import AuthorizedShop, ShopContext, UnknownPlatform, get_adapter, require_platform

REGIONS = frozenset({"SG", "MY", "TH", "ID", "PH", "VN", "US", "GB", "BR", "MX", "JP", "CN", "TW"})
SHOP_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def add_shop(session: Session, vault: Vault, *, platform: str, owner_id: str, shop_id: str, region: str,
             app_key: str, app_secret: str, name: str = "", base_url: str | None = None) -> ShopRow:
    """Register a shop; the app credentials are validated by building the adapter's settings."""
    try:
        platform_name = require_platform(platform)
    except UnknownPlatform as exc:
        raise TenancyError(str(exc)) from exc
    region = region.strip().upper()
    if region not in REGIONS:
        raise TenancyError(f"unknown region {region!r}; use one of {', '.join(sorted(REGIONS))}")
    if not SHOP_ID_PATTERN.match(shop_id):
        raise TenancyError(f"shop id {shop_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
    if not app_key or not app_secret:
        raise TenancyError("the app key (partner_id) and app secret (partner_key) are required")
    require_owner(session, owner_id)
    adapter = get_adapter(platform_name)
    try:
        adapter.settings_for(app_key=app_key, app_secret=app_secret, region=region, base_url=base_url)
    except ValueError as exc:
        raise TenancyError(f"invalid {platform_name} settings: {exc}") from exc
    exists = session.scalars(select(ShopRow).where(ShopRow.platform == platform_name,
                                                   ShopRow.shop_id == shop_id)).first()
    if exists:
        raise TenancyError(f"{platform_name} shop {shop_id} is already registered (owner {exists.owner_id})")
    shop = ShopRow(owner_id=owner_id, platform=platform_name, shop_id=shop_id, region=region, name=name,
                   base_url=base_url, status="needs_reauth", status_reason="not authorized yet")
    session.add(shop)
    session.flush()
    session.add(ShopCredential(shop_pk=shop.id, app_key=app_key, app_secret_enc=vault.encrypt(app_secret)))
    write_audit(session, entity="shops", key=f"{platform_name}:{shop_id}", action="create", owner_id=owner_id,
                changes={"region": region, "base_url": base_url, "name": name})
    session.flush()
    return shop


def list_shops(session: Session, owner_id: str | None = None) -> list[ShopRow]:
    stmt = select(ShopRow).order_by(ShopRow.platform, ShopRow.shop_id)
    if owner_id:
        stmt = stmt.where(ShopRow.owner_id == owner_id)
    return list(session.scalars(stmt))


def find_shop(session: Session, shop_id: str, platform: str | None = None) -> ShopRow:
    stmt = select(ShopRow).where(ShopRow.shop_id == shop_id)
    if platform:
        try:
            stmt = stmt.where(ShopRow.platform == require_platform(platform))
        except UnknownPlatform as exc:
            raise TenancyError(str(exc)) from exc
    rows = list(session.scalars(stmt))
    if not rows:
        raise TenancyError(f"no shop {shop_id!r}" + (f" on {platform}" if platform else ""))
    if len(rows) > 1:
        raise TenancyError(f"shop id {shop_id!r} exists on several platforms; pass --platform")
    return rows[0]


def remove_shop(session: Session, shop: ShopRow) -> None:
    write_audit(session, entity="shops", key=f"{shop.platform}:{shop.shop_id}", action="delete",
                owner_id=shop.owner_id, changes=None)
    session.delete(shop)


def credential_of(session: Session, shop: ShopRow) -> ShopCredential:
    row = session.scalars(select(ShopCredential).where(ShopCredential.shop_pk == shop.id)).first()
    if row is None or not row.app_key:
        raise TenancyError(f"{shop.platform} shop {shop.shop_id} has no app credentials")
    return row


def adapter_settings(shop: ShopRow, credential: ShopCredential, vault: Vault, options: dict | None = None):
    adapter = get_adapter(shop.platform)
    return adapter.settings_for(app_key=credential.app_key, app_secret=vault.decrypt(credential.app_secret_enc) or "",
                                region=shop.region, base_url=shop.base_url, options=options)


def shop_context(shop: ShopRow, credential: ShopCredential | None) -> ShopContext:
    return ShopContext(shop_id=shop.shop_id, region=shop.region,
                       shop_cipher=credential.shop_cipher if credential is not None else None)


def store_authorization(session: Session, vault: Vault, shop: ShopRow, tokens: TokenSet, *,
                        shop_cipher: str | None = None, actor: str = "cli") -> None:
    """Keep a freshly obtained token pair and mark the shop active again."""
    credential = credential_of(session, shop)
    write_tokens(session, credential, tokens, vault, actor=actor)
    if shop_cipher:
        credential.shop_cipher = shop_cipher
    account = tokens.extra.get("seller_name") or tokens.extra.get("account")
    if account:
        credential.seller_account = account
    shop.status, shop.status_reason = "active", None
    write_audit(session, entity="shops", key=f"{shop.platform}:{shop.shop_id}", action="authorized",
                owner_id=shop.owner_id, changes={"access_expires_at": tokens.access_expires_at}, actor=actor)


def listed_shop(listed: list[AuthorizedShop], shop_id: str) -> AuthorizedShop | None:
    """The entry of ``shop_id`` among the shops a token covers (by id, or TikTok's shop code)."""
    for entry in listed:
        if entry.shop_id == str(shop_id) or (entry.extra or {}).get("code") == str(shop_id):
            return entry
    return None


class AuthorizationFailed(TenancyError):
    """The platform did not grant the authorization (the message says why)."""


@dataclass
class Authorization:
    """What one authorization did: the token, and every shop it covers, linked or registered."""

    tokens: TokenSet
    authorized: str  # platform:shop of the shop the code was exchanged for
    linked: list[str] = field(default_factory=list)  # already registered for the owner: tokens stored
    registered: list[str] = field(default_factory=list)  # new shops registered for the owner, tokens stored
    refused: list[str] = field(default_factory=list)  # covered shops that could not be linked, with why

    def lines(self) -> list[str]:
        return ([f"{key}: registered and authorized by the same token" for key in self.registered]
                + [f"{key}: linked to the same token" for key in self.linked]
                + [f"not linked: {why}" for why in self.refused])


def authorize_with_code(engine: Engine, vault: Vault, shop_pk: int, code: str, *,
                        clock: Callable[[], datetime], transport=None, options: dict | None = None,
                        retries: int = 6, timeout: float = 30.0, main_account_id: str | None = None
                        ) -> Authorization:
    """Exchange the redirect's one-time ``code`` for tokens through the shop's adapter and keep them, for
    this shop and every other shop the same token covers.

    The adapter's authorization hook (``authorized_shops``) says which shops the token covers (Shopee
    ``shop_id_list``, the shops of a main account when ``main_account_id`` came back in the redirect;
    Lazada ``country_user_info``, one venture each, several for a cross-border ``cb`` seller; TikTok Get
    Authorized Shops). A token that lists shops but not this one is refused; this shop's entry gives it
    its ``shop_cipher`` (TikTok). Each other covered shop is linked (registered for the same owner: its
    tokens are stored) or registered for this shop's owner with the same app credentials and base URL
    (its region from the listing, or the adapter's ``describe_shop``); one registered for another owner
    is never touched and is reported. No transaction is open during the HTTP calls (on SQLite it would
    hold the only write lock for as long as the platform takes to answer).
    """
    with Session(engine) as session:
        shop = session.get(ShopRow, shop_pk)
        if shop is None:
            raise TenancyError(f"no shop #{shop_pk}")
        credential = credential_of(session, shop)
        settings = adapter_settings(shop, credential, vault, options)
        context = shop_context(shop, credential)
        platform, shop_id, owner_id = shop.platform, shop.shop_id, shop.owner_id
        app_key, app_secret = credential.app_key, vault.decrypt(credential.app_secret_enc) or ""
        base_url = shop.base_url
    owned = transport is None
    if owned:
        from aggregator.sync.marketplace import make_transport  # the sync module imports this one

        transport = make_transport(platform, retries=retries, timeout=timeout)
    adapter = get_adapter(platform)
    try:
        if main_account_id:
            if not hasattr(adapter, "exchange_main_account_code"):
                raise AuthorizationFailed(f"{platform} has no main-account authorization")
            tokens = adapter.exchange_main_account_code(settings, transport, code, main_account_id, clock)
        else:
            tokens = adapter.exchange_code(settings, transport, code, context, clock)
        listed = adapter.authorized_shops(settings, transport, tokens, clock)
        own = listed_shop(listed, shop_id)
        if own is None and (listed or getattr(adapter, "token_lists_shops", False)):
            raise AuthorizationFailed(f"the token does not list {platform} shop {shop_id}; it covers "
                                      f"{', '.join(e.shop_id for e in listed) or 'no shop'}; check the shop id")
        others = [e for e in listed if e is not own]
        with Session(engine) as session:
            known = {row.shop_id: row.owner_id for row in session.scalars(
                select(ShopRow).where(ShopRow.platform == platform, ShopRow.shop_id.in_([e.shop_id for e in others])))}
        described = {}
        for entry in others:  # look up what a new shop needs before any transaction is open
            if entry.shop_id not in known and not entry.region and hasattr(adapter, "describe_shop"):
                try:
                    described[entry.shop_id] = adapter.describe_shop(settings, transport, tokens, entry.shop_id, clock)
                except Exception as exc:  # noqa: BLE001 - reported per shop, the authorization stands
                    described[entry.shop_id] = exc
    finally:
        if owned:
            transport.close()
    result = Authorization(tokens, f"{platform}:{shop_id}")
    with session_scope(engine) as session:
        store_authorization(session, vault, session.get(ShopRow, shop_pk), tokens,
                            shop_cipher=own.cipher if own is not None else None)
        for entry in others:
            key = f"{platform}:{entry.shop_id}"
            if entry.shop_id in known:
                if known[entry.shop_id] != owner_id:
                    result.refused.append(f"{key} is registered for another owner; authorize it there")
                    continue
                row = session.scalars(select(ShopRow).where(ShopRow.platform == platform,
                                                            ShopRow.shop_id == entry.shop_id)).one()
                store_authorization(session, vault, row, tokens, shop_cipher=entry.cipher)
                result.linked.append(key)
                continue
            info = described.get(entry.shop_id)
            if isinstance(info, Exception):
                result.refused.append(f"{key}: its region could not be read ({info}); add it with shops add")
                continue
            venture = (entry.region or (info.region if info is not None else None) or "").upper()
            if not venture:
                result.refused.append(f"{key}: the platform gives no region; add it with shops add")
                continue
            try:
                with session.begin_nested():
                    row = add_shop(session, vault, platform=platform, owner_id=owner_id, shop_id=entry.shop_id,
                                   region=venture, app_key=app_key, app_secret=app_secret,
                                   name=entry.name or (info.name if info is not None else ""), base_url=base_url)
                    store_authorization(session, vault, row, tokens, shop_cipher=entry.cipher)
            except TenancyError as exc:
                result.refused.append(f"{key}: {exc}")
                continue
            result.registered.append(key)
    return result
