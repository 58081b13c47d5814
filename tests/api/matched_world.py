"""A matched sandbox world for the API tests: the sandbox's shops connected and synced, its forwarders'
and 3PLs' files imported, and every owner matched in full, on the given engine."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.matching_service.service import run_match
from aggregator.sandbox_link import connect_sandbox, import_logistics_dir
from aggregator.store.models import ShopRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import sync_shop
from platform_adapters.sandbox import running_sandbox
from platform_adapters.sandbox.logistics import write_logistics
from platform_adapters.sandbox.state import SandboxState


def matched_world(engine, tmp_path: Path, streams: tuple[str, ...] = ("orders", "returns"),
                  seed: int = 9, orders: int = 40, anchor: int | None = None) -> tuple[dict[str, str], SandboxState]:
    """Each owner's API key and the sandbox's state (its world and clock, for the ground truth). ``anchor``:
    the world's simulated "now" (default: the sandbox's, a day before the wall clock)."""
    vault = Vault(Fernet.generate_key())
    keys: dict[str, str] = {}
    with running_sandbox(seed=seed, orders=orders, anchor=anchor) as sandbox:
        connect_sandbox(engine, vault, sandbox.base_url, keys)
        with Session(engine) as session:
            shops = session.scalars(select(ShopRow)).all()
        # from the world's first order, whatever the anchor: a sync's own first window follows the wall
        # clock and would miss the older orders of an anchor further back
        since = datetime.fromtimestamp(min(o.created_at for o in sandbox.state.world.orders), timezone.utc)
        for shop in shops:
            for stream in streams:
                sync_shop(engine, shop, vault, stream, since=since)
        write_logistics(sandbox.state.world, sandbox.state.now, tmp_path / "files")
        import_logistics_dir(engine, tmp_path / "files")
        state = sandbox.state
    run_match(engine, full=True)
    return keys, state
