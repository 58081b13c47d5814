"""Receipt lines -> transport documents and customs entries, first at document level, then at line level.

Real documents decide what can be linked (reference/logistics_title.md §1.3, §5, §7.2-7.3): a 3PL's
ASN names the master / house bill or air waybill, the container and the customs declaration of the
goods; a forwarder's bill-of-lading line has a description, an HS code, PO numbers and a number of
cartons, never a SKU; a customs line has an HS code, a description, units and often a SKU pattern.

**Document level** (per receipt, applied to each of its lines; qty = the line's planned units):

``receipt_transport_doc`` (receipt -> document ``owner|doc_number``), first rule that applies:

* ``exact:document`` (1.0) — the house bill the ASN names, else its air waybill;
* ``rule:master_house`` (0.95) — the ASN names a master bill and exactly one of the owner's house
  bills under it carries the ASN's container (``rule:master_house_po``, 0.9: several do, one shares a
  PO with the ASN's lines); when several stay, the master itself if it is loaded (``exact:document``),
  else an ``ambiguous`` exception listing the house bills;
* ``exact:document`` — the master bill the ASN names (no house bill of the owner under it);
* ``rule:container`` (0.85) / ``rule:container_po`` (0.8) — only the container is known: the one
  document with a line in that container (a house bill is preferred to its master), on board within
  ``window_days`` before the receipt; several -> PO; still several -> ``ambiguous``.

``receipt_customs_entry`` (receipt -> entry ``owner|declaration_no``): ``exact:declaration`` (1.0) the
declaration the ASN names; ``rule:document_ref`` (0.9) the one entry naming the receipt's document;
``rule:container`` (0.85) the one entry with a line in the receipt's container (and a plausible arrival).

A receipt with nothing to link is an ``unlinked_receipt`` exception (for customs only once the goods
reached the warehouse: entries are lodged on arrival).

**Line level**, inside the linked document (and the house bills under it) and entry:

``receipt_customs`` (receipt line -> customs line): a line whose ``sku_group`` is the SKU (``exact``)
or a pattern the SKU fits (``rule:sku_group``, the longest pattern wins) beats one with no group;
a group the SKU does not fit, another PO, another container or another HS code (first 6 digits)
rules a line out; then HS code, PO, description tokens against the SKU's descriptor
(``matching.sku_facts``) and equal units rank what is left.

``receipt_document`` (receipt line -> document line): a SKU named on the line (``exact``), the PO among
the line's POs, the HS code (from the customs line linked, else the crosswalk's hint) and the
description against the SKU's descriptor and the customs line's description.

Methods name the evidence (``rule:po_hs`` 0.95, ``rule:hs_code`` 0.9, ``rule:po_description`` 0.9,
``rule:description`` 0.8, ``rule:po`` 0.8, ``rule:qty`` 0.75, ``rule:only_line`` 0.8 — the only line,
and it says nothing that could disagree). A line that says something (a description, an HS code)
but shares nothing with the receipt line is not linked on its own. Equal best candidates are an
``ambiguous`` exception listing them; no candidate left is an ``unmatched_line`` exception. The
customs rung runs again for lines it could not place once the document rung has given an HS code.

Manual links of any of the four steps (left key = receipt line key) replace the automatic one for that
line and step. Everything is vectorised: candidates are joins on (owner, document / entry), features
are column operations, and the text overlap runs on distinct text pairs only.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.descriptions import hs_agree, overlap, token_table
from matching.exceptions import Reason, combine, make_exceptions
from matching.frames import join_key, member, po_table
from matching.keys import skus
from matching.linker import LINK_COLUMNS, empty_links

DOC_STEP = "receipt_transport_doc"
ENTRY_STEP = "receipt_customs_entry"
DOC_LINE_STEP = "receipt_document"
CUSTOMS_LINE_STEP = "receipt_customs"
RECEIPT_STEPS = (DOC_STEP, ENTRY_STEP, DOC_LINE_STEP, CUSTOMS_LINE_STEP)

CONFIDENCE = {
    "manual": 1.0, "exact": 1.0, "exact:document": 1.0, "exact:declaration": 1.0,
    "rule:master_house": 0.95, "rule:master_house_po": 0.9, "rule:container": 0.85, "rule:container_po": 0.8,
    "rule:document_ref": 0.9, "rule:sku_group": 0.95, "rule:po_hs": 0.95, "rule:hs_code": 0.9,
    "rule:po_description": 0.9, "rule:description": 0.8, "rule:po": 0.8, "rule:qty": 0.75, "rule:only_line": 0.8,
}

_HEADER = ["receipt_key", "owner_id", "warehouse_code", "asn_no", "partition", "mbl_no", "hbl_no", "awb_no",
           "container_no", "customs_declaration_no", "arrived_at", "received_at"]


@dataclass
class DocumentLinks:
    """Links of the four receipt steps, per-line hits for the checks, and exceptions."""

    links: pd.DataFrame
    doc_hit: pd.DataFrame  # key (receipt line), doc_key, owner_id, partition
    entry_hit: pd.DataFrame  # key, entry_key, owner_id, partition
    line_hit: pd.DataFrame  # key, doc_line_key, owner_id, partition
    customs_hit: pd.DataFrame  # key, customs_key, owner_id, partition, declaration_no, c_qty, c_hs, ...
    exceptions: pd.DataFrame


def _s(values, index=None) -> pd.Series:
    return pd.Series(values, index=index, dtype="string")


def _true(series: pd.Series) -> pd.Series:
    return series.fillna(False).astype(bool)


def _links(step: str, frame: pd.DataFrame, right: str, method) -> pd.DataFrame:
    if frame.empty:
        return empty_links()
    out = pd.DataFrame({
        "step": step, "owner_id": frame["owner_id"].astype("string"), "partition": frame["partition"].astype("string"),
        "left_key": frame["key"].astype("string"), "right_key": frame[right].astype("string"),
        "qty": pd.to_numeric(frame["planned_qty"]).fillna(0).astype("int64"), "method": method,
    }, copy=False)  # the columns are shared with ``frame`` (copy-on-write), not copied
    out["confidence"] = out["method"].map(CONFIDENCE).astype("float64")
    return out[LINK_COLUMNS]


# ------------------------------------------------------------------------------------------ document level

def _unique_or_po(cand: pd.DataFrame, right: str, rpo: pd.DataFrame, po: pd.DataFrame | None
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split candidates (receipt_key, right) into: unique, unique after PO narrowing, still several."""
    cand = cand.drop_duplicates(["receipt_key", right])
    n = cand.groupby("receipt_key")[right].transform("size")
    single, multi = cand[n == 1], cand[n > 1]
    by_po = multi.iloc[0:0]
    if po is not None and not multi.empty:
        hit = multi.merge(rpo, on="receipt_key").merge(po, on=[right, "po"])
        hit = hit.drop(columns="po").drop_duplicates(["receipt_key", right])
        by_po = hit[hit.groupby("receipt_key")[right].transform("size") == 1]
    left = multi[~member(multi["receipt_key"], by_po["receipt_key"])]
    return single, by_po, left


