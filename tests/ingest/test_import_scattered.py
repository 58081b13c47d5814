"""A 3PL file whose receipts' (or outbounds') rows are spread over it — sorted by date or SKU, not by
record — stores what the same file with each record's rows together stores: the same headers, lines,
audit entries, rejects and counts, on both paths and both databases, whatever the chunk size; a re-import
of the other order finds everything unchanged; a line number given twice in one spread receipt is a
``duplicate_line_no`` reject naming the line, never a ``store_failed``.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from aggregator.cli.main import cli
from aggregator.ingest import import_file
from aggregator.ingest.scattered import SetAside
from aggregator.store.db import session_factory
from aggregator.store.models.logistics import ImportRejectRow
from platform_adapters.tabular.rows import CanonicalRow
from tests.ingest.test_import_paths import OUTBOUND_HEADER, _clear, _snapshot

INBOUND_HEADER = ("asn_no,wms_receipt_no,warehouse_code,status,container_no,received_at,line_no,sku,planned_qty,"
                  "received_good_qty,remark")


def _receipt(n: int, lines: int, numbered: bool = True) -> list[str]:
    """Receipt ``ASN-n``'s rows; some header cells only on a later row (a header field is its first
    value in the record's rows), some line numbers left to the row's place."""
    return [f"ASN-{n},{'IC' + str(n) if ln > 1 else ''},WH1,{'FULFILLED' if ln % 2 else ''},,"
            f"2026-03-{1 + n % 28:02d}T16:00:00+08:00,{ln if numbered or ln % 2 else ''},SKU-{(n * 7 + ln) % 11},"
            f"{10 * ln},{10 * ln - n % 3},r{n}-{ln}"
            for ln in range(1, lines + 1)]


def _shipment(n: int, lines: int) -> list[str]:
    return [f"OB-{n},JYCK,{'SHIPPED' if ln == 1 else ''},SHOPEE,S1,O{n},{n}-{ln},SKU-{ln},{ln},LOT-1,WH1,"
            f"2026-03-{1 + n % 28:02d}T08:00:00+08:00,,{10 * ln},r{n}"
            for ln in range(1, lines + 1)]


def _interleaved(records: list[list[str]], order: list[int]) -> list[str]:
    """The rows of ``records`` taken record by record as ``order`` names them (each record's rows in their
    order): ``order`` holds each record's index once per row of it."""
    at = [0] * len(records)
    rows = []
    for index in order:
        rows.append(records[index][at[index]])
        at[index] += 1
    return rows


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _counts(summary) -> tuple:
    return (summary.status, summary.rows_read, summary.rows_rejected, summary.created, summary.updated,
            summary.unchanged, dict(summary.problem_counts))


def _import_both(engine, kind: str, together: Path, spread: Path, **options) -> tuple[tuple, tuple]:
    """(counts, snapshot) of ``together`` and of ``spread``, each imported into the empty database (for the
    owner LUMINA unless ``options`` name another, or None: each row's owner read from it)."""
    results = []
    for path in (together, spread):
        _clear(engine)
        summary = import_file(engine, kind, path, **{"owner_id": "LUMINA", **options})
        results.append((_counts(summary), _snapshot(engine)))
    return results[0], results[1]


# -- the defect as found: a receipt's lines before and after another receipt's --------------------------

