"""Property tests of FIFO allocation: balance, never across groups, FIFO order, same as a plain loop."""
from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.allocation import allocate_fifo


def reference_fifo(demand: list[tuple], supply: list[tuple]) -> dict[tuple[str, str], int]:
    """The obvious loop: per group, walk demands in order and take from the oldest open supply."""
    result: dict[tuple[str, str], int] = {}
    for group in sorted({g for g, *_ in demand}):
        lots = [[sid, q] for g, sid, _t, q in sorted((x for x in supply if x[0] == group),
                                                      key=lambda x: (x[2], x[1]))]
        for _g, did, _t, qty in sorted((x for x in demand if x[0] == group), key=lambda x: (x[2], x[1])):
            need = max(qty, 0)
            for lot in lots:
                if need == 0:
                    break
                take = min(need, max(lot[1], 0))
                if take:
                    result[(did, lot[0])] = result.get((did, lot[0]), 0) + take
                    lot[1] -= take
                    need -= take
    return result


groups = st.sampled_from(["O1|W1|A", "O1|W1|B", "O2|W1|A", "O1|W2|A"])
demand_rows = st.lists(st.tuples(groups, st.integers(0, 30), st.integers(-2, 9)), max_size=25)
supply_rows = st.lists(st.tuples(groups, st.integers(0, 30), st.integers(-2, 15)), max_size=12)


def frames(demand_rows, supply_rows):
    demand = [(g, f"D{i:03d}", t, q) for i, (g, t, q) in enumerate(demand_rows)]
    supply = [(g, f"S{i:03d}", t, q) for i, (g, t, q) in enumerate(supply_rows)]
    d = pd.DataFrame(demand, columns=["grp", "did", "t", "qty"])
    s = pd.DataFrame(supply, columns=["grp", "sid", "t", "cap"])
    return demand, supply, d, s


@settings(max_examples=120, deadline=None)
@given(demand_rows, supply_rows)
def test_allocation_equals_plain_fifo_loop_and_balances(demand_rows, supply_rows):
    demand, supply, d, s = frames(demand_rows, supply_rows)
    alloc, short = allocate_fifo(d, s, group=["grp"], demand_id="did", supply_id="sid",
                                 demand_order=["t"], supply_order=["t"], supply_qty="cap")
    got = {(r.did, r.sid): int(r.qty) for r in alloc.itertuples()}
    assert got == reference_fifo(demand, supply)
    # never across groups
    group_of_d = {did: g for g, did, *_ in demand}
    group_of_s = {sid: g for g, sid, *_ in supply}
    assert all(group_of_d[did] == group_of_s[sid] for did, sid in got)
    # balance per demand and per supply
    for g, did, _t, q in demand:
        served = sum(v for (x, _), v in got.items() if x == did)
        missing = int(short.loc[short["did"] == did, "short"].sum())
        assert served + missing == max(q, 0)
    for g, sid, _t, cap in supply:
        assert sum(v for (_, y), v in got.items() if y == sid) <= max(cap, 0)
    # per group: allocated == min(demand, capacity)
    for g in {x[0] for x in demand}:
        total_d = sum(max(q, 0) for gg, _, _, q in demand if gg == g)
        total_s = sum(max(q, 0) for gg, _, _, q in supply if gg == g)
        assert sum(v for (did, _), v in got.items() if group_of_d[did] == g) == min(total_d, total_s)


@settings(max_examples=60, deadline=None)
@given(demand_rows, supply_rows)
def test_fifo_order_no_later_demand_gets_an_older_lot(demand_rows, supply_rows):
    demand, supply, d, s = frames(demand_rows, supply_rows)
    alloc, _ = allocate_fifo(d, s, group=["grp"], demand_id="did", supply_id="sid",
                             demand_order=["t"], supply_order=["t"], supply_qty="cap")
    d_rank = {did: (t, did) for _, did, t, _ in demand}
    s_rank = {sid: (t, sid) for _, sid, t, _ in supply}
    pairs = list(alloc[["grp", "did", "sid"]].itertuples(index=False))
    for g1, d1, s1 in pairs:
        for g2, d2, s2 in pairs:
            if g1 == g2 and d_rank[d1] < d_rank[d2]:
                assert s_rank[s1] <= s_rank[s2]


def test_split_line_draws_from_two_lots_in_receipt_order():
    d = pd.DataFrame({"g": ["A"], "did": ["ship-1"], "t": [5], "qty": [3]})
    s = pd.DataFrame({"g": ["A", "A"], "sid": ["sea", "air"], "t": [9, 2], "qty": [10, 2]})
    alloc, short = allocate_fifo(d, s, group=["g"], demand_id="did", supply_id="sid",
                                 demand_order=["t"], supply_order=["t"])
    assert alloc[["sid", "qty"]].values.tolist() == [["air", 2], ["sea", 1]]
    assert short.empty
