"""The logistics side of a sandbox world: BLs, customs entries, warehouse files and a stock snapshot.

For every owner and destination warehouse the world's orders draw from, one FCL sea shipment from
Yantian brings each SKU sold there (quantity = demand plus a buffer) before the first order; it is
declared on one import entry, received on one ASN into one lot per SKU, and every order line that
has shipped by the simulated ``now`` appears as an outbound row naming the real marketplace order
(platform, shop id, order id, line ref, package, tracking number) and its lot. Files can be
rendered for one owner (as a 3PL or forwarder sends them) or for all. The CSVs use the exact
column layouts of the shared sample files (the ingestion "standard" profiles). Columns the sample
names for Malaysia (``*_myr``) are filled for MY entries only and left empty elsewhere.
"""
from __future__ import annotations

import csv
import io
import math
import random
from pathlib import Path
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from platform_adapters.canonical.identifiers import iso6346_check_digit
from platform_adapters.sandbox.snapshot import state_at
from platform_adapters.sandbox.world import (
    CANCELLED, DELIVERED, REGION_PORT, RETURNED, SHIPPED, World, WorldSku,
)

BL_COLUMNS = "record_type,doc_level,doc_number,master_doc_number,doc_type,is_to_order,is_electronic,release_type,carrier_scac,carrier_booking_ref,shipper,consignee,notify_party,place_of_receipt,port_of_loading,port_of_discharge,place_of_delivery,vessel_or_flight,voyage,etd,shipped_on_board_date,eta,container_no,iso_equipment_code,seal_no,seal_source,packages,package_code,gross_weight_kg,volume_cbm,description_of_goods,hs_code,po_number,incoterm,incoterm_place,freight_term".split(",")  # noqa: E501
CUSTOMS_COLUMNS = "country,regime,form,declaration_no,declaration_type,submitted_at,released_at,status,importer_of_record,importer_registration_no,customs_agent,mbl_no,hbl_no,awb_no,container_no,vessel_or_flight,port_of_discharge,arrival_date,line_no,hs_code,description,origin_country,qty,uom,valuation_basis,invoice_currency,invoice_value,fx_rate_to_myr,customs_value_myr,import_duty_rate,import_duty_myr,sales_tax_rate,sales_tax_myr,preference_scheme,preference_doc_no,po_number,sku_group".split(",")  # noqa: E501
INBOUND_COLUMNS = "asn_no,wms_receipt_no,warehouse_code,owner_code,importer_of_record,inbound_type,status,mbl_no,hbl_no,awb_no,container_no,seal_no,customs_declaration_no,expected_arrival,arrived_at,received_at,putaway_at,line_no,box_range,sku,barcode,planned_qty,received_good_qty,received_damaged_qty,damage_type,putaway_qty,variance_qty,batch_no,po_number,remark".split(",")  # noqa: E501
OUTBOUND_COLUMNS = "wms_outbound_no,outbound_type,status,platform,shop_id,marketplace_order_id,order_line_ref,package_id,sku,qty,stock_lot_id,warehouse_code,carrier_code,tracking_number,first_mile_tracking_number,created_at,shipped_at,delivered_at,weight_g,remark".split(",")  # noqa: E501
STOCK_COLUMNS = "snapshot_at,lot_id,sku,title_holder,risk_bearer,custodian,title_state,location_state,warehouse_code,source_doc_kind,source_doc_no,container_no,customs_declaration_no,asn_no,received_at,qty_expected,qty_in_receiving,qty_available,qty_allocated,qty_in_last_mile,qty_delivered,qty_defective,qty_box_damaged,unit_landed_cost_myr,cost_basis_note".split(",")  # noqa: E501

LOGISTICS_FILES = {"forwarder_bl.csv": BL_COLUMNS, "customs_entries.csv": CUSTOMS_COLUMNS,
                   "warehouse_inbound.csv": INBOUND_COLUMNS, "warehouse_outbound.csv": OUTBOUND_COLUMNS,
                   "stock_lots_snapshot.csv": STOCK_COLUMNS}
OFFSET = {"SG": 8, "MY": 8, "PH": 8, "TH": 7, "VN": 7, "ID": 7}
CUSTOMS_FORM = {"MY": "K1", "SG": "IN", "TH": "KSB.99", "ID": "BC2.0", "PH": "IED", "VN": "HQ/2015/NK"}
SALES_TAX = {"MY": Decimal("0.10"), "SG": Decimal("0.09"), "TH": Decimal("0.07"), "ID": Decimal("0.11"),
             "PH": Decimal("0.12"), "VN": Decimal("0.10")}
