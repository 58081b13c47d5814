"""The demo's chain verdict: links compared with the truth at every depth in units, identifiers in key
form, and a wrong bill, entry or lot (or a missing chain) pulls the verdict below the threshold."""
from __future__ import annotations

from decimal import Decimal

import pandas as pd

from aggregator.demo.verdict import (
    RETURN_ASPECTS, THRESHOLD, chain_verdict, payout_verdict, returns_verdict, title_verdict,
)


def _truth(n: int = 200) -> dict:
    chains = [{"owner_id": "A", "platform": "lazada", "shop_id": "100", "order_id": f"{9000 + i}",
               "order_line_ref": f"L{i}", "sku": "LMN-EB-BT53-BLK", "lot_id": "LOT-TCLU1234567-LMN-EB-BT53-BLK",
               "warehouse_code": "MYPKG-WH01", "asn_no": "ASN-1", "receipt_line": 1, "container_no": "TCLU1234567",
               "transport_document_no": "ZCRU260000001", "customs_declaration_no": "K1-SBX-0001", "qty": 1 + i % 3}
              for i in range(n)]
    lot = {"owner_id": "A", "lot_id": "LOT-1", "warehouse_code": "MYPKG-WH01", "unit_cost": "20.86",
           "cost_currency": "MYR"}
    title = [{**lot, "title_holder": "A", "title_state": "OWNED_IN_WAREHOUSE", "location_state": "AVAILABLE",
              "qty": 500},
             {**lot, "title_holder": "CONSUMER", "title_state": "CONSUMER_OWNED", "location_state": "DELIVERED",
              "qty": 100},
             {**lot, "lot_id": "LOT-2", "unit_cost": None, "cost_currency": None, "title_holder": "A",
              "title_state": "OWNED_IN_WAREHOUSE", "location_state": "AVAILABLE", "qty": 7}]
    return {"now": 0, "chains": chains, "title": title}


def _stored(truth: dict) -> pd.DataFrame:
    """What link_chains gives: normalised document keys, upper-case platform."""
    frame = pd.DataFrame(truth["chains"]).drop(columns=["owner_id", "receipt_line"])
    frame["platform"] = frame["platform"].str.upper()
    frame["customs_declaration_no"] = "K1SBX0001"
    return frame


def _position() -> pd.DataFrame:
    """What position_at gives: valued rows per currency, unvalued units apart."""
    return pd.DataFrame({"owner_id": ["A"] * 4, "title_holder": ["A", "A", "CONSUMER", "A"],
                         "title_state": ["OWNED_IN_WAREHOUSE"] * 2 + ["CONSUMER_OWNED", "OWNED_IN_WAREHOUSE"],
                         "location_state": ["AVAILABLE"] * 2 + ["DELIVERED", "AVAILABLE"],
                         "qty": [300, 200, 100, 7],
                         "value": [Decimal("6258.00"), Decimal("4172.00"), Decimal("2086.00"), None],
                         "currency": ["MYR", "MYR", "MYR", None], "unvalued_qty": [0, 0, 0, 7]})


def test_a_true_chain_scores_one_at_every_depth_whatever_the_spelling() -> None:
    truth = _truth()
    verdict = title_verdict(chain_verdict(_stored(truth), truth), _position(), truth)
    assert all(scores == (1.0, 1.0) for scores in verdict.depths.values()) and verdict.title == (1.0, 1.0)
    assert verdict.failures() == [] and verdict.true_units == verdict.linked_units == 399
    assert verdict.value == (1.0, 1.0) and verdict.unvalued == (7, 7)


def test_a_wrong_cost_or_an_unvalued_lot_fails_the_value_verdict() -> None:
    truth = _truth()
    position = _position()
    position.loc[0, "value"] = Decimal("6000.00")  # 300 units at a wrong cost
    position.loc[3, "unvalued_qty"] = 0  # and a lot valued from nowhere
    verdict = title_verdict(chain_verdict(_stored(truth), truth), position, truth)
    assert verdict.title == (1.0, 1.0) and verdict.value[1] == (12516 - 258) / 12516 < THRESHOLD
    assert any("unvalued units: 0 in the position, 7 in the truth" in f for f in verdict.failures())


