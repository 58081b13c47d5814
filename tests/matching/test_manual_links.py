"""Manual links are checked before they are stored: both keys name records of the owner (of the kinds the step
joins), and ``--resolves`` names an open match exception this very link resolves; otherwise a clear refusal,
a non-zero exit, and nothing written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aggregator.cli.match import STEPS
from aggregator.store.db import session_scope
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.matching import ManualLinkRow
from aggregator.store.models.warehouse import WarehouseShipmentRow
from matching.manual import MANUAL_STEPS
from tests.matching.db_story import cli_run, load_story
from tests.matching.story import FIXTURES

POLICY = str(FIXTURES / "matching" / "story_title_policy.toml")
W = "LUMINA-HK|MYPKG-WH01|"
SHIPMENT = W + "OC900260315000007|1"
ORDER_LINE = "LAZADA|LAZADA-MY-100987|8812345679999|8812345679901"


@pytest.fixture
def orphan(engine, tmp_path):
    """The story with one outbound reported without its order: one open ``shipment_without_order``."""
    load_story(engine, tmp_path)
    with session_scope(engine) as session:
        row = session.execute(select(WarehouseShipmentRow).where(
            WarehouseShipmentRow.wms_outbound_no == "OC900260315000007")).scalar_one()
        row.order_id, row.package_id, row.tracking_number = None, None, None
    assert cli_run(engine, tmp_path, "match", "--policy", POLICY).exit_code == 0
    with session_scope(engine) as session:
        exception_id = session.scalars(select(ExceptionItem.ref).where(
            ExceptionItem.kind == "shipment_without_order", ExceptionItem.record_key == SHIPMENT)).one()
        variance = session.scalars(select(ExceptionItem.ref).where(ExceptionItem.kind == "quantity_variance")).one()
    return engine, exception_id, variance


def _link(engine, tmp_path, *, owner="LUMINA-HK", step="order_shipment", left=ORDER_LINE, right=SHIPMENT, qty="1",
          resolves=None):
    args = ["match", "link", "--owner", owner, "--step", step, "--left", left, "--right", right, "--qty", qty,
            "--note", "ops ticket 17"]
    return cli_run(engine, tmp_path, *args, *(["--resolves", resolves] if resolves else []))


def _written(engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        return (session.scalar(select(func.count()).select_from(ManualLinkRow)),
                session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "manual_links")))


def test_the_cli_offers_exactly_the_steps_the_matcher_takes_manual_links_for():
    assert set(STEPS) == set(MANUAL_STEPS)


def test_a_bogus_or_foreign_key_or_a_wrong_exception_is_refused_and_nothing_is_written(orphan, tmp_path):
    engine, exception_id, variance = orphan
    assert cli_run(engine, tmp_path, "owners", "add", "OTHER-BRAND", "--name", "Other").exit_code == 0
    refusals = [
        (dict(right="bogus"), "--right 'bogus' names no shipment line of owner 'LUMINA-HK' (a shipment line key "
                              "is written OWNER|WAREHOUSE|OUTBOUND_NO|LINE_NO"),
        (dict(left="LAZADA|LAZADA-MY-100987|NOPE|1"), "--left 'LAZADA|LAZADA-MY-100987|NOPE|1' names no order line"),
        (dict(left=SHIPMENT, right=ORDER_LINE), "names no order line"),  # the sides swapped
        (dict(owner="OTHER-BRAND"), f"--right '{SHIPMENT}' names no shipment line of owner 'OTHER-BRAND'"),
        (dict(owner="OTHER-BRAND"), "its key names owner 'LUMINA-HK': a link joins records of one owner"),
        (dict(owner="NOPE"), "no owner 'NOPE'"),
        (dict(resolves="X"), "--resolves 'X' names no match exception of owner 'LUMINA-HK'"),
        (dict(resolves="1²"), "--resolves '1²' names no match exception of owner 'LUMINA-HK'"),  # not a queue id
        (dict(resolves=variance), f"match exception {variance} (quantity_variance) is about step 'receipt', this link is for 'order_shipment' (no link resolves it"),
        (dict(step="lot_receipt"), "Invalid value for '--step'"),
        (dict(qty="0"), "Invalid value for '--qty'"),
        (dict(step="shipment_lot", left=SHIPMENT, right=W + "LOT-TCLU6543214-EBB", resolves=exception_id),
         f"match exception {exception_id} (shipment_without_order) is about step 'order_shipment', this link is "
         "for 'shipment_lot'"),
    ]
    for change, message in refusals:
        result = _link(engine, tmp_path, **change)
        assert result.exit_code != 0, (change, result.output)
        assert message in result.output, (change, result.output)
        assert "Traceback" not in result.output
        assert _written(engine) == (0, 0), change


def test_a_link_naming_another_record_does_not_resolve_the_exception(orphan, tmp_path):
    """Both keys are real records of the owner, but neither is the exception's shipment line."""
    engine, exception_id, _ = orphan
    result = _link(engine, tmp_path, right=W + "OC900260315000001|1", resolves=exception_id)
    assert result.exit_code != 0, result.output
    assert f"is about shipment_line '{SHIPMENT}'; this link names neither it nor one of its lines" in result.output
    assert _written(engine) == (0, 0)


def test_a_valid_link_is_recorded_audited_and_closes_its_exception_at_the_next_run(orphan, tmp_path):
    engine, exception_id, _ = orphan
    result = _link(engine, tmp_path, resolves=exception_id)
    assert result.exit_code == 0, result.output
    assert "(shipment_without_order) resolved" in result.output
    assert _written(engine) == (1, 1)
    assert cli_run(engine, tmp_path, "match", "--policy", POLICY).exit_code == 0
    with session_scope(engine) as session:
        status = session.scalars(select(ExceptionItem.status).where(ExceptionItem.ref == exception_id)).one()
    assert status == "resolved"
    again = _link(engine, tmp_path, resolves=exception_id)  # resolved now: naming it again is refused
    assert again.exit_code != 0 and f"match exception {exception_id} is resolved, not open" in again.output
