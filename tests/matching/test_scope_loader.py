"""A ``ScopeLoader`` that reads the owner's outbound lines once (``whole_outbound``, a full run) gives each scope
the rows a read of just that scope prepares: the same prepared rows (values and dtypes), the same membership
and fingerprints, for single partitions, each phase's partitions and all of them, including outbound lines
that name no shop and a scope that selects no outbound line; and the kept document, customs and manual link
frames are the ones read again. Past ``WHOLE_OUTBOUND_ROWS`` the loader reads per scope; read per scope, the
outbound lines a scope shares with the previous one are taken from its rows, and give the same frames."""
from __future__ import annotations

import pandas as pd
from pandas.testing import assert_frame_equal
from sqlalchemy import update

from aggregator.matching_service.loader import load_crosswalk
from aggregator.matching_service.scope import RawCodes, ScopeLoader, all_partitions
from aggregator.matching_service.synthetic_store import store_world
from aggregator.store.db import session_scope
from aggregator.store.models.warehouse import WarehouseShipmentRow
from matching.incremental import fingerprints, membership
from matching.sku_facts import sku_facts
from matching.synthetic import generate


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["key", "row_hash"], kind="mergesort").reset_index(drop=True) if "key" in frame \
        else frame.reset_index(drop=True)


def test_scopes_of_the_whole_outbound_equal_their_own_reads(engine, monkeypatch) -> None:
    world = generate(size=600, seed=3, owners=2, warehouses=2, receipt_ratio=0.3, lines_per_bl=5).input
    with session_scope(engine) as session:
        store_world(session, world)
        ids = sorted(session.scalars(WarehouseShipmentRow.__table__.select().with_only_columns(
            WarehouseShipmentRow.id)))
        session.execute(update(WarehouseShipmentRow).where(WarehouseShipmentRow.id.in_(ids[:4]))
                        .values(platform=None))
        session.execute(update(WarehouseShipmentRow).where(WarehouseShipmentRow.id.in_(ids[4:6]))
                        .values(shop_id=None))
    owner = sorted(world.order_lines["owner_id"].unique())[0]
    with session_scope(engine) as session:
        cross = load_crosswalk(session, owner)
        partitions = sorted(all_partitions(session, owner))
        codes = RawCodes.read(session, owner)
        assert any(p is None or s is None for p, s in codes.shipment_shops)
        shops = {p for p in partitions if not p.startswith("wh|")}
        # a shop partition whose read leaves the lines naming no shop out (its filter is NULL for them), then the
        # warehouses': those lines are read, the shop's taken from its rows
        named_shop = next(p for p in sorted(shops) if p.startswith("shop|") and "||" not in p and not p.endswith("|"))
        scopes = [*({p} for p in partitions), shops, set(partitions) - shops, set(partitions),
                  {p for p in partitions if p.startswith("doc|")} or {"doc|NONE"}, {named_shop},
                  set(partitions) - shops]
        whole = ScopeLoader(session, owner, cross, whole_outbound=True)
        chained = ScopeLoader(session, owner, cross)  # per scope, taking what the previous scope read
        compared = 0
        for scope in scopes:
            expected = ScopeLoader(session, owner, cross).state(scope)
            for got in (whole.state(scope), chained.state(scope)):
                for kind, frame in expected.frames.items():
                    assert_frame_equal(_sorted(got.frames[kind]), _sorted(frame), check_exact=True,
                                       obj=f"{kind} {sorted(scope)}")
                    compared += kind == "shipment_lines" and not frame.empty
                facts = sku_facts(pd.DataFrame(columns=["owner_id", "sku_c", "product_name"]).astype("string"),
                                  got.frames["receipt_lines"], cross)
                assert fingerprints(membership(got, facts)) == fingerprints(membership(expected, facts))
        assert compared >= 2 * (len(scopes) - 2)  # all but the document partition alone (twice) hold outbound lines
        # an owner with more outbound lines than kept whole is read per scope: the same rows again
        monkeypatch.setattr(ScopeLoader, "WHOLE_OUTBOUND_ROWS", 1)
        capped = ScopeLoader(session, owner, cross, whole_outbound=True)
        frame = capped.state(set(partitions)).frames["shipment_lines"]
        assert not capped.whole_outbound and capped._outbound is None
        assert_frame_equal(_sorted(frame), _sorted(whole.state(set(partitions)).frames["shipment_lines"]),
                           check_exact=True)