USD_TO_MYR = Decimal("4.40")
SUPPLIER = "Shenzhen Brightway Electronics Co. Ltd."


def _local(epoch: int, region: str) -> str:
    return datetime.fromtimestamp(epoch, timezone(timedelta(hours=OFFSET[region]))).isoformat()


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).date().isoformat()


def legal_name(owner_name: str, region: str) -> str:
    """The owner's importing entity in ``region``: consignee, notify party and importer of record."""
    return f"{owner_name} ({region}) Pte Ltd"


def registration_no(owner_id: str) -> str:
    """The owner's importer registration number on customs entries."""
    return f"BRN-SBX-{owner_id[:3]}"


def owner_code(owner_id: str) -> str:
    """The code the 3PL files the owner's goods under (``owner_code`` of the inbound file)."""
    return owner_id


def owner_identities(world: World) -> list[dict]:
    """What the world's files call each owner, as a user would register it (``aggregator owners alias``):
    the 3PL owner code at each of its warehouses, its importing entities' legal names and its
    registration number in each country it imports into."""
    places: dict[str, set[tuple[str, str]]] = {}
    for shop in world.shops:
        places.setdefault(shop.owner_id, set()).add((shop.warehouse_code, shop.region))
    out = []
    for owner_id, name in world.owners:
        mine = sorted(places.get(owner_id, ()))
        aliases = [{"kind": "owner_code", "value": owner_code(owner_id), "scope": warehouse}
                   for warehouse in sorted({w for w, _ in mine})]
        for region in sorted({r for _, r in mine}):
            aliases.append({"kind": "legal_name", "value": legal_name(name, region), "scope": ""})
            aliases.append({"kind": "registration_no", "value": registration_no(owner_id), "scope": region})
        out.append({"owner_id": owner_id, "name": name, "aliases": aliases})
    return out


def container_number(rng: random.Random, owner_code: str) -> str:
    first_ten = owner_code + "U" + str(rng.randrange(10**6)).zfill(6)
    return first_ten + str(iso6346_check_digit(first_ten))


class _Shipment:
    """One FCL of one owner into one warehouse, with its documents and lots."""

    def __init__(self, rng: random.Random, index: int, owner_id: str, owner_name: str, region: str,
                 warehouse: str, demand: dict[WorldSku, int], arrive_before: int) -> None:
        self.owner_id, self.owner_name, self.region, self.warehouse = owner_id, owner_name, region, warehouse
        self.mbl = f"ZCRU26{rng.randrange(10**7):07d}"
        self.booking = f"ZCRB{rng.randrange(10**7):07d}"
        self.container = container_number(rng, ("TCL", "SEG", "MSM", "TGH")[index % 4])
        self.seal = f"ZC{rng.randrange(10**7):07d}"
        self.po = f"PO-{owner_id[:3]}-2026-{index + 1:04d}"
        self.declaration = f"{CUSTOMS_FORM[region].replace('/', '').replace('.', '')}-SBX-{index + 1:04d}"
        self.asn = f"ASN-{owner_id[:3]}-{index + 1:04d}"
        self.receipt = f"IC9{rng.randrange(10**14):014d}"
        self.etd = arrive_before - 20 * 86400
        self.eta = self.etd + 7 * 86400
        self.submitted, self.released = self.eta + 7 * 3600, self.eta + 2 * 86400
        self.arrived, self.received = self.eta + 3 * 86400, self.eta + 4 * 86400
        self.putaway = self.eta + 5 * 86400
        self.lines = []  # (sku, planned, damaged)
        for sku, units in sorted(demand.items(), key=lambda kv: kv[0].seller_sku):
            planned = int(math.ceil((units * 1.2 + 20) / 10) * 10)
            damaged = rng.choice((0, 0, 0, 2, 5))
            self.lines.append((sku, planned, damaged))

    def lot_id(self, sku: WorldSku) -> str:
        return f"LOT-{self.container}-{sku.seller_sku}"


def _shipped_lines(world: World) -> dict[tuple[str, str], dict[WorldSku, int]]:
    demand: dict[tuple[str, str], dict[WorldSku, int]] = {}
    for order in world.orders:
        if order.stage_time("PAID") is None:  # stock is allocated at payment (cancellations included)
            continue
        bucket = demand.setdefault((order.shop.owner_id, order.shop.warehouse_code), {})
        for line in order.lines:
            bucket[line.sku] = bucket.get(line.sku, 0) + line.quantity
    return demand


