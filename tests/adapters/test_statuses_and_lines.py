"""Every documented status maps to a canonical one (returns and cancellations in progress are their own
states); unknown ones stay UNKNOWN and are flagged; Lazada's local-time ``payment_time`` becomes
``paid_at``; TikTok virtual bundles become their component SKUs with the price split exactly."""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from fx.money import Money
from platform_adapters.canonical import OrderStatus
from platform_adapters.lazada import mapping as lazada_mapping
from platform_adapters.lazada import statuses as lazada
from platform_adapters.shopee import mapping as shopee_mapping
from platform_adapters.shopee import statuses as shopee
from platform_adapters.tiktok import mapping as tiktok_mapping
from platform_adapters.tiktok import statuses as tiktok
from tests.adapters.helpers import fixture_json


@pytest.mark.parametrize("module", [shopee, lazada, tiktok], ids=["shopee", "lazada", "tiktok"])
def test_every_documented_status_has_a_canonical_state(module):
    for raw in module.DOCUMENTED:
        assert module.unified_status(raw) is not OrderStatus.UNKNOWN, raw
    assert module.unified_status("SOMETHING_NEW") is OrderStatus.UNKNOWN
    assert module.unified_status(None) is OrderStatus.UNKNOWN


def test_in_progress_states_are_not_outcomes():
    assert shopee.unified_status("TO_RETURN") is OrderStatus.RETURNING  # "the order's return is processing"
    assert shopee.unified_status("IN_CANCEL") is OrderStatus.CANCELLING
    assert shopee.unified_status("RETRY_SHIP") is OrderStatus.READY_TO_SHIP
    assert lazada.unified_status("ready_to_ship_pending") is OrderStatus.READY_TO_SHIP
    assert lazada.unified_status("confirmed") is OrderStatus.COMPLETED
    assert lazada.unified_status("failed_delivery") is OrderStatus.RETURNING
    assert lazada.unified_status("shipped_back_success") is OrderStatus.RETURNED
    assert lazada.unified_status("lost_by_3pl") is OrderStatus.LOST
    assert tiktok.order_status("AWAITING_SHIPMENT", buyer_requested_cancel=True) is OrderStatus.CANCELLING
    assert tiktok.order_status("IN_TRANSIT", buyer_requested_cancel=True) is OrderStatus.SHIPPED


def test_lazada_order_status_from_its_items():
    assert lazada.order_status(["delivered", "returned"]) is OrderStatus.DELIVERED  # a live item leads
    assert lazada.order_status(["returned", "shipped_back"]) is OrderStatus.RETURNING
    assert lazada.order_status(["returned", "canceled"]) is OrderStatus.RETURNED
    assert lazada.order_status(["lost_by_3pl", "canceled"]) is OrderStatus.LOST
    assert lazada.order_status(["pending"], cancel_pending=True) is OrderStatus.CANCELLING
    assert lazada.order_status(["shipped"], cancel_pending=True) is OrderStatus.SHIPPED
    assert lazada.order_status(["pending", "mystery"]) is OrderStatus.UNKNOWN


def test_an_unknown_status_is_kept_raw_and_flagged_not_guessed():
    raw = fixture_json("shopee", "order_detail.json")
    raw["order_status"] = "AWAITING_ALIENS"
    result = shopee_mapping.map_order(raw, "1")
    assert result.record.status is OrderStatus.UNKNOWN and result.record.raw_status == "AWAITING_ALIENS"
    assert [p.code for p in result.problems] == ["unknown_status"]


def test_lazada_paid_at_is_the_local_payment_time_converted_to_utc():
    raw = fixture_json("lazada", "order.json")
    # 1732438530000 ms is 08:55:30 on the SG wall clock (UTC+8): 00:55:30 UTC
    result = lazada_mapping.map_order(raw, "100123", "SG", "SGD", 8)
    assert result.ok
    assert result.record.paid_at == datetime(2024, 11, 24, 0, 55, 30, tzinfo=timezone.utc)
    unpaid = copy.deepcopy(raw)
    for item in unpaid["order_items"]:
        item["payment_time"] = None
        item["status"] = "unpaid"
    assert lazada_mapping.map_order(unpaid, "100123", "SG", "SGD", 8).record.paid_at is None


def test_tiktok_virtual_bundle_becomes_its_components_with_an_exact_price_split():
    raw = fixture_json("tiktok", "order_bundle.json")
    result = tiktok_mapping.map_order(raw, "7494")
    assert result.ok, result.problems
    order = result.record
    assert order.status is OrderStatus.CANCELLING  # is_buyer_request_cancel on an unshipped order
    lines = {line.seller_sku: line for line in order.lines}
    assert set(lines) == {"LMN-CBL-C60-BLK", "LMN-PB-10K-BLK"}
    cables, bank = lines["LMN-CBL-C60-BLK"], lines["LMN-PB-10K-BLK"]
    assert (cables.quantity, bank.quantity) == (2, 1)
    assert cables.line_ref == "577086512123822000+1729382256910271111"
    assert {cables.bundle_ref, bank.bundle_ref} == {"577086512123822000"}
    assert cables.bundle_sku == "LMN-GIFTSET-01"
    assert cables.paid_amount + bank.paid_amount == Money(Decimal("100.00"), "MYR")
    assert (cables.paid_amount, bank.paid_amount) == (Money(Decimal("66.67"), "MYR"), Money(Decimal("33.33"), "MYR"))
    assert cables.unit_price is None and bank.unit_price == Money(Decimal("33.33"), "MYR")  # 66.67/2 is not exact
    assert {line.package_id for line in order.lines} == {"1153125436201519999"}
    assert order.packages[0].line_refs == tuple(line.line_ref for line in order.lines)


def test_a_broken_bundle_keeps_the_bundle_line_and_says_why():
    raw = fixture_json("tiktok", "order_bundle.json")
    raw["line_items"][0]["combined_listing_skus"][1]["sku_count"] = 0
    result = tiktok_mapping.map_order(raw, "7494")
    assert [line.seller_sku for line in result.record.lines] == ["LMN-GIFTSET-01"]
    assert any(p.code == "bad_bundle" for p in result.problems)
