"""The next chunk mapped ahead while the one before is stored (``columnar_import.ColumnarReader._ahead``, used
when every row's owner is known without the session: the owner given, or each row's owner found from the
aliases and shops read at the import's start and the stored records looked up before or read beside the store):
messy and mixed files imported with an owner given and attributed per row, at small chunk sizes (records across
chunks, repeats at chunk edges); the columnar path, read-ahead included, stores what the per-row path stores."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest import import_file
from aggregator.ingest.columnar_import import ColumnarReader
from aggregator.owners.attribution import OwnerResolver
from aggregator.store.db import session_factory
from platform_adapters.canonical.tenancy import OwnerClaim
from tests.ingest.test_import_paths import (MIXED, _STOCK_MESSY, _MESSY, _both_paths, _csv, _messy_inbound,
                                            _messy_stock, _mixed_inbound, _mixed_outbound, _outbound_rows, _shops,
                                            OUTBOUND_HEADER)
from aggregator.store.models.warehouse import StockSnapshotRow
from tests.ingest.test_owner_attribution import aliases, import_stock_afresh, rejects, stored, with_rows

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _count_ahead(monkeypatch) -> list[bool]:
    used: list[bool] = []
    ahead = ColumnarReader._ahead

    def counting(reader, lines, cells, by_index):
        found = ahead(reader, lines, cells, by_index)
        used.append(found is not None)
        return found

    monkeypatch.setattr(ColumnarReader, "_ahead", counting)
    return used


def _same_stored(engine, folder: Path, kind: str, header: list[str], rows, chunk_rows: int) -> None:
    """A messy ``kind`` file imported with its owner given: the columnar path stores what the per-row path stores."""
    path = _csv(folder / f"{kind}.csv", header, rows)
    bulk, per_record, _ = _both_paths(engine, kind, path, chunk_rows=chunk_rows, owner_id="LUMINA")
    assert bulk == per_record


@SETTINGS
@given(rows=_messy_stock(), chunk_rows=st.sampled_from([1, 2, 3, 5]))
def test_messy_stock_with_an_owner_given(sqlite_engine, tmp_path_factory, rows, chunk_rows) -> None:
    _same_stored(sqlite_engine, tmp_path_factory.mktemp("messy"), "stock", list(_STOCK_MESSY), rows, chunk_rows)


@SETTINGS
@given(rows=_messy_inbound(), chunk_rows=st.sampled_from([1, 2, 3, 5]))
def test_messy_inbound_with_an_owner_given(sqlite_engine, tmp_path_factory, rows, chunk_rows) -> None:
    _same_stored(sqlite_engine, tmp_path_factory.mktemp("messy"), "inbound", list(_MESSY), rows, chunk_rows)


@pytest.mark.parametrize("kind", ["inbound", "outbound"])
@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 4, 7, 10_000])
def test_mixed_files_with_an_owner_given(sqlite_engine, tmp_path: Path, monkeypatch, kind, chunk_rows) -> None:
    used = _count_ahead(monkeypatch)
    path = tmp_path / f"{kind}.csv"
    path.write_text((_mixed_inbound if kind == "inbound" else _mixed_outbound)(), encoding="utf-8")
    bulk, per_record, _ = _both_paths(sqlite_engine, kind, path, chunk_rows=chunk_rows, owner_id="LUMINA")
    assert bulk == per_record
    assert any(used) or chunk_rows == 10_000  # (one chunk holding rows to reject: none mapped ahead)


@pytest.mark.parametrize("kind", sorted(MIXED))
@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7])
def test_mixed_files_attributed_per_row(sqlite_engine, tmp_path: Path, monkeypatch, kind, chunk_rows) -> None:
    """No owner given: each row's owner found from its shop or its owner code (read at the import's start), so
    the clean chunks are mapped ahead as with an owner given; the rows that name no owner, or one unknown, are
    rejected all the same: the same rows, rejects and audit as the per-row path."""
    text, owners_for, _, table = MIXED[kind]
    owners_for(sqlite_engine)
    used = _count_ahead(monkeypatch)
    path = tmp_path / f"{kind}.csv"
    path.write_text(text(), encoding="utf-8")
    bulk, per_record, summary = _both_paths(sqlite_engine, kind, path, chunk_rows=chunk_rows)
    assert bulk == per_record
    assert "owner_unknown" in {dict(r)["code"] for r in bulk["rejects"]}
    assert {dict(row)["owner_id"] for row in bulk[table]} == {"LUMINA", "TROPIKA"}
    assert any(used)


def test_a_clean_file_of_two_owners_is_mapped_ahead_chunk_by_chunk(sqlite_engine, tmp_path: Path,
                                                                    monkeypatch) -> None:
    """A 3PL's outbound file covering two brands' shops, records of both interleaved: every chunk is mapped
    ahead, each record lands under its shop's owner, as the per-row path stores it."""
    _shops(sqlite_engine)
    rows = [row for n in range(1, 41) for row in (_outbound_rows(range(n, n + 1)) if n % 2 else
                                                   _outbound_rows(range(n, n + 1), shop="S2", platform="LAZADA"))]
    header = OUTBOUND_HEADER.split(",")
    path = _csv(tmp_path / "two_owners.csv", header, [dict(zip(header, row.split(","))) for row in rows])
    used = _count_ahead(monkeypatch)
    bulk, per_record, summary = _both_paths(sqlite_engine, "outbound", path, chunk_rows=8)
    assert summary[:4] == ("COMPLETED", 80, 0, 40)
    assert used and all(used)
    owners = {dict(row)["wms_outbound_no"]: dict(row)["owner_id"] for row in bulk["warehouse_shipments"]}
    assert owners == {f"OB-{n}": "LUMINA" if n % 2 else "TROPIKA" for n in range(1, 41)}
    assert bulk == per_record