def _in_window(frame: pd.DataFrame, doc_time: str, window_days: int) -> pd.Series:
    """Document time no later than a day after the receipt and no earlier than the window before it."""
    at = frame["at"]
    when = frame[doc_time]
    late = (when > at + pd.Timedelta(days=1)).fillna(False)
    early = (when < at - pd.Timedelta(days=window_days)).fillna(False)
    return ~(late | early).astype(bool)


def _document_level(h: pd.DataFrame, rpo: pd.DataFrame, docs: pd.DataFrame, window_days: int
                    ) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """(receipt_key, doc_key, method) for each receipt that can be linked; exception frames."""
    out_cols = ["receipt_key", "doc_key", "method"]
    if docs.empty or h.empty:
        return pd.DataFrame(columns=out_cols), []
    dh = docs.sort_values(["doc_key", "line_no"], kind="mergesort").drop_duplicates("doc_key")
    dh = dh[["owner_id", "doc_number", "doc_key", "master_doc_number", "shipped_on_board_at", "eta"]].copy()
    dh["doc_time"] = dh["shipped_on_board_at"].fillna(dh["eta"])
    dcont = docs[["owner_id", "doc_key", "container_no"]].dropna(subset=["container_no"]).drop_duplicates()
    dpo = po_table(docs, "doc_key")
    chosen: list[pd.DataFrame] = []
    exceptions: list[pd.DataFrame] = []
    todo = h

    # 1. house bill, 2. air waybill named on the ASN
    for ref in ("hbl_no", "awb_no"):
        hit = todo.dropna(subset=[ref]).merge(dh[["owner_id", "doc_number", "doc_key", "master_doc_number"]],
                                              left_on=["owner_id", ref], right_on=["owner_id", "doc_number"])
        if ref == "hbl_no":
            clash = hit[_true(hit["mbl_no"].notna() & hit["master_doc_number"].notna()
                              & (hit["mbl_no"] != hit["master_doc_number"]))]
            exceptions.append(make_exceptions(
                clash, reason=Reason.CONFLICTING_REFERENCE, step=DOC_STEP, record_kind="receipt",
                record_key="receipt_key", related="doc_key",
                detail="ASN {asn_no} names MBL {mbl_no} but house bill {hbl_no} sits under {master_doc_number}"))
        chosen.append(hit.assign(method="exact:document")[out_cols])
        todo = todo[~member(todo["receipt_key"], hit["receipt_key"])]

    # 3. master bill named: a house of the owner under it, else the master itself
    named = todo.dropna(subset=["mbl_no"])
    houses = dh.dropna(subset=["master_doc_number"])[["owner_id", "master_doc_number", "doc_key"]]
    cand = named.merge(houses, left_on=["owner_id", "mbl_no"], right_on=["owner_id", "master_doc_number"])
    if not cand.empty:
        has_box = member(cand["doc_key"], dcont["doc_key"])
        in_box = member(join_key(cand["doc_key"], cand["container_no"]), join_key(dcont["doc_key"], dcont["container_no"]))
        cand = cand[~(cand["container_no"].notna() & has_box & ~in_box).to_numpy()]
    single, by_po, several = _unique_or_po(cand[["receipt_key", "doc_key"]], "doc_key", rpo, dpo)
    chosen += [single.assign(method="rule:master_house"), by_po.assign(method="rule:master_house_po")]
    todo = todo[~member(todo["receipt_key"], pd.concat([single["receipt_key"], by_po["receipt_key"]]))]
    master = todo.dropna(subset=["mbl_no"]).merge(dh[["owner_id", "doc_number", "doc_key"]],
                                                   left_on=["owner_id", "mbl_no"], right_on=["owner_id", "doc_number"])
    chosen.append(master.assign(method="exact:document")[out_cols])
    todo = todo[~member(todo["receipt_key"], master["receipt_key"])]
    unsure = several[member(several["receipt_key"], todo["receipt_key"])]
    if not unsure.empty:
        listed = unsure.groupby("receipt_key")["doc_key"].agg(" ".join).rename("candidates").reset_index()
        listed = todo.merge(listed, on="receipt_key")
        exceptions.append(make_exceptions(
            listed, reason=Reason.AMBIGUOUS, step=DOC_STEP, record_kind="receipt", record_key="receipt_key",
            related="candidates",
            detail="ASN {asn_no} names master bill {mbl_no} (container {container_no}); several house bills "
                   "under it fit: {candidates}"))
        todo = todo[~member(todo["receipt_key"], unsure["receipt_key"])]

    # 4. container only
    boxed = todo.dropna(subset=["container_no"]).merge(dcont, on=["owner_id", "container_no"])
    if not boxed.empty:
        boxed = boxed.merge(dh[["doc_key", "doc_time", "master_doc_number", "owner_id"]], on=["doc_key", "owner_id"])
        boxed = boxed[_in_window(boxed, "doc_time", window_days).to_numpy()]
        masters = join_key(boxed["receipt_key"], join_key(boxed["owner_id"], boxed["master_doc_number"]))
        boxed = boxed[~member(join_key(boxed["receipt_key"], boxed["doc_key"]), masters[boxed["master_doc_number"].notna()])]
    single, by_po, several = _unique_or_po(boxed[["receipt_key", "doc_key"]] if not boxed.empty else
                                           pd.DataFrame(columns=["receipt_key", "doc_key"]), "doc_key", rpo, dpo)
    chosen += [single.assign(method="rule:container"), by_po.assign(method="rule:container_po")]
    if not several.empty:
        listed = several.groupby("receipt_key")["doc_key"].agg(" ".join).rename("candidates").reset_index()
        exceptions.append(make_exceptions(
            todo.merge(listed, on="receipt_key"), reason=Reason.AMBIGUOUS, step=DOC_STEP, record_kind="receipt",
            record_key="receipt_key", related="candidates",
            detail="ASN {asn_no} names container {container_no} only; several documents carry it: {candidates}"))
    links = pd.concat([c[out_cols] for c in chosen if not c.empty] or [pd.DataFrame(columns=out_cols)],
                      ignore_index=True)
    return links, exceptions


