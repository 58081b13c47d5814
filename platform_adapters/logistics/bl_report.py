"""Forwarder BL report rows → ``TransportDocument``: one record per document number.

A report row is one document × container × goods line (MBL/HBL, MAWB/HAWB, sea waybills, telex
releases). Header fields repeat on every row; containers are collected with their seals and ISO 6346
validity; goods lines keep packages, weights, HS code and PO numbers. An air waybill number with a
wrong mod-7 check digit, a container with a wrong check digit or a port that is not a UN/LOCODE is
flagged (WARNING), never dropped.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from platform_adapters.canonical.common import Problem, Severity
from platform_adapters.canonical.identifiers import (
    clean_text,
    is_valid_awb,
    looks_like_awb,
    normalize_document_number,
)
from platform_adapters.canonical.logistics import (
    Container,
    DocumentRef,
    TransportDocument,
    TransportDocumentLine,
)
from platform_adapters.canonical.tenancy import OwnerClaim
from platform_adapters.tabular.rows import (
    CanonicalRow,
    GroupResult,
    ReadOptions,
    RowView,
    build_group,
    claim,
    header_value,
)

KIND = "bl"
#: The columns ``owner_claims`` reads.
OWNER_COLUMNS = ("consignee", "notify_party", "doc_level", "master_doc_number", "doc_number")
#: The columns ``record_key`` reads besides the owner.
KEY_COLUMNS = ("doc_number",)
AIR_TYPES = {"MAWB", "HAWB", "AWB"}
MODES = {"OCEAN", "AIR", "RAIL", "ROAD"}
LEVELS = ("MASTER", "HOUSE")
#: the source every document of this report is stored with
SOURCE = "bl-report"
_TO_ORDER = re.compile(r"^TO (THE )?ORDER\b")
#: what a report states (``TransportDocument.stated``) → the canonical columns it reads it from: a report states a
#: field when its file has one of these columns (an empty cell then clears it), never a field it has no column for
#: (its default, e.g. ``is_to_order`` false, is a new document's only); it never states endorsements
STATED_BY = {
    "doc_type": ("doc_type",), "mode": ("record_type", "doc_type"), "doc_level": ("doc_level", "master_doc_number"),
    "master_doc_number": ("master_doc_number",), "is_to_order": ("is_to_order",), "is_electronic": ("is_electronic",),
    "release_type": ("release_type",), "status": ("status",), "carrier_code": ("carrier_scac",),
    "booking_ref": ("carrier_booking_ref",), "shipper": ("shipper",), "consignee": ("consignee",),
    "notify_party": ("notify_party",), "place_of_receipt": ("place_of_receipt",),
    "port_of_loading": ("port_of_loading",), "port_of_discharge": ("port_of_discharge",),
    "place_of_delivery": ("place_of_delivery",), "vessel_or_flight": ("vessel_or_flight",), "voyage": ("voyage",),
    "incoterm": ("incoterm",), "incoterm_place": ("incoterm_place",), "freight_term": ("freight_term",),
    "issue_date": ("issue_date",), "etd": ("etd",), "eta": ("eta",), "shipped_on_board_date": ("shipped_on_board_date",),
    "source_updated_at": ("source_updated_at",),
    "lines": ("description_of_goods", "packages", "hs_code", "sku"), "containers": ("container_no",),
    "references": ("master_doc_number", "carrier_booking_ref", "po_number"),
}
#: what every report states: its key and its source
ALWAYS_STATED = frozenset({"owner_id", "doc_number", "source"})


def mode_of(record_type: str | None, doc_type: str | None) -> str:
    """The transport mode: the row's record type, else air for an air waybill's type, else ocean."""
    return record_type if record_type is not None else "AIR" if doc_type in AIR_TYPES else "OCEAN"


def level_of(stated: str | None, master: str | None) -> str:
    """The document's level: the one stated, else a house when it names its master."""
    return stated or ("HOUSE" if master else "MASTER")


def is_air(mode: str | None, doc_type: str | None) -> bool:
    return mode == "AIR" or doc_type in AIR_TYPES


def awb_flagged(number: str | None, air: bool) -> bool:
    """An air waybill number (of an air document) whose mod-7 check digit is wrong: kept and flagged."""
    return bool(number) and air and looks_like_awb(number) and not is_valid_awb(number)


