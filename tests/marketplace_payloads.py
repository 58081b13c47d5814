"""Realistic marketplace order payloads in bulk, shaped like the recorded-style fixtures: the sync
benchmark's input (``bench/bench_adapters.py``) and the write-path tests' realistic batch
(``tests/store/test_order_write_paths.py``).

A mix of Shopee (float amounts, as Shopee sends them), Lazada (header + items, decimal strings) and
TikTok payloads, with 1–4 lines each and ids above 2**53; ``variety`` adds some unknown statuses and
lines without a SKU (what the mappers report as warnings).
"""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "marketplace"


def payloads(size: int, seed: int = 7, *, variety: bool = False) -> list[tuple[str, bytes]]:
    """(platform, raw JSON bytes) for ``size`` orders, the way the APIs send them."""
    rng = random.Random(seed)
    shopee = json.loads((FIXTURES / "shopee" / "order_detail.json").read_text())
    lazada = json.loads((FIXTURES / "lazada" / "order.json").read_text())
    tiktok = json.loads((FIXTURES / "tiktok" / "order.json").read_text())
    out = []
    for n in range(size):
        kind = ("shopee", "lazada", "tiktok")[n % 3]
        lines = rng.randint(1, 4)
        if kind == "shopee":
            raw = copy.deepcopy(shopee)
            raw["order_sn"] = f"2411{n:010d}"
            raw["update_time"] = 1732410000 + n
            items = []
            for i in range(lines):
                item = copy.deepcopy(shopee["item_list"][0])
                item["model_id"] = 180000000000000000 + i
                item["model_quantity_purchased"] = rng.randint(1, 3)
                item["model_discounted_price"] = round(rng.uniform(5, 200), 2)
                if variety and rng.random() < 0.1:
                    item["model_sku"] = item["item_sku"] = ""
                items.append(item)
            raw["item_list"] = items
            raw["total_amount"] = round(rng.uniform(10, 900), 2)
            if variety and rng.random() < 0.05:
                raw["order_status"] = "SOMETHING_NEW"
        elif kind == "lazada":
            raw = copy.deepcopy(lazada)
            raw["order_id"] = raw["order_number"] = 260000000000000000 + n
            raw["order_items"] = []
            for i in range(lines):
                item = copy.deepcopy(lazada["order_items"][0])
                item["order_item_id"] = 270000000000000000 + n * 4 + i
                item["paid_price"] = f"{rng.uniform(5, 200):.2f}"
                raw["order_items"].append(item)
        else:
            raw = copy.deepcopy(tiktok)
            raw["id"] = str(577000000000000000 + n)
            raw["line_items"] = []
            for i in range(lines):
                item = copy.deepcopy(tiktok["line_items"][0])
                item["id"] = str(578000000000000000 + n * 4 + i)
                item["sale_price"] = f"{rng.uniform(50, 2000):.2f}"
                raw["line_items"].append(item)
        out.append((kind, json.dumps(raw).encode()))
    return out