def _entry_level(h: pd.DataFrame, doc_level: pd.DataFrame, docs: pd.DataFrame, customs: pd.DataFrame,
                 window_days: int) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    out_cols = ["receipt_key", "entry_key", "method"]
    if customs.empty or h.empty:
        return pd.DataFrame(columns=out_cols), []
    eh = customs.sort_values(["entry_key", "line_no"], kind="mergesort").drop_duplicates("entry_key")
    eh = eh[["owner_id", "declaration_no", "entry_key", "arrival_date", "released_at", "submitted_at"]].copy()
    eh["entry_time"] = eh["arrival_date"].fillna(eh["submitted_at"]).fillna(eh["released_at"])
    chosen, exceptions = [], []
    hit = h.dropna(subset=["customs_declaration_no"]).merge(
        eh[["owner_id", "declaration_no", "entry_key"]], left_on=["owner_id", "customs_declaration_no"],
        right_on=["owner_id", "declaration_no"])
    chosen.append(hit.assign(method="exact:declaration")[out_cols])
    todo = h[~member(h["receipt_key"], hit["receipt_key"])]

    # entries naming the receipt's document: the one linked (a house bill is the most specific), else any
    # number the ASN names (a master bill is shared by the house bills under it)
    eref = pd.concat([customs[["owner_id", "entry_key", c]].rename(columns={c: "ref"})
                      for c in ("mbl_no", "hbl_no", "awb_no")], ignore_index=True).dropna().drop_duplicates()
    linked_refs = pd.DataFrame(columns=["receipt_key", "owner_id", "ref"])
    if not doc_level.empty and not docs.empty:
        numbers = docs.drop_duplicates("doc_key").set_index("doc_key")["doc_number"]
        linked = doc_level[member(doc_level["receipt_key"], todo["receipt_key"])].dropna()
        linked_refs = pd.DataFrame({"receipt_key": linked["receipt_key"].to_numpy(),
                                    "owner_id": linked["doc_key"].str.split("|").str[0].to_numpy(),
                                    "ref": linked["doc_key"].map(numbers).to_numpy()})
    named_refs = pd.concat([todo[["receipt_key", "owner_id", c]].rename(columns={c: "ref"})
                            for c in ("hbl_no", "awb_no", "mbl_no")], ignore_index=True)
    first = linked_refs.dropna().merge(eref, on=["owner_id", "ref"])[["receipt_key", "entry_key"]]
    second = named_refs.dropna().merge(eref, on=["owner_id", "ref"])[["receipt_key", "entry_key"]]
    second = second[~member(second["receipt_key"], first["receipt_key"])]
    cand = pd.concat([first, second], ignore_index=True).drop_duplicates()
    econt = customs[["owner_id", "entry_key", "container_no"]].dropna().drop_duplicates()
    if not cand.empty:
        box = todo.set_index("receipt_key")["container_no"]
        cand = cand.assign(container_no=cand["receipt_key"].map(box))
        has_box = member(cand["entry_key"], econt["entry_key"])
        in_box = member(join_key(cand["entry_key"], cand["container_no"]),
                        join_key(econt["entry_key"], econt["container_no"]))
        cand = cand[~(cand["container_no"].notna() & has_box & ~in_box).to_numpy()]
    n = cand.groupby("receipt_key")["entry_key"].transform("size") if not cand.empty else pd.Series(dtype="int64")
    chosen.append(cand[n == 1].assign(method="rule:document_ref")[out_cols] if not cand.empty else
                  pd.DataFrame(columns=out_cols))
    several = cand[n > 1] if not cand.empty else cand
    todo = todo[~member(todo["receipt_key"], cand["receipt_key"])]

    boxed = todo.dropna(subset=["container_no"]).merge(econt, on=["owner_id", "container_no"])
    if not boxed.empty:
        boxed = boxed.merge(eh[["entry_key", "entry_time"]], on="entry_key")
        boxed = boxed[_in_window(boxed, "entry_time", window_days).to_numpy()]
        m = boxed.groupby("receipt_key")["entry_key"].transform("nunique")
        chosen.append(boxed[m == 1].drop_duplicates("receipt_key").assign(method="rule:container")[out_cols])
        several = pd.concat([several, boxed[m > 1][["receipt_key", "entry_key"]]], ignore_index=True)
    if not several.empty:
        listed = several.drop_duplicates().groupby("receipt_key")["entry_key"].agg(" ".join).rename(
            "candidates").reset_index()
        exceptions.append(make_exceptions(
            h.merge(listed, on="receipt_key"), reason=Reason.AMBIGUOUS, step=ENTRY_STEP, record_kind="receipt",
            record_key="receipt_key", related="candidates",
            detail="ASN {asn_no} names no declaration; several customs entries fit: {candidates}"))
    links = pd.concat([c for c in chosen if not c.empty] or [pd.DataFrame(columns=out_cols)], ignore_index=True)
    return links, exceptions


