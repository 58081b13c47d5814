"""Connects a running sandbox to the database: its owners (with their aliases) and shops registered
and authorized, and its logistics files imported as a user would.

Used by the demo, the end-to-end tests and the load benchmark: every shop goes through the same
steps a real one does (``shops add`` with the app credentials, then the code → token exchange
through its adapter), only the authorization code comes from the sandbox instead of a seller's
browser. Each owner's aliases (3PL owner codes, legal names, registration numbers: what the world
publishes about what its files call the owner) are registered as ``aggregator owners alias add``
would; the files are then imported without ``--owner``: each row's owner comes from the row.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import Engine, select

from aggregator.auth.shops import add_shop, authorize_with_code
from aggregator.owners.aliases import add_alias
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


def sandbox_truth(base_url: str, what: str = "logistics") -> dict:
    """A ground truth the sandbox publishes now: the logistics chain (``GET /_sandbox/truth/logistics``),
    or ``orders``, ``settlements``, ``returns``, ``payouts``."""
    if what not in ("logistics", "orders", "settlements", "returns", "payouts"):
        raise ValueError(f"the sandbox publishes no truth named {what!r}")
    with httpx.Client(base_url=base_url, timeout=60) as client:
        reply = client.get(f"/_sandbox/truth/{what}")
        reply.raise_for_status()
        return reply.json()


def connect_sandbox(engine: Engine, vault: Vault, base_url: str,
                    api_keys: dict[str, str] | None = None) -> list[int]:
    """Register and authorize every sandbox shop; returns their row ids. Idempotent per shop.

    New owners' API keys (shown once) are put in ``api_keys`` when a dict is given.
    """
    directory = sandbox_directory(base_url)
    register_owners(engine, directory["owners"], api_keys)
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


def register_owners(engine: Engine, owners: list[dict], api_keys: dict[str, str] | None = None) -> None:
    """Add the owners not registered yet and every alias they publish (``{"owner_id", "name",
    "aliases": [{"kind", "value", "scope"}]}``). Idempotent: known owners and aliases are left as they are.

    New owners' API keys (shown once) are put in ``api_keys`` when a dict is given.
    """
    with session_scope(engine) as session:
        known = set(session.scalars(select(OwnerRow.owner_id)))
        for owner in owners:
            if owner["owner_id"] not in known:
                _, key = add_owner(session, owner["owner_id"], owner["name"])
                if api_keys is not None:
                    api_keys[owner["owner_id"]] = key
            for alias in owner.get("aliases", ()):
                add_alias(session, owner["owner_id"], alias["kind"], alias["value"], alias.get("scope") or None,
                          actor="sandbox")


#: The sandbox's logistics files by name prefix, in the order they depend on each other (stock rows name
#: the receipts they came in on), with the import kind (standard profile) of each.
LOGISTICS_KINDS = {"forwarder_bl": "bl", "customs_entries": "customs", "warehouse_inbound": "inbound",
                   "warehouse_outbound": "outbound", "stock_lots_snapshot": "stock"}


def logistics_kind(path: Path) -> str | None:
    """The import kind of a sandbox logistics file (``forwarder_bl.csv``, ``warehouse_inbound-MYPKG-WH01.csv``…)."""
    return next((kind for prefix, kind in LOGISTICS_KINDS.items()
                 if path.suffix == ".csv" and path.stem.startswith(prefix)), None)


def import_logistics_dir(engine: Engine, directory: Path, *, reports: Path | None = None) -> list:
    """Import every logistics file under ``directory`` (any layout: one folder per forwarder, 3PL,
    warehouse or owner) in dependency order, without ``--owner``: each row's owner comes from the row."""
    from aggregator.ingest import import_file

    order = list(LOGISTICS_KINDS.values())
    files = sorted(((logistics_kind(p), p) for p in Path(directory).rglob("*.csv") if logistics_kind(p)),
                   key=lambda kp: (order.index(kp[0]), str(kp[1])))
    summaries = []
    for kind, path in files:
        report = None
        if reports is not None:
            where = path.relative_to(directory).with_suffix("").as_posix().replace("/", "-")
            report = reports / f"rejects-{where}.csv"
        summaries.append(import_file(engine, kind, path, report_path=report))
    return summaries