def build_shipments(world: World) -> list[_Shipment]:
    rng = random.Random(world.seed * 101 + 3)
    names = dict(world.owners)
    regions = {s.warehouse_code: s.region for s in world.shops}
    first_order = min((o.created_at for o in world.orders), default=world.anchor)
    shipments = []
    for index, ((owner_id, warehouse), demand) in enumerate(sorted(_shipped_lines(world).items(),
                                                                   key=lambda kv: kv[0])):
        shipments.append(_Shipment(rng, index, owner_id, names[owner_id], regions[warehouse], warehouse,
                                   demand, first_order))
    return shipments


def _bl_rows(s: _Shipment) -> list[list]:
    consignee = legal_name(s.owner_name, s.region)
    return [["OCEAN", "MASTER", s.mbl, "", "BOL", "false", "false", "TELEX_RELEASE", "ZCRU", s.booking, SUPPLIER,
             consignee, consignee, "CNSZX", "CNYTN", REGION_PORT[s.region], REGION_PORT[s.region], "ZC HARMONY",
             "2609W", _day(s.etd), _day(s.etd + 86400), _day(s.eta), s.container, "42G1", s.seal, "CAR",
             math.ceil(planned / 20), "CT", f"{Decimal(sku.weight_g * planned) / 1000:.3f}",
             f"{Decimal(planned) / 200:.3f}", f"{sku.name.upper()} {sku.model_name}", sku.hs_code, s.po, "FOB",
             "Yantian", "COL"] for sku, planned, _damaged in s.lines]


def _customs_rows(s: _Shipment) -> list[list]:
    rows = []
    for line_no, (sku, planned, _damaged) in enumerate(s.lines, start=1):
        value = (sku.usd_price * planned * Decimal("0.55")).quantize(Decimal("0.01"))
        tax_rate = SALES_TAX[s.region]
        myr = s.region == "MY"
        customs_myr = (value * USD_TO_MYR).quantize(Decimal("0.01"))
        rows.append([s.region, "IMPORT_FOR_HOME_CONSUMPTION", CUSTOMS_FORM[s.region], s.declaration, "IMPORT",
                     _local(s.submitted, s.region), _local(s.released, s.region), "RELEASED",
                     legal_name(s.owner_name, s.region), registration_no(s.owner_id), "Sandbox Customs Brokerage",
                     s.mbl, "", "", s.container, "ZC HARMONY 2609W", REGION_PORT[s.region], _day(s.eta), line_no,
                     sku.hs_code, f"{sku.name.upper()} {sku.model_name}", "CN", planned, "PCE", "CIF", "USD",
                     f"{value:.2f}", f"{USD_TO_MYR:.4f}" if myr else "", f"{customs_myr:.2f}" if myr else "",
                     "0.00", "0.00" if myr else "", f"{tax_rate:.2f}",
                     f"{customs_myr * tax_rate:.2f}" if myr else "", "ACFTA", f"FORM-E-SBX-{s.owner_id[:3]}",
                     s.po, sku.seller_sku])
    return rows


def _inbound_rows(s: _Shipment) -> list[list]:
    rows, box = [], 1
    for line_no, (sku, planned, damaged) in enumerate(s.lines, start=1):
        boxes = math.ceil(planned / 20)
        good = planned - damaged
        rows.append([s.asn, s.receipt, s.warehouse, owner_code(s.owner_id), legal_name(s.owner_name, s.region), "CGRK",
                     "FULFILLED", s.mbl, "", "", s.container, s.seal, s.declaration, _day(s.arrived),
                     _local(s.arrived, s.region), _local(s.received, s.region), _local(s.putaway, s.region),
                     line_no, f"C{box:04d}-C{box + boxes - 1:04d}", sku.seller_sku, f"69{sku.model_id[:11]}",
                     planned, good, damaged, "CC" if damaged else "", good, -damaged,
                     f"B26-{sku.seller_sku}", s.po, f"{damaged} units cosmetic defect" if damaged else ""])
        box += boxes
    return rows