def test_owners_named_by_stored_records_are_read_once_then_answered_from_memory(sqlite_engine, samples, tmp_path,
                                                                         monkeypatch) -> None:
    """A stock file whose lots are their receipts' owners' lands under them; the resolver answers a receipt from
    memory only once it was looked up (the look-up reads the database, which the chunk before may be being
    written to while the next is mapped ahead), never reading the session for it."""
    aliases(sqlite_engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"))
    assert import_file(sqlite_engine, "inbound", samples / "warehouse_inbound.csv").status == "COMPLETED"
    stock = with_rows(samples / "stock_lots_snapshot.csv", tmp_path / "stock.csv",
                      edit=lambda row: {**row, "title_holder": "", "risk_bearer": ""})
    summary = import_file(sqlite_engine, "stock", stock, chunk_rows=10_000)
    assert summary.owners == {"LUMINA-HK": 7} and summary.rows_rejected == 1  # (the lot still at sea)

    with session_factory(sqlite_engine)() as session:
        resolver = OwnerResolver(session)
        by_receipt = (OwnerClaim("receipt", "asn_no", "ASN-LMN-260305-03", "MYPKG-WH01"),)
        by_code = (OwnerClaim("owner_code", "owner_code", "LUMINA-HK"),)
        assert resolver.resolve_known(by_receipt, final=False) is None  # (not looked up yet)
        assert resolver.resolve_known(by_code, final=False).owners == ("LUMINA-HK",)  # (an alias: in memory)
        assert resolver.resolve(by_receipt, final=False).owners == ("LUMINA-HK",)
        monkeypatch.setattr(resolver, "session", None)  # (from here on, a read of the database would raise)
        assert resolver.resolve_known(by_receipt, final=False).owners == ("LUMINA-HK",)
        elsewhere = (OwnerClaim("receipt", "asn_no", "ASN-LMN-260305-03", "ELSEWHERE"),)
        assert resolver.resolve_known(elsewhere, final=False) is None  # (another warehouse's receipt)
        masters = (OwnerClaim("houses_of", "doc_number", "MBL-1"),)
        assert resolver.resolve_known(masters, final=False).deferred  # (the file's later rows may tell)
        assert resolver.resolve_known(masters, final=True) is None  # (the stored houses: a read)


@pytest.mark.parametrize("chunk_rows", [1, 3])
def test_stock_chunks_naming_receipts_looked_up_before_are_mapped_ahead(engine, samples, tmp_path, monkeypatch,
                                                                         chunk_rows) -> None:
    """A 3PL's stock file whose lots name a few receipts of two owners over and over: once a chunk's receipts were
    looked up, the chunks naming only those are mapped ahead, their owners found column by column from memory;
    owners, rejects and stored rows are the per-row path's."""
    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"), ("TROPIKA", "owner_code", "TRP"))
    receipts = [{"asn_no": f"ASN-{who}{n}", "wms_receipt_no": f"IC{who}{n}", "owner_code": code}
                for who, code in (("L", "LUMINA-HK"), ("T", "TRP")) for n in range(2)]
    inbound = with_rows(samples / "warehouse_inbound.csv", tmp_path / "inbound.csv", extra=receipts)
    assert import_file(engine, "inbound", inbound).rows_rejected == 0
    names = ["ASN-L0", "ASN-T0", "ASN-L1", "ASN-T1", "ASN-NOBODY"]
    lots = [{"lot_id": f"LOT-{i}", "asn_no": names[i % 5], "title_holder": "", "risk_bearer": "", "source_doc_no": "",
             "customs_declaration_no": "", "container_no": ""} for i in range(30)]
    stock = with_rows(samples / "stock_lots_snapshot.csv", tmp_path / "stock.csv", edit=lambda row: {
        **row, "title_holder": "", "risk_bearer": "", "source_doc_no": "", "customs_declaration_no": ""}, extra=lots)
    found, used = _stock_both_paths(engine, stock, chunk_rows, monkeypatch)
    assert sum(used) >= 3, used
    owners = dict(found[3])
    assert [owners.get(f"LOT-{i}") for i in range(5)] == ["LUMINA-HK", "TROPIKA", "LUMINA-HK", "TROPIKA", None]


def _stock_both_paths(engine, stock: Path, chunk_rows: int, monkeypatch, after_columnar=None) -> tuple[tuple, list]:
    """``stock`` imported the column-wise way, then the per-row way (``bulk=False``), each into emptied tables:
    (rows rejected, owners, rejects, each lot's owner) of the two, asserted equal, and which chunks the
    column-wise import mapped ahead (``_count_ahead``); ``after_columnar`` is called between the two."""
    found, used = {}, []
    for bulk in (True, False):
        counted = _count_ahead(monkeypatch)
        summary = import_stock_afresh(engine, stock, chunk_rows=chunk_rows, bulk=bulk)
        found[bulk] = (summary.rows_rejected, dict(summary.owners), rejects(engine, summary.import_id),
                       stored(engine, StockSnapshotRow, "lot_id", "owner_id"))
        if bulk:
            used = counted
            if after_columnar is not None:
                after_columnar()
    assert found[True] == found[False]
    return found[True], used


def test_a_stock_file_naming_receipts_never_looked_up_is_mapped_ahead_every_chunk(engine, samples, tmp_path,
                                                                                    monkeypatch) -> None:
    """Each chunk names receipts no chunk before named (1,200 of two owners; a look-up reads 70 at a time here):
    their owners are read beside the store, through a connection of their own and never the session, so every
    chunk is mapped ahead, and the rows land under the owners the per-row path finds (a receipt nobody stored:
    rejected alike)."""
    from sqlalchemy.engine import Connection

    from aggregator.owners import attribution

    monkeypatch.setattr(attribution, "LOOK_UP_BATCH", dict.fromkeys(attribution.LOOK_UP_BATCH, 70))
    through: list[tuple[str, int]] = []  # (what read, how many values)
    look_up = OwnerResolver._look_up

    def noting(resolver, keys, execute):
        if keys:
            through.append(("connection" if isinstance(execute.__self__, Connection) else "session", len(keys)))
        return look_up(resolver, keys, execute)

    monkeypatch.setattr(OwnerResolver, "_look_up", noting)
    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"), ("TROPIKA", "owner_code", "TRP"))
    receipts = [{"asn_no": f"ASN-{n:04}", "wms_receipt_no": f"IC{n:04}", "owner_code": ("LUMINA-HK", "TRP")[n % 2],
                 "line_no": "1"} for n in range(1200)]
    inbound = with_rows(samples / "warehouse_inbound.csv", tmp_path / "inbound.csv", extra=receipts)
    assert import_file(engine, "inbound", inbound).rows_rejected == 0
    lots = [{"lot_id": f"LOTB-{n:04}", "asn_no": f"ASN-{n:04}" if n != 1100 else "ASN-NOBODY", "title_holder": "",
             "risk_bearer": "", "source_doc_no": "", "customs_declaration_no": "", "container_no": ""}
            for n in range(1200)]
    stock = with_rows(samples / "stock_lots_snapshot.csv", tmp_path / "stock.csv", edit=lambda row: {
        **row, "title_holder": "", "risk_bearer": "", "source_doc_no": "", "customs_declaration_no": ""}, extra=lots)
    columnar_reads: list[tuple[str, int]] = []
    found, used = _stock_both_paths(engine, stock, 400, monkeypatch,
                                    after_columnar=lambda: columnar_reads.extend(through))
    # (chunks of 400 rows: the first holds the sample's lot still at sea, the third the receipt nobody stored, each a
    # row to reject: attributed once the chunk before is in; the others mapped ahead)
    assert used == [False, True, False, True], used
    assert {way for way, _ in columnar_reads} == {"connection"}, columnar_reads
    assert sum(n for _, n in columnar_reads) >= 1200, columnar_reads
    owners = dict(found[3])
    assert owners["LOTB-0000"] == "LUMINA-HK" and owners["LOTB-1199"] == "TROPIKA" and "LOTB-1100" not in owners
    assert sum(1 for lot in owners if lot.startswith("LOTB-")) == 1199 and found[0] == 2


def test_records_read_beside_the_store_come_from_a_connection_of_their_own(engine, samples) -> None:
    """``look_up_beside`` reads through the engine, never the session (whose connection the store uses meanwhile),
    and refuses, reading nothing, when a record to read is in a table the import writes: a record stored in the
    chunk being stored is seen only by the session."""
    from aggregator.store.db import statement_reads

    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"))
    assert import_file(engine, "inbound", samples / "warehouse_inbound.csv").status == "COMPLETED"
    by_receipt = (OwnerClaim("receipt", "asn_no", "ASN-LMN-260305-03", "MYPKG-WH01"),)
    by_document = (OwnerClaim("document", "source_doc_no", "HBL-NONE"),)
    with session_factory(engine)() as session:
        resolver = OwnerResolver(session)
        resolver.session = None  # (a read through the session would raise)
        reads = statement_reads(engine)
        assert resolver.look_up_beside([by_receipt], reads, {"warehouse_receipts", "stock_snapshots"}) is False
        assert resolver.resolve_known(by_receipt, final=False) is None  # (nothing read)
        assert resolver.look_up_beside([by_receipt, by_document], reads, {"stock_snapshots"}) is True
        assert resolver.resolve_known(by_receipt, final=False).owners == ("LUMINA-HK",)
        assert resolver.resolve_known(by_document, final=False).code == "owner_unknown"  # (none stored)
        assert resolver.look_up_beside([by_receipt], reads, {"warehouse_receipts"}) is True  # (held: nothing to read)
        by_container = (OwnerClaim("container", "container_no", "TCLU6543214"),)  # (a document's container)
        assert resolver.look_up_beside([by_container], reads, {"transport_documents"}) is False
        assert resolver.look_up_beside([by_container], reads, {"transport_document_containers"}) is False
        assert resolver.resolve_known(by_container, final=False) is None


def test_with_no_connection_to_spare_the_session_reads_the_records(pg_engine, samples, tmp_path) -> None:
    """A pool whose only connection the import holds: the records a chunk names are read through the session
    once the chunk before is stored, as before, and the import completes (the pool's wait, half a second here,
    paid once: the pool is not asked again)."""
    from aggregator.store.db import create_engine_for, statement_reads

    engine = create_engine_for(pg_engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0,
                               pool_timeout=0.5)
    try:
        aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"))
        assert import_file(engine, "inbound", samples / "warehouse_inbound.csv").status == "COMPLETED"
        stock = with_rows(samples / "stock_lots_snapshot.csv", tmp_path / "stock.csv",
                          edit=lambda row: {**row, "title_holder": "", "risk_bearer": ""})
        reads, asked = statement_reads(engine), []
        connect = reads.connect

        def asking():
            asked.append(1)
            return connect()

        reads.connect = asking  # (the engine the import reads beside the store through)
        summary = import_file(engine, "stock", stock, chunk_rows=3)
        assert summary.status == "COMPLETED_WITH_REJECTS" and summary.owners == {"LUMINA-HK": 7}
        assert summary.rows_rejected == 1  # (the lot still at sea)
        assert len(asked) == 1  # (its chunks name receipts, documents and declarations not read before)
    finally:
        engine.dispose()
