"""The owner of every imported row comes from the row (aliases, registered shop, stored records), never
a default: multi-owner 3PL and forwarder files land per owner; a row naming no known owner is rejected
with file, line, column, value and reason and nothing of it is stored."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from aggregator.auth.shops import add_shop
from aggregator.ingest import import_file
from aggregator.owners.aliases import add_alias
from aggregator.store.db import session_factory, session_scope
from aggregator.store.models.logistics import (
    CustomsEntryRow,
    ImportFileRow,
    ImportRejectRow,
    TransportDocumentRow,
    TransportEventRow,
)
from aggregator.store.models.warehouse import (
    StockSnapshotRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from aggregator.store.vault import Vault
from platform_adapters.canonical.tenancy import OwnerClaim

LUMINA_NAME, TROPIKA_NAME = "Lumina Commerce (M) Sdn Bhd", "Tropika Living Sdn Bhd"


def aliases(engine, *entries) -> None:
    with session_scope(engine) as session:
        for owner, kind, value, *scope in entries:
            add_alias(session, owner, kind, value, scope[0] if scope else None)


def shops(engine, *entries) -> None:
    vault = Vault(Fernet.generate_key())
    with session_scope(engine) as session:
        for platform, shop_id, owner in entries:
            add_shop(session, vault, platform=platform, owner_id=owner, shop_id=shop_id, region="MY",
                     app_key="2001234" if platform == "shopee" else "100001", app_secret="secret-value")


def rejects(engine, import_id: int) -> list[tuple]:
    with session_factory(engine)() as s:
        return [(r.line, r.column, r.value, r.code, r.reason, r.owner_id) for r in s.scalars(
            select(ImportRejectRow).where(ImportRejectRow.import_file_pk == import_id,
                                          ImportRejectRow.severity == "error").order_by(ImportRejectRow.id))]


def import_stock_afresh(engine, stock: Path, **options):
    """``stock`` imported into emptied stock tables (no snapshot, reject or stock import left from a run
    before), so that each path or chunk size of a test starts alike: the import's summary."""
    with session_scope(engine) as session:
        session.execute(StockSnapshotRow.__table__.delete())
        session.execute(ImportRejectRow.__table__.delete())
        session.query(ImportFileRow).filter(ImportFileRow.kind == "stock").delete()
    return import_file(engine, "stock", stock, **options)


def stored(engine, model, *columns) -> list[tuple]:
    with session_factory(engine)() as s:
        return sorted(tuple(row) for row in s.execute(select(*[getattr(model, c) for c in columns])))


