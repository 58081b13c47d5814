"""The ``shops`` verb: register marketplace shops, list and remove them, and authorize them.

``authorize`` without ``--code`` prints the platform's authorization link; with ``--code`` (from the
redirect after the seller consents) it exchanges the code for tokens and stores them encrypted.
"""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.platforms import PLATFORM
from aggregator.cli.output import format_option, render
from aggregator.cli.owner_option import owner_option
from aggregator.digits import digits_value



@click.group(name="shops", help="Marketplace shops: add, list, remove, authorize.")
def command() -> None:
    pass


@command.command(help="Register a shop with its app credentials (stored encrypted).")
@click.option("--platform", required=True, type=PLATFORM)
@owner_option(required=True, help="Owner (brand) id.")
@click.option("--shop-id", required=True, help="The marketplace's shop id (Lazada: seller id).")
@click.option("--region", required=True, help="Country of the shop: SG MY TH ID PH VN (Lazada: the venture).")
@click.option("--app-key", envvar="AGGREGATOR_APP_KEY", required=True,
              help="Shopee partner_id / Lazada and TikTok app_key.")
@click.option("--app-secret", envvar="AGGREGATOR_APP_SECRET", required=True, prompt=True, hide_input=True,
              help="Shopee partner_key / app_secret (prompted when absent; or AGGREGATOR_APP_SECRET).")
@click.option("--name", default="")
@click.option("--base-url", default=None, help="Explicit API base URL (sandbox, tests); Lazada: including /rest.")
@pass_app
def add(app: AppContext, platform: str, owner_id: str, shop_id: str, region: str, app_key: str, app_secret: str,
        name: str, base_url: str | None) -> None:
    from aggregator.auth.shops import add_shop
    from aggregator.store.db import session_scope
    from aggregator.store.vault import Vault
    from aggregator.tenancy import TenancyError

    vault = Vault.from_settings(app.settings)
    try:
        with session_scope(app.ready_engine()) as session:
            shop = add_shop(session, vault, platform=platform, owner_id=owner_id, shop_id=shop_id, region=region,
                            app_key=app_key, app_secret=app_secret, name=name, base_url=base_url)
            key = f"{shop.platform}:{shop.shop_id}"
    except TenancyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"shop {key} added for owner {owner_id}; next: aggregator shops authorize {shop_id} "
               f"--platform {platform.lower()}")


@command.command(name="list", help="List shops with their authorization state.")
@owner_option()
@format_option()
@pass_app
def list_(app: AppContext, owner_id: str | None, fmt: str) -> None:
    from sqlalchemy import select

    from aggregator.auth.shops import list_shops
    from aggregator.store.db import session_scope
    from aggregator.store.models import ShopCredential

    rows = []
    with session_scope(app.ready_engine()) as session:
        for shop in list_shops(session, owner_id):
            cred = session.scalars(select(ShopCredential).where(ShopCredential.shop_pk == shop.id)).first()
            expires = cred.access_expires_at.isoformat(timespec="minutes") if cred and cred.access_expires_at else ""
            rows.append((shop.platform, shop.shop_id, shop.owner_id, shop.region, shop.status, expires,
                         shop.base_url or "", shop.status_reason or ""))
    render(rows, ("platform", "shop", "owner", "region", "status", "token expires", "base url", "reason"), fmt)


@command.command(help="Remove a shop and its credentials (its orders stay).")
@click.argument("shop_id")
@click.option("--platform", type=PLATFORM, default=None)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def remove(app: AppContext, shop_id: str, platform: str | None, yes: bool) -> None:
    from aggregator.auth.shops import find_shop, remove_shop
    from aggregator.store.db import session_scope
    from aggregator.tenancy import TenancyError

    try:
        with session_scope(app.ready_engine()) as session:
            shop = find_shop(session, shop_id, platform)
            key = f"{shop.platform}:{shop.shop_id}"
            if not yes:
                click.confirm(f"remove {key} and its credentials?", abort=True)
            remove_shop(session, shop)
    except TenancyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"shop {key} removed")


@command.command(help="Print the authorization link, or exchange the code from the redirect for tokens.")
@click.argument("shop_id")
@click.option("--platform", type=PLATFORM, default=None)
@click.option("--redirect-url", default="", help="Where the platform sends the seller back (Shopee, Lazada).")
@click.option("--code", default=None, help="The code from the redirect: exchange it for tokens.")
@click.option("--service-id", default="", help="TikTok: the app's service id for the authorization link.")
@click.option("--state", default="", help="Opaque state echoed back by Lazada/TikTok.")
@click.option("--main-account-id", default=None,
              help="Shopee: the main_account_id of the redirect (a main account authorized all its shops).")
@pass_app
def authorize(app: AppContext, shop_id: str, platform: str | None, redirect_url: str, code: str | None,
              service_id: str, state: str, main_account_id: str | None) -> None:
    """Every shop the same token covers (a Shopee main account's shops, a Lazada cross-border seller's
    ventures, the shops of a TikTok authorization) is linked too, or registered for the same owner."""
    from datetime import datetime, timezone

    from aggregator.auth.shops import adapter_settings, authorize_with_code, credential_of, find_shop
    from aggregator.store.db import session_scope
    from aggregator.store.vault import Vault
    from aggregator.tenancy import TenancyError
    from platform_adapters.http.errors import PlatformError
    from platform_adapters.registry import get_adapter

    vault = Vault.from_settings(app.settings)
    options = {"service_id": service_id} if service_id else None
    engine = app.ready_engine()
    try:
        with session_scope(engine) as session:
            shop = find_shop(session, shop_id, platform)
            shop_pk, key = shop.id, f"{shop.platform}:{shop.shop_id}"
            if code is None:
                given = {"redirect_url": redirect_url, "service_id": service_id}
                for need in getattr(get_adapter(shop.platform), "authorization_link_needs", ("redirect_url",)):
                    if not given.get(need):
                        raise click.UsageError(f"--{need.replace('_', '-')} is required to build the "
                                               f"{shop.platform} link")
                settings = adapter_settings(shop, credential_of(session, shop), vault, options)
                click.echo(get_adapter(shop.platform).authorization_url(settings, redirect_url,
                                                                        datetime.now(timezone.utc), state))
                return
        if main_account_id is not None and digits_value(main_account_id, 20) is None:
            raise click.BadParameter("the main account id is a number", param_hint="--main-account-id")
        result = authorize_with_code(engine, vault, shop_pk, code, clock=lambda: datetime.now(timezone.utc),
                                     options=options, retries=app.settings.http_max_retries,
                                     timeout=app.settings.http_timeout_seconds, main_account_id=main_account_id)
        expires = result.tokens.access_expires_at
    except TenancyError as exc:  # includes AuthorizationFailed
        raise click.ClickException(str(exc)) from exc
    except PlatformError as exc:
        raise click.ClickException(f"authorization failed: {exc}") from exc
    click.echo(f"shop {key} authorized; access token valid until {expires.isoformat(timespec='minutes')}")
    for line in result.lines():
        click.echo(line)