@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 10_000])
def test_a_receipt_whose_lines_come_before_and_after_another_is_stored_whole(engine, tmp_path: Path, bulk: bool,
                                                                            chunk_rows: int) -> None:
    """ASN-1 lines 1-3, ASN-2, ASN-1 line 4: one receipt of four lines, as from the file in receipt order,
    and importing the other order next finds both receipts unchanged (no new row, no reject)."""
    one, two = _receipt(1, 4), _receipt(2, 2)
    together = _write(tmp_path / "together.csv", INBOUND_HEADER, [*one, *two])
    spread = _write(tmp_path / "spread.csv", INBOUND_HEADER, [*one[:3], *two, one[3]])
    (counts, stored), (spread_counts, spread_stored) = _import_both(engine, "inbound", together, spread,
                                                                    chunk_rows=chunk_rows, bulk=bulk)
    assert spread_counts == counts and counts[0] == "COMPLETED" and counts[3] == 2
    assert spread_stored == stored
    assert [dict(line)["line_no"] for key, line in stored["warehouse_receipt_lines"]
            if key == ("LUMINA", "WH1", "ASN-1")] == [1, 2, 3, 4]
    again = import_file(engine, "inbound", together, owner_id="LUMINA", chunk_rows=chunk_rows, bulk=bulk)
    assert (again.status, again.created, again.updated, again.unchanged, again.rows_rejected) == (
        "COMPLETED", 0, 0, 2, 0)
    assert _snapshot(engine) == spread_stored


def test_the_same_line_number_twice_in_a_spread_receipt_is_a_clear_reject(engine, tmp_path: Path) -> None:
    """Line 2 of ASN-1 at the top and again, with other content, at the end: ``duplicate_line_no`` naming
    the file, the later row and the line it repeats; the receipt is stored with its other lines."""
    one = _receipt(1, 3)
    clash = one[1].replace(",SKU-", ",OTHER-SKU-")
    path = _write(tmp_path / "clash.csv", INBOUND_HEADER, [*one, *_receipt(2, 2), clash])
    summary = import_file(engine, "inbound", path, owner_id="LUMINA")
    assert (summary.status, summary.created, summary.rows_rejected) == ("COMPLETED_WITH_REJECTS", 2, 1)
    assert dict(summary.problem_counts) == {"duplicate_line_no": 1}
    with session_factory(engine)() as session:
        rejects = session.execute(select(ImportRejectRow.line, ImportRejectRow.code, ImportRejectRow.reason,
                                         ImportRejectRow.value)).all()
    assert rejects == [(7, "duplicate_line_no", "line_no 2 repeats line 3", "2")]


def test_spread_outbounds_through_the_cli_store_what_the_file_in_order_stores(engine, tmp_path: Path) -> None:
    """``aggregator import outbound`` of a file sorted by SKU (every outbound's lines apart) and of the same
    file in outbound order: the same stored shipments and lines; each re-import of the other finds them
    unchanged."""
    records = [_shipment(n, 1 + n % 3) for n in range(1, 12)]
    together = [row for record in records for row in record]
    by_sku = sorted(together, key=lambda row: row.split(",")[7])
    url = engine.url.render_as_string(hide_password=False)
    base = ["--database-url", url, "--data-dir", str(tmp_path / "data")]

    def run(name: str, rows: list[str]):
        result = CliRunner().invoke(cli, [*base, "import", "outbound", str(_write(tmp_path / name, OUTBOUND_HEADER, rows)),
                                          "--owner", "LUMINA", "--chunk-rows", "4"])
        assert result.exit_code == 0, result.output
        return result.output

    stored = []
    for first, second in (("together.csv", "by_sku.csv"), ("by_sku.csv", "together.csv")):
        _clear(engine)
        assert "11 new" in run(first, together if first == "together.csv" else by_sku)
        stored.append(_snapshot(engine))
        assert "11 unchanged" in run(second, by_sku if first == "together.csv" else together)
        assert _snapshot(engine) == stored[-1]
    assert stored[0] == stored[1]


# -- property: any interleaving of valid records stores the same ----------------------------------------

@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(1, 5), min_size=1, max_size=6), numbered=st.booleans(),
       kind=st.sampled_from(["inbound", "outbound"]), chunk_rows=st.sampled_from([1, 2, 3, 7, 10_000]),
       bulk=st.booleans(), seed=st.randoms(use_true_random=False))