def with_rows(source: Path, target: Path, edit=None, extra: list[dict] | None = None) -> Path:
    """A copy of ``source`` with rows changed by ``edit(row)`` and ``extra`` rows appended."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(edit(row) if edit else row)
        for row in extra or []:
            writer.writerow({**rows[-1], **row})
    return target


def test_a_3pl_outbound_file_lands_per_shop_owner_and_an_unregistered_shop_is_rejected(engine, samples):
    shops(engine, ("shopee", "SHOPEE-MY-480012345", "LUMINA-HK"), ("lazada", "LAZADA-MY-100987", "TROPIKA"))
    summary = import_file(engine, "outbound", samples / "warehouse_outbound.csv")

    assert summary.status == "COMPLETED_WITH_REJECTS" and summary.owner_id is None
    assert dict(summary.owners) == {"LUMINA-HK": 4, "TROPIKA": 2} and summary.rows_rejected == 2
    assert stored(engine, WarehouseShipmentRow, "owner_id", "wms_outbound_no") == [
        ("LUMINA-HK", "OC900260315000001"), ("LUMINA-HK", "OC900260315000002"), ("LUMINA-HK", "OC900260315000003"),
        ("LUMINA-HK", "OC900260315000006"), ("TROPIKA", "OC900260315000004"), ("TROPIKA", "OC900260315000007")]
    reason = ("no registered shop tiktok/TTS-MY-7300000001; register it with `aggregator shops add --platform "
              "tiktok --shop-id TTS-MY-7300000001 --owner OWNER …`")
    assert rejects(engine, summary.import_id) == [
        (8, "shop_id", "TTS-MY-7300000001", "owner_unknown", reason, None),
        (9, "shop_id", "TTS-MY-7300000001", "owner_unknown", reason, None)]


def test_a_forwarder_bl_file_lands_per_consignee_and_an_unknown_consignee_is_rejected(engine, samples, tmp_path):
    aliases(engine, ("LUMINA-HK", "legal_name", "LUMINA COMMERCE (M) SDN. BHD."),
            ("TROPIKA", "legal_name", TROPIKA_NAME))
    path = with_rows(samples / "forwarder_bl.csv", tmp_path / "bl.csv", extra=[
        {"doc_level": "HOUSE", "doc_number": "SZXFWD2603099", "master_doc_number": "ZCRU260304417",
         "consignee": "Nobody Trading Co., Ltd.", "notify_party": ""}])
    summary = import_file(engine, "bl", path)

    # The consolidation master (consigned to the forwarder's agent) belongs to the owners of its houses:
    # one copy each; the to-order master is its notify party's; the MAWB its house's.
    assert stored(engine, TransportDocumentRow, "owner_id", "doc_number") == [
        ("LUMINA-HK", "61850123452"), ("LUMINA-HK", "SZXAIR260305"), ("LUMINA-HK", "SZXFWD2603001"),
        ("LUMINA-HK", "ZCRU260301234"), ("LUMINA-HK", "ZCRU260304417"),
        ("TROPIKA", "SZXFWD2603002"), ("TROPIKA", "ZCRU260304417")]
    assert dict(summary.owners) == {"LUMINA-HK": 5, "TROPIKA": 2}
    assert rejects(engine, summary.import_id) == [
        (9, "consignee", "Nobody Trading Co., Ltd.", "owner_unknown",
         "no owner alias for consignee 'Nobody Trading Co., Ltd.'; add one with `aggregator owners alias add "
         "OWNER --kind legal-name --value 'Nobody Trading Co., Ltd.'`", None)]
    with session_factory(engine)() as s:
        assert s.scalars(select(TransportDocumentRow).where(
            TransportDocumentRow.doc_number == "SZXFWD2603099")).first() is None


def test_a_master_whose_houses_name_nobody_is_rejected_with_both_reasons(engine, samples, tmp_path):
    path = with_rows(samples / "forwarder_bl.csv", tmp_path / "bl.csv")
    summary = import_file(engine, "bl", path)
    assert summary.records == 0 and summary.rows_rejected == 7
    first = next(r for r in rejects(engine, summary.import_id) if r[0] == 2)
    assert first[:4] == (2, "notify_party", LUMINA_NAME, "owner_unknown")
    assert first[4].endswith("; no house document names master 'ZCRU260301234'")


def test_rows_naming_two_owners_are_a_conflict(engine, samples, tmp_path):
    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"), ("TROPIKA", "legal_name", LUMINA_NAME))
    summary = import_file(engine, "inbound", samples / "warehouse_inbound.csv")
    assert summary.records == 0 and summary.rows_rejected == 7
    line, column, value, code, reason, _ = rejects(engine, summary.import_id)[0]
    assert (line, column, value, code) == (2, "owner_code", "LUMINA-HK", "owner_conflict")
    assert reason == (f"the row names two owners: owner code 'LUMINA-HK' names 'LUMINA-HK'; "
                      f"importer of record '{LUMINA_NAME}' names 'TROPIKA'")


def test_owner_codes_are_scoped_per_warehouse(engine, samples, tmp_path):
    aliases(engine, ("LUMINA-HK", "owner_code", "lumina-hk", "MYPKG-WH01"), ("TROPIKA", "owner_code", "LUMINA-HK",
                                                                            "SGSIN-WH02"))
    other = with_rows(samples / "warehouse_inbound.csv", tmp_path / "wh02.csv",
                      edit=lambda row: {**row, "warehouse_code": "SGSIN-WH02", "importer_of_record": ""})
    assert import_file(engine, "inbound", samples / "warehouse_inbound.csv").owners == {"LUMINA-HK": 3}
    assert import_file(engine, "inbound", other).owners == {"TROPIKA": 3}
    assert stored(engine, WarehouseReceiptRow, "owner_id", "warehouse_code", "asn_no")[0] == (
        "LUMINA-HK", "MYPKG-WH01", "ASN-LMN-260305-03")


def test_stock_rows_by_their_receipt_and_customs_rows_by_registration_number(engine, samples, tmp_path):
    aliases(engine, ("LUMINA-HK", "registration_no", "brn placeholder 0001", "MY"),
            ("LUMINA-HK", "owner_code", "LUMINA-HK"))
    # The stock file names no owner column (nor party codes here): its lots are the owner's of the
    # receipt (ASN) or document they came in with, once that is stored.
    stock = with_rows(samples / "stock_lots_snapshot.csv", tmp_path / "stock.csv",
                      edit=lambda row: {**row, "title_holder": "", "risk_bearer": ""})
    before = import_file(engine, "stock", stock)
    assert before.records == 0 and before.rows_rejected == 8
    assert rejects(engine, before.import_id)[0][:4] == (2, "asn_no", "ASN-LMN-260305-03", "owner_unknown")
    assert "no stored receipt (ASN) 'ASN-LMN-260305-03' at MYPKG-WH01 (import that file first)" in (
        rejects(engine, before.import_id)[0][4])

    import_file(engine, "inbound", samples / "warehouse_inbound.csv")
    after = import_file(engine, "stock", stock)  # the same file again: its rejected rows are read again
    assert after.import_id == before.import_id
    assert after.owners == {"LUMINA-HK": 7} and after.rows_rejected == 1  # the lot still at sea
    assert rejects(engine, after.import_id)[0][:4] == (9, "source_doc_no", "ZCRU260314001", "owner_unknown")
    assert {o for o, in stored(engine, StockSnapshotRow, "owner_id")} == {"LUMINA-HK"}

    assert import_file(engine, "customs", samples / "customs_entry_my_k1.csv").owners == {"LUMINA-HK": 3}
    assert {o for o, in stored(engine, CustomsEntryRow, "owner_id")} == {"LUMINA-HK"}


def test_owner_override_takes_every_row_and_dcsa_files_attribute_through_documents(engine, samples, tmp_path):
    aliases(engine, ("LUMINA-HK", "legal_name", LUMINA_NAME))
    ebl = import_file(engine, "dcsa-ebl", samples / "ebl_dcsa_v3.json")
    assert ebl.owners == {"LUMINA-HK": 1}
    events = import_file(engine, "dcsa-events", samples / "ebl_dcsa_v3.json")
    assert events.owners == {"LUMINA-HK": 11} and events.rows_rejected == 0
    assert {o for o, in stored(engine, TransportEventRow, "owner_id")} == {"LUMINA-HK"}

    payload = json.loads((samples / "ebl_dcsa_v3.json").read_text())
    payload["transportDocument"]["documentParties"]["notifyParties"][0]["partyName"] = "Someone Else Ltd"
    payload["transportDocument"]["transportDocumentReference"] = "OTHER0001"
    unknown = tmp_path / "other.json"
    unknown.write_text(json.dumps(payload))
    refused = import_file(engine, "dcsa-ebl", unknown)
    assert refused.records == 0 and refused.rows_rejected == 1
    assert rejects(engine, refused.import_id)[0][3] == "owner_unknown"

    forced = import_file(engine, "dcsa-ebl", unknown, owner_id="TROPIKA")
    assert forced.owners == {"TROPIKA": 1} and forced.owner_id == "TROPIKA"


def test_an_unknown_owner_override_is_refused_and_nothing_is_stored(engine, samples):
    import pytest

    from aggregator.tenancy import UnknownOwner

    with pytest.raises(UnknownOwner, match="no owner 'NOPE'; known owners: L, LUMINA, LUMINA-HK, TROPIKA"):
        import_file(engine, "outbound", samples / "warehouse_outbound.csv", owner_id="NOPE")
    assert stored(engine, WarehouseShipmentRow, "owner_id") == []


def test_the_cli_imports_a_multi_owner_file_and_reports_the_rejected_row(tmp_path, samples):
    from click.testing import CliRunner

    from aggregator.cli.main import cli

    base = ["--database-url", f"sqlite:///{tmp_path / 'cli.sqlite'}", "--data-dir", str(tmp_path / "data")]

    def run(*args):
        return CliRunner().invoke(cli, [*base, *args])

    for owner in ("LUMINA-HK", "TROPIKA"):
        assert run("owners", "add", owner, "--name", owner).exit_code == 0
    assert run("owners", "alias", "add", "LUMINA-HK", "--kind", "legal-name", "--value", LUMINA_NAME).exit_code == 0
    report = tmp_path / "rejects.csv"
    source = shutil.copy(samples / "customs_entry_my_k1.csv", tmp_path / "customs.csv")
    result = run("import", "customs", str(source), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "records by owner: LUMINA-HK 3" in result.output
    refused = run("import", "customs", str(source), "--owner", "NOPE")
    assert refused.exit_code == 2 and "no owner 'NOPE'; known owners: LUMINA-HK, TROPIKA" in refused.output


def _receipts_and_their_stock(samples: Path, folder: Path, count: int) -> tuple[Path, Path]:
    """The sample inbound file and ``count`` one-line receipts more (ASN-0000… at MYPKG-WH01, owner code
    LUMINA-HK), and the sample stock snapshot and a lot a receipt more, naming its receipt and no owner (title
    holder and risk bearer blank, no document)."""
    inbound = with_rows(samples / "warehouse_inbound.csv", folder / "inbound.csv",
                        extra=[{"asn_no": f"ASN-{n:05d}", "wms_receipt_no": f"IC{n:05d}", "line_no": "1"}
                               for n in range(count)])
    stock = with_rows(samples / "stock_lots_snapshot.csv", folder / "stock.csv",
                      extra=[{"lot_id": f"LOT-{n:05d}", "asn_no": f"ASN-{n:05d}", "title_holder": "",
                              "risk_bearer": "", "source_doc_no": "", "customs_declaration_no": ""}
                             for n in range(count)])
    return inbound, stock


def test_a_chunk_reads_the_owners_of_the_records_it_names_together(engine, samples, tmp_path):
    """A 3PL's stock file naming 1,200 receipts, its owner found from each lot's receipt: the receipts' owners
    are read by a query per 500 of them, not one a receipt, on the column-wise path and on the per-record path
    alike; every lot lands under its receipt's owner."""
    from sqlalchemy import event

    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"))
    inbound, stock = _receipts_and_their_stock(samples, tmp_path, 1200)
    assert import_file(engine, "inbound", inbound).created > 1200
    reads: list[str] = []

    def noting(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "warehouse_receipts" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", noting)
    try:
        for bulk in (True, False):
            reads.clear()
            with session_scope(engine) as session:
                session.execute(StockSnapshotRow.__table__.delete())
                session.execute(ImportRejectRow.__table__.delete())
            with session_scope(engine) as session:
                session.query(ImportFileRow).filter(ImportFileRow.kind == "stock").delete()
            summary = import_file(engine, "stock", stock, bulk=bulk)
            assert set(summary.owners) == {"LUMINA-HK"} and summary.owners["LUMINA-HK"] > 1200
            assert len(reads) <= 3, f"{len(reads)} reads of the receipts (bulk={bulk})"
    finally:
        event.remove(engine, "before_cursor_execute", noting)
    assert {o for o, in stored(engine, StockSnapshotRow, "owner_id")} == {"LUMINA-HK"}


def test_lots_owned_through_receipts_of_two_owners_land_the_same_on_both_paths(engine, samples, tmp_path):
    """Lots named by the receipts of two owners, by one owner's receipt and the other's party code (a conflict),
    by a receipt nobody stored, by a receipt in another warehouse, by nothing: the column-wise attribution (each
    claim's owners found once) lands and rejects every row as the per-row path does, at every chunk size."""
    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"), ("TROPIKA", "owner_code", "TRP"))
    receipts = [{"asn_no": f"ASN-L{n}", "wms_receipt_no": f"ICL{n}", "owner_code": "LUMINA-HK"} for n in range(5)]
    receipts += [{"asn_no": f"ASN-T{n}", "wms_receipt_no": f"ICT{n}", "owner_code": "TRP"} for n in range(3)]
    inbound = with_rows(samples / "warehouse_inbound.csv", tmp_path / "inbound.csv", extra=receipts)
    assert import_file(engine, "inbound", inbound).rows_rejected == 0
    lots = [{"asn_no": f"ASN-{who}{n}"} for who, n in (("L", 0), ("T", 0), ("L", 1), ("L", 2), ("T", 1))]
    lots += [{"asn_no": "ASN-L3", "title_holder": "TRP"},  # (two owners: a conflict)
             {"asn_no": "ASN-NOBODY"},  # (no stored receipt)
             {"asn_no": "ASN-T2", "warehouse_code": "ELSEWHERE"},  # (that receipt is in another warehouse)
             {"asn_no": ""},  # (nothing names an owner)
             {"asn_no": "ASN-L4", "title_holder": "LUMINA-HK"}]  # (two claims, one owner)
    lots = [{"lot_id": f"LOT-{i}", "title_holder": "", "risk_bearer": "", "source_doc_no": "",
             "customs_declaration_no": "", "container_no": "", **lot} for i, lot in enumerate(lots)]
    stock = with_rows(samples / "stock_lots_snapshot.csv", tmp_path / "stock.csv", extra=lots)
    found = {}
    for chunk_rows in (1, 3, 10_000):
        for bulk in (True, False):
            summary = import_stock_afresh(engine, stock, chunk_rows=chunk_rows, bulk=bulk)
            found[(chunk_rows, bulk)] = (summary.rows_rejected, dict(summary.owners),
                                         rejects(engine, summary.import_id),
                                         stored(engine, StockSnapshotRow, "lot_id", "owner_id"))
    first = found[(1, True)]
    assert all(result == first for result in found.values())
    owners = dict(first[3])
    assert [owners.get(f"LOT-{i}") for i in range(10)] == ["LUMINA-HK", "TROPIKA", "LUMINA-HK", "LUMINA-HK", "TROPIKA",
                                                          None, None, None, None, "LUMINA-HK"]
    assert [code for _, _, _, code, _, _ in first[2]][-4:] == ["owner_conflict", "owner_unknown", "owner_unknown",
                                                                 "owner_unknown"]


@settings(max_examples=200, deadline=None)
@given(values=st.dictionaries(st.sampled_from(["owner_code", "warehouse_code", "risk_bearer", "title_holder", "asn_no",
                                               "source_doc_no", "customs_declaration_no"]),
                              st.text(st.sampled_from(["A", "b", " ", "\u3000", "Ａ", "-", "1", "\t"]), max_size=6)))
def test_stock_claims_made_cell_by_cell_are_the_rows_claims(values) -> None:
    """The column-wise attribution reads each claim's (value, scope) from its cells (``ClaimSpec.cleaned``): those of
    the very claims the row's ``owner_claims`` makes, whatever the cells (blank, padded, full-width)."""
    from platform_adapters.warehouse import stock

    by_cells = tuple(OwnerClaim(spec.via, spec.column, *spec.cleaned(values.get(spec.column, ""),
                                                                     values.get(spec.scope_column or "", "")))
                     for spec in stock.CLAIM_SPECS)
    assert by_cells == stock.owner_claims(values)


def _stored_record_reads(engine, run) -> list[str]:
    """The statements reading receipts, transport documents or customs entries while ``run()`` runs."""
    from sqlalchemy import event

    reads: list[str] = []

    def noting(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and any(
                table in statement for table in ("warehouse_receipts", "transport_documents", "customs_entries")):
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", noting)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", noting)
    return reads


def test_an_owner_given_reads_no_stored_record_on_either_path(engine, samples):
    """``--owner``: every row that owner's without looking — neither path reads a receipt, document or entry."""
    for bulk in (True, False):
        with session_scope(engine) as session:
            session.execute(StockSnapshotRow.__table__.delete())
            session.query(ImportFileRow).filter(ImportFileRow.kind == "stock").delete()
        done = []
        reads = _stored_record_reads(engine, lambda: done.append(
            import_file(engine, "stock", samples / "stock_lots_snapshot.csv", owner_id="LUMINA-HK", bulk=bulk)))
        assert done[0].owners == {"LUMINA-HK": 8}
        assert reads == [], f"bulk={bulk}: {reads}"


def test_a_control_character_in_a_named_receipt_is_a_reject_not_a_failed_import(engine, samples, tmp_path):
    """A lot whose ASN holds a NUL (a damaged export): the row is rejected naming the character, the others are
    stored; the ASN is never sent to the database to look up (PostgreSQL refuses a NUL in a text: the import
    failed when the chunk's claims were read with it)."""
    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"))
    stock = with_rows(samples / "stock_lots_snapshot.csv", tmp_path / "stock.csv",
                      extra=[{"lot_id": "LOT-NUL", "asn_no": "ASN-\\x00-1"}])
    stock.write_bytes(stock.read_bytes().replace(b"ASN-\\x00-1", b"ASN-\x00-1"))  # (a NUL in the file)
    for bulk in (True, False):
        summary = import_stock_afresh(engine, stock, bulk=bulk)
        assert summary.status == "COMPLETED_WITH_REJECTS", (bulk, summary.error)
        assert summary.problem_counts["control_character"] == 1 and summary.owners == {"LUMINA-HK": 8}


def test_a_chunk_past_the_cache_limit_is_read_together_again(engine, samples, tmp_path, monkeypatch):
    """The records held past the resolver's limit are dropped to make room: a chunk's claims are then all read
    again together — none of them one by one when its rows are resolved."""
    from aggregator.owners import attribution
    from aggregator.owners.attribution import OwnerResolver
    from platform_adapters.canonical.tenancy import OwnerClaim

    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"))
    inbound, _ = _receipts_and_their_stock(samples, tmp_path, 40)
    assert import_file(engine, "inbound", inbound).rows_rejected == 0
    monkeypatch.setattr(attribution, "_CACHE_LIMIT", 30)
    claims = [(OwnerClaim("receipt", "asn_no", f"ASN-{n:05d}", "MYPKG-WH01"),) for n in range(40)]
    with session_factory(engine)() as session:
        resolver = OwnerResolver(session)

        def chunks() -> None:
            resolver.look_up(claims[:20], final=False)
            resolver.look_up(claims, final=False)  # (the 20 held and 20 more: past the limit)
            assert {resolver.resolve(c, final=False).owners for c in claims} == {("LUMINA-HK",)}

        reads = _stored_record_reads(engine, chunks)
    assert len(reads) == 2, reads


def test_a_lot_naming_a_master_shared_by_several_owners_is_its_own_owners(engine, samples, tmp_path):
    """A consolidation's master bill is stored once per owner of its houses ("one copy per owner"): a lot naming it
    is narrowed to those owners, not set against them. The lot whose party codes, receipt and entry name LUMINA-HK
    is LUMINA-HK's; one naming only the master is ambiguous (never one of them picked); one whose party code names
    an owner the master does not name is a conflict naming both; alike on both paths, at every chunk size."""
    aliases(engine, ("LUMINA-HK", "legal_name", LUMINA_NAME), ("TROPIKA", "legal_name", TROPIKA_NAME),
            ("LUMINA-HK", "owner_code", "LUMINA-HK"), ("TROPIKA", "owner_code", "TRP"), ("L", "owner_code", "LCODE"),
            ("LUMINA-HK", "registration_no", "brn placeholder 0001", "MY"))
    for kind, name in (("bl", "forwarder_bl.csv"), ("customs", "customs_entry_my_k1.csv"),
                       ("inbound", "warehouse_inbound.csv")):
        assert import_file(engine, kind, samples / name).rows_rejected == 0
    assert stored(engine, TransportDocumentRow, "owner_id", "doc_number").count(("TROPIKA", "ZCRU260304417")) == 1
    with (samples / "stock_lots_snapshot.csv").open(encoding="utf-8", newline="") as handle:
        sample = list(csv.DictReader(handle))
    pcc = next(row for row in sample if row["lot_id"].endswith("-PCC"))  # (risk, title, ASN, entry: LUMINA-HK's)
    master = {**pcc, "source_doc_kind": "MBL", "source_doc_no": "ZCRU260304417"}  # (the master of its house)
    bare = {**master, "title_holder": "", "risk_bearer": "", "asn_no": "", "customs_declaration_no": ""}
    names = ("LOT-MINE", "LOT-ONLY-MASTER", "LOT-TROPIKA", "LOT-ELSE")
    lots = [{**master, "lot_id": "LOT-MINE"}, {**bare, "lot_id": "LOT-ONLY-MASTER"},
            {**bare, "lot_id": "LOT-TROPIKA", "title_holder": "TRP"},
            {**bare, "lot_id": "LOT-ELSE", "risk_bearer": "LCODE"}]
    stock = with_rows(samples / "stock_lots_snapshot.csv", tmp_path / "stock.csv", extra=lots)
    at = {name: len(sample) + 2 + n for n, name in enumerate(names)}  # (each extra lot's line)
    found = {}
    for chunk_rows in (1, 3, 10_000):
        for bulk in (True, False):
            summary = import_stock_afresh(engine, stock, chunk_rows=chunk_rows, bulk=bulk)
            found[(chunk_rows, bulk)] = (dict(summary.owners), rejects(engine, summary.import_id),
                                         stored(engine, StockSnapshotRow, "lot_id", "owner_id"))
    first = found[(1, True)]
    assert all(result == first for result in found.values()), found
    owners, problems, lots_stored = first
    assert dict(lots_stored)["LOT-MINE"] == "LUMINA-HK" and dict(lots_stored)["LOT-TROPIKA"] == "TROPIKA"
    assert "LOT-ONLY-MASTER" not in dict(lots_stored) and "LOT-ELSE" not in dict(lots_stored)
    lines = {line: (column, value, code, reason) for line, column, value, code, reason, _ in problems}
    assert lines[at["LOT-ONLY-MASTER"]] == (
        "source_doc_no", "ZCRU260304417", "owner_ambiguous",
        "whose row it is cannot be told: source doc no 'ZCRU260304417' names 'LUMINA-HK' and 'TROPIKA' (a record "
        "each of them holds), and nothing in the row names one of them alone; fill a column naming the owner "
        "(owner code) or import the file with --owner")
    assert lines[at["LOT-ELSE"]] == (
        "risk_bearer", "LCODE", "owner_conflict",
        "the row names three owners: risk bearer 'LCODE' names 'L'; source doc no 'ZCRU260304417' names "
        "'LUMINA-HK' and 'TROPIKA'; no owner is named by all of them")
    assert at["LOT-MINE"] not in lines and at["LOT-TROPIKA"] not in lines


#: a lot's cells naming owners, each naming no one, one owner, or several (a record each of them holds)
_CLAIMING_CELLS = {
    "owner_code": ["", "", "LUMINA-HK", "TRP", "NOPE"],
    "title_holder": ["", "", "LUMINA-HK", "TRP", "LCODE"],
    "risk_bearer": ["", "", "LUMINA-HK", "LCODE"],
    "asn_no": ["", "ASN-LMN-260305-03", "ASN-SHARED-LT", "ASN-SHARED-LL", "ASN-NOBODY"],  # (LUMINA-HK; +TROPIKA; +L)
    "source_doc_no": ["", "ZCRU260304417", "zcru-2603 04417", "SZXFWD2603001", "SZXFWD2603002", "HBL-NOBODY"],
    "customs_declaration_no": ["", "K1-PLACEHOLDER-0001", "K1-NOBODY"],
}


#: whom each of those cells names, once ``_shared_records`` are stored
_NAMES = {"LUMINA-HK": {"LUMINA-HK"}, "TRP": {"TROPIKA"}, "LCODE": {"L"}, "ASN-LMN-260305-03": {"LUMINA-HK"},
          "ASN-SHARED-LT": {"LUMINA-HK", "TROPIKA"}, "ASN-SHARED-LL": {"LUMINA-HK", "L"},
          "ZCRU260304417": {"LUMINA-HK", "TROPIKA"}, "zcru-2603 04417": {"LUMINA-HK", "TROPIKA"},
          "SZXFWD2603001": {"LUMINA-HK"}, "SZXFWD2603002": {"TROPIKA"}, "K1-PLACEHOLDER-0001": {"LUMINA-HK"}}


def _expected(lot: dict[str, str]) -> str:
    """What becomes of ``lot``: its owner (the one owner every cell naming any names), or the reject's code."""
    named = [frozenset(_NAMES[lot[column]]) for column in _CLAIMING_CELLS if lot[column] in _NAMES]
    if not named:
        return "owner_unknown"
    together = frozenset.intersection(*named)
    return next(iter(together)) if len(together) == 1 else "owner_ambiguous" if together else "owner_conflict"


def _shared_records(engine, samples: Path, folder: Path) -> None:
    """Once per database: the forwarder's bills (the consolidation's master stored for LUMINA-HK and for TROPIKA,
    one house each), the broker's entries (LUMINA-HK's), and receipts: the sample's (LUMINA-HK's), ASN-SHARED-LT
    received for LUMINA-HK and for TROPIKA, ASN-SHARED-LL for LUMINA-HK and for L (all at MYPKG-WH01)."""
    with session_factory(engine)() as s:
        if s.execute(select(TransportDocumentRow.id)).first() is not None:
            return
    aliases(engine, ("LUMINA-HK", "legal_name", LUMINA_NAME), ("TROPIKA", "legal_name", TROPIKA_NAME),
            ("LUMINA-HK", "owner_code", "LUMINA-HK"), ("TROPIKA", "owner_code", "TRP"), ("L", "owner_code", "LCODE"),
            ("LUMINA-HK", "registration_no", "brn placeholder 0001", "MY"))
    shared = [{"asn_no": asn, "wms_receipt_no": f"IC-{asn}-{code}", "owner_code": code, "importer_of_record": "",
               "line_no": "1"} for asn, codes in (("ASN-SHARED-LT", ("LUMINA-HK", "TRP")),
                                                 ("ASN-SHARED-LL", ("LUMINA-HK", "LCODE"))) for code in codes]
    inbound = with_rows(samples / "warehouse_inbound.csv", folder / "inbound.csv", extra=shared)
    for kind, path in (("bl", samples / "forwarder_bl.csv"), ("customs", samples / "customs_entry_my_k1.csv"),
                       ("inbound", inbound)):
        assert import_file(engine, kind, path).rows_rejected == 0


@st.composite
def _claiming_lots(draw) -> list[dict[str, str]]:
    """Up to 8 lots, each naming owners by a draw of cells (``_CLAIMING_CELLS``), several claims of several owners
    among them."""
    return [{"lot_id": f"LOT-P{n}", **{column: draw(st.sampled_from(cells)) for column, cells in _CLAIMING_CELLS.items()}}
            for n in range(draw(st.integers(1, 8)))]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lots=_claiming_lots(), chunk_rows=st.sampled_from([1, 3, 10_000]))
