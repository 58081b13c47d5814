"""Connects a running sandbox to the database: its owners and shops registered and authorized.

Used by the demo, the end-to-end tests and the load benchmark: every shop goes through the same
steps a real one does (``shops add`` with the app credentials, then the code → token exchange
through its adapter), only the authorization code comes from the sandbox instead of a seller's
browser.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import Engine, select

from aggregator.auth.shops import add_shop, authorize_with_code
from aggregator.store.db import session_scope
from aggregator.store.models.tenancy import OwnerRow, ShopRow
from aggregator.store.vault import Vault
from aggregator.tenancy import add_owner


def sandbox_directory(base_url: str) -> dict:
    """The sandbox's apps, owners and shops (with a fresh one-time authorization code each)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        reply = client.get("/_sandbox/shops")
        reply.raise_for_status()
        return reply.json()


def connect_sandbox(engine: Engine, vault: Vault, base_url: str,
                    api_keys: dict[str, str] | None = None) -> list[int]:
    """Register and authorize every sandbox shop; returns their row ids. Idempotent per shop.

    New owners' API keys (shown once) are put in ``api_keys`` when a dict is given.
    """
    directory = sandbox_directory(base_url)
    with session_scope(engine) as session:
        known = set(session.scalars(select(OwnerRow.owner_id)))
        for owner in directory["owners"]:
            if owner["owner_id"] not in known:
                _, key = add_owner(session, owner["owner_id"], owner["name"])
                if api_keys is not None:
                    api_keys[owner["owner_id"]] = key
    shop_ids = []
    for entry in directory["shops"]:
        platform, app = entry["platform"], directory["apps"][entry["platform"]]
        with session_scope(engine) as session:
            shop = session.scalars(select(ShopRow).where(ShopRow.platform == platform,
                                                         ShopRow.shop_id == entry["shop_id"])).first()
            if shop is None:
                shop = add_shop(session, vault, platform=platform, owner_id=entry["owner_id"],
                                shop_id=entry["shop_id"], region=entry["region"], app_key=app["app_key"],
                                app_secret=app["app_secret"], name=entry["name"],
                                base_url=base_url + "/rest" if platform == "lazada" else base_url)
            shop_pk, active = shop.id, shop.status == "active"
        if not active:
            authorize_with_code(engine, vault, shop_pk, entry["auth_code"], clock=lambda: datetime.now(timezone.utc))
        shop_ids.append(shop_pk)
    return shop_ids


#: The sandbox's logistics files and the import kind (standard profile) each one is.
LOGISTICS_KINDS = {"forwarder_bl.csv": "bl", "customs_entries.csv": "customs", "warehouse_inbound.csv": "inbound",
                   "warehouse_outbound.csv": "outbound", "stock_lots_snapshot.csv": "stock"}


def import_logistics_dir(engine: Engine, directory: Path, *, reports: Path | None = None) -> list:
    """Import ``directory/<owner_id>/<file>.csv`` (as the sandbox writes them) in dependency order."""
    from aggregator.ingest import import_file

    summaries = []
    for owner_dir in sorted(p for p in Path(directory).iterdir() if p.is_dir()):
        for name, kind in LOGISTICS_KINDS.items():
            path = owner_dir / name
            if path.exists():
                report = (reports / f"rejects-{owner_dir.name}-{kind}.csv") if reports else None
                summaries.append(import_file(engine, kind, path, owner_id=owner_dir.name, report_path=report))
    return summaries
