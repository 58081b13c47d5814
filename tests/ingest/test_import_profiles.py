"""The two non-standard layouts: a GBK forwarder export with Chinese headers and a grouped XLSX."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.logistics import (
    ImportRejectRow,
    TransportContainerRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
)
from platform_adapters.profiles import ProfileError, available_profiles, load_profile
from platform_adapters.profiles.loader import load_profile_file
from platform_adapters.tabular import TabularError, open_table


def test_every_bundled_profile_loads_and_validates():
    names = set(available_profiles())
    assert {"standard-bl", "standard-customs", "standard-inbound", "standard-outbound", "standard-stock",
            "forwarder-cn-gbk", "forwarder-xlsx-grouped"} <= names
    for name in names:
        assert load_profile(name).name == name


def test_gbk_chinese_header_export(engine, ingest_fixtures):
    summary = import_file(engine, "bl", ingest_fixtures / "forwarder_cn_gbk.csv", owner_id="LUMINA",
                          profile="forwarder-cn-gbk")
    assert summary.status == "COMPLETED" and summary.created == 3 and summary.rows_rejected == 0
    assert summary.problem_counts == {"container_check_digit": 1}
    with session_factory(engine)() as s:
        master = s.execute(select(TransportDocumentRow).where(TransportDocumentRow.doc_number == "ZCRU260311880")).scalar_one()
        assert master.shipped_on_board_date.isoformat() == "2026-03-16" and master.shipper == "深圳明光电子有限公司"
        lines = s.execute(select(TransportDocumentLineRow).where(TransportDocumentLineRow.document_pk == master.id)
                          .order_by(TransportDocumentLineRow.line_no)).scalars().all()
        assert [(ln.packages, ln.gross_weight_kg, ln.description) for ln in lines] == [
            (600, Decimal("4500.5"), "无线耳机 蓝牙5.3"), (200, Decimal(1600), "LED台灯 USB-C")]
        house = s.execute(select(TransportDocumentRow).where(TransportDocumentRow.doc_number == "SZXFWD2603110")).scalar_one()
        assert (house.doc_level, house.master_doc_number, house.is_to_order) == ("HOUSE", "ZCRU260311880", True)
        # full-width container number normalised; a wrong check digit is kept and flagged
        flags = dict(s.execute(select(TransportContainerRow.container_no, TransportContainerRow.check_digit_valid)).all())
        assert flags["TCLU6543214"] is True and flags["SEGU4812091"] is False
        warning = s.execute(select(ImportRejectRow)).scalar_one()
        assert (warning.severity, warning.line, warning.column, warning.value) == ("warning", 5, "柜号", "SEGU4812091")


def test_gbk_export_read_as_utf8_fails_with_a_hint(engine, ingest_fixtures):
    summary = import_file(engine, "bl", ingest_fixtures / "forwarder_cn_gbk.csv", owner_id="LUMINA",
                          profile="forwarder-cn-gbk", encoding="utf-8")
    assert summary.status == "FAILED"
    assert "not valid utf-8" in summary.error and "--encoding gbk" in summary.error
    assert "forwarder_cn_gbk.csv:1" in summary.error


def test_xlsx_with_title_row_and_merged_group_headers(engine, ingest_fixtures):
    profile = load_profile("forwarder-xlsx-grouped")
    reader = open_table(ingest_fixtures / "forwarder_grouped.xlsx", profile.layout)
    assert reader.header[:8] == ("Document No.", "Document Master", "Document Type", "Mode", "Container No.",
                                 "Container Type", "Container Seal", "Cargo Pkgs")
    assert reader.header[-1] == "Shipper"
    reader.close()
    summary = import_file(engine, "bl", ingest_fixtures / "forwarder_grouped.xlsx", owner_id="LUMINA",
                          profile="forwarder-xlsx-grouped")
    assert summary.status == "COMPLETED" and summary.created == 2 and summary.rows_read == 3
    with session_factory(engine)() as s:
        swb = s.execute(select(TransportDocumentRow).where(TransportDocumentRow.doc_number == "ZCRU260315501")).scalar_one()
        assert (swb.doc_type, swb.etd.isoformat(), swb.shipped_on_board_date.isoformat()) == ("SWB", "2026-03-18", "2026-03-19")
        weights = s.execute(select(TransportDocumentLineRow.gross_weight_kg).where(
            TransportDocumentLineRow.document_pk == swb.id).order_by(TransportDocumentLineRow.line_no)).scalars().all()
        assert weights == [Decimal("1450.25"), Decimal(990)]
        air = s.execute(select(TransportDocumentRow).where(TransportDocumentRow.mode == "AIR")).scalar_one()
        assert (air.doc_number, air.doc_number_valid) == ("61850123463", True)


def test_xlsx_profile_naming_a_missing_sheet_is_a_clear_error(ingest_fixtures, tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text('name = "x"\nkind = "bl"\nsheet = "Nope"\n', encoding="utf-8")
    with pytest.raises(TabularError, match="no sheet named 'Nope'; sheets are BL Report"):
        open_table(ingest_fixtures / "forwarder_grouped.xlsx", load_profile_file(bad).layout)


@pytest.mark.parametrize("text,message", [
    ('name = "x"\nkind = "nope"\n', "unknown kind 'nope'"),
    ('name = "x"\nkind = "bl"\nencoding = "latin-1"\n', "unsupported encoding"),
    ('name = "x"\nkind = "bl"\ntimezone = "Mars/Base"\n', "unknown time zone"),
    ('name = "x"\nkind = "bl"\n[columns]\nnot_a_column = "A"\n', "not columns of kind 'bl': not_a_column"),
    ('name = "x"\nkind = "bl"\ncolour = "red"\n', "unknown profile field"),
    ('name = "x"\nkind = "bl"\nheader_row = 0\n', "header_row and header_rows must be at least 1"),
    ('kind = "bl"\n', "needs a 'name'"),
    ('name = "x"\nkind = \n', "not valid TOML"),
])
def test_invalid_profiles_are_refused_with_the_reason(tmp_path, text, message):
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=message):
        load_profile_file(path)


def test_json_profile_files_load_too(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"name": "j", "kind": "outbound", "columns": {"qty": "Menge"}, "timezone": "Asia/Bangkok"}')
    profile = load_profile(str(path))
    assert profile.columns == {"qty": "Menge"} and profile.timezone == "Asia/Bangkok"


def test_standard_layout_in_an_xlsx_file_imports_like_the_csv(engine, samples, tmp_path):
    import csv

    from openpyxl import Workbook

    with (samples / "warehouse_outbound.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    workbook = Workbook()
    sheet = workbook.active
    numeric = {rows[0].index("qty"), rows[0].index("weight_g")}
    for index, row in enumerate(rows):
        sheet.append([int(v) if index and col in numeric and v else v for col, v in enumerate(row)])
    path = tmp_path / "outbound.xlsx"
    workbook.save(path)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA")
    assert (summary.status, summary.rows_read, summary.created) == ("COMPLETED", 10, 7)