def test_interleaving_the_records_of_a_valid_file_stores_the_same(engine, tmp_path_factory, sizes: list[int],
                                                                 numbered: bool, kind: str, chunk_rows: int,
                                                                 bulk: bool, seed: random.Random) -> None:
    """The rows of a valid file's records in any interleaving (each record's rows in their order): the
    same rows, lines, audit entries and counts as the file in record order."""
    tmp_path = tmp_path_factory.mktemp("interleaved")
    if kind == "inbound":
        header, records = INBOUND_HEADER, [_receipt(n, size, numbered) for n, size in enumerate(sizes, 1)]
    else:
        header, records = OUTBOUND_HEADER, [_shipment(n, size) for n, size in enumerate(sizes, 1)]
    order = [index for index, record in enumerate(records) for _ in record]
    seed.shuffle(order)
    together = _write(tmp_path / "together.csv", header, [row for record in records for row in record])
    spread = _write(tmp_path / "spread.csv", header, _interleaved(records, order))
    (counts, stored), (spread_counts, spread_stored) = _import_both(engine, kind, together, spread,
                                                                    chunk_rows=chunk_rows, bulk=bulk)
    assert counts[0] == "COMPLETED" and counts[3] == len(records)
    assert spread_counts == counts
    assert spread_stored == stored


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(1, 5), min_size=1, max_size=6), chunk_rows=st.sampled_from([5, 10_000]),
       bulk=st.booleans(), seed=st.randoms(use_true_random=False))