def doc_number_valid(number: str, mode: str | None, doc_type: str | None) -> bool | None:
    """Whether an air document's waybill number has the right check digit; None when it is not one."""
    return is_valid_awb(number) if is_air(mode, doc_type) and looks_like_awb(number) else None


def has_goods(description: str, packages: int | None, hs_code: str | None, sku: str | None) -> bool:
    """Whether a report row describes goods (a document line), not only the document or a container."""
    return bool(description or packages is not None or hs_code or sku)


def master_kind(mode: str | None) -> str:
    """The kind of reference a house document keeps to its master: an air or an ocean master bill."""
    return "MAWB" if mode == "AIR" else "MBL"


def is_to_order(party: str | None) -> bool:
    """A consignee written as an instruction (``TO ORDER``, ``To the order of …``) names no party."""
    return bool(party and _TO_ORDER.match(" ".join(party.replace(".", " ").split()).upper()))


def owner_claims(values: dict[str, str]) -> tuple[OwnerClaim, ...]:
    """Consignee and notify party (legal names; a to-order consignee claims nothing). A master
    document whose parties name no owner (a consolidation consigned to the forwarder's agent)
    belongs to the owners of its house documents."""
    consignee = claim(values, "legal_name", "consignee")
    if is_to_order(consignee.value):
        consignee = OwnerClaim("legal_name", "consignee", "")
    claims = [consignee, claim(values, "legal_name", "notify_party")]
    level = clean_text(values.get("doc_level", "")).upper()
    if level == "MASTER" or (not level and not clean_text(values.get("master_doc_number", ""))):
        claims.append(OwnerClaim("houses_of", "doc_number", normalize_document_number(values.get("doc_number"))))
    return tuple(claims)


def stated_fields(columns: Iterable[str]) -> frozenset[str]:
    """What a report whose file has the canonical ``columns`` (a profile's defaults among them) states of each
    document (``STATED_BY``)."""
    present = set(columns)
    return ALWAYS_STATED | {name for name, sources in STATED_BY.items() if present.intersection(sources)}


def record_key(values: dict[str, str], owner_id: str) -> tuple[str, ...] | None:
    number = normalize_document_number(values.get("doc_number"))
    return (owner_id, number) if number else None


def _read(view: RowView) -> dict:
    doc_type = view.upper("doc_type")
    stated = view.upper("record_type")
    mode = mode_of(stated, doc_type)
    if stated is not None and mode not in MODES:
        view.problem("record_type", "bad_mode", f"transport mode must be one of {', '.join(sorted(MODES))}")
    master = view.doc("master_doc_number")
    level = level_of(view.upper("doc_level"), master)
    if level not in LEVELS:
        view.problem("doc_level", "bad_doc_level", "doc_level must be MASTER or HOUSE")
    container, container_valid = view.container("container_no")
    seals = view.docs("seal_no")
    data = {
        "doc_number": view.doc("doc_number", required=True), "doc_type": doc_type, "mode": mode, "doc_level": level,
        "master_doc_number": master, "is_to_order": view.boolean("is_to_order"),
        "is_electronic": view.boolean("is_electronic"), "release_type": view.upper("release_type"),
        "status": view.upper("status"), "carrier_code": view.upper("carrier_scac"),
        "booking_ref": view.doc("carrier_booking_ref"), "shipper": view.text("shipper"),
        "consignee": view.text("consignee"), "notify_party": view.text("notify_party"),
        "place_of_receipt": view.unlocode("place_of_receipt"), "port_of_loading": view.unlocode("port_of_loading"),
        "port_of_discharge": view.unlocode("port_of_discharge"),
        "place_of_delivery": view.unlocode("place_of_delivery"),
        "vessel_or_flight": view.text("vessel_or_flight"), "voyage": view.text("voyage"),
        "issue_date": view.date("issue_date"), "etd": view.date("etd"), "eta": view.date("eta"),
        "shipped_on_board_date": view.date("shipped_on_board_date"), "incoterm": view.upper("incoterm"),
        "incoterm_place": view.text("incoterm_place"), "freight_term": view.upper("freight_term"),
        "source_updated_at": view.datetime("source_updated_at"),
        "container_no": container, "container_valid": container_valid, "iso_type": view.upper("iso_equipment_code"),
        "seals": seals, "packages": view.quantity("packages"), "package_code": view.upper("package_code"),
        "quantity": view.quantity("quantity"), "sku": view.text("sku"),
        "gross_weight_kg": view.decimal("gross_weight_kg"), "volume_cbm": view.decimal("volume_cbm"),
        "description": view.text("description_of_goods") or "", "hs_code": view.text("hs_code"),
        "po_numbers": view.refs("po_number"),
    }
    for column in ("gross_weight_kg", "volume_cbm"):
        if data[column] is not None and data[column] < 0:
            view.problem(column, "negative_measure", "must not be negative")
    return data


