"""Authorization variants against the sandbox over loopback: one authorization covering every Shopee shop
of an owner (its main account: the redirect's ``main_account_id``, ``shop_id_list`` in the token answer)
and every TikTok shop of an owner (Get Authorized Shops lists each with its cipher). Only one shop of
each is registered by hand; ``authorize_with_code`` registers the others for the same owner (a Shopee
shop's region from ``get_shop_info``), and every one of them then syncs its orders."""
from __future__ import annotations

from datetime import datetime, timezone

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.auth.shops import add_shop, authorize_with_code
from aggregator.sandbox_link import register_owners, sandbox_directory
from aggregator.store.db import session_scope
from aggregator.store.models import OrderRow, ShopRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import sync_shop
from platform_adapters.sandbox import running_sandbox


def _now() -> datetime:
    return datetime.now(timezone.utc)


def test_one_authorization_registers_and_syncs_every_shop_it_covers(sqlite_engine):
    engine, vault = sqlite_engine, Vault(Fernet.generate_key())
    with running_sandbox(seed=5, orders=90) as sb, httpx.Client(base_url=sb.base_url, timeout=30) as control:
        directory = sandbox_directory(sb.base_url)
        register_owners(engine, directory["owners"])
        results, expected = {}, {}
        for owner, platform in (("LUMINA-HK", "shopee"), ("KAIYUE", "tiktok")):
            shops = [s for s in directory["shops"] if s["owner_id"] == owner and s["platform"] == platform]
            expected[platform] = {s["shop_id"]: s["region"] for s in shops}
            first, app = shops[0], directory["apps"][platform]
            with session_scope(engine) as session:
                pk = add_shop(session, vault, platform=platform, owner_id=owner, shop_id=first["shop_id"],
                              region=first["region"], app_key=app["app_key"], app_secret=app["app_secret"],
                              base_url=sb.base_url).id
            grant = control.post(f"/_sandbox/owners/{owner}/{platform}/account_code").json()
            results[platform] = authorize_with_code(engine, vault, pk, grant["code"], clock=_now,
                                                    main_account_id=grant.get("main_account_id"))
        with Session(engine) as session:
            rows = session.scalars(select(ShopRow).where(ShopRow.platform.in_(["shopee", "tiktok"]))).all()
        synced = [sync_shop(engine, row, vault, "orders", since=None) for row in rows]
        truth = control.get("/_sandbox/truth/orders").json()["orders"]
    for platform, shops in expected.items():
        assert len(shops) >= 2, platform
        assert sorted(results[platform].registered) == sorted(f"{platform}:{s}" for s in list(shops)[1:])
        assert not results[platform].refused
    got = {(r.platform, r.shop_id): (r.owner_id, r.region, r.status) for r in rows}
    assert got == {**{("shopee", s): ("LUMINA-HK", region, "active") for s, region in expected["shopee"].items()},
                   **{("tiktok", s): ("KAIYUE", region, "active") for s, region in expected["tiktok"].items()}}
    assert all(s.status == "succeeded" for s in synced), [s.line() for s in synced]
    with Session(engine) as session:
        counts = dict(session.execute(select(OrderRow.shop_id, func.count()).group_by(OrderRow.shop_id)).all())
    for shops in expected.values():
        for shop_id in shops:
            assert counts.get(shop_id, 0) == sum(1 for o in truth if o["shop_id"] == shop_id) > 0, shop_id
