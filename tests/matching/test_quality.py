"""Synthetic worlds: precision/recall at the default noise, determinism, manual links."""
from __future__ import annotations

import pandas as pd
import pytest

from matching.engine import STEPS, MatchInput, match, match_prepared, prepare_input
from matching.quality import full_depth, unit_scores
from matching.synthetic import Noise, generate, precision_recall
from matching.synthetic_inbound import InboundNoise
from tests.matching import story


@pytest.fixture(scope="module")
def world():
    return generate(size=20_000, seed=11)


def test_precision_and_recall_at_default_noise(world):
    prepared = prepare_input(world.input)
    result = match_prepared(prepared)
    scores = precision_recall(result.links, world.truth, steps=STEPS)
    for step, (precision, recall) in scores.items():
        assert precision >= 0.99, (step, scores)
        assert recall >= 0.99, (step, scores)
    # the whole chain an export row states: order line -> lot -> container -> BL -> customs entry, in units
    precision, recall = unit_scores(full_depth(result.links, prepared), world.full_depth)
    assert precision >= 0.995 and recall >= 0.995, (precision, recall)
    reasons = set(result.exceptions["reason"])
    # the injected noise shows up as exceptions, not as wrong links: lost and unknown orders, duplicates,
    # short receipts, customs entries missing a line
    assert {"order_without_shipment", "shipment_without_order", "duplicate", "quantity_variance",
            "unmatched_line"} <= reasons
    assert "ambiguous" not in reasons and "unlinked_receipt" not in reasons


def test_full_depth_holds_under_heavy_inbound_noise():
    """Every real-practice option of the inbound side raised well above its default at once (half the POs
    split over two containers, half on house bills, half the ASNs naming only the master or typing their
    references sloppily, a fifth naming no declaration, short or missing a customs line): the chain an
    export row states stays right in at least 99.5 % of the units both ways, and what cannot be linked is
    an exception, never a guess."""
    heavy = InboundNoise(split_containers=0.5, house_bills=0.5, sku_groups=0.5, doc_key_variants=0.5,
                         master_only=0.5, no_declaration=0.2, missing_customs_lines=0.2, short_receipts=0.2)
    noisy = generate(size=5_000, seed=13, noise=Noise(inbound=heavy))
    prepared = prepare_input(noisy.input)
    result = match_prepared(prepared)
    precision, recall = unit_scores(full_depth(result.links, prepared), noisy.full_depth)
    assert precision >= 0.995 and recall >= 0.995, (precision, recall)
    assert {"quantity_variance", "unmatched_line"} <= set(result.exceptions["reason"])


def test_the_world_looks_like_real_documents(world):
    docs, customs, receipts = (world.input.document_lines, world.input.customs_lines, world.input.receipt_lines)
    assert "sku" not in docs.columns and docs["packages"].dropna().gt(0).all()  # BL lines: cartons, no SKU
    assert docs["master_doc_number"].notna().any()  # house bills under consolidations' masters
    assert customs["sku_group"].str.endswith("-*").any() and customs["sku_group"].isna().any()
    assert receipts["box_range"].str.match(r"^C\d{4}-C\d{4}$").all()
    split = receipts.groupby(receipts["asn_no"].str[:10])["container_no"].nunique()
    assert (split > 1).any()  # one PO over two containers
    links = match(world.input).links
    methods = set(links.loc[links["step"] == "receipt_transport_doc", "method"])
    assert {"exact:document", "rule:master_house_po"} <= methods  # the house bill of a consolidation by PO


def test_noise_free_world_is_linked_perfectly():
    quiet = InboundNoise(0.1, 0.3, 0.7, 0, 0, 0, 0, 0)
    clean = generate(size=3_000, seed=5, noise=Noise(0, 0, 0, 0, 0, 0.05, 0, 0.3, inbound=quiet))
    prepared = prepare_input(clean.input)
    result = match_prepared(prepared)
    scores = precision_recall(result.links, clean.truth, steps=STEPS)
    assert scores["all"] == (1.0, 1.0)
    assert unit_scores(full_depth(result.links, prepared), clean.full_depth) == (1.0, 1.0)
    assert result.exceptions.empty, result.exceptions[["reason", "step", "detail"]].head()


def test_fuzzy_rung_finds_typoed_order_ids():
    noisy = generate(size=5_000, seed=3, noise=Noise(typos=0.02))
    links = match(noisy.input).links
    fuzzy = links[links["method"] == "fuzzy"]
    assert len(fuzzy) > 20
    truth = set(map(tuple, noisy.truth[["left_key", "right_key"]].to_numpy()))
    assert sum((a, b) in truth for a, b in zip(fuzzy["left_key"], fuzzy["right_key"])) >= 0.99 * len(fuzzy)


def _shuffled(inp: MatchInput, seed: int) -> MatchInput:
    def mix(frame):
        return None if frame is None else frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return MatchInput(order_lines=mix(inp.order_lines), shipment_lines=mix(inp.shipment_lines),
                      receipt_lines=mix(inp.receipt_lines), lots=mix(inp.lots),
                      document_lines=mix(inp.document_lines), customs_lines=mix(inp.customs_lines),
                      manual_links=mix(inp.manual_links), crosswalk=inp.crosswalk)


def test_same_input_in_any_row_order_gives_the_same_links_and_exceptions():
    small = generate(size=2_500, seed=2)
    first = match(small.input)
    again = match(small.input)
    shuffled = match(_shuffled(small.input, seed=99))
    pd.testing.assert_frame_equal(first.links, again.links)
    pd.testing.assert_frame_equal(first.links, shuffled.links)
    pd.testing.assert_frame_equal(first.exceptions, shuffled.exceptions)


def test_manual_link_survives_rematching_with_new_data():
    # the Shopee outbound OC...01 is re-pointed by hand to the other Shopee order's line
    manual = pd.DataFrame([{
        "step": "order_shipment",
        "left_key": "SHOPEE|SHOPEE-MY-480012345|260315AB7KXQ9T|29000010013002",
        "right_key": "LUMINA-HK|MYPKG-WH01|OC900260315000001|1", "qty": 1, "note": "ops ticket 17"}])
    first = match(story.story_input(manual_links=manual)).links
    more_orders = pd.concat([story.order_lines(), pd.DataFrame([{
        "owner_id": "LUMINA-HK", "platform": "SHOPEE", "shop_id": "SHOPEE-MY-480012345",
        "order_id": "260320ZZ0001AA", "line_ref": "1:1", "sku": "LMN-EB-BT53-BLK", "qty": 1,
        "order_status": "READY_TO_SHIP"}])], ignore_index=True)
    second = match(story.story_input(manual_links=manual, order_lines=more_orders)).links
    for links in (first, second):
        mine = links[links["right_key"] == "LUMINA-HK|MYPKG-WH01|OC900260315000001|1"]
        assert mine[["left_key", "method", "qty"]].values.tolist() == [
            ["SHOPEE|SHOPEE-MY-480012345|260315AB7KXQ9T|29000010013002", "manual", 1]]
