"""One sandbox world per test session for the analytics tests, built as a user's installation gets its
data: shops authorized and synced (orders and settlements) through the signed APIs over loopback, the
same world's forwarder, customs and 3PL files imported with the standard profiles, then matching. The
world itself (``platform_adapters.sandbox``) is kept beside the database: its timelines are the ground
truth the analytics must reproduce.

The world's anchor (its "now") is the sandbox's default anchor (the wall clock a day back), or the latest
whole number of hours before it, at which the anchor's month (UTC) has an order of the first owner placed and
delivered in it: a month's report measures its own orders, and in the first days of a month none has been
delivered yet (then the world ends a few days back, in the month before). Without it the tests would see a
month that has just begun on the first days of every month."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aggregator.matching_service.service import run_match
from aggregator.sandbox_link import connect_sandbox, import_logistics_dir
from aggregator.store.db import create_engine_for
from aggregator.store.models import ShopRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import sync_shop
from platform_adapters.sandbox import running_sandbox
from platform_adapters.sandbox.logistics import write_logistics
from platform_adapters.sandbox.world import DELIVERED, World
from tests.world_anchor import anchor_where

SEED, ORDERS = 9, 40


@dataclass
class AnalyticsWorld:
    engine: Engine
    world: World
    now: int  # the sandbox's simulated now (Unix seconds)
    keys: dict[str, str]  # owner → API key


def _an_order_delivered_in_its_month(world: World, anchor: int) -> bool:
    month = int(datetime.fromtimestamp(anchor, UTC).replace(day=1, hour=0, minute=0, second=0).timestamp())
    owner = world.owners[0][0]
    return any(order.shop.owner_id == owner and order.created_at >= month
               and any(stage == DELIVERED and at <= anchor for stage, at in order.stages)
               for order in world.orders)


@pytest.fixture(scope="session")
def analytics_world(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[AnalyticsWorld]:
    root = tmp_path_factory.mktemp("analytics-world")
    shutil.copy(_sqlite_template, root / "aggregator.sqlite")
    engine = create_engine_for(f"sqlite:///{root / 'aggregator.sqlite'}")
    vault = Vault(Fernet.generate_key())
    keys: dict[str, str] = {}
    anchor = anchor_where(_an_order_delivered_in_its_month, "an order placed and delivered in its month",
                          seed=SEED, orders=ORDERS, aligned=False)
    with running_sandbox(seed=SEED, orders=ORDERS, faults="", anchor=anchor) as sandbox:
        connect_sandbox(engine, vault, sandbox.base_url, keys)
        with Session(engine) as session:
            shops = session.scalars(select(ShopRow).order_by(ShopRow.id)).all()
        now = datetime.fromtimestamp(sandbox.state.now, UTC)
        for shop in shops:
            for stream in ("orders", "settlements"):
                sync_shop(engine, shop, vault, stream, since=now - timedelta(days=60), now=now, lag=timedelta(0))
        write_logistics(sandbox.state.world, sandbox.state.now, root / "logistics")
        import_logistics_dir(engine, root / "logistics")
        world, sim_now = sandbox.state.world, sandbox.state.now
    run_match(engine, full=True)
    yield AnalyticsWorld(engine, world, sim_now, keys)
    engine.dispose()