# ------------------------------------------------------------------------------------------ line level

def _fit(sku: pd.Series, group: pd.Series) -> pd.Series:
    """``exact`` / ``pattern`` / ``open`` (no group) / missing (the SKU does not fit). Only groups with
    wildcards go through ``fnmatch``, once per distinct (SKU, pattern)."""
    sku, group = sku.astype("string"), group.astype("string")
    out = pd.Series(pd.NA, index=sku.index, dtype="string")
    out[group.isna().to_numpy()] = "open"
    out[_true(sku == group).to_numpy()] = "exact"
    wild = (out.isna() & _true(group.str.contains(r"[*?\[]", regex=True)) & sku.notna()).to_numpy()
    if wild.any():
        pairs = pd.DataFrame({"s": sku[wild].to_numpy(), "g": group[wild].to_numpy()})
        distinct = pairs.drop_duplicates()
        distinct["fit"] = ["pattern" if fnmatch.fnmatchcase(str(a), str(b)) else pd.NA
                           for a, b in zip(distinct["s"].tolist(), distinct["g"].tolist())]
        out[wild] = pairs.merge(distinct, on=["s", "g"], how="left")["fit"].astype("string").to_numpy()
    return out


def _worded(texts: pd.Series) -> pd.Series:
    """Whether each text has comparable words (``matching.descriptions.tokens``)."""
    table = token_table(texts)
    worded = set(table["text"].dropna()) if not table.empty else set()
    if not worded:
        return pd.Series(False, index=texts.index)
    return _true(texts.astype("string").isin(worded))