def map_rows(rows: list[CanonicalRow], options: ReadOptions, line_offset: int = 0) -> GroupResult[TransportDocument]:
    def build(accepted: list[tuple[RowView, dict]]):
        problems: list[Problem] = []
        first_view = accepted[0][0]

        def head(name):
            return header_value(accepted, name)

        doc_number, doc_type, mode = head("doc_number"), head("doc_type"), head("mode")
        for number, column in ((doc_number, "doc_number"), (head("master_doc_number"), "master_doc_number")):
            if awb_flagged(number, is_air(mode, doc_type)):
                problems.append(Problem("awb_check_digit", "air waybill mod-7 check digit is wrong; kept and flagged",
                                        Severity.WARNING, options.source_name(column), number, first_view.location))
        containers: dict[str, Container] = {}
        lines = []
        for index, (_, data) in enumerate(accepted, start=1):
            number = data["container_no"]
            if number:
                known = containers.get(number)
                seals = tuple(dict.fromkeys((known.seals if known else ()) + data["seals"]))
                containers[number] = Container(number, (known.iso_type if known else None) or data["iso_type"], seals,
                                               data["container_valid"])
            if has_goods(data["description"], data["packages"], data["hs_code"], data["sku"]):
                lines.append(TransportDocumentLine(
                    line_no=line_offset + len(lines) + 1, container_no=number, description=data["description"],
                    hs_code=data["hs_code"], packages=data["packages"], package_code=data["package_code"],
                    quantity=data["quantity"], sku=data["sku"], gross_weight_kg=data["gross_weight_kg"],
                    volume_cbm=data["volume_cbm"], po_numbers=data["po_numbers"]))
        refs: dict[tuple[str, str], DocumentRef] = {}
        master = head("master_doc_number")
        if master:
            refs[("MASTER", master)] = DocumentRef(master_kind(mode), master)
        for _, data in accepted:
            if data["booking_ref"]:
                refs.setdefault(("BKG", data["booking_ref"]), DocumentRef("BKG", data["booking_ref"]))
            for po in data["po_numbers"]:
                refs.setdefault(("PO", po), DocumentRef("PO", po))
        release = head("release_type")
        record = TransportDocument(
            owner_id=options.owner_id, doc_number=doc_number, doc_type=doc_type or "BOL", mode=mode,
            doc_level=head("doc_level"), master_doc_number=master, carrier_code=head("carrier_code"),
            booking_ref=head("booking_ref"), is_to_order=bool(head("is_to_order")),
            is_electronic=bool(head("is_electronic")), release_type=release,
            status=head("status"),
            shipper=head("shipper"), consignee=head("consignee"), notify_party=head("notify_party"),
            place_of_receipt=head("place_of_receipt"), port_of_loading=head("port_of_loading"),
            port_of_discharge=head("port_of_discharge"), place_of_delivery=head("place_of_delivery"),
            vessel_or_flight=head("vessel_or_flight"), voyage=head("voyage"), incoterm=head("incoterm"),
            incoterm_place=head("incoterm_place"), freight_term=head("freight_term"), issue_date=head("issue_date"),
            etd=head("etd"), eta=head("eta"), shipped_on_board_date=head("shipped_on_board_date"),
            lines=tuple(lines), containers=tuple(containers.values()), references=tuple(refs.values()),
            source_updated_at=head("source_updated_at"), source=SOURCE, stated=stated_fields(first_view.row.values),
        )
        return record, problems

    return build_group(rows, options, _read, build)
