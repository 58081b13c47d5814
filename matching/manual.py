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

    def problem(self, owner_id: str) -> tuple[str, str] | None:
        """Why this key cannot be used in a link of ``owner_id`` (None when it can): the side, and the
        sentence that follows the name the caller gives that side (a CLI flag, an API field)."""
        what = self.kind.replace("_", " ")
        if self.owner is None:
            prefix = self.key.split("|", 1)[0]
            hint = (f"; its key names owner {prefix!r}: a link joins records of one owner"
                    if self.kind != "order_line" and prefix and prefix != owner_id else "")
            return self.side, (f"{self.key!r} names no {what} of owner {owner_id!r} (a {what} key is written "
                               f"{KEY_SHAPES[self.kind]}, as the links export and the match exceptions show it{hint})")
        if self.owner != owner_id:
            return self.side, (f"{self.key!r} ({what}) belongs to owner {self.owner!r}, not {owner_id!r}: "
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


# ------------------------------------------------------------------ candidates for an exception

MAX_CANDIDATES = 10


def candidate_frames(exception: Mapping[str, object]) -> set[str]:
    """The ``MatchInput`` fields ``candidates`` needs for this exception (empty: it lists none)."""
    step, reason = exception["step"], exception["reason"]
    if step not in MANUAL_STEPS or reason not in _FINDERS:
        return set()
    return frames_needed(str(step))


def candidates(p: Prepared | None, links: pd.DataFrame | None, exception: Mapping[str, object]
               ) -> list[dict[str, str]]:
    """Records a match exception could be linked to (``key``, ``kind``, ``why``), best first, at most
    ``MAX_CANDIDATES``: the engine's own list for an ``ambiguous`` one; for an unlinked order line or shipment
    line the other side's unlinked lines of the same shop and SKU, nearest in time; for an unlinked receipt the
    documents / customs entries that carry one of its containers, POs or bills; for an unmatched receipt line
    the lines of the document or entry it is linked to. ``p`` holds ``candidate_frames(exception)`` and ``links``
the stored links of the exception's step (both may be None when that set is empty)."""
    step, reason = str(exception["step"]), str(exception["reason"])
    if step not in MANUAL_STEPS:
        return []
    kind = MANUAL_STEPS[step][1] if exception["record_kind"] != MANUAL_STEPS[step][1] else MANUAL_STEPS[step][0]
    if reason == "ambiguous":
        keys = dict.fromkeys(str(exception.get("related_keys") or "").split())
        return [{"key": k, "kind": kind, "why": "fits equally (the matcher would not choose)"} for k in keys]
    finder = _FINDERS.get(reason)
    if finder is None or p is None or links is None:
        return []
    found = finder(p, links, exception, step)
    return [{"key": str(k), "kind": kind, "why": str(w)} for k, w in found[:MAX_CANDIDATES]]


def _by_time(frame: pd.DataFrame, column: str, at: object) -> pd.DataFrame:
    if pd.isna(at) or frame.empty:
        return frame
    return frame.assign(_d=(frame[column] - at).abs()).sort_values(["_d", "key"], kind="mergesort", na_position="last")


def _unlinked_orders(p: Prepared, links: pd.DataFrame, exception: Mapping[str, object], step: str) -> list:
    ship = p.shipments[p.shipments["key"] == exception["record_key"]]
    if ship.empty:
        return []
    s = ship.iloc[0]
    o = p.orders
    pool = o[(o["platform"] == s["platform"]) & (o["shop_id"] == s["shop_id"]) & (o["sku_c"] == s["sku_c"])
             & ~o["key"].isin(set(links["left_key"]))]
    pool = _by_time(pool, "ordered_at", s["created_at"])
    return [(k, f"same shop and SKU, ordered {t}, not linked to a shipment")
            for k, t in zip(pool["key"], pool["ordered_at"])]


def _unlinked_shipments(p: Prepared, links: pd.DataFrame, exception: Mapping[str, object], step: str) -> list:
    order = p.orders[p.orders["key"] == exception["record_key"]]
    if order.empty:
        return []
    o = order.iloc[0]
    s = p.shipments
    pool = s[(s["platform"] == o["platform"]) & (s["shop_id"] == o["shop_id"]) & (s["sku_c"] == o["sku_c"])
             & ~s["key"].isin(set(links["right_key"]))]
    pool = _by_time(pool, "created_at", o["ordered_at"])
    return [(k, f"same shop and SKU, outbound created {t}, not linked to an order")
            for k, t in zip(pool["key"], pool["created_at"])]


def _documents_for_receipt(p: Prepared, links: pd.DataFrame, exception: Mapping[str, object], step: str) -> list:
    lines = p.receipts[p.receipts["receipt_key"] == exception["record_key"]]
    if lines.empty:
        return []
    entry = step == documents.ENTRY_STEP
    frame, key = (p.customs, "entry_key") if entry else (p.documents, "doc_key")
    frame = frame[frame["owner_id"] == lines["owner_id"].iloc[0]]
    found: dict[str, str] = {}
    for column, what in (("mbl_no", "bill"), ("hbl_no", "bill"), ("container_no", "container"),
                         ("po_number", "PO")):
        values = set(lines[column].dropna()) if column in lines else set()
        targets = ["mbl_no", "hbl_no"] if entry and what == "bill" else (
            ["doc_number", "master_doc_number"] if what == "bill" else [column])
        for target in targets:
            if target not in frame or not values:
                continue
            hit = frame[frame[target].isin(values)]
            for k, v in zip(hit[key], hit[target]):
                found.setdefault(str(k), f"carries {what} {v} named by the receipt")
    return sorted(found.items())


def _lines_of_anchor(p: Prepared, links: pd.DataFrame, exception: Mapping[str, object], step: str) -> list:
    anchor = str(exception.get("related_keys") or "")
    frame, column = (p.customs, "entry_key") if step == documents.CUSTOMS_LINE_STEP else (p.documents, "doc_key")
    lines = frame[frame[column] == anchor]
    return [(k, f"line of {anchor}: {d or ''} HS {h or '-'}".strip())
            for k, d, h in zip(lines["key"], lines["description"], lines["hs_code"])]


_FINDERS = {
    "shipment_without_order": _unlinked_orders,
    "order_without_shipment": _unlinked_shipments,
    "unlinked_receipt": _documents_for_receipt,
    "unmatched_line": _lines_of_anchor,
}
