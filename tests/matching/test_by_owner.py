"""The order and outbound -> lot rungs linked owner by owner (``matching.by_owner``) give the links and
exceptions of one run over all rows; where the owners cannot be linked apart the rows form one group."""
from __future__ import annotations

import pandas as pd
import pytest

from matching import by_owner, ladder, linker, synthetic
from matching.engine import assemble, canonical_frames, match_prepared, prepare_frames
from matching.exceptions import combine
from matching.frames import compact, plain, sort_rows
from matching.synthetic import Noise


def _prepared(inp, manual: pd.DataFrame | None = None, coded: bool = True):
    if manual is not None:
        inp.manual_links = manual
    frames = prepare_frames(inp)
    if coded:
        for kind in ("order_lines", "shipment_lines"):
            frames[kind] = compact(frames[kind])
    return assemble(canonical_frames(frames), inp.crosswalk, ordered=True)


def _world(seed: int = 3):
    return synthetic.generate(size=4_000, seed=seed, owners=4,
                              noise=Noise(duplicates=0.02, missing_order=0.02, missing_shipment=0.02, typos=0.02,
                                          splits=0.1))


def _whole_orders(p):
    return linker.link_orders(p.orders, p.shipments, p.manual)


def _manual(p, orders_of: str, ships_of: str, count: int = 3) -> pd.DataFrame:
    """Manual order -> outbound links between lines of the two owners."""
    orders = p.orders[p.orders["owner_id"] == orders_of].head(count)
    ships = p.shipments[p.shipments["owner_id"] == ships_of].tail(count)
    return pd.DataFrame({"step": linker.STEP, "left_key": orders["key"].to_numpy(),
                         "right_key": ships["key"].to_numpy(), "qty": 1, "note": "by hand"})


def _same(grouped: tuple[pd.DataFrame, pd.DataFrame], whole: tuple[pd.DataFrame, pd.DataFrame], sort: list[str]):
    links, exceptions = grouped
    pd.testing.assert_frame_equal(plain(links), sort_rows(whole[0], sort))
    pd.testing.assert_frame_equal(combine([exceptions]), combine([whole[1]]))


def test_owners_apart_give_the_links_of_one_run() -> None:
    world = _world()
    p = _prepared(world.input)
    manual = _manual(p, "OWNER00", "OWNER00")
    p = _prepared(_world().input, manual)
    orders, ships = p.coded("orders"), p.coded("shipments")
    assert by_owner.order_groups(orders[linker.ORDER_COLUMNS], ships[linker.SHIP_COLUMNS], p.manual) is not None
    _same(by_owner.link_orders(orders, ships, p.manual), _whole_orders(p), linker.LINK_SORT)
    r, lot_table = ladder.build_lots(p.receipts, p.lots)
    assert by_owner.lot_groups(ships, lot_table, p.manual) is not None
    _same(by_owner.link_shipments(ships, lot_table, p.manual),
          ladder.link_shipments_to_lots(p.shipments, lot_table, p.manual), by_owner.LOT_LINK_SORT)


def test_plain_frames_group_like_coded_ones() -> None:
    p = _prepared(_world(5).input, coded=False)
    assert by_owner.order_groups(p.orders, p.shipments, p.manual) is not None
    _same(by_owner.link_orders(p.orders, p.shipments, p.manual), _whole_orders(p), linker.LINK_SORT)


def _shared_shop(inp):
    """OWNER01's orders moved into one of OWNER00's shops (same platform and shop id)."""
    orders = inp.order_lines.copy()
    first = orders[orders["owner_id"] == "OWNER00"].iloc[0]
    other = (orders["owner_id"] == "OWNER01").to_numpy()
    orders.loc[other, "platform"] = first["platform"]
    orders.loc[other, "shop_id"] = first["shop_id"]
    inp.order_lines = orders
    return inp


@pytest.mark.parametrize("case", ["shared shop", "manual across owners", "bar in a key", "missing owner"])
def test_owners_that_meet_are_linked_together(case: str) -> None:
    inp = _world().input
    manual = None
    if case == "shared shop":
        inp = _shared_shop(inp)
    elif case == "manual across owners":
        manual = _manual(_prepared(_world().input), "OWNER00", "OWNER01")
    elif case == "bar in a key":
        orders = inp.order_lines.copy()
        orders.loc[orders.index[:5], "line_ref"] = "A|B"
        inp.order_lines = orders
    else:
        ships = inp.shipment_lines.copy()
        ships.loc[ships.index[:3], "owner_id"] = None
        inp.shipment_lines = ships
    p = _prepared(inp, manual)
    orders, ships = p.coded("orders"), p.coded("shipments")
    assert by_owner.order_groups(orders[linker.ORDER_COLUMNS], ships[linker.SHIP_COLUMNS], p.manual) is None
    _same(by_owner.link_orders(orders, ships, p.manual), _whole_orders(p), linker.LINK_SORT)


def test_manual_lot_link_across_owners_links_together() -> None:
    p = _prepared(_world().input)
    r, lot_table = ladder.build_lots(p.receipts, p.lots)
    ship = p.shipments[p.shipments["owner_id"] == "OWNER00"].iloc[0]
    lot = lot_table[lot_table["owner_id"] == "OWNER01"].iloc[0]
    manual = pd.DataFrame({"step": [ladder.STEP], "left_key": [ship["key"]], "right_key": [lot["lot_key"]],
                           "qty": [1], "note": ["by hand"]})
    p = _prepared(_world().input, manual)
    ships = p.coded("shipments")
    assert by_owner.lot_groups(ships, lot_table, p.manual) is None
    _same(by_owner.link_shipments(ships, lot_table, p.manual),
          ladder.link_shipments_to_lots(p.shipments, lot_table, p.manual), by_owner.LOT_LINK_SORT)


def test_a_run_holds_its_links_as_codes_and_reads_them_plain() -> None:
    p = _prepared(_world().input)
    result = match_prepared(p)
    held = result.coded("links")
    assert isinstance(held["step"].dtype, pd.CategoricalDtype)
    assert result.links is result.links  # decoded once, kept
    assert list(result.links.columns) == linker.LINK_COLUMNS
    assert not any(isinstance(t, pd.CategoricalDtype) for t in result.links.dtypes)
    pd.testing.assert_frame_equal(result.links, plain(held))
