"""An order's timeline on the sample story."""
from __future__ import annotations

import pandas as pd

from matching.engine import match_prepared, prepare_input
from matching.timeline import order_timeline
from tests.matching import story


def test_tiktok_line_shows_both_lot_journeys_then_settlement():
    prepared = prepare_input(story.story_input())
    links = match_prepared(prepared).links
    settlements = pd.DataFrame([{"platform": "TIKTOK", "shop_id": "TTS-MY-7300000001",
                                 "order_id": "578000000000000001", "occurred_at": "2026-03-25T08:00:00Z",
                                 "kind": "ORDER_INCOME", "amount": "263.70", "currency": "MYR"}])
    timeline = order_timeline(prepared, links, platform="tiktok", shop_id="tts-my-7300000001",
                              order_id=" 578000000000000001 ", settlements=settlements)
    assert timeline["step"].tolist() == [
        "on_board", "on_board", "arrived", "customs_released", "received", "arrived", "customs_released",
        "received", "ordered", "paid", "lot", "lot", "dispatched", "dispatched", "delivered", "delivered",
        "settled"]
    assert timeline["at"].is_monotonic_increasing
    lots = timeline[timeline["step"] == "lot"]["detail"].tolist()
    assert lots == ["2 unit(s) from lot LOT-SZXAIR260305-EBB (exact)",
                    "1 unit(s) from lot LOT-TCLU6543214-EBB (exact)"]
    assert timeline.iloc[1][["source", "record"]].tolist() == ["forwarder", "HAWB SZXAIR260305"]


def test_failed_delivery_timeline_ends_with_the_return():
    prepared = prepare_input(story.story_input())
    timeline = order_timeline(prepared, match_prepared(prepared).links, platform="LAZADA",
                              shop_id="LAZADA-MY-100987", order_id="8812345679999")
    assert timeline["step"].tolist()[-3:] == ["lot", "dispatched", "returned"]
    assert "delivered" not in set(timeline["step"])
