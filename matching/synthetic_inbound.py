"""The inbound side of a synthetic world, the way forwarders, brokers and 3PLs really write it.

Given the units each owner x warehouse x SKU must have received (demand plus a buffer), build:

* **shipments**: one PO each, a handful of products (all their variants), on one bill of lading —
  a master bill, or (``house_bills``) a house bill under a master shared with another shipment in one
  consolidated container; a share of the POs (``split_containers``) travels in two containers;
* **ASN receipt lines** per container (one ASN per container), one line per SKU, with the box range
  of its cartons (units per carton fixed per SKU) and the PO; the ASN header names the master bill,
  the house bill, the container and the customs declaration;
* **bill-of-lading lines** per document x container x product: description (product noun plural and
  model, no SKU), HS code, PO number, packages in cartons; a consolidation's master bill has one
  summary line per container ("CONSOLIDATED CARGO AS PER ATTACHED HOUSE BILLS");
* **customs entries** per shipment, one line per product: HS code, description, units (all
  variants), the SKU pattern ``SKU-00-P012-*`` (``sku_groups`` of the lines; the others are found by
  HS code, description and units), customs and invoice values;
* **ground truth** of every receipt line's document, document line, customs entry and customs line.

Noise on what the engine sees (``InboundNoise``): document numbers, containers and declarations written
with lower case, spaces or dashes; ASNs naming only the master bill of a house-bill shipment; ASNs
naming no declaration; a customs line missing from its entry; short receipts. Vectorised with
pandas/numpy; a few per-document Python steps run over shipments (thousands), never over order lines.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from platform_adapters.canonical.identifiers import normalize_document_number

NOUNS = np.array(["LAMP", "CABLE", "CASE", "FLASK", "MUG", "BAG", "FAN", "SPEAKER", "CHARGER", "TOWEL"])
ADJECTIVES = np.array(["Bright", "Compact", "Classic", "Travel", "Smart"])
HS_CODES = np.array(["940521", "854442", "392690", "961700", "691200", "420292", "841451", "851822", "850440",
                     "630260"])
VARIANTS = np.array(["A", "B", "C"])
UNITS_PER_CARTON = np.array([10, 20, 25, 50])


@dataclass(frozen=True)
class InboundNoise:
    split_containers: float = 0.10  # POs that travel in two containers
    house_bills: float = 0.30  # shipments on a house bill under a consolidation's master
    sku_groups: float = 0.70  # customs lines that name a SKU pattern
    doc_key_variants: float = 0.10  # ASNs writing their document numbers sloppily
    master_only: float = 0.30  # house-bill ASNs naming only the master bill
    no_declaration: float = 0.05  # ASNs naming no customs declaration
    missing_customs_lines: float = 0.02  # customs entries missing one line
    short_receipts: float = 0.05  # receipt lines received a few units short


def sku_code(owner: pd.Series, number: pd.Series | np.ndarray, variants: int = 3) -> pd.Series:
    """``SKU-<owner>-P<product>-<variant>`` for SKU numbers (three variants per product)."""
    number = np.asarray(number)
    product = pd.Series(number // variants, index=owner.index).astype("string").str.zfill(3)
    variant = pd.Series(VARIANTS[number % variants], index=owner.index, dtype="string")
    return ("SKU-" + owner.astype("string").str[-2:] + "-P" + product + "-" + variant).astype("string")


def product_of(sku: pd.Series) -> pd.Series:
    return sku.astype("string").str.extract(r"-P(\d+)-")[0].astype("int64")


def product_name(sku: pd.Series) -> pd.Series:
    """What a marketplace shows for the SKU (``Bright Lamp M012 A``)."""
    product = product_of(sku).to_numpy()
    noun = pd.Series(NOUNS[product % len(NOUNS)]).str.title().to_numpy()
    adj = ADJECTIVES[(product // len(NOUNS)) % len(ADJECTIVES)]
    model = pd.Series(product).astype("string").str.zfill(3).to_numpy()
    variant = sku.astype("string").str[-1].to_numpy()
    return pd.Series(adj + " " + noun + " M" + model + " " + variant, index=sku.index, dtype="string")


def _sloppy(values: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    """Write a share of document numbers as people do: lower case, spaced, dashed."""
    out = values.astype(object).to_numpy().copy()
    pick = np.flatnonzero((rng.random(len(out)) < rate) & pd.notna(out))
    for i, kind in zip(pick, rng.integers(0, 3, len(pick))):
        text = str(out[i])
        out[i] = text.lower() if kind == 0 else f" {text[:4]} {text[4:]}" if kind == 1 else f"{text[:4]}-{text[4:]}"
    return pd.Series(out, index=values.index, dtype="string")


def build_inbound(rec: pd.DataFrame, rng: np.random.Generator, noise: InboundNoise, t0: pd.Timestamp,
                  lines_per_asn: int = 5) -> dict[str, pd.DataFrame]:
    """``rec``: owner_id, warehouse_code, sku, planned_qty (units each line must bring). Returns frames
    ``receipts`` (engine-facing, with noise), ``documents``, ``customs`` and ``truth`` (receipt line key ->
    doc key, doc line key, entry key, customs line key, lot key, container), plus ``lots_truth``."""
    rec = rec.copy()
    rec["product"] = product_of(rec["sku"]).to_numpy()
    # shipments: within owner x warehouse, products in chunks; no SKU twice on one ASN
    rec["occ"] = rec.groupby(["owner_id", "warehouse_code", "sku"]).cumcount()
    rec["_r"] = rng.random(len(rec))
    rec = rec.sort_values(["owner_id", "warehouse_code", "occ", "product", "_r"], kind="mergesort").reset_index(
        drop=True)
    rec["slot"] = rec.groupby(["owner_id", "warehouse_code"]).cumcount() // lines_per_asn
    rec["shipment"] = pd.factorize(rec["owner_id"] + "|" + rec["warehouse_code"] + "|"
                                   + rec["slot"].astype("string"))[0]
    rec = (rec.groupby(["shipment", "owner_id", "warehouse_code", "sku", "product"], as_index=False, sort=True)
           ["planned_qty"].sum())
    n_ship = int(rec["shipment"].max()) + 1 if len(rec) else 0
    ships = pd.DataFrame({"shipment": np.arange(n_ship)})
    first = rec.drop_duplicates("shipment").set_index("shipment")
    ships["owner_id"] = first["owner_id"].reindex(ships["shipment"]).to_numpy()
    ships["warehouse_code"] = first["warehouse_code"].reindex(ships["shipment"]).to_numpy()
    ships["split"] = rng.random(n_ship) < noise.split_containers
    ships["house"] = rng.random(n_ship) < noise.house_bills
    ships["po"] = pd.Series([f"PO-{i:07d}" for i in range(n_ship)], dtype="string").to_numpy()
    ships["declaration"] = pd.Series([f"K1-{i:08d}" for i in range(n_ship)], dtype="string").to_numpy()
    # received before the first order ships (FIFO then never draws on a lot received after a shipment)
    ships["received_at"] = t0 - pd.Timedelta(days=40) + pd.to_timedelta(rng.integers(0, 37 * 86_400, n_ship),
                                                                         unit="s")
    # house bills: pairs of consecutive house shipments of one owner x warehouse share a master and a container
    house = ships[ships["house"]].copy()
    house["pair"] = house.groupby(["owner_id", "warehouse_code"]).cumcount() // 2
    house["group"] = pd.factorize(house["owner_id"] + "|" + house["warehouse_code"] + "|"
                                  + house["pair"].astype("string"))[0]
    ships["mbl"] = pd.Series([f"ZCRU{i:09d}" for i in range(n_ship)], dtype="string").to_numpy()
    ships["hbl"] = pd.Series(pd.NA, index=ships.index, dtype="string")
    ships.loc[house.index, "hbl"] = [f"SZXHB{i:08d}" for i in house.index]
    leader = house.groupby("group")["shipment"].transform("min")
    ships.loc[house.index, "mbl"] = ships.loc[leader.to_numpy(), "mbl"].to_numpy()
    ships.loc[house.index, "received_at"] = ships.loc[leader.to_numpy(), "received_at"].to_numpy()
    ships["box1"] = pd.Series([f"TCLU{i:07d}" for i in range(n_ship)], dtype="string").to_numpy()
    ships.loc[house.index, "box1"] = ships.loc[leader.to_numpy(), "box1"].to_numpy()
    ships.loc[house.index, "split"] = False  # a consolidation stays in its one container
    ships["box2"] = pd.Series([f"SEGU{i:07d}" for i in range(n_ship)], dtype="string").where(ships["split"].to_numpy())

    # receipt lines per container: a split PO sends each line wholly to one box, or half to each
    rec = rec.merge(ships[["shipment", "split", "box1", "box2"]], on="shipment")
    upc = UNITS_PER_CARTON[rng.integers(0, len(UNITS_PER_CARTON), len(rec))]
    rec["upc"] = upc
    rec["cartons"] = np.ceil(rec["planned_qty"] / upc).astype("int64")
    mode = np.where(rec["split"], rng.integers(0, 3, len(rec)), 0)  # 0 box1, 1 box2, 2 both
    both = rec[mode == 2].copy()
    first_part = rec.copy()
    first_part["box"] = np.where(mode == 1, rec["box2"], rec["box1"])
    first_part.loc[mode == 2, "cartons"] = (rec.loc[mode == 2, "cartons"] + 1) // 2
    both["box"] = both["box2"]
    both["cartons"] = both["cartons"] // 2
    lines = pd.concat([first_part, both[both["cartons"] > 0]], ignore_index=True)
    lines["planned_qty"] = (lines["cartons"] * lines["upc"]).astype("int64")
    lines = lines.sort_values(["shipment", "box", "sku"], kind="mergesort").reset_index(drop=True)
    lines["box_no"] = (lines["box"] != lines["box1"]).astype(int) + 1
    lines["asn_no"] = ("ASN" + lines["shipment"].astype("string").str.zfill(7) + "-"
                       + lines["box_no"].astype("string"))
    lines["line_no"] = lines.groupby("asn_no").cumcount() + 1
    start = lines.groupby("asn_no")["cartons"].cumsum() - lines["cartons"] + 1
    end = start + lines["cartons"] - 1
    lines["box_range"] = ("C" + start.astype("string").str.zfill(4) + "-C" + end.astype("string").str.zfill(4))
    lines = lines.merge(ships[["shipment", "po", "declaration", "mbl", "hbl", "received_at"]], on="shipment")
    lines["received_at"] = lines["received_at"] + pd.to_timedelta((lines["box_no"] - 1) * 86_400, unit="s")
    short = (rng.random(len(lines)) < noise.short_receipts) & (lines["planned_qty"] > 5)
    lines["received_good_qty"] = lines["planned_qty"] - np.where(short, rng.integers(1, 4, len(lines)), 0)
    lines["key"] = (lines["owner_id"] + "|" + lines["warehouse_code"] + "|" + lines["asn_no"] + "|"
                    + lines["line_no"].astype("string"))
    lines["lot_id"] = "LOT-" + lines["asn_no"] + "-" + lines["line_no"].astype("string")
    lines["lot_key"] = lines["owner_id"] + "|" + lines["warehouse_code"] + "|" + lines["lot_id"]
    lines["doc"] = lines["hbl"].fillna(lines["mbl"])

    # bill-of-lading lines: document x container x product, cartons summed over the variants
    noun = NOUNS[lines["product"].to_numpy() % len(NOUNS)]
    model = "M" + lines["product"].astype("string").str.zfill(3)
    lines["bl_desc"] = pd.Series(noun, index=lines.index) + "S " + model
    lines["hs"] = HS_CODES[lines["product"].to_numpy() % len(HS_CODES)]
    bl = (lines.groupby(["owner_id", "doc", "box", "product"], as_index=False, sort=True)
          .agg(packages=("cartons", "sum"), description=("bl_desc", "first"), hs_code=("hs", "first"),
               po_number=("po", "first"), mbl=("mbl", "first"), hbl=("hbl", "first"),
               received_at=("received_at", "min")))
    bl["line_no"] = bl.groupby(["owner_id", "doc"]).cumcount() + 1
    bl["master_doc_number"] = bl["mbl"].where(bl["hbl"].notna())
    bl["doc_level"] = np.where(bl["hbl"].notna(), "HOUSE", "MASTER")
    consol = bl[bl["hbl"].notna()].drop_duplicates(["owner_id", "mbl", "box"])
    summary = pd.DataFrame({"owner_id": consol["owner_id"], "doc": consol["mbl"], "box": consol["box"],
                            "description": "CONSOLIDATED CARGO AS PER ATTACHED HOUSE BILLS", "doc_level": "MASTER",
                            "received_at": consol["received_at"]})
    summary["line_no"] = summary.groupby(["owner_id", "doc"]).cumcount() + 1
    documents = pd.concat([bl, summary], ignore_index=True)
    documents = pd.DataFrame({
        "owner_id": documents["owner_id"], "doc_number": documents["doc"], "line_no": documents["line_no"],
        "master_doc_number": documents["master_doc_number"], "doc_type": "BOL", "doc_level": documents["doc_level"],
        "mode": "OCEAN", "is_to_order": "false", "release_type": "TELEX_RELEASE", "container_no": documents["box"],
        "po_number": documents["po_number"], "hs_code": documents["hs_code"], "packages": documents["packages"],
        "description": documents["description"], "incoterm": "FOB",
        "shipped_on_board_at": documents["received_at"] - pd.Timedelta(days=12),
        "eta": documents["received_at"] - pd.Timedelta(days=3)})
    bl_key = bl.set_index(["owner_id", "doc", "box", "product"])["line_no"]

    # customs: an entry per shipment, a line per product (units of every variant, both boxes)
    lines["c_desc"] = pd.Series(noun, index=lines.index) + " MODEL " + model
    cust = (lines.groupby(["owner_id", "declaration", "product"], as_index=False, sort=True)
            .agg(qty=("planned_qty", "sum"), sku=("sku", "first"), description=("c_desc", "first"),
                 hs_code=("hs", "first"), po_number=("po", "first"), mbl=("mbl", "first"), hbl=("hbl", "first"),
                 boxes=("box", "nunique"), box=("box", "first"), received_at=("received_at", "min")))
    cust["line_no"] = cust.groupby(["owner_id", "declaration"]).cumcount() + 1
    grouped = rng.random(len(cust)) < noise.sku_groups
    cust["sku_group"] = (cust["sku"].str.rsplit("-", n=1).str[0] + "-*").where(grouped)
    value = (cust["qty"] * (2 + cust["product"] % 7)).astype("int64")
    cust_truth = cust.set_index(["owner_id", "declaration", "product"])["line_no"]
    lost = cust.groupby(["owner_id", "declaration"]).sample(n=1, random_state=int(rng.integers(1 << 31)))
    lost = lost[rng.random(len(lost)) < noise.missing_customs_lines]
    seen_customs = cust.drop(index=lost.index)
    customs = pd.DataFrame({
        "owner_id": seen_customs["owner_id"], "declaration_no": seen_customs["declaration"],
        "line_no": seen_customs["line_no"], "country": "MY", "mbl_no": seen_customs["mbl"],
        "hbl_no": seen_customs["hbl"], "container_no": seen_customs["box"].where(seen_customs["boxes"] == 1),
        "po_number": seen_customs["po_number"], "sku_group": seen_customs["sku_group"],
        "hs_code": seen_customs["hs_code"], "description": seen_customs["description"], "qty": seen_customs["qty"],
        "invoice_value": value[seen_customs.index].astype("string") + ".00", "invoice_currency": "USD",
        "customs_value": (value[seen_customs.index] * 4).astype("string") + ".00", "currency": "MYR",
        "released_at": seen_customs["received_at"] - pd.Timedelta(days=1),
        "arrival_date": (seen_customs["received_at"] - pd.Timedelta(days=3)).dt.normalize()})

    # what the ASN header says (with noise)
    asn_codes, asns = pd.factorize(lines["asn_no"])

    def per_asn(rate: float) -> np.ndarray:
        return (rng.random(len(asns)) < rate)[asn_codes]

    master_only = lines["hbl"].notna().to_numpy() & per_asn(noise.master_only)
    no_decl = per_asn(noise.no_declaration)
    sloppy = per_asn(noise.doc_key_variants)
    receipts = pd.DataFrame({
        "owner_id": lines["owner_id"], "warehouse_code": lines["warehouse_code"], "asn_no": lines["asn_no"],
        "line_no": lines["line_no"], "sku": lines["sku"], "planned_qty": lines["planned_qty"],
        "received_good_qty": lines["received_good_qty"], "received_at": lines["received_at"],
        "mbl_no": lines["mbl"], "hbl_no": lines["hbl"].where(~master_only), "container_no": lines["box"],
        "customs_declaration_no": lines["declaration"].where(~no_decl), "po_number": lines["po"],
        "box_range": lines["box_range"]})
    for column in ("mbl_no", "hbl_no", "container_no", "customs_declaration_no"):
        receipts[column] = receipts[column].where(~sloppy, _sloppy(receipts[column], rng, 1.0))

    # truth, in the engine's key forms
    def norm(series: pd.Series) -> pd.Series:
        return series.astype("string").map(lambda v: normalize_document_number(v) if isinstance(v, str) else pd.NA)

    owner = lines["owner_id"]
    doc_n = norm(lines["doc"])
    bl_line = pd.Series(bl_key.reindex(pd.MultiIndex.from_arrays(
        [owner, lines["doc"], lines["box"], lines["product"]])).to_numpy(), index=lines.index)
    c_line = pd.Series(cust_truth.reindex(pd.MultiIndex.from_arrays(
        [owner, lines["declaration"], lines["product"]])).to_numpy(), index=lines.index)
    c_missing = pd.MultiIndex.from_arrays([owner, lines["declaration"], lines["product"]]).isin(
        pd.MultiIndex.from_frame(lost[["owner_id", "declaration", "product"]]))
    decl_n = norm(lines["declaration"])
    truth = pd.DataFrame({
        "key": lines["key"], "lot_key": lines["lot_key"], "qty": lines["planned_qty"],
        "received": lines["received_good_qty"],
        "container": norm(lines["box"]), "document": owner + "|" + doc_n,
        "document_line": owner + "|" + doc_n + "|" + bl_line.astype("string"),
        "entry": owner + "|" + decl_n,
        "customs_line": (owner + "|" + decl_n + "|" + c_line.astype("string")).where(~c_missing)})
    return {"receipts": receipts, "documents": documents, "customs": customs, "truth": truth,
            "lots": lines[["owner_id", "warehouse_code", "sku", "lot_key", "received_at", "received_good_qty"]]}
