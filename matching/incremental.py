"""Incremental matching: fingerprint each partition's inputs and re-match only the partitions that changed.

Partitions:

* ``wh|<owner>|<warehouse>`` — shipment lines, receipt lines and lots of one owner in one warehouse,
  plus the transport document and customs lines its receipts refer to (FIFO never leaves it);
* ``shop|<owner>|<platform>|<shop>`` — the order lines of one shop and the shipment lines naming
  that shop (``shop|<owner>||`` holds shipment lines naming no shop; it sees all the owner's orders);
* ``doc|<owner>`` — the owner's document and customs lines (only their duplicate checks live here).

A warehouse partition also holds the documents, house bills and customs entries its receipts name
(or share a container or a document reference with), and the facts of the SKUs it received
(``matching.sku_facts``: product names from orders, crosswalk HS hints), since line-level document
links depend on them.

A partition's fingerprint is the sum (mod 2^64) of the 64-bit content hashes of its rows plus the
row count: it ignores row order and changes when any row, the crosswalk result (canonical SKUs are
part of the rows) or the settings change. ``match_incremental`` keeps the previous links and
exceptions of unchanged partitions and replaces those of changed or vanished ones with a run over
just the changed partitions' rows, so the result equals a full run (tested).
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from matching.engine import MatchInput, MatchResult, MatchSettings, Prepared, match_prepared, prepare_input
from matching.frames import CONTRACT
from matching.sku_facts import SKU_FACT_COLUMNS

_HASH_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _row_hashes(frame: pd.DataFrame, kind: str | None) -> np.ndarray:
    """Content hash of each row over its source columns (derived key columns follow from them), plus the
    canonical SKU (which also depends on the crosswalk)."""
    if frame.empty:
        return np.zeros(0, dtype=np.uint64)
    if kind is None:
        columns = ["key", "kind"]
    elif kind == "skus":
        columns = list(SKU_FACT_COLUMNS)
    else:
        required, optional = CONTRACT[kind]
        columns = [c for c in (*required, *optional, "sku_c") if c in frame.columns]
    return pd.util.hash_pandas_object(frame[columns], index=False).to_numpy(np.uint64)


_KINDS = {"orders": "order_lines", "shipments": "shipment_lines", "receipts": "receipt_lines", "lots": "lots",
          "documents": "document_lines", "customs": "customs_lines", "manual": "manual_links", "duplicates": None,
          "skus": "skus"}


def _doc_refs(receipts: pd.DataFrame) -> pd.DataFrame:
    """(partition, owner_id, ref) for every document number and container a receipt line names."""
    parts = [receipts[["partition", "owner_id", col]].rename(columns={col: "ref"})
             for col in ("hbl_no", "awb_no", "mbl_no", "container_no", "customs_declaration_no")]
    refs = pd.concat(parts, ignore_index=True).dropna(subset=["ref"])
    return refs.drop_duplicates()


def _owned(frame: pd.DataFrame, refs: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """(partition, row index) of the rows of ``frame`` a partition's receipts refer to."""
    if frame.empty or refs.empty:
        return pd.DataFrame({"partition": pd.Series(dtype="string"), "row": pd.Series(dtype="int64")})
    base = frame.reset_index(drop=True).assign(row=lambda f: np.arange(len(f)))
    hits = [base[["owner_id", col, "row"]].dropna(subset=[col]).rename(columns={col: "ref"})
            .merge(refs, on=["owner_id", "ref"])[["partition", "row"]] for col in columns]
    return pd.concat(hits, ignore_index=True).drop_duplicates()


