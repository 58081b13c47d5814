"""The order links' partition keeps its type whichever rules found the links: a world whose order links are
all found by line reference (no SKU allocation) types it as one that needs the allocation."""
from __future__ import annotations

from matching import synthetic
from matching.engine import match, prepare_input
from matching.linker import link_orders
from matching.synthetic import Noise


def test_order_links_keep_the_partition_type_when_no_line_is_allocated_by_sku() -> None:
    small = synthetic.generate(size=1, seed=1, noise=Noise(duplicates=0.2, missing_order=0.1, missing_shipment=0.1))
    large = synthetic.generate(size=300, seed=1)
    p = prepare_input(small.input)
    links, _ = link_orders(p.orders, p.shipments, p.manual)
    assert not links.empty and (links["method"] == "exact").all()
    assert links["partition"].dtype == p.orders["partition"].dtype
    assert match(small.input).links["partition"].dtype == match(large.input).links["partition"].dtype