def test_shuffling_a_valid_receipt_file_stores_the_same_receipts(engine, tmp_path_factory, sizes: list[int],
                                                                 chunk_rows: int, bulk: bool,
                                                                 seed: random.Random) -> None:
    """Every row of a receipt file with numbered lines in any order: the same receipts and lines (the
    content hash covers the rows in their order); the file in receipt order imported next finds every
    receipt unchanged, with no new row and no reject."""
    tmp_path = tmp_path_factory.mktemp("shuffled")
    records = [_receipt(n, size) for n, size in enumerate(sizes, 1)]
    rows = [row for record in records for row in record]
    shuffled = list(rows)
    seed.shuffle(shuffled)
    together = _write(tmp_path / "together.csv", INBOUND_HEADER, rows)
    spread = _write(tmp_path / "spread.csv", INBOUND_HEADER, shuffled)
    (counts, stored), (spread_counts, spread_stored) = _import_both(engine, "inbound", together, spread,
                                                                    chunk_rows=chunk_rows, bulk=bulk)
    assert spread_counts == counts and counts[:4] == ("COMPLETED", len(rows), 0, len(records))

    def records_of(snapshot: dict) -> tuple:
        return ([tuple(item for item in row if item[0] != "content_hash") for row in snapshot["warehouse_receipts"]],
                snapshot["warehouse_receipt_lines"])

    assert records_of(spread_stored) == records_of(stored)
    # (another file even when the shuffle left the rows in order: a blank line at its end, skipped)
    together.write_text(together.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = import_file(engine, "inbound", together, owner_id="LUMINA", chunk_rows=chunk_rows, bulk=bulk)
    assert (again.status, again.created, again.updated, again.unchanged, again.rows_rejected) == (
        "COMPLETED", 0, 0, len(records), 0)
    after = _snapshot(engine)
    assert records_of(after) == records_of(stored)
    assert after["rejects"] == [] and len(after["audit"]) == len(spread_stored["audit"])


# -- the rows held until the end -----------------------------------------------------------------------

@given(keys=st.lists(st.sampled_from(["A", "B", "C", "D"]), max_size=40))
def test_rows_set_aside_come_back_a_record_at_a_time_in_file_order(keys: list[str]) -> None:
    """Each record's rows together in file order, records in the order of their first rows."""
    held = SetAside()
    try:
        for at in range(0, len(keys), 7):  # (handed over a chunk at a time)
            held.add([(("O", key), "O", CanonicalRow(line, {"k": key, "n": str(line)}))
                      for line, key in enumerate(keys[at:at + 7], at + 2)])
        back = [(owner, row.line, row.values) for owner, row in held.rows()]
    finally:
        held.close()
    firsts = list(dict.fromkeys(keys))
    expected = [("O", line, {"k": key, "n": str(line)})
                for record in firsts for line, key in enumerate(keys, 2) if key == record]
    assert back == expected


# -- finding the spread records before the import -------------------------------------------------------

def _reference(path: Path, kind: str) -> set[int]:
    """``scattered_keys`` the plain way: every row read by the import's reader, keyed by the per-row mapper."""
    from platform_adapters.profiles import KINDS, guess_kind, standard_profile
    from platform_adapters.tabular import open_table
    from platform_adapters.tabular.columns import ColumnMap

    from aggregator.ingest.registry import TABULAR

    profile, spec = standard_profile(kind), KINDS[kind]
    reader = open_table(path, profile.layout)
    columns = ColumnMap.build(reader.header, known=spec.all_columns, required=spec.required, mapping=profile.columns,
                              defaults=profile.defaults, location=path.name, guess=guess_kind)
    mapper = TABULAR[kind].mapper
    owners = [name for name in mapper.OWNER_COLUMNS if name in columns.indexes and name not in mapper.KEY_COLUMNS]
    runs: list = []
    for _, cells in reader.row_chunks():
        for row in cells:
            values = columns.row(row)
            # (the owner cells as written, a blank one its column's default)
            raw = tuple(row[columns.indexes[name]] if columns.indexes[name] < len(row) else "" for name in owners)
            identity = (mapper.record_key(values, ""),
                        *(cell if cell.strip() else columns.defaults.get(name, cell) for name, cell in zip(owners, raw)))
            if not runs or identity != runs[-1]:
                runs.append(identity)
    starts = [hash(identity[0]) for identity in runs if identity[0] is not None]
    return {digest for digest in starts if starts.count(digest) > 1}


def _found(path: Path, kind: str) -> set[int]:
    from platform_adapters.profiles import KINDS, guess_kind, standard_profile
    from platform_adapters.tabular import open_table
    from platform_adapters.tabular.columns import ColumnMap

    from aggregator.ingest.registry import TABULAR
    from aggregator.ingest.scattered import record_keys_of, scattered_keys

    profile, spec = standard_profile(kind), KINDS[kind]
    reader = open_table(path, profile.layout)
    columns = ColumnMap.build(reader.header, known=spec.all_columns, required=spec.required,
                              mapping=profile.columns, defaults=profile.defaults, location=path.name, guess=guess_kind)
    reader.close()
    handler = TABULAR[kind]
    return scattered_keys(path, profile.layout, reader.header_line, len(reader.header), columns,
                          handler.mapper.KEY_COLUMNS, handler.mapper.OWNER_COLUMNS,
                          record_keys_of(handler.mapper, handler.columnar and handler.columnar.mapper), 3)


_ASN = st.sampled_from(["ASN-1", " ASN-1", "ＡＳＮ－１", "ASN-2", "ASN-2 ", "ASN-3", "A,S\"N", "多 ASN", ""])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.tuples(_ASN, st.sampled_from(["WH1", " WH1", "WH2", ""]),
                               st.sampled_from(["LMN", "LMN", " LMN", "TRP", ""])), max_size=25),
       quote=st.booleans(), misfit=st.booleans())
def test_the_records_found_spread_are_those_the_rows_read_one_by_one_show(tmp_path_factory, keys, quote: bool,
                                                                         misfit: bool) -> None:
    """Keys written several ways (padded, full-width, quoted, holding a delimiter or a quote, blank), a
    row not as wide as the header, owner codes changing within a key's rows: the same spread keys as the
    rows read by the csv module show."""
    import csv

    path = tmp_path_factory.mktemp("keys") / "keys.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL)
        writer.writerow(["asn_no", "warehouse_code", "owner_code", "sku", "planned_qty"])
        for i, (asn, warehouse, owner) in enumerate(keys):
            writer.writerow([asn, warehouse, owner, f"SKU-{i}", "1", *(["x"] if misfit and i == 3 else [])])
    assert _found(path, "inbound") == _reference(path, "inbound")


