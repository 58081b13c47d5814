"""Any frame may be missing (a new tenant, a sync before the first import): the run still works."""
from __future__ import annotations

import pandas as pd
import pytest

from matching.chains import build_chains
from matching.incremental import match_full
from matching.open_quantities import open_documents, open_lots
from matching.title import derive_title_events, title_position
from tests.matching import story

KINDS = ["order_lines", "shipment_lines", "receipt_lines", "lots", "document_lines", "customs_lines"]


def _run(**frames):
    inp = story.story_input(**frames)
    result = match_full(inp)
    prepared = result.prepared
    ledger = derive_title_events(prepared, result.links)
    title_position(ledger, pd.Timestamp("2026-03-20T00:00:00Z"))
    build_chains(result.links, prepared)
    open_lots(prepared, result.links)
    open_documents(prepared, result.links)
    return result


@pytest.mark.parametrize("missing", KINDS)
def test_all_but_one_kind(missing):
    result = _run(**{missing: None})
    assert not result.links.empty


@pytest.mark.parametrize("present", KINDS)
def test_only_one_kind(present):
    result = _run(**{k: None for k in KINDS if k != present})
    steps = set(result.links["step"])
    assert steps <= {"lot_receipt"} if present == "receipt_lines" else steps == set()