def membership(p: Prepared) -> dict[str, tuple[pd.DataFrame, list[tuple[np.ndarray, np.ndarray]]]]:
    """For each prepared frame: (the frame, [(partition of each member row, row positions), ...])."""
    refs = _doc_refs(p.receipts)
    docs = _owned(p.documents, refs, ("doc_number", "master_doc_number", "container_no"))
    customs = _owned(p.customs, refs, ("declaration_no", "container_no", "mbl_no", "hbl_no", "awb_no"))
    # what is known about a SKU (product names from orders, crosswalk HS hints) counts in every warehouse
    # partition that received it
    facts = p.skus.reset_index(drop=True).assign(row=lambda f: np.arange(len(f))).merge(
        p.receipts[["owner_id", "sku_c", "partition"]].drop_duplicates(), on=["owner_id", "sku_c"])
    owner_wide = p.shipments.loc[p.shipments["platform"].isna() | p.shipments["shop_id"].isna(), "shop_partition"]
    wide = pd.DataFrame({"partition": owner_wide.unique()})
    wide["owner_id"] = wide["partition"].str.split("|").str[1]
    orders_wide = p.orders.reset_index(drop=True).assign(row=lambda f: np.arange(len(f))).merge(
        wide, on="owner_id", suffixes=("_own", ""))
    manual_part = p.manual["left_key"].map(p.orders.drop_duplicates("key").set_index("key")["partition"])
    warehouse_side = p.manual["right_key"].where(~p.manual["step"].str.startswith("receipt_").fillna(False),
                                                 p.manual["left_key"])
    manual_part = manual_part.where(p.manual["step"] == "order_shipment",
                                    "wh|" + warehouse_side.str.split("|").str[:2].str.join("|"))

    def whole(frame: pd.DataFrame, partitions) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(partitions, dtype=object), np.arange(len(frame))

    def some(partitions: pd.Series, rows: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(partitions, dtype=object), rows.to_numpy(np.int64)

    return {
        "orders": (p.orders, [whole(p.orders, p.orders["partition"]),
                              some(orders_wide["partition"], orders_wide["row"])]),
        "shipments": (p.shipments, [whole(p.shipments, p.shipments["partition"]),
                                    whole(p.shipments, p.shipments["shop_partition"])]),
        "receipts": (p.receipts, [whole(p.receipts, p.receipts["partition"])]),
        "lots": (p.lots, [whole(p.lots, p.lots["partition"])]),
        "documents": (p.documents, [some(docs["partition"], docs["row"]),
                                    whole(p.documents, "doc|" + p.documents["owner_id"].fillna(""))]),
        "customs": (p.customs, [some(customs["partition"], customs["row"]),
                                whole(p.customs, "doc|" + p.customs["owner_id"].fillna(""))]),
        "manual": (p.manual, [whole(p.manual, manual_part)]),
        "duplicates": (p.duplicates, [whole(p.duplicates, p.duplicates["partition"])]),
        "skus": (p.skus, [some(facts["partition"], facts["row"])]),
    }


def fingerprints(p: Prepared, settings: MatchSettings | None = None, members=None) -> dict[str, str]:
    """Partition -> fingerprint (hex)."""
    salt = np.uint64(int.from_bytes(hashlib.sha256(repr(settings or MatchSettings()).encode()).digest()[:8],
                                    "little"))
    totals: dict[str, list[int]] = {}
    for name, (frame, parts_list) in (members or membership(p)).items():
        if frame.empty:
            continue
        base = (_row_hashes(frame.reset_index(drop=True), _KINDS[name]) ^ salt) * np.uint64(0x9E3779B97F4A7C15)
        base = base + np.uint64(len(name))
        for partitions, positions in parts_list:
            if len(positions) == 0:
                continue
            codes, uniques = pd.factorize(pd.Series(partitions, dtype=object), use_na_sentinel=True)
            ok = codes >= 0
            hashes = base[positions[ok]]
            sums = np.zeros(len(uniques), dtype=np.uint64)
            np.add.at(sums, codes[ok], hashes)
            counts = np.bincount(codes[ok], minlength=len(uniques))
            for part, total, count in zip(uniques, sums, counts):
                entry = totals.setdefault(str(part), [0, 0])
                entry[0] = (entry[0] + int(total)) & int(_HASH_MASK)
                entry[1] += int(count)
    return {part: f"{s:016x}-{n}" for part, (s, n) in sorted(totals.items())}


def restrict(p: Prepared, partitions: set[str], members=None) -> Prepared:
    """The rows of ``p`` that belong to any of ``partitions``."""
    members = members or membership(p)
    wanted = sorted(partitions)

    def rows(name: str) -> pd.DataFrame:
        frame, parts_list = members[name]
        keep = np.zeros(len(frame), dtype=bool)
        for parts, positions in parts_list:
            mask = pd.Series(parts, dtype=object).isin(wanted).to_numpy()
            keep[positions[mask]] = True
        return frame[keep]

    return Prepared(
        orders=rows("orders"), shipments=rows("shipments"), receipts=rows("receipts"), lots=rows("lots"),
        documents=rows("documents"), customs=rows("customs"), manual=rows("manual"),
        duplicates=rows("duplicates"), skus=rows("skus"))


def match_full(inp: MatchInput, settings: MatchSettings | None = None) -> MatchResult:
    """A full run that also records the fingerprints (the starting point of incremental runs)."""
    prepared = prepare_input(inp)
    result = match_prepared(prepared, settings)
    result.fingerprints = fingerprints(prepared, settings)
    result.rematched = tuple(result.fingerprints)
    result.prepared = prepared
    return result


def match_incremental(inp: MatchInput, previous: MatchResult, settings: MatchSettings | None = None
                      ) -> MatchResult:
    """Re-match only the partitions whose fingerprint differs from ``previous``."""
    prepared = prepare_input(inp)
    members = membership(prepared)
    current = fingerprints(prepared, settings, members)
    changed = {part for part, fp in current.items() if previous.fingerprints.get(part) != fp}
    vanished = set(previous.fingerprints) - set(current)
    redo = changed | vanished
    if not redo:
        return MatchResult(previous.links, previous.exceptions, (), current, prepared)
    fresh = match_prepared(restrict(prepared, changed, members), settings, partitions=changed)
    links = pd.concat([previous.links[~previous.links["partition"].isin(redo)],
                       fresh.links[fresh.links["partition"].isin(changed)]], ignore_index=True)
    exceptions = pd.concat([previous.exceptions[~previous.exceptions["partition"].isin(redo)],
                            fresh.exceptions[fresh.exceptions["partition"].isin(changed)]], ignore_index=True)
    links = links.sort_values(["step", "partition", "left_key", "right_key"], kind="mergesort")
    exceptions = exceptions.sort_values(["partition", "step", "reason", "record_key", "exception_id"],
                                        kind="mergesort")
    return MatchResult(links.reset_index(drop=True), exceptions.reset_index(drop=True),
                       tuple(sorted(redo)), current, prepared)
