"""The logistics files of a sandbox world, written as forwarders, brokers and 3PLs send them.

The goods come in on the world's shipments (``shipments``) and go out as its outbound lines
(``fulfilment``); this module only writes them in the exact column layouts of the shared sample files
(the ingestion "standard" profiles):

* **forwarder** (one file, every brand it ships for): bill-of-lading lines per container x product —
  description, HS code, PO number, packages in cartons, weight and volume; never a SKU. The consignee
  and notify party are the owner's importing entity (a legal name);
* **customs broker** (one file per country): one entry per shipment, one line per product with its units
  (all variants) and the SKU pattern ``LMN-EB-BT53-*`` in ``sku_group``; the importer is named by legal
  name and registration number;
* **3PL** (one inbound, one outbound and one stock file per warehouse, every owner it serves): inbound
  rows name their owner by the 3PL's ``owner_code``, outbound rows by the marketplace shop
  (``platform``, ``shop_id``), stock rows by the owner code as title holder and risk bearer.

``owner_identities`` says what the files call each owner: the aliases a user registers before
importing (``aggregator owners alias add``). Columns the sample names for Malaysia (``*_myr``) are filled
for MY entries only and left empty elsewhere.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from platform_adapters.sandbox.fulfilment import OutboundLine, outbound_lines
from platform_adapters.sandbox.shipments import (
    CUSTOMS_FORM, REALISTIC, USD_TO_MYR, LogisticsNoise, Shipment, build_shipments, invoice_value,
    landed_cost_myr, owner_code, product_code, roll,
)
from platform_adapters.sandbox.world import REGION_PORT, World

BL_COLUMNS = "record_type,doc_level,doc_number,master_doc_number,doc_type,is_to_order,is_electronic,release_type,carrier_scac,carrier_booking_ref,shipper,consignee,notify_party,place_of_receipt,port_of_loading,port_of_discharge,place_of_delivery,vessel_or_flight,voyage,etd,shipped_on_board_date,eta,container_no,iso_equipment_code,seal_no,seal_source,packages,package_code,gross_weight_kg,volume_cbm,description_of_goods,hs_code,po_number,incoterm,incoterm_place,freight_term".split(",")  # noqa: E501
CUSTOMS_COLUMNS = "country,regime,form,declaration_no,declaration_type,submitted_at,released_at,status,importer_of_record,importer_registration_no,customs_agent,mbl_no,hbl_no,awb_no,container_no,vessel_or_flight,port_of_discharge,arrival_date,line_no,hs_code,description,origin_country,qty,uom,valuation_basis,invoice_currency,invoice_value,fx_rate_to_myr,customs_value_myr,import_duty_rate,import_duty_myr,sales_tax_rate,sales_tax_myr,preference_scheme,preference_doc_no,po_number,sku_group".split(",")  # noqa: E501
INBOUND_COLUMNS = "asn_no,wms_receipt_no,warehouse_code,owner_code,importer_of_record,inbound_type,status,mbl_no,hbl_no,awb_no,container_no,seal_no,customs_declaration_no,expected_arrival,arrived_at,received_at,putaway_at,line_no,box_range,sku,barcode,planned_qty,received_good_qty,received_damaged_qty,damage_type,putaway_qty,variance_qty,batch_no,po_number,remark".split(",")  # noqa: E501
# the sample's outbound columns plus ``returned_at`` (when a returned parcel was received back), as 3PLs'
# return reports carry it
OUTBOUND_COLUMNS = "wms_outbound_no,outbound_type,status,platform,shop_id,marketplace_order_id,order_line_ref,package_id,sku,qty,stock_lot_id,warehouse_code,carrier_code,tracking_number,first_mile_tracking_number,created_at,shipped_at,delivered_at,weight_g,remark,returned_at".split(",")  # noqa: E501
STOCK_COLUMNS = "snapshot_at,lot_id,sku,title_holder,risk_bearer,custodian,title_state,location_state,warehouse_code,source_doc_kind,source_doc_no,container_no,customs_declaration_no,asn_no,received_at,qty_expected,qty_in_receiving,qty_available,qty_allocated,qty_in_last_mile,qty_delivered,qty_defective,qty_box_damaged,unit_landed_cost_myr,cost_basis_note".split(",")  # noqa: E501

LOGISTICS_FILES = {"forwarder_bl.csv": BL_COLUMNS, "customs_entries.csv": CUSTOMS_COLUMNS,
                   "warehouse_inbound.csv": INBOUND_COLUMNS, "warehouse_outbound.csv": OUTBOUND_COLUMNS,
                   "stock_lots_snapshot.csv": STOCK_COLUMNS}
OFFSET = {"SG": 8, "MY": 8, "PH": 8, "TH": 7, "VN": 7, "ID": 7}
SALES_TAX = {"MY": Decimal("0.10"), "SG": Decimal("0.09"), "TH": Decimal("0.07"), "ID": Decimal("0.11"),
             "PH": Decimal("0.12"), "VN": Decimal("0.10")}
SUPPLIER = "Shenzhen Brightway Electronics Co. Ltd."

__all__ = ["CUSTOMS_FORM", "LOGISTICS_FILES", "LogisticsNoise", "legal_name", "owner_identities",
           "registration_no", "render_files", "render_logistics", "write_logistics"]


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


def _as_typed(text: str, *parts: object) -> str:
    """A reference as a person types it into a WMS: lower case, spaced or dashed (same key once normalised)."""
    kind = int(roll(text, *parts) * 3)
    if kind == 0:
        return text.lower()
    if kind == 1:
        return f"{text[:4]} {text[4:]}"
    return f"{text[:4]}-{text[4:]}".lower()


def _bl_rows(s: Shipment) -> list[list]:
    consignee = legal_name(s.owner_name, s.region)
    groups: dict[tuple[int, str], list] = {}
    for line in s.lines:
        groups.setdefault((line.box, product_code(line.sku)), []).append(line)
    rows = []
    for (box_index, _product), lines in groups.items():
        box, sku = s.boxes[box_index], lines[0].sku
        units = sum(line.planned for line in lines)
        rows.append(["OCEAN", "MASTER", s.mbl, "", "BOL", "false", "false", "TELEX_RELEASE", "ZCRU", s.booking,
                     SUPPLIER, consignee, consignee, "CNSZX", "CNYTN", REGION_PORT[s.region], REGION_PORT[s.region],
                     "ZC HARMONY", "2609W", _day(s.etd), _day(s.etd + 86400), _day(s.eta), box.container, "42G1",
                     box.seal, "CAR", sum(line.cartons for line in lines), "CT",
                     f"{Decimal(sum(line.sku.weight_g * line.planned for line in lines)) / 1000:.3f}",
                     f"{Decimal(units) / 200:.3f}", sku.name.upper(), sku.hs_code, s.po, "FOB", "Yantian", "COL"])
    return rows


def _customs_rows(s: Shipment, now: int) -> list[list]:
    if s.submitted > now:
        return []  # the broker lodges the entry once the goods arrive
    by_product: dict[str, list] = {}
    for line in s.lines:
        by_product.setdefault(product_code(line.sku), []).append(line)
    tax_rate, myr = SALES_TAX[s.region], s.region == "MY"
    container = s.boxes[0].container if len(s.boxes) == 1 else ""
    rows = []
    for line_no, (product, lines) in enumerate(by_product.items(), start=1):
        if product == s.missing_product:
            continue  # the broker's file lists the entry without this line
        sku, units, value = lines[0].sku, sum(line.planned for line in lines), invoice_value(lines)
        customs_myr = (value * USD_TO_MYR).quantize(Decimal("0.01"))
        rows.append([s.region, "IMPORT_FOR_HOME_CONSUMPTION", CUSTOMS_FORM[s.region], s.declaration, "IMPORT",
                     _local(s.submitted, s.region), _local(s.released, s.region) if s.released <= now else "",
                     "RELEASED" if s.released <= now else "SUBMITTED",
                     legal_name(s.owner_name, s.region), registration_no(s.owner_id), "Sandbox Customs Brokerage",
                     s.mbl, "", "", container, "ZC HARMONY 2609W", REGION_PORT[s.region], _day(s.eta), line_no,
                     sku.hs_code, sku.name.upper(), "CN", units, "PCE", "CIF", "USD", f"{value:.2f}",
                     f"{USD_TO_MYR:.4f}" if myr else "", f"{customs_myr:.2f}" if myr else "",
                     "0.00", "0.00" if myr else "", f"{tax_rate:.2f}",
                     f"{customs_myr * tax_rate:.2f}" if myr else "", "ACFTA", f"FORM-E-SBX-{s.owner_id[:3]}",
                     s.po, f"{product}-*"])
    return rows


def _inbound_rows(s: Shipment, now: int) -> list[list]:
    """The ASN lines of each container: received ones in full, an announced one (not received by ``now``)
    with its plan only."""
    rows = []
    for box_index, box in enumerate(s.boxes):
        first_carton = 1
        done = box.received <= now
        mbl, container, declaration, code = s.mbl, box.container, s.declaration, owner_code(s.owner_id)
        if s.sloppy:
            mbl, container = _as_typed(mbl, "mbl"), _as_typed(container, "container")
            declaration, code = _as_typed(declaration, "declaration"), code.lower()
        lines = [line for line in s.lines if line.box == box_index]
        for line_no, line in enumerate(lines, start=1):
            sku = line.sku
            good, damaged = (line.good, line.damaged) if done else (0, 0)
            remark = "; ".join(filter(None, (f"{damaged} units cosmetic defect" if damaged else "",
                                             f"{line.short} units short on arrival" if done and line.short else "")))
            rows.append([box.asn, box.receipt if done else "", s.warehouse, code, legal_name(s.owner_name, s.region),
                         "CGRK", "FULFILLED" if done else "NEW", mbl, "", "", container, box.seal,
                         declaration if s.submitted <= now else "", _day(box.arrived),
                         *((_local(box.arrived, s.region), _local(box.received, s.region),
                            _local(box.putaway, s.region)) if done else ("", "", "")), line_no,
                         f"C{first_carton:04d}-C{first_carton + line.cartons - 1:04d}", sku.seller_sku,
                         f"69{sku.model_id[:11]}", line.planned, good, damaged, "CC" if damaged else "", good,
                         good + damaged - line.planned if done else 0, f"B26-{sku.seller_sku}", s.po, remark])
            first_carton += line.cartons
    return rows


def _outbound_rows(lines: list[OutboundLine]) -> list[list]:
    rows = []
    for o in lines:
        shop, order, line, package = o.order.shop, o.order, o.line, o.package
        moving = o.status in ("SHIPPED", "DELIVERED", "RETURNED")
        shipped, delivered, returned = (order.stage_time(stage) for stage in ("SHIPPED", "DELIVERED", "RETURNED"))
        was_delivered = o.status in ("DELIVERED", "RETURNED") and delivered is not None and delivered <= o.at
        rows.append([o.outbound_no, "JYCK", o.status, shop.platform.upper(), shop.shop_id, order.order_id,
                     line.line_ref, package.package_id if moving else "", line.sku.seller_sku, line.quantity,
                     o.lot_id, shop.warehouse_code, package.carrier, package.tracking_number if moving else "", "",
                     _local(order.stage_time("PAID"), shop.region), _local(shipped, shop.region) if moving else "",
                     _local(delivered, shop.region) if was_delivered else "",
                     line.sku.weight_g * line.quantity if o.status != "CANCELED" else "",
                     "buyer cancelled before pick; allocation released" if o.status == "CANCELED" else
                     "returned by the buyer - received back, pending QC" if o.status == "RETURNED" else "",
                     _local(returned, shop.region) if o.status == "RETURNED" else ""])
    return rows


def _sorted_by(columns: list[str], rows: list[list], *names: str) -> list[list]:
    """``rows`` sorted by the cells of ``names`` (stable), as a report sorted on those columns lists them."""
    at = [columns.index(name) for name in names]
    return sorted(rows, key=lambda row: [row[i] for i in at])


def _by_sku(rows: list[list]) -> list[list]:
    """Outbound lines as a 3PL's outbound report lists them: by SKU, then by creation (a pick list's order), so
    the lines of an outbound holding several SKUs lie apart in the file."""
    return _sorted_by(OUTBOUND_COLUMNS, rows, "sku", "created_at", "wms_outbound_no")


def _by_container(rows: list[list]) -> list[list]:
    """Bill lines as a forwarder's container-load report lists them: by container, so the lines of a bill whose
    PO travels in two containers lie apart in the file (among other bills' containers)."""
    return _sorted_by(BL_COLUMNS, rows, "container_no")


def _by_hs_code(rows: list[list]) -> list[list]:
    """Declaration lines as a broker's tariff report lists them: by HS code, then by submission, so the lines of
    an entry of several products lie apart in the file."""
    return _sorted_by(CUSTOMS_COLUMNS, rows, "hs_code", "submitted_at")


def _stock_rows(shipments: list[Shipment], lines: list[OutboundLine], now: int) -> list[list]:
    moved: dict[tuple[str, str], int] = defaultdict(int)
    for o in lines:
        if o.status != "CANCELED":
            moved[(o.lot_id, o.status)] += o.line.quantity
    rows = []
    for s in shipments:
        code = owner_code(s.owner_id)
        for line in s.lines:
            lot = s.lot_id(line)
            box = s.boxes[line.box]
            if box.received > now:
                continue  # not in the warehouse yet
            allocated, last_mile = moved[(lot, "NEW")], moved[(lot, "SHIPPED")]
            delivered = moved[(lot, "DELIVERED")]
            available = line.good - allocated - last_mile - delivered
            landed = landed_cost_myr(line.sku)
            rows.append([_local(now, s.region), lot, line.sku.seller_sku, code, code, s.warehouse,
                         "OWNED_IN_WAREHOUSE", "AVAILABLE", s.warehouse, "MBL", s.mbl, box.container, s.declaration,
                         box.asn, _local(box.received, s.region), line.planned, 0, available, allocated, last_mile,
                         delivered, line.damaged, 0, f"{landed:.2f}" if s.region == "MY" else "",
                         "sandbox: CIF + sales tax (illustrative)"])
    return rows


def _csv(columns: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def render_logistics(world: World, now: int, owner_id: str | None = None, warehouse: str | None = None,
                     noise: LogisticsNoise = REALISTIC) -> dict[str, str]:
    """The world's logistics files (optionally only one owner's or one warehouse's rows) as CSV texts,
    keyed by file name (``LOGISTICS_FILES``)."""
    shipments = build_shipments(world, noise)
    outbound = outbound_lines(world, now, shipments)
    shipments = [s for s in shipments if owner_id in (None, s.owner_id) and warehouse in (None, s.warehouse)]
    outbound = [o for o in outbound if owner_id in (None, o.shipment.owner_id)
                and warehouse in (None, o.shipment.warehouse)]
    return {
        "forwarder_bl.csv": _csv(BL_COLUMNS, [r for s in shipments for r in _bl_rows(s)]),
        "customs_entries.csv": _csv(CUSTOMS_COLUMNS, [r for s in shipments for r in _customs_rows(s, now)]),
        "warehouse_inbound.csv": _csv(INBOUND_COLUMNS, [r for s in shipments for r in _inbound_rows(s, now)]),
        "warehouse_outbound.csv": _csv(OUTBOUND_COLUMNS, _outbound_rows(outbound)),
        "stock_lots_snapshot.csv": _csv(STOCK_COLUMNS, _stock_rows(shipments, outbound, now)),
    }


def render_files(world: World, now: int, noise: LogisticsNoise = REALISTIC) -> dict[str, str]:
    """The files as their senders send them, keyed by relative path: the forwarder's one BL file
    (``forwarder/forwarder_bl.csv``, sorted by container: a bill in two containers apart), the broker's
    entries per country (``broker/customs_entries-MY.csv``, sorted by HS code: an entry's lines apart) and
    each 3PL warehouse's inbound, outbound (sorted by SKU: an outbound's lines apart) and stock files
    (``3pl-MYPKG-WH01/warehouse_inbound-MYPKG-WH01.csv``)."""
    shipments = build_shipments(world, noise)
    outbound = outbound_lines(world, now, shipments)
    files = {"forwarder/forwarder_bl.csv": _csv(BL_COLUMNS, _by_container([r for s in shipments for r in _bl_rows(s)]))}
    for country in sorted({s.region for s in shipments}):
        files[f"broker/customs_entries-{country}.csv"] = _csv(
            CUSTOMS_COLUMNS, _by_hs_code([r for s in shipments if s.region == country for r in _customs_rows(s, now)]))
    for warehouse in sorted({s.warehouse for s in shipments}):
        mine = [s for s in shipments if s.warehouse == warehouse]
        out = [o for o in outbound if o.shipment.warehouse == warehouse]
        folder = f"3pl-{warehouse}"
        files[f"{folder}/warehouse_inbound-{warehouse}.csv"] = _csv(
            INBOUND_COLUMNS, [r for s in mine for r in _inbound_rows(s, now)])
        files[f"{folder}/warehouse_outbound-{warehouse}.csv"] = _csv(OUTBOUND_COLUMNS, _by_sku(_outbound_rows(out)))
        files[f"{folder}/stock_lots_snapshot-{warehouse}.csv"] = _csv(STOCK_COLUMNS, _stock_rows(mine, out, now))
    return files


def write_logistics(world: World, now: int, directory: str | Path, noise: LogisticsNoise = REALISTIC) -> list[str]:
    """Write the files as sent (``render_files``) under ``directory``; returns the paths written."""
    paths = []
    for relative, text in render_files(world, now, noise).items():
        path = Path(directory) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths
