"""Manual links, checked before they are stored: which records a step joins, whether a key names one of
them, and whether a link actually resolves the match exception it claims to.

Pure: the caller hands in a ``Prepared`` input (only the frames the step's kinds need) and an exception
row; nothing here reads a store. The engine applies manual links in three places
(``linker.link_orders``: ``order_shipment``; ``ladder.link_shipments_to_lots``: ``shipment_lot``;
``documents.link_receipts``: the four receipt steps); ``lot_receipt`` is derived from the receipt lines
themselves and never taken from a manual link, so it is not a manual step.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from matching import documents, ladder
from matching.engine import Prepared

#: step -> (kind of the left key, kind of the right key)
MANUAL_STEPS: dict[str, tuple[str, str]] = {
    "order_shipment": ("order_line", "shipment_line"),
    "shipment_lot": ("shipment_line", "lot"),
    documents.DOC_STEP: ("receipt_line", "transport_document"),
    documents.ENTRY_STEP: ("receipt_line", "customs_entry"),
    documents.DOC_LINE_STEP: ("receipt_line", "transport_document_line"),
    documents.CUSTOMS_LINE_STEP: ("receipt_line", "customs_line"),
}

#: kind -> how its key is written (for messages)
KEY_SHAPES: dict[str, str] = {
    "order_line": "PLATFORM|SHOP_ID|ORDER_ID|LINE_REF",
    "shipment_line": "OWNER|WAREHOUSE|OUTBOUND_NO|LINE_NO",
    "lot": "OWNER|WAREHOUSE|LOT_ID",
    "receipt_line": "OWNER|WAREHOUSE|ASN_NO|LINE_NO",
    "transport_document": "OWNER|DOC_NUMBER",
    "customs_entry": "OWNER|DECLARATION_NO",
    "transport_document_line": "OWNER|DOC_NUMBER|LINE_NO",
    "customs_line": "OWNER|DECLARATION_NO|LINE_NO",
}

#: kind -> the input frames (``MatchInput`` fields) needed to know its keys
FRAMES_OF: dict[str, tuple[str, ...]] = {
    "order_line": ("order_lines",),
    "shipment_line": ("shipment_lines",),
    "lot": ("receipt_lines", "lots", "crosswalk"),
    "receipt_line": ("receipt_lines",),
    "transport_document": ("document_lines",),
    "customs_entry": ("customs_lines",),
    "transport_document_line": ("document_lines",),
    "customs_line": ("customs_lines",),
}


def frames_needed(step: str) -> set[str]:
    """The ``MatchInput`` fields to load to check a link of ``step`` (which must be a manual step)."""
    left, right = MANUAL_STEPS[step]
    return {*FRAMES_OF[left], *FRAMES_OF[right]}


def record_owners(p: Prepared, kind: str) -> pd.Series:
    """Owner of every record of ``kind``, indexed by the record's key (as links and exceptions name it)."""
    if kind == "lot":
        _, table = ladder.build_lots(p.receipts, p.lots)
        frame, column = table, "lot_key"
    else:
        frame, column = {
            "order_line": (p.orders, "key"), "shipment_line": (p.shipments, "key"),
            "receipt_line": (p.receipts, "key"), "transport_document": (p.documents, "doc_key"),
            "customs_entry": (p.customs, "entry_key"), "transport_document_line": (p.documents, "key"),
            "customs_line": (p.customs, "key"),
        }[kind]
    if frame.empty:
        return pd.Series(dtype="string")
    owners = frame.drop_duplicates(column)
    return pd.Series(owners["owner_id"].astype("string").to_numpy(), index=owners[column].astype("string"))


@dataclass(frozen=True)
class KeyCheck:
    side: str  # "left" / "right"
    kind: str
    key: str
    owner: str | None  # the record's owner, None when no record has this key

    def problem(self, owner_id: str) -> str | None:
        """Why this key cannot be used in a link of ``owner_id`` (None when it can)."""
        what = self.kind.replace("_", " ")
        if self.owner is None:
            prefix = self.key.split("|", 1)[0]
            hint = (f"; its key names owner {prefix!r}: a link joins records of one owner"
                    if self.kind != "order_line" and prefix and prefix != owner_id else "")
            return (f"--{self.side} {self.key!r} names no {what} of owner {owner_id!r} (a {what} key is written "
                    f"{KEY_SHAPES[self.kind]}, as 'aggregator export links' and the match exceptions show it{hint})")
        if self.owner != owner_id:
            return (f"--{self.side} {self.key!r} ({what}) belongs to owner {self.owner!r}, not {owner_id!r}: "
                    "a link joins records of one owner")
        return None


def check_keys(p: Prepared, step: str, left_key: str, right_key: str) -> tuple[KeyCheck, KeyCheck]:
    """Look both keys up among the records of the step's kinds (``p`` holds ``frames_needed(step)``)."""
    left_kind, right_kind = MANUAL_STEPS[step]
    checks = []
    for side, kind, key in (("left", left_kind, left_key), ("right", right_kind, right_key)):
        owners = record_owners(p, kind)
        owner = owners.get(key)
        checks.append(KeyCheck(side, kind, key, None if owner is None or pd.isna(owner) else str(owner)))
    return checks[0], checks[1]


def why_not_resolved(exception: Mapping[str, object], step: str, left_key: str, right_key: str) -> str | None:
    """Why a link of ``step`` from ``left_key`` to ``right_key`` does not resolve ``exception`` (a match
    exception row: ``exception_id``, ``reason``, ``step``, ``record_kind``, ``record_key``, ``status``);
    None when it does: the exception is open, about the same step, and about a record the link names
    (either key, or the receipt whose line is the left key)."""
    ident = exception["exception_id"]
    if str(exception["status"]).lower() != "open":
        return f"match exception {ident} is {str(exception['status']).lower()}, not open"
    if exception["step"] != step:
        hint = (" (link the records at that step)" if exception["step"] in MANUAL_STEPS else
                " (no link resolves it: fix the data, or close it with 'aggregator exceptions resolve')")
        return (f"match exception {ident} ({exception['reason']}) is about step {exception['step']!r}, "
                f"this link is for {step!r}{hint}")
    record = str(exception["record_key"])
    named = record in (left_key, right_key) or (
        exception["record_kind"] == "receipt" and left_key.startswith(record + "|"))
    if not named:
        return (f"match exception {ident} ({exception['reason']}) is about {exception['record_kind']} {record!r}; "
                f"this link names neither it nor one of its lines ({left_key!r} -> {right_key!r})")
    return None