def _outbound_rows(world: World, now: int, lots: dict[tuple[str, str], _Shipment]) -> tuple[list[list], dict]:
    rows, moved = [], {}
    for order in world.orders:
        state = state_at(order, now)
        if state is None or order.stage_time("PAID") is None or order.stage_time("PAID") > now:
            continue
        shop = order.shop
        shipment = lots[(shop.owner_id, shop.warehouse_code)] if (shop.owner_id, shop.warehouse_code) in lots else None
        if shipment is None:
            continue
        shipped, delivered = order.stage_time(SHIPPED), order.stage_time(DELIVERED)
        cancelled = state.stage == CANCELLED
        if not cancelled and (shipped is None or shipped > now):
            continue
        status = "CANCELED" if cancelled else "RETURNED" if state.stage == RETURNED else \
            "DELIVERED" if delivered is not None and delivered <= now else "SHIPPED"
        for package_index, package in enumerate(order.packages):
            lines = [line for line in order.lines if line.package_index == package_index]
            if not lines:
                continue
            for line in lines:
                lot = shipment.lot_id(line.sku)
                if not cancelled:
                    key = (lot, "returned" if status == "RETURNED" else "delivered" if status == "DELIVERED"
                           else "last_mile")
                    moved[key] = moved.get(key, 0) + line.quantity
                # stable across renders and over time, so re-importing a later file updates the same outbound
                rows.append([f"OC-{shop.platform[:2].upper()}{package.package_id}", "JYCK", status, shop.platform.upper(), shop.shop_id,
                             order.order_id, line.line_ref, "" if cancelled else package.package_id,
                             line.sku.seller_sku, line.quantity, lot, shop.warehouse_code, package.carrier,
                             "" if cancelled else package.tracking_number, "",
                             _local(order.stage_time("PAID"), shop.region),
                             "" if cancelled else _local(shipped, shop.region),
                             _local(delivered, shop.region) if status == "DELIVERED" else "",
                             "" if cancelled else line.sku.weight_g * line.quantity,
                             "buyer cancelled before pick; allocation released" if cancelled else
                             "failed delivery - returned to warehouse" if status == "RETURNED" else ""])
    return rows, moved


def _stock_rows(shipments: list[_Shipment], moved: dict, now: int) -> list[list]:
    rows = []
    for s in shipments:
        for sku, planned, damaged in s.lines:
            lot = s.lot_id(sku)
            delivered = moved.get((lot, "delivered"), 0)
            last_mile = moved.get((lot, "last_mile"), 0)
            available = planned - damaged - delivered - last_mile
            landed = (sku.usd_price * USD_TO_MYR * Decimal("0.6")).quantize(Decimal("0.01"))
            rows.append([_local(now, s.region), lot, sku.seller_sku, s.owner_id, s.owner_id, s.warehouse,
                         "OWNED_IN_WAREHOUSE", "AVAILABLE", s.warehouse, "MBL", s.mbl, s.container, s.declaration,
                         s.asn, _local(s.received, s.region), planned, 0, available, 0, last_mile, delivered, damaged,
                         0, f"{landed:.2f}" if s.region == "MY" else "", "sandbox: CIF + sales tax (illustrative)"])
    return rows


def _csv(columns: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def render_logistics(world: World, now: int, owner_id: str | None = None) -> dict[str, str]:
    """All logistics files of ``world`` (or of one owner) as CSV texts, keyed by file name."""
    shipments = [s for s in build_shipments(world) if owner_id is None or s.owner_id == owner_id]
    by_key = {(s.owner_id, s.warehouse): s for s in shipments}
    outbound, moved = _outbound_rows(world, now, by_key)
    return {
        "forwarder_bl.csv": _csv(BL_COLUMNS, [r for s in shipments for r in _bl_rows(s)]),
        "customs_entries.csv": _csv(CUSTOMS_COLUMNS, [r for s in shipments for r in _customs_rows(s)]),
        "warehouse_inbound.csv": _csv(INBOUND_COLUMNS, [r for s in shipments for r in _inbound_rows(s)]),
        "warehouse_outbound.csv": _csv(OUTBOUND_COLUMNS, outbound),
        "stock_lots_snapshot.csv": _csv(STOCK_COLUMNS, _stock_rows(shipments, moved, now)),
    }


def write_logistics(world: World, now: int, directory: str | Path) -> list[str]:
    """Write each owner's logistics files into ``directory/<owner_id>/``; returns the paths written."""
    paths = []
    for owner_id, _name in world.owners:
        target = Path(directory) / owner_id
        target.mkdir(parents=True, exist_ok=True)
        for name, text in render_logistics(world, now, owner_id).items():
            path = target / name
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
    return paths