def _acceptable(*, strong: pd.Series, weak: pd.Series, tok: pd.Series, words: pd.Series, hs: pd.Series) -> np.ndarray:
    """Which candidate lines may be linked at all.

    Strong evidence (the SKU or its pattern, the HS code) always counts. Otherwise the line's description
    decides: shared words are evidence; a description with words but none in common rules the line out,
    whatever the PO or the units say (every line of an entry shares its PO). A line that says nothing
    (no words, no HS code) may be taken on weak evidence or as the only line."""
    described = words.to_numpy()
    shares = (tok > 0).to_numpy()
    mute = ~described & hs.isna().to_numpy()
    return (strong.to_numpy() | shares | (~described & (weak.to_numpy() | mute))).astype(bool)


def _choose(pairs: pd.DataFrame, right: str, labels: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Best-scored candidate per receipt line when it is the only one at that score; the rest are ties.

    Interchangeable ties are paired: when n receipt lines have exactly the same n best candidates (two
    lines of one SKU on the ASN, two lines of that SKU on the entry) they are taken one to one in key
    order. Any other tie stays a tie."""
    if pairs.empty:
        return pairs.assign(method=pd.Series(dtype="string")), pairs
    pairs = pairs.assign(method=labels.to_numpy())
    best = pairs[pairs["score"] == pairs.groupby("key")["score"].transform("max")]
    count = best.groupby("key")[right].transform("nunique")
    chosen, ties = best[count == 1].drop_duplicates("key"), best[count > 1]
    if ties.empty:
        return chosen, ties
    ordered = ties.drop_duplicates(["key", right]).sort_values(["key", right], kind="mergesort")
    sig = ordered.groupby("key", sort=True)[right].agg(" ".join).rename("sig").reset_index()
    sig["n_cand"] = sig["sig"].str.count(" ") + 1
    sig["n_keys"] = sig.groupby("sig")["key"].transform("size")
    sig["rank"] = sig.groupby("sig").cumcount()
    paired = sig[sig["n_cand"] == sig["n_keys"]]
    if paired.empty:
        return chosen, ties
    slots = paired.drop_duplicates("sig")[["sig"]].assign(cand=lambda f: f["sig"].str.split(" ")).explode("cand")
    slots["rank"] = slots.groupby("sig").cumcount()
    pick = paired.merge(slots, on=["sig", "rank"])[["key", "cand"]].rename(columns={"cand": right})
    taken = ordered.merge(pick.astype({right: ordered[right].dtype}), on=["key", right])
    return pd.concat([chosen, taken], ignore_index=True), ties[~member(ties["key"], taken["key"])]


def _evidence_label(fit: pd.Series, po: pd.Series, hs: pd.Series, tok: pd.Series, qty: pd.Series) -> np.ndarray:
    return np.select(
        [fit == "exact", fit == "pattern", po & hs, hs, po & (tok > 0), tok > 0, po, qty],
        ["exact", "rule:sku_group", "rule:po_hs", "rule:hs_code", "rule:po_description", "rule:description",
         "rule:po", "rule:qty"], default="rule:only_line")


def _customs_lines(lines: pd.DataFrame, customs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """lines: key, owner_id, partition, entry_key, sku_c, po_number, container_no, planned_qty, descriptor, hs.
    Returns (chosen, ties, unmatched)."""
    c = customs[["entry_key", "key", "declaration_no", "sku_group", "po_number", "container_no", "hs_code",
                 "description", "qty", "released_at", "arrival_date"]].rename(columns={
                     "key": "customs_key", "po_number": "c_po", "container_no": "c_container", "hs_code": "c_hs",
                     "description": "c_desc", "qty": "c_qty"})
    pairs = lines.merge(c, on="entry_key")
    if pairs.empty:
        return pairs.assign(method=pd.Series(dtype="string")), pairs, lines
    pairs["fit"] = _fit(pairs["sku_c"], skus(pairs["sku_group"]))
    po_known = pairs["po_number"].notna() & pairs["c_po"].notna()
    po_eq = _true(po_known & (pairs["po_number"] == pairs["c_po"]))
    box_clash = _true(pairs["container_no"].notna() & pairs["c_container"].notna()
                      & (pairs["container_no"] != pairs["c_container"]))
    hs = hs_agree(pairs["hs"], pairs["c_hs"])
    keep = pairs["fit"].notna() & ~(po_known & ~po_eq).to_numpy() & ~box_clash & ~_true(hs == False)  # noqa: E712
    pairs = pairs[keep.to_numpy()].reset_index(drop=True)
    hs_eq = _true(hs_agree(pairs["hs"], pairs["c_hs"]))
    po_eq = _true(pairs["po_number"].notna() & (pairs["po_number"] == pairs["c_po"]))
    tok = overlap(pairs["descriptor"], pairs["c_desc"])
    qty_eq = _true(pd.to_numeric(pairs["c_qty"]) == pd.to_numeric(pairs["planned_qty"]))
    fit_rank = pairs["fit"].map({"exact": 3, "pattern": 2, "open": 1}).astype("int64")
    spec = skus(pairs["sku_group"]).str.len().fillna(0).astype("int64").clip(upper=999)
    ok = _acceptable(strong=(fit_rank > 1) | hs_eq, weak=po_eq | qty_eq, tok=tok,
                     words=_worded(pairs["c_desc"]), hs=pairs["c_hs"])
    pairs = pairs[ok].reset_index(drop=True)
    hs_eq, po_eq, tok, qty_eq, fit_rank, spec = (x[ok].reset_index(drop=True)
                                                 for x in (hs_eq, po_eq, tok, qty_eq, fit_rank, spec))
    pairs["score"] = (fit_rank * 10**7 + spec * 10**4 + po_eq.astype(int) * 1000 + hs_eq.astype(int) * 100
                      + tok.clip(upper=9) * 10 + qty_eq.astype(int))
    labels = pd.Series(_evidence_label(pairs["fit"], po_eq, hs_eq, tok, qty_eq), index=pairs.index)
    chosen, ties = _choose(pairs, "customs_key", labels)
    placed = pd.concat([chosen["key"], ties["key"]])
    return chosen, ties, lines[~member(lines["key"], placed)]


def _document_lines(lines: pd.DataFrame, docs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """lines: key, owner_id, partition, doc_key, sku_c, po_number, container_no, planned_qty, descriptor, hs.
    Candidates are the lines of the linked document and of the house bills under it."""
    heads = docs.drop_duplicates("doc_key")
    houses = heads.dropna(subset=["master_doc_number"])
    houses = pd.DataFrame({"doc_key": join_key(houses["owner_id"], houses["master_doc_number"]).to_numpy(),
                           "scope_key": houses["doc_key"].to_numpy()})
    scope = pd.concat([pd.DataFrame({"doc_key": heads["doc_key"], "scope_key": heads["doc_key"]}), houses],
                      ignore_index=True).drop_duplicates()
    d = docs[["doc_key", "key", "doc_number", "container_no", "hs_code", "description", "sku_c", "packages",
              "quantity"]].rename(columns={"doc_key": "scope_key", "key": "doc_line_key", "container_no": "d_container",
                                           "hs_code": "d_hs", "description": "d_desc", "sku_c": "d_sku"})
    pairs = lines.merge(scope, on="doc_key").merge(d, on="scope_key")
    if pairs.empty:
        return pairs.assign(method=pd.Series(dtype="string")), pairs, lines
    pairs = pairs.reset_index(drop=True)
    pairs["pair"] = np.arange(len(pairs))
    dpo = po_table(docs, "key").rename(columns={"key": "doc_line_key"})
    po_hit = member(pairs["pair"].astype("string"), pairs[["pair", "doc_line_key", "po_number"]].merge(
        dpo, left_on=["doc_line_key", "po_number"], right_on=["doc_line_key", "po"])["pair"].astype("string"))
    has_po = member(pairs["doc_line_key"], dpo["doc_line_key"])
    po_clash = has_po & pairs["po_number"].notna().to_numpy() & ~po_hit
    box_clash = _true(pairs["container_no"].notna() & pairs["d_container"].notna()
                      & (pairs["container_no"] != pairs["d_container"]))
    sku_known = pairs["d_sku"].notna()
    sku_eq = _true(sku_known & (pairs["d_sku"] == pairs["sku_c"]))
    hs = hs_agree(pairs["hs"], pairs["d_hs"])
    keep = (~po_clash & ~box_clash & ~(sku_known & ~sku_eq) & ~_true(hs == False)).to_numpy()  # noqa: E712
    pairs, po_hit, sku_eq = pairs[keep].reset_index(drop=True), po_hit[keep].reset_index(drop=True), \
        sku_eq[keep].reset_index(drop=True)
    hs_eq = _true(hs_agree(pairs["hs"], pairs["d_hs"]))
    tok = overlap(pairs["descriptor"], pairs["d_desc"])
    ok = _acceptable(strong=sku_eq | hs_eq, weak=po_hit, tok=tok, words=_worded(pairs["d_desc"]), hs=pairs["d_hs"])
    pairs, po_hit, sku_eq, hs_eq, tok = (x[ok].reset_index(drop=True) for x in (pairs, po_hit, sku_eq, hs_eq, tok))
    pairs["score"] = (sku_eq.astype(int) * 10**6 + po_hit.astype(int) * 1000 + hs_eq.astype(int) * 100
                      + tok.clip(upper=9) * 10)
    fit = pd.Series(np.where(sku_eq, "exact", "open"), index=pairs.index)
    labels = pd.Series(_evidence_label(fit, po_hit, hs_eq, tok, pd.Series(False, index=pairs.index)),
                       index=pairs.index)
    chosen, ties = _choose(pairs, "doc_line_key", labels)
    placed = pd.concat([chosen["key"], ties["key"]])
    return chosen, ties, lines[~member(lines["key"], placed)]


# ------------------------------------------------------------------------------------------ the run

def _manual(manual: pd.DataFrame, step: str, r: pd.DataFrame) -> pd.DataFrame:
    rows = manual[manual["step"] == step]
    if rows.empty:
        return pd.DataFrame(columns=["key", "right", "qty"])
    return pd.DataFrame({"key": rows["left_key"].to_numpy(), "right": rows["right_key"].to_numpy(),
                         "qty": rows["qty"].to_numpy()})


def _apply_manual(auto: pd.DataFrame, right: str, manual: pd.DataFrame, r: pd.DataFrame) -> pd.DataFrame:
    """Replace the automatic link of every line a manual link names (method ``manual``)."""
    if manual.empty:
        return auto
    base = r[["key", "owner_id", "partition", "planned_qty"]]
    man = manual.merge(base, on="key", how="left")
    parts = man["key"].str.split("|")
    man["owner_id"] = man["owner_id"].fillna(parts.str[0])
    man["partition"] = man["partition"].fillna("wh|" + parts.str[:2].str.join("|"))
    man["planned_qty"] = man["qty"]
    man["receipt_key"] = parts.str[:3].str.join("|")
    man = man.rename(columns={"right": right}).assign(method="manual")
    keep = auto[~member(auto["key"], man["key"])]
    return pd.concat([keep, man[[c for c in keep.columns if c in man.columns]]], ignore_index=True)


def _fit_lines(r: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    lines = r[["key", "receipt_key", "owner_id", "partition", "asn_no", "line_no", "sku", "sku_c", "po_number",
               "container_no", "planned_qty"]]
    return lines.merge(facts[["owner_id", "sku_c", "descriptor", "hs_hint"]], on=["owner_id", "sku_c"], how="left")


def link_receipts(r: pd.DataFrame, docs: pd.DataFrame, customs: pd.DataFrame, facts: pd.DataFrame,
                  manual: pd.DataFrame, window_days: int = 180) -> DocumentLinks:
    """Link prepared receipt lines (``ladder.build_lots`` output) to documents and customs entries."""
    if r.empty:
        empty = pd.DataFrame(columns=["key", "owner_id", "partition"])
        return DocumentLinks(empty_links(), empty, empty, empty, empty, combine([]))
    h = r.sort_values(["receipt_key", "line_no"], kind="mergesort").drop_duplicates("receipt_key")[_HEADER].copy()
    h["at"] = h["received_at"].fillna(h["arrived_at"])
    rpo = r[["receipt_key", "po_number"]].dropna().drop_duplicates().rename(columns={"po_number": "po"})
    exceptions: list[pd.DataFrame] = []

    doc_level, exc = _document_level(h, rpo, docs, window_days)
    exceptions += exc
    lines = _fit_lines(r, facts)
    doc_lines = lines.merge(doc_level, on="receipt_key")
    doc_lines = _apply_manual(doc_lines, "doc_key", _manual(manual, DOC_STEP, r), r)
    entry_level, exc = _entry_level(h, doc_lines[["receipt_key", "doc_key"]].drop_duplicates(), docs, customs,
                                    window_days)
    exceptions += exc
    entry_lines = lines.merge(entry_level, on="receipt_key")
    entry_lines = _apply_manual(entry_lines, "entry_key", _manual(manual, ENTRY_STEP, r), r)

    # unlinked receipts: no document at all; no customs entry once the goods reached the warehouse
    named = h["mbl_no"].notna() | h["hbl_no"].notna() | h["awb_no"].notna() | h["container_no"].notna()
    no_doc = h[~member(h["receipt_key"], doc_lines["receipt_key"].dropna()) & ~member(
        h["receipt_key"], pd.concat([e["record_key"] for e in exceptions if not e.empty] or [pd.Series(dtype=str)]))]
    exceptions.append(make_exceptions(
        no_doc[named.reindex(no_doc.index).to_numpy()], reason=Reason.UNLINKED_RECEIPT, step=DOC_STEP,
        record_kind="receipt", record_key="receipt_key",
        detail="ASN {asn_no}: no transport document matches MBL {mbl_no} / HBL {hbl_no} / AWB {awb_no} / "
               "container {container_no}"))
    exceptions.append(make_exceptions(
        no_doc[~named.reindex(no_doc.index).to_numpy()], reason=Reason.UNLINKED_RECEIPT, step=DOC_STEP,
        record_kind="receipt", record_key="receipt_key",
        detail="ASN {asn_no} names no bill of lading, air waybill or container"))
    arrived = h["at"].notna()
    ambiguous_entry = pd.concat([e["record_key"] for e in exceptions if not e.empty and (e["step"] == ENTRY_STEP).any()]
                                or [pd.Series(dtype=str)])
    no_entry = h[arrived.to_numpy() & ~member(h["receipt_key"], entry_lines["receipt_key"].dropna())
                 & ~member(h["receipt_key"], ambiguous_entry)]
    exceptions.append(make_exceptions(
        no_entry, reason=Reason.UNLINKED_RECEIPT, step=ENTRY_STEP, record_kind="receipt", record_key="receipt_key",
        detail="ASN {asn_no} (received {at}): no customs entry matches declaration {customs_declaration_no} / "
               "its documents / container {container_no}"))

    # line level: customs (SKU facts), documents (+ the customs line's HS and description), customs again
    c_lines = entry_lines.assign(hs=entry_lines["hs_hint"])
    c_chosen, c_ties, c_left = _customs_lines(c_lines, customs)
    d_lines = doc_lines.merge(c_chosen[["key", "c_hs", "c_desc"]], on="key", how="left")
    d_lines = d_lines.assign(hs=d_lines["c_hs"].fillna(d_lines["hs_hint"]),
                             descriptor=(d_lines["descriptor"].fillna("") + " " + d_lines["c_desc"].fillna("")))
    d_chosen, d_ties, d_left = _document_lines(d_lines.drop(columns=["c_hs", "c_desc"]), docs)
    retry = c_lines[member(c_lines["key"], pd.concat([c_ties["key"], c_left["key"]]))]
    if not retry.empty and not d_chosen.empty:
        known = d_chosen[["key", "d_hs"]].dropna().rename(columns={"d_hs": "hs"})
        retry = retry.drop(columns="hs").merge(known, on="key")
        if not retry.empty:
            again, again_ties, again_left = _customs_lines(retry, customs)
            c_chosen = pd.concat([c_chosen, again], ignore_index=True)
            c_ties = pd.concat([c_ties[~member(c_ties["key"], retry["key"])], again_ties], ignore_index=True)
            c_left = pd.concat([c_left[~member(c_left["key"], retry["key"])], again_left], ignore_index=True)
    c_chosen = _apply_manual(c_chosen, "customs_key", _manual(manual, CUSTOMS_LINE_STEP, r), r)
    d_chosen = _apply_manual(d_chosen, "doc_line_key", _manual(manual, DOC_LINE_STEP, r), r)
    manual_keys = {s: set(manual.loc[manual["step"] == s, "left_key"]) for s in RECEIPT_STEPS}
    for frame, ties, left, step, what, right in (
            (c_chosen, c_ties, c_left, CUSTOMS_LINE_STEP, "customs entry", "customs_key"),
            (d_chosen, d_ties, d_left, DOC_LINE_STEP, "document", "doc_line_key")):
        ties = ties[~ties["key"].isin(manual_keys[step])]
        left = left[~left["key"].isin(manual_keys[step])]
        if not ties.empty:
            listed = ties.groupby("key")[right].agg(lambda v: " ".join(sorted(set(v)))).rename("candidates")
            first = ties.drop_duplicates("key").set_index("key").join(listed).reset_index()
            exceptions.append(make_exceptions(
                first, reason=Reason.AMBIGUOUS, step=step, record_kind="receipt_line", record_key="key",
                related="candidates",
                detail="ASN {asn_no} line {line_no} (" + "{sku}): several lines of the " + what
                       + " fit equally: {candidates}"))
        anchor = "entry_key" if step == CUSTOMS_LINE_STEP else "doc_key"
        if not left.empty:
            exceptions.append(make_exceptions(
                left, reason=Reason.UNMATCHED_LINE, step=step, record_kind="receipt_line", record_key="key",
                related=anchor,
                detail="ASN {asn_no} line {line_no} ({sku}): no line of " + what + " {" + anchor + "} fits "
                       "(description, HS code, PO or SKU pattern)"))

    links = pd.concat([
        _links(DOC_STEP, doc_lines, "doc_key", doc_lines["method"].to_numpy()),
        _links(ENTRY_STEP, entry_lines, "entry_key", entry_lines["method"].to_numpy()),
        _links(CUSTOMS_LINE_STEP, c_chosen, "customs_key", c_chosen["method"].to_numpy()),
        _links(DOC_LINE_STEP, d_chosen, "doc_line_key", d_chosen["method"].to_numpy()),
    ], ignore_index=True)
    customs_hit = _customs_hit(c_chosen, customs)
    return DocumentLinks(
        links=links,
        doc_hit=doc_lines[["key", "doc_key", "owner_id", "partition"]].reset_index(drop=True),
        entry_hit=entry_lines[["key", "entry_key", "owner_id", "partition"]].reset_index(drop=True),
        line_hit=d_chosen[["key", "doc_line_key", "owner_id", "partition"]].reset_index(drop=True),
        customs_hit=customs_hit, exceptions=combine(exceptions))


def _customs_hit(chosen: pd.DataFrame, customs: pd.DataFrame) -> pd.DataFrame:
    cols = ["key", "customs_key", "owner_id", "partition"]
    if chosen.empty:
        return pd.DataFrame(columns=[*cols, "declaration_no", "c_qty", "c_hs", "released_at", "arrival_date"])
    c = customs.set_index("key")
    out = chosen[cols].reset_index(drop=True)
    for column, source in (("declaration_no", "declaration_no"), ("c_qty", "qty"), ("c_hs", "hs_code"),
                           ("released_at", "released_at"), ("arrival_date", "arrival_date")):
        out[column] = out["customs_key"].map(c[source])
    return out
