"""``aggregator exceptions list|show|resolve|retry`` on the sample story: a match exception is listed beside
the other queues, shown, and resolved with the manual link that fixes it (checked like 'match link'; a bad
one refused with nothing written); the next match applies the link and the item stays resolved."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from aggregator.store.db import session_scope
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.matching import ManualLinkRow, MatchLinkRow
from tests.matching.db_story import cli_run
from tests.matching.test_manual_links import ORDER_LINE, POLICY, SHIPMENT, orphan  # noqa: F401 - the fixture


def test_list_show_resolve_with_a_link_and_retry(orphan, tmp_path) -> None:  # noqa: F811
    engine, ref, _ = orphan
    listed = json.loads(cli_run(engine, tmp_path, "exceptions", "list", "--kind", "match", "--format", "json").output)
    assert sorted(i["kind"] for i in listed) == ["order_without_shipment", "quantity_variance",
                                                 "shipment_without_order"]
    item = next(i for i in listed if i["ref"] == ref)
    assert (item["queue"], item["record_key"], item["status"], item["step"]) == (
        "match", SHIPMENT, "open", "order_shipment")
    assert json.loads(cli_run(engine, tmp_path, "exceptions", "list", "--kind", "shipment_without_order",
                              "--older-than", "1h", "--format", "json").output) == []
    too_old = cli_run(engine, tmp_path, "exceptions", "list", "--older-than", "999999w")
    assert too_old.exit_code == 2 and "at most 36525 days" in too_old.output and "internal error" not in too_old.output
    shown = cli_run(engine, tmp_path, "exceptions", "show", str(item["id"]))
    assert shown.exit_code == 0 and SHIPMENT in shown.output and "shipment_without_order" in shown.output
    # the order line the outbound lost: same shop and SKU, not linked to any shipment, so the first candidate
    detail = json.loads(cli_run(engine, tmp_path, "exceptions", "show", str(item["id"]), "--format", "json").output)
    assert detail["candidates"][0]["key"] == ORDER_LINE and detail["candidates"][0]["kind"] == "order_line"
    assert detail["candidates"][0]["why"].startswith("same shop and SKU, ordered 2026-")
    line = next(i for i in listed if i["kind"] == "order_without_shipment")
    back = json.loads(cli_run(engine, tmp_path, "exceptions", "show", str(line["id"]), "--format", "json").output)
    assert [c["key"] for c in back["candidates"]][:1] == [SHIPMENT]  # and the other way round

    for verb in ("show", "resolve", "retry"):  # beyond a database id: refused as input, never sent to the database
        huge = cli_run(engine, tmp_path, "exceptions", verb, "9" * 23, *(["--note", "x"] if verb == "resolve" else []))
        assert huge.exit_code == 2 and "is not in the range" in huge.output and "internal error" not in huge.output

    bogus = cli_run(engine, tmp_path, "exceptions", "resolve", str(item["id"]), "--link", "LAZADA|NOPE|1|1",
                    "--note", "ops ticket 18")
    assert bogus.exit_code == 1 and "names no order line of owner 'LUMINA-HK'" in bogus.output and "Traceback" not in bogus.output
    assert "--link 'LAZADA|NOPE|1|1' names no order line" in bogus.output  # the refusal names the CLI's flag
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ManualLinkRow)) == 0
        assert session.get(ExceptionItem, item["id"]).status == "open"

    done = cli_run(engine, tmp_path, "exceptions", "resolve", str(item["id"]), "--link", ORDER_LINE,
                   "--note", "ops ticket 17")
    assert done.exit_code == 0, done.output
    assert f"exception #{item['id']} (match shipment_without_order) resolved: manual link: ops ticket 17" in done.output
    again = cli_run(engine, tmp_path, "exceptions", "resolve", str(item["id"]), "--note", "twice")
    assert again.exit_code == 1 and "already resolved" in again.output

    assert cli_run(engine, tmp_path, "match", "--policy", POLICY).exit_code == 0
    with session_scope(engine) as session:
        assert session.execute(select(MatchLinkRow.left_key, MatchLinkRow.method).where(
            MatchLinkRow.right_key == SHIPMENT, MatchLinkRow.step == "order_shipment")).all() == [(ORDER_LINE, "manual")]
        assert session.get(ExceptionItem, item["id"]).status == "resolved"
        # the order line's own exception is no longer found: gone, by itself
        orphan_line = next(i for i in listed if i["kind"] == "order_without_shipment")
        assert session.get(ExceptionItem, orphan_line["id"]).status == "gone"
    variance = next(i for i in listed if i["kind"] == "quantity_variance")
    refused = cli_run(engine, tmp_path, "exceptions", "retry", str(variance["id"]))
    assert refused.exit_code == 1 and "the next 'aggregator match --owner LUMINA-HK' checks it again" in refused.output
    unknown = cli_run(engine, tmp_path, "exceptions", "show", "999999")
    assert unknown.exit_code == 1 and "no exception #999999" in unknown.output


def test_a_wrong_link_is_refused_for_the_link_before_any_missing_qty(orphan, tmp_path) -> None:  # noqa: F811
    """An exception that names no quantity needs ``--qty``; but a wrong ``--link`` is refused for what is
    wrong with it, not sent to find a quantity first (and a right link then asks for the quantity)."""
    engine, ref, _ = orphan
    with session_scope(engine) as session:
        item = session.scalars(select(ExceptionItem).where(ExceptionItem.ref == ref)).one()
        item.qty, item_id = None, str(item.id)
    bogus = cli_run(engine, tmp_path, "exceptions", "resolve", item_id, "--link", "LAZADA|NOPE|1|1", "--note", "t")
    assert bogus.exit_code == 1 and "--link 'LAZADA|NOPE|1|1' names no order line" in bogus.output, bogus.output
    assert "--qty" not in bogus.output
    unsized = cli_run(engine, tmp_path, "exceptions", "resolve", item_id, "--link", ORDER_LINE, "--note", "t")
    assert unsized.exit_code == 1 and "--qty is needed" in unsized.output, unsized.output
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ManualLinkRow)) == 0
        assert session.get(ExceptionItem, int(item_id)).status == "open"
    done = cli_run(engine, tmp_path, "exceptions", "resolve", item_id, "--link", ORDER_LINE, "--qty", "1",
                   "--note", "t")
    assert done.exit_code == 0, done.output
    with session_scope(engine) as session:
        assert session.scalars(select(ManualLinkRow.qty)).all() == [1]
