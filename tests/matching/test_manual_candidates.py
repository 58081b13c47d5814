"""The records a match exception could be linked to (pure): documents and customs entries that carry a receipt's
container, PO or bill; the lines of the document an unmatched line is linked to; nothing for a reason no link
resolves."""
from __future__ import annotations

import pandas as pd

from matching.engine import MatchInput, prepare_input
from matching.manual import candidate_frames, candidates

RECEIPTS = pd.DataFrame([
    {"owner_id": "O", "warehouse_code": "WH", "asn_no": "ASN1", "line_no": 1, "sku": "S1", "planned_qty": 10,
     "container_no": "MSCU1234565", "po_number": "PO7", "mbl_no": None},
    {"owner_id": "O", "warehouse_code": "WH", "asn_no": "ASN1", "line_no": 2, "sku": "S2", "planned_qty": 5,
     "container_no": "MSCU1234565", "po_number": "PO8", "mbl_no": None},
])
DOCS = pd.DataFrame([
    {"owner_id": "O", "doc_number": "BLBOX", "line_no": 1, "container_no": "MSCU1234565", "po_number": "PO1",
     "description": "EARBUDS", "hs_code": "851830"},
    {"owner_id": "O", "doc_number": "BLPO", "line_no": 1, "container_no": "TCLU6543214", "po_number": "PO8",
     "description": "LAMP", "hs_code": "940540"},
    {"owner_id": "O", "doc_number": "BLPO", "line_no": 2, "container_no": "TCLU6543214", "po_number": "PO9",
     "description": "CASE", "hs_code": "392690"},
    {"owner_id": "O", "doc_number": "BLNONE", "line_no": 1, "container_no": "TGHU0000000", "po_number": "PO2",
     "description": "CABLE", "hs_code": "854442"},
])


def exception(reason: str, step: str, record_kind: str, record_key: str, related: str = "") -> dict:
    return {"reason": reason, "step": step, "record_kind": record_kind, "record_key": record_key,
            "related_keys": related}


def test_an_unlinked_receipt_lists_the_documents_carrying_its_container_or_po() -> None:
    unlinked = exception("unlinked_receipt", "receipt_transport_doc", "receipt", "O|WH|ASN1")
    assert candidate_frames(unlinked) == {"receipt_lines", "document_lines"}
    p = prepare_input(MatchInput(receipt_lines=RECEIPTS, document_lines=DOCS))
    found = candidates(p, pd.DataFrame(columns=["left_key", "right_key"]), unlinked)
    assert [(c["key"], c["kind"], c["why"]) for c in found] == [
        ("O|BLBOX", "transport_document", "carries container MSCU1234565 named by the receipt"),
        ("O|BLPO", "transport_document", "carries PO PO8 named by the receipt")]


def test_an_unmatched_line_lists_the_lines_of_its_document_and_other_reasons_list_nothing() -> None:
    unmatched = exception("unmatched_line", "receipt_document", "receipt_line", "O|WH|ASN1|1", "O|BLPO")
    p = prepare_input(MatchInput(receipt_lines=RECEIPTS, document_lines=DOCS))
    found = candidates(p, pd.DataFrame(columns=["left_key", "right_key"]), unmatched)
    assert [(c["key"], c["kind"], c["why"]) for c in found] == [
        ("O|BLPO|1", "transport_document_line", "line of O|BLPO: LAMP HS 940540"),
        ("O|BLPO|2", "transport_document_line", "line of O|BLPO: CASE HS 392690")]
    variance = exception("quantity_variance", "receipt", "receipt_line", "O|WH|ASN1|1")
    assert candidate_frames(variance) == set() and candidates(None, None, variance) == []
