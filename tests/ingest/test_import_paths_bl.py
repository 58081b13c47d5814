"""The column-wise path of a forwarder BL report import stores exactly what the per-record path stores.

Each file is imported twice into the same empty database (``test_import_paths._both_paths``): once the
column-wise way (``platform_adapters.logistics.bl_columns``), once with ``bulk=False``; every row (headers,
lines, containers, references), reject, audit entry and count is compared. A clean report and its next
day's cumulative export go the fast way only.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest import import_file
from tests.ingest.test_import_paths import BAD_CONTAINER, CONTAINER, _aliases_once, _both_paths, _csv, _refuse_the_per_record_path

HEADER = ["record_type", "doc_level", "doc_number", "master_doc_number", "doc_type", "is_to_order", "is_electronic",
          "carrier_scac", "carrier_booking_ref", "shipper", "consignee", "notify_party", "port_of_loading",
          "port_of_discharge", "etd", "eta", "container_no", "iso_equipment_code", "seal_no", "packages",
          "package_code", "gross_weight_kg", "volume_cbm", "description_of_goods", "hs_code", "sku", "po_number"]
LUMINA, TROPIKA = "Lumina Commerce (M) Sdn Bhd", "Tropika Living Sdn Bhd"
#: a valid air waybill number (mod-7 check digit) and one whose check digit is wrong
AWB, BAD_AWB = "618-50123452", "618-50123453"


def _row(number: int, goods: int = 1, **cells: str) -> dict[str, str]:
    """A goods row of LUMINA's ocean house bill ``ZCRU<number>`` (its consignee)."""
    row = {"record_type": "OCEAN", "doc_level": "HOUSE", "doc_number": f"ZCRU{number:06d}",
           "master_doc_number": "ZCRM000001", "doc_type": "BOL", "is_to_order": "false", "is_electronic": "true",
           "carrier_scac": "ZCRU", "carrier_booking_ref": f"ZCRB{number:05d}", "shipper": "Shenzhen Brightway",
           "consignee": LUMINA, "notify_party": "", "port_of_loading": "CNYTN", "port_of_discharge": "MYPKG",
           "etd": "2026-03-02", "eta": "2026-03-09", "container_no": CONTAINER if number % 2 else "SEGU4812090",
           "iso_equipment_code": "42G1", "seal_no": f"ZC{number:05d}", "packages": str(10 * goods),
           "package_code": "CT", "gross_weight_kg": f"{100 * goods}.500", "volume_cbm": f"{goods}.200",
           "description_of_goods": f"GOODS {goods}", "hs_code": "851830", "sku": "",
           "po_number": f"PO-{number:05d}"}
    row.update(cells)
    return row


def _bills(numbers, goods: int = 2) -> list[dict[str, str]]:
    return [_row(n, g) for n in numbers for g in range(1, goods + 1)]


def _owners(engine) -> None:
    _aliases_once(engine, [("LUMINA", "legal_name", LUMINA, None), ("TROPIKA", "legal_name", TROPIKA, None)])


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    return _csv(path, HEADER, rows)