def test_a_wrong_bill_is_wrong_from_that_depth_on_and_fails_the_verdict() -> None:
    truth = _truth()
    stored = _stored(truth)
    stored.loc[:9, "transport_document_no"] = "ZCRU269999999"  # 10 chains, 19 units on another bill
    verdict = title_verdict(chain_verdict(stored, truth), _position(), truth)
    assert verdict.depths["→ container"] == (1.0, 1.0)
    precision, recall = verdict.depths["→ bill of lading"]
    assert precision == recall == (399 - 19) / 399 < THRESHOLD
    assert verdict.full_depth == (precision, recall)
    assert verdict.failures() == [f"links at full depth: precision {precision:.4f}, recall {recall:.4f} "
                                  f"(below {THRESHOLD})"]


def test_missing_chains_lower_recall_and_a_wrong_title_state_fails() -> None:
    truth = _truth()
    stored = _stored(truth).iloc[10:]
    position = _position()
    position.loc[2, "title_state"] = "IN_LAST_MILE"  # delivered units still shown in the last mile
    verdict = title_verdict(chain_verdict(stored, truth), position, truth)
    precision, recall = verdict.full_depth
    assert precision == 1.0 and recall < THRESHOLD
    assert verdict.title == (507 / 607, 507 / 607) and any("title position:" in f for f in verdict.failures())


def _cases(n: int = 400) -> list[dict]:
    return [{"platform": "shopee", "shop_id": "100", "owner_id": "A", "return_id": f"R{i}", "order_id": f"O{i}",
             "kind": "RETURN" if i % 2 else "CANCELLATION", "status": "REFUNDED", "refund": "12.50",
             "currency": "MYR", "disposition": "RESTOCKED" if i % 2 else None,
             "lines": [{"order_line_ref": "L1", "units": 1}, {"order_line_ref": "L2", "units": 2}]}
            for i in range(n)]


def test_returns_equal_to_the_truth_agree_whatever_the_line_split_or_the_refund_spelling() -> None:
    truth = _cases()
    stored = [{**case, "platform": "SHOPEE", "refund": Decimal("12.5"),
               "lines": [{"order_line_ref": "L2", "units": 1}, {"order_line_ref": "L1", "units": 1},
                         {"order_line_ref": "L2", "units": 1}]} for case in truth]
    verdict = returns_verdict(stored, truth)
    assert verdict.scores == (1.0, 1.0) and verdict.failures() == [] and verdict.differences == []
    assert verdict.aspects == dict.fromkeys(RETURN_ASPECTS, 400)
    assert returns_verdict([], []).scores == (1.0, 1.0)


def test_a_wrong_status_quantity_or_refund_or_a_missing_case_fails_the_returns_verdict() -> None:
    truth = _cases()
    stored = [dict(case) for case in truth[1:]]  # R0 never stored
    stored[0]["status"] = "APPROVED"  # R1 stuck before its refund
    stored[1]["lines"] = [{"order_line_ref": "L1", "units": 1}, {"order_line_ref": "L2", "units": 1}]  # R2
    stored[2]["refund"], stored[3]["currency"] = "12.49", "SGD"  # R3, R4 refunded other money
    stored.append({**truth[5], "return_id": "R-extra"})  # a case the marketplace never had
    verdict = returns_verdict(stored, truth)
    assert verdict.agreeing == 400 - 5 and verdict.scores == (395 / 400, 395 / 400)
    assert verdict.aspects["status"] == 398 and verdict.aspects["lines and quantities"] == 398
    assert verdict.aspects["refund"] == 397
    (failure,) = verdict.failures()
    assert failure.startswith(f"returns: precision {395 / 400:.4f}, recall {395 / 400:.4f} in cases (below {THRESHOLD})")
    assert "shopee:100:R0 not stored" in failure and "shopee:100:R1 status APPROVED (truth REFUNDED)" in failure
    assert "shopee:100:R-extra stored but not in the truth" in verdict.differences


def _ledger(*write_offs: tuple[str, int, str]) -> pd.DataFrame:
    """A title ledger with a delivery and the given (lot key, units, effective at) write-offs."""
    rows = [{"owner_id": "A", "subject_kind": "ALLOCATION", "subject_key": "A|WH|OUT-1|1>A|WH|LOT-9",
             "parent_key": "A|WH|LOT-9", "qty": 5, "kind": "DELIVERED", "effective_at": "2026-01-01T00:00:00Z"}]
    rows += [{"owner_id": "A", "subject_kind": "WRITE_OFF", "subject_key": f"A|WH|OUT-{i}|1>{lot}>WRITTEN_OFF",
              "parent_key": f"A|WH|OUT-{i}|1>{lot}", "qty": qty, "kind": "WRITTEN_OFF", "effective_at": at}
             for i, (lot, qty, at) in enumerate(write_offs)]
    return pd.DataFrame(rows)