_DOC = st.sampled_from(["ZCRU260301234", " zcru-2603 01234 ", "ＺＣＲＵ２６０３０１２３４", "SZXFWD2603001",
                        "szxfwd 2603001", "618-50123452", "K1-0001", "k1 0001", "A,B\"C", ""])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.tuples(_DOC, st.sampled_from(["Lumina Commerce (M) Sdn Bhd", " Lumina Commerce (M) Sdn Bhd",
                                                      "TO ORDER", "Tropika Living Sdn Bhd", ""]),
                               st.sampled_from(["MASTER", "HOUSE", ""]), st.sampled_from(["MY", " my", "SG", ""])),
                     max_size=25),
       kind=st.sampled_from(["bl", "customs"]), quote=st.booleans(), misfit=st.booleans())
def test_the_documents_found_spread_are_those_the_rows_read_one_by_one_show(tmp_path_factory, keys, kind: str,
                                                                           quote: bool, misfit: bool) -> None:
    """Bills of lading and declarations (kinds keyed by their per-row ``record_key``, no columnar mapper):
    numbers written several ways, owners' names and levels changing within a number's rows, a row not as
    wide as the header: the same spread keys as the rows read by the csv module show."""
    import csv

    path = tmp_path_factory.mktemp("documents") / "keys.csv"
    header = (["doc_number", "consignee", "doc_level", "description_of_goods"] if kind == "bl" else
              ["declaration_no", "importer_of_record", "customs_agent", "country", "description"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL)
        writer.writerow(header)
        for i, (number, owner, level, country) in enumerate(keys):
            cells = [number, owner, level] if kind == "bl" else [number, owner, level, country]
            writer.writerow([*cells, f"GOODS {i}", *(["x"] if misfit and i == 3 else [])])
    assert _found(path, kind) == _reference(path, kind)


@pytest.mark.parametrize("form", ["quoted", "gbk", "xlsx", "misshapen", "preamble"])
def test_a_spread_receipt_in_any_form_of_file_is_stored_whole(engine, tmp_path: Path, form: str) -> None:
    """Read by the csv module (quoted cells, GBK, a row cut short), from a workbook, or past a report's
    title lines (``header_row`` 4: the pre-read starts where the import's reader found the header): ASN-1's
    four lines around ASN-2's stored as one receipt, nothing flagged but the row cut short."""
    one, two = _receipt(1, 4), _receipt(2, 2)
    rows = [*one[:3], *two, one[3]]
    options: dict = {}
    if form == "quoted":
        rows = [f'"{row.replace(",", chr(34) + "," + chr(34))}"' for row in rows]
    if form == "misshapen":
        rows.insert(2, "ASN-9,IC9")
    path = _write(tmp_path / "spread.csv", INBOUND_HEADER, rows)
    if form == "preamble":
        from dataclasses import replace

        from platform_adapters.profiles import standard_profile

        path.write_text("Inbound report,,\n\"Warehouse WH1,\nall owners\",\n" + path.read_text(encoding="utf-8"),
                        encoding="utf-8")
        profile = standard_profile("inbound")
        options["profile"] = replace(profile, header_row=4)
    if form == "gbk":
        path.write_bytes(path.read_text(encoding="utf-8").replace("r1-1", "收货").encode("gbk"))
        options["encoding"] = "gbk"
    if form == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        for row in [INBOUND_HEADER, *rows]:
            book.active.append(row.split(","))
        path = tmp_path / "spread.xlsx"
        book.save(path)
    summary = import_file(engine, "inbound", path, owner_id="LUMINA", **options)
    assert (summary.created, summary.updated) == (2, 0)
    assert dict(summary.problem_counts) == ({"short_row": 1} if form == "misshapen" else {})
    lines = _snapshot(engine)["warehouse_receipt_lines"]
    assert [dict(line)["line_no"] for key, line in lines if key == ("LUMINA", "WH1", "ASN-1")] == [1, 2, 3, 4]