def _mixed() -> list[dict[str, str]]:
    """Clean bills around every case the column-wise path hands to the per-row path, and what it gathers per
    bill (containers with their seals, references, rows that describe no goods)."""
    no_goods = {"packages": "", "description_of_goods": "", "hs_code": "", "sku": ""}
    return [
        *_bills(range(1, 5)),
        *[_row(5, g, container_no=("TCLU6543214", "SEGU4812090")[g % 2], seal_no=f"S{g}") for g in range(1, 10)],
        *_bills(range(6, 8), goods=1),
        _row(2, 9, description_of_goods="late goods of ZCRU000002"),
        *_bills(range(8, 10)),
        _bills(range(8, 10))[-1],  # an exact repeat of the row before
        _row(10, 1, packages="-3"), _row(11, 1, etd="15/03/2026"), _row(12, 1, description_of_goods="esc\x1b"),
        _row(13, 1, consignee="Somebody Else Sdn Bhd"), _row(14, 1, consignee="TO ORDER", notify_party=""),
        _row(15, 1, consignee="TO ORDER", notify_party=LUMINA),
        *[_row(n, 1, consignee=TROPIKA) for n in (16, 17)],
        _row(18, 1, container_no=BAD_CONTAINER), _row(19, 1, port_of_loading="YANTIAN"),
        _row(20, 1, record_type="SHIP"), _row(21, 1, doc_level="SUB"), _row(22, 1, gross_weight_kg="-1"),
        _row(23, 1, is_to_order="maybe"), _row(24, 1, hs_code="8" * 20), _row(25, 1, po_number="PO-" + "9" * 130),
        # air waybills: a house whose number has a wrong check digit, a master named with one, a good one
        _row(26, 1, record_type="AIR", doc_type="HAWB", doc_number=BAD_AWB, master_doc_number=""),
        _row(27, 1, record_type="AIR", doc_type="HAWB", doc_number="SZXAIR27", master_doc_number=BAD_AWB),
        _row(28, 1, record_type="", doc_type="MAWB", doc_level="MASTER", doc_number=AWB, master_doc_number=""),
        # a bill whose rows name containers and seals again, refs in several cells, rows describing no goods
        _row(29, 1, container_no=CONTAINER, seal_no="SA; SB", po_number="PO-1|PO-2"),
        _row(29, 2, container_no=CONTAINER, seal_no="SB/SC", iso_equipment_code="", po_number="PO-2;PO-3"),
        _row(29, 3, container_no="SEGU4812090", seal_no="", carrier_booking_ref="ZCRB-OTHER", **no_goods),
        _row(29, 4, container_no="", seal_no="", master_doc_number="", **no_goods),
        _row(30, 1, doc_level="", master_doc_number="", **no_goods),  # a master (no master named): no line
        *_bills(range(31, 35), goods=3),
    ]


@pytest.mark.parametrize("chunk_rows", [1, 2, 4, 7, 10_000])
def test_the_columnar_path_stores_what_the_per_row_path_stores(engine, tmp_path: Path, chunk_rows: int) -> None:
    """Bills carried across chunks, written in parts, merged, rejected or attributed per row: the same rows of
    every table, rejects, audit entries and counts whatever the chunk size."""
    _owners(engine)
    bulk, per_record, summary = _both_paths(engine, "bl", _write(tmp_path / "mixed_bl.csv", _mixed()),
                                            chunk_rows=chunk_rows)
    assert bulk == per_record
    assert summary[0] == "COMPLETED_WITH_REJECTS" and summary[3] > 20
    codes = {dict(r)["code"] for r in bulk["rejects"]}
    assert codes >= {"bad_quantity", "bad_date", "control_character", "duplicate_row", "owner_unknown",
                     "container_check_digit", "unlocode_pattern", "bad_mode", "bad_doc_level", "negative_measure",
                     "bad_boolean", "too_long", "awb_check_digit"}
    assert {dict(row)["owner_id"] for row in bulk["transport_documents"]} == {"LUMINA", "TROPIKA"}
    documents = {dict(row)["doc_number"]: dict(row) for row in bulk["transport_documents"]}
    assert (documents["61850123452"]["mode"], documents["61850123452"]["doc_number_valid"]) == ("AIR", True)
    assert documents["ZCRU000030"]["doc_level"] == "MASTER"
    containers = {(key[1], dict(row)["container_no"]): dict(row) for key, row in bulk["transport_document_containers"]}
    # (a bill written in parts, longer than a chunk, keeps a container's seals as its first part gave them)
    assert containers[("ZCRU000029", CONTAINER)]["seals"] == ("SA SB SC" if chunk_rows >= 2 else "SA SB")
    assert containers[("ZCRU000029", CONTAINER)]["iso_type"] == "42G1"
    references = sorted((dict(row)["kind"], dict(row)["value"]) for key, row in bulk["transport_document_references"]
                        if key[1] == "ZCRU000029")
    assert references == [("BKG", "ZCRB00029"), ("BKG", "ZCRBOTHER"), ("MBL", "ZCRM000001"), ("PO", "PO-00029"),
                          ("PO", "PO-1"), ("PO", "PO-2"), ("PO", "PO-3")]
    lines = sorted(dict(row)["line_no"] for key, row in bulk["transport_document_lines"] if key[1] == "ZCRU000029")
    assert lines == [1, 2]  # (its rows describing no goods are no lines)