def test_write_offs_are_compared_per_owner_and_lot_by_the_instant() -> None:
    from aggregator.demo.verdict import write_off_verdict

    truth = {**_truth(), "write_offs": [{"owner_id": "A", "lot_id": "lot-9", "qty": 2}]}  # the 3PL's spelling
    at = pd.Timestamp("2026-02-01T00:00:00Z")
    good = write_off_verdict(title_verdict(chain_verdict(_stored(truth), truth), _position(), truth),
                             _ledger(("A|WH|LOT-9", 1, "2026-01-05T00:00:00Z"), ("A|WH|LOT-9", 1, "2026-01-20T00:00:00Z")),
                             truth, at)
    assert good.write_offs == (1.0, 1.0) and good.write_off_units == (2, 2) and good.failures() == []
    # one not written off by the instant, one on the wrong lot: both fail the verdict
    late = write_off_verdict(good, _ledger(("A|WH|LOT-9", 1, "2026-01-05T00:00:00Z"),
                                           ("A|WH|LOT-9", 1, "2026-03-01T00:00:00Z")), truth, at)
    assert late.write_offs == (1.0, 0.5) and any(f.startswith("write-offs:") for f in late.failures())
    wrong = write_off_verdict(good, _ledger(("A|WH|LOT-8", 2, "2026-01-05T00:00:00Z")), truth, at)
    assert wrong.write_offs == (0.0, 0.0) and wrong.write_off_units == (2, 2)
    # none on either side agrees; none in the ledger while the truth has some does not
    assert write_off_verdict(good, _ledger(), {**truth, "write_offs": []}, at).write_offs == (1.0, 1.0)
    assert write_off_verdict(good, _ledger(), truth, at).write_offs == (1.0, 0.0)


def test_the_webhook_verdict_fails_on_a_refused_push_a_stale_order_or_nothing_pushed() -> None:
    from aggregator.demo.verdict import PushVerdict

    assert PushVerdict(hours=2, pushes=12, orders=8, showing=8).failures() == []
    stale = PushVerdict(hours=2, pushes=12, orders=8, showing=7, differences=["shopee:1:9 shows READY_TO_SHIP, truth SHIPPED"])
    assert stale.failures() == ["webhooks: 7 of 8 pushed orders show the truth's status; "
                                "shopee:1:9 shows READY_TO_SHIP, truth SHIPPED"]
    refused = PushVerdict(hours=2, pushes=12, orders=8, showing=8, refused=["lazada 5 delivered: 401"])
    assert refused.failures() == ["webhooks: 1 of 12 pushes refused: lazada 5 delivered: 401"]
    assert PushVerdict(hours=72).failures() == ["webhooks: no order status was pushed in 72 simulated hour(s)"]


def test_a_release_day_held_by_a_pending_withdrawal_agrees_only_when_held_alike() -> None:
    """A local shop's day a withdrawal still pending holds (out of the wallet, not paid): the stored day
    agrees with the truth when it holds as much, and fails the payout verdict when it counts the money as
    in the wallet (held 0) or as paid."""
    truth = [{"shop_id": "L1", "statement_id": "escrow-2026-10-25", "cross_border": False, "paid": "100.00",
              "open": "300.00", "held": "250.00", "paid_at": None},
             {"shop_id": "L1", "statement_id": "escrow-2026-10-24", "cross_border": False, "paid": "80.00",
              "open": "0.00", "held": "0", "paid_at": 1792800000}]
    stored = [{**truth[0], "held": Decimal("250.00"), "settled_on": None},
              {**truth[1], "held": Decimal(0), "settled_on": 1792800000 // 86400}]
    verdict = payout_verdict(stored, truth)
    assert (verdict.held_days, verdict.failures()) == (1, [])
    assert verdict.aspects["held by pending withdrawals"] == 2
    for wrong in ({"held": Decimal(0)}, {"held": Decimal(0), "paid": "350.00", "open": "50.00"}):
        failed = payout_verdict([{**stored[0], **wrong}, stored[1]], truth)
        assert failed.failures() and failed.aspects["held by pending withdrawals"] == 1