def test_lots_naming_records_of_several_owners_land_alike_on_both_paths(engine, samples, tmp_path_factory, lots,
                                                                         chunk_rows) -> None:
    """Lots whose cells name one owner, several (a master bill or receipt each of them holds) or nobody, in any
    mix: the column-wise attribution (``owners_named``, each claim's owners found once) stores and rejects every
    row as the per-row ``resolve`` does: a lot is the one owner every cell naming any names, a conflict when they
    name none in common, ambiguous when they leave several (only records several owners hold named)."""
    folder = tmp_path_factory.mktemp("claims")
    _shared_records(engine, samples, folder)
    with (samples / "stock_lots_snapshot.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, first = [*reader.fieldnames, "owner_code"], next(reader)
    stock = folder / "stock.csv"
    with stock.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows({**first, "container_no": "", "source_doc_kind": "", **lot} for lot in lots)
    found = {}
    for bulk in (True, False):
        summary = import_stock_afresh(engine, stock, chunk_rows=chunk_rows, bulk=bulk)
        found[bulk] = (summary.rows_rejected, dict(summary.owners), rejects(engine, summary.import_id),
                       stored(engine, StockSnapshotRow, "lot_id", "owner_id"))
    assert found[True] == found[False]
    outcome = {**{line: code for line, _, _, code, _, _ in found[True][2]},
               **{int(lot[len("LOT-P"):]) + 2: owner for lot, owner in found[True][3]}}
    assert outcome == {n + 2: _expected(lot) for n, lot in enumerate(lots)}


def test_an_outbound_row_naming_no_registered_platform_is_rejected_alike_on_both_paths(engine, samples, tmp_path,
                                                                                      monkeypatch):
    """A 3PL's outbound row whose platform no marketplace adapter is registered under (a typo, ``Shoppe``; a
    malformed name) cannot be linked to its order: rejected naming the cell and the registered platforms, never
    stored as written, whether its owner code names its owner or nothing does; a shop id without a platform
    (whose shop?) is rejected too; a row naming neither (a B2B outbound) and one naming a platform registered by a
    plug-in are stored. The column-wise and the per-row path store and reject alike."""
    from platform_adapters import registry

    monkeypatch.setitem(registry.ADAPTERS, "acmemarket", object())  # (a plug-in's platform, registered)
    shops(engine, ("shopee", "SHOPEE-MY-480012345", "LUMINA-HK"))
    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"))
    known = ", ".join(registry.known_platforms())
    assert "acmemarket" in known and "shoppe" not in known
    cases = [("OB-TYPO", "Shoppe", "SHOPEE-MY-480012345", "LUMINA-HK"),
             ("OB-TYPO-NO-CODE", "Shoppe", "SHOPEE-MY-480012345", ""),
             ("OB-MALFORMED", "Shop ee!", "SHOPEE-MY-480012345", "LUMINA-HK"),
             ("OB-NO-PLATFORM", "", "SHOPEE-MY-480012345", "LUMINA-HK"),
             ("OB-B2B", "", "", "LUMINA-HK"),
             ("OB-PLUGIN", "AcmeMarket", "", "LUMINA-HK"),
             ("OB-GOOD", "SHOPEE", "SHOPEE-MY-480012345", "")]
    with (samples / "warehouse_outbound.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, first = [*reader.fieldnames, "owner_code"], next(reader)
    path = tmp_path / "outbound.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows({**first, "wms_outbound_no": number, "platform": platform, "shop_id": shop, "owner_code": code}
                         for number, platform, shop, code in cases)
    found = {}
    for chunk_rows in (1, 3, 10_000):
        for bulk in (True, False):
            with session_scope(engine) as session:
                session.execute(WarehouseShipmentLineRow.__table__.delete())
                session.execute(WarehouseShipmentRow.__table__.delete())
                session.execute(ImportRejectRow.__table__.delete())
                session.query(ImportFileRow).filter(ImportFileRow.kind == "outbound").delete()
            summary = import_file(engine, "outbound", path, chunk_rows=chunk_rows, bulk=bulk)
            found[(chunk_rows, bulk)] = (summary.rows_rejected, dict(summary.owners), rejects(engine, summary.import_id),
                                         stored(engine, WarehouseShipmentRow, "wms_outbound_no", "owner_id", "platform",
                                                "shop_id"))
    first_found = found[(1, True)]
    assert all(result == first_found for result in found.values()), found
    rows_rejected, owners, problems, shipments = first_found
    assert shipments == [("OB-B2B", "LUMINA-HK", None, None), ("OB-GOOD", "LUMINA-HK", "shopee", "SHOPEE-MY-480012345"),
                         ("OB-PLUGIN", "LUMINA-HK", "acmemarket", None)]
    assert rows_rejected == 4 and owners == {"LUMINA-HK": 3}
    assert sorted(problems) == [
        (2, "platform", "Shoppe", "unknown_platform",
         f"unknown platform 'shoppe'; known: {known}; a row of a marketplace no adapter is registered for cannot be "
         "linked to its order", "LUMINA-HK"),
        (3, "shop_id", "SHOPEE-MY-480012345", "owner_unknown",
         f"no registered shop shoppe/SHOPEE-MY-480012345: 'shoppe' is not a registered marketplace (known: {known}); "
         "correct the platform", None),
        (4, "platform", "Shop ee!", "unknown_platform",
         f"not a platform name: 'shopee!' (lower-case letters, digits, '_'); known: {known}; a row of a marketplace "
         "no adapter is registered for cannot be linked to its order", "LUMINA-HK"),
        (5, "platform", "", "missing_platform",
         "shop id 'SHOPEE-MY-480012345' without its platform: which marketplace's shop it is cannot be told; "
         "fill the platform", "LUMINA-HK")]