def test_a_clean_report_and_its_cumulative_reimport_go_the_fast_way_only(engine, tmp_path: Path,
                                                                          monkeypatch) -> None:
    _owners(engine)
    _refuse_the_per_record_path(monkeypatch)
    day1 = _bills(range(1, 40), goods=3)
    first = import_file(engine, "bl", _write(tmp_path / "day1.csv", day1), chunk_rows=25)
    assert (first.status, first.created) == ("COMPLETED", 39)
    again = import_file(engine, "bl", _write(tmp_path / "day2.csv", [*day1, *_bills(range(40, 41))]), chunk_rows=25)
    assert (again.status, again.created, again.updated, again.unchanged) == ("COMPLETED", 1, 0, 39)


# messy cells (the first two of each list are clean)
_MESSY = {
    "record_type": ["OCEAN", "", "ocean", "AIR", "SHIP"],
    "doc_level": ["HOUSE", "", "house", "MASTER", "SUB"],
    "doc_number": ["ZCRU1", "ZCRU2", "zcru-1", "ＺＣＲＵ２", "", AWB, BAD_AWB],
    "master_doc_number": ["ZCRM1", "", "zcrm 1", BAD_AWB, AWB],
    "doc_type": ["BOL", "", "HAWB", "MAWB", "SWB"],
    "is_to_order": ["false", "", "true", "yes", "maybe"],
    "consignee": [LUMINA, TROPIKA, "TO ORDER", "To the order of Bank", "Somebody Else", ""],
    "notify_party": ["", "", LUMINA, TROPIKA],
    "carrier_booking_ref": ["ZCRB1", "", "zcrb 1"],
    "port_of_loading": ["CNYTN", "", "cn ytn", "YANTIAN"],
    "etd": ["2026-03-02", "", "02/03/2026", "2026-02-30"],
    "container_no": ["", CONTAINER, "tclu 654321-4", BAD_CONTAINER, "SEGU4812090"],
    "iso_equipment_code": ["42G1", "", "45g1"],
    "seal_no": ["", "S1", "S1; S2", "s2/S3|S1"],
    "packages": ["10", "", "1,200", "-3", "x"],
    "gross_weight_kg": ["100.5", "", "-1", "1,000.25", "abc"],
    "description_of_goods": ["GOODS", "", "  spaced   out ", "ctl\x07", "是"],
    "hs_code": ["851830", "", "8" * 17],
    "sku": ["", "", "SKU-1"],
    "po_number": ["PO-1", "", "PO-1;PO-2", "po-2 | PO-1"],
}


@st.composite
def _messy_bl(draw) -> list[dict[str, str]]:
    """Rows of up to 8 bills; about half drawn from clean cells only (each list's first two)."""
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        cells = {name: values[:2] for name, values in _MESSY.items()} if draw(st.booleans()) else _MESSY
        record = {name: draw(st.sampled_from(cells[name])) for name in
                  ("record_type", "doc_level", "doc_number", "master_doc_number", "doc_type", "is_to_order",
                   "consignee", "notify_party", "carrier_booking_ref", "port_of_loading", "etd")}
        for _ in range(draw(st.integers(1, 3))):
            row = {**{name: "" for name in HEADER}, **record}
            for name in ("container_no", "iso_equipment_code", "seal_no", "packages", "gross_weight_kg",
                         "description_of_goods", "hs_code", "sku", "po_number"):
                row[name] = draw(st.sampled_from(cells[name]))
            if draw(st.integers(0, 9)) == 0:  # now and then a header cell differs on a later row
                name = draw(st.sampled_from(("record_type", "doc_type", "master_doc_number", "consignee", "etd")))
                row[name] = draw(st.sampled_from(_MESSY[name]))
            rows.append(row)
            if draw(st.integers(0, 14)) == 0:
                rows.append(dict(row))  # an exact repeat
    return rows


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=_messy_bl(), chunk_rows=st.sampled_from([1, 3, 10_000]))
def test_messy_report_rows_store_the_same_on_both_paths(engine, tmp_path_factory, rows, chunk_rows) -> None:
    """Arbitrary messy report rows (blank cells, odd dates, separators, bad modes, levels and measures, air
    waybill numbers with wrong check digits, to-order consignees, masters whose owners are their houses',
    repeats): the column-wise and the per-row path store the same rows, rejects, audit entries and counts."""
    _owners(engine)
    bulk, per_record, _ = _both_paths(engine, "bl", _write(tmp_path_factory.mktemp("messy") / "bl.csv", rows),
                                      chunk_rows=chunk_rows)
    assert bulk == per_record
    assert {dict(row)["owner_id"] for row in bulk["transport_documents"]} <= {"LUMINA", "TROPIKA"}
