"""The reconciliation sync (job ``reconcile-syncs``) re-reads the last ``reconcile_lookback_hours`` of a
stream whatever its cursor says: an order lost between pushes and the cursor comes back, the cursor
does not move back, and what was already stored is left unchanged."""
from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from aggregator.config import load_settings
from aggregator.jobs import work
from aggregator.sandbox_link import connect_sandbox
from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
from aggregator.store.models import OrderRow, ShopRow, SyncCursor
from aggregator.store.vault import Vault
from platform_adapters.sandbox import running_sandbox


def test_reconciliation_re_reads_the_window_without_moving_the_cursor_back(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key=Fernet.generate_key().decode(),
                             sync_initial_lookback_days=60, sync_lag_seconds=0, reconcile_lookback_hours=24 * 30)
    engine = create_engine_for(settings.effective_database_url)
    upgrade_schema(engine)
    with running_sandbox(seed=7, orders=40) as sandbox:
        shop_ids = connect_sandbox(engine, Vault.from_settings(settings), sandbox.base_url)
        with Session(engine) as session:
            lazada = session.scalars(select(ShopRow.id).where(ShopRow.id.in_(shop_ids),
                                                              ShopRow.platform == "lazada")).first()
        first = work.sync_shop(settings, lazada, "orders")
        with Session(engine) as session:
            cursor = session.scalars(select(SyncCursor.position).where(SyncCursor.shop_pk == lazada,
                                                                       SyncCursor.stream == "orders")).one()
            victim = session.scalars(select(OrderRow.order_id).where(OrderRow.shop_id == session.get(
                ShopRow, lazada).shop_id).order_by(OrderRow.source_updated_at.desc())).first()
        with session_scope(engine) as session:  # lost: a push never came and the cursor is past it
            session.execute(delete(OrderRow).where(OrderRow.order_id == victim))
        incremental = work.sync_shop(settings, lazada, "orders")
        reconciled = work.sync_shop(settings, lazada, "orders", reconcile=True)
    with Session(engine) as session:
        back = session.scalar(select(func.count()).select_from(OrderRow).where(OrderRow.order_id == victim))
        after = session.scalars(select(SyncCursor.position).where(SyncCursor.shop_pk == lazada,
                                                                  SyncCursor.stream == "orders")).one()
    assert first["created"] > 1 and incremental["created"] == 0  # the cursor alone never finds it again
    assert reconciled["status"] == "succeeded" and reconciled["created"] == 1
    assert reconciled["updated"] == 0 and reconciled["unchanged"] == first["created"] - 1
    assert back == 1 and after >= cursor
