"""A forwarder's bill-of-lading report or a broker's customs-entry file whose rows for one document are
spread over it — sorted by container, by HS code, by date, as real exports are — stores what the same
file with each document's rows together stores: the same headers, lines, containers, references, audit
entries and counts, no ``rows_not_contiguous`` warning and nothing counted ``updated``; also when two
owners' documents share a number, and for master bills consigned to the forwarder's agent (stored for
the owners of their houses in a second pass); on SQLite and PostgreSQL, both write paths, any chunk size.

The rows are shaped as the shared samples' (``../shared/samples/forwarder_bl.csv``,
``customs_entry_my_k1.csv``): a BL row is one document x container x goods line and names no SKU; a
customs row is one declaration line with its HS code and states its line number.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest import import_file
from platform_adapters.canonical.identifiers import iso6346_check_digit
from platform_adapters.sandbox.logistics import BL_COLUMNS, CUSTOMS_COLUMNS
from tests.ingest.test_import_paths import _clear, _snapshot
from tests.ingest.test_import_scattered import _counts, _import_both, _interleaved
from tests.ingest.test_import_scattered import _write as _write_rows

LUMINA, TROPIKA = "Lumina Commerce (M) Sdn Bhd", "Tropika Living Sdn Bhd"
AGENT = "SZX Freight Forwarding (M) Sdn Bhd (destination agent)"
#: (description, HS code) of goods as forwarders and brokers write them
GOODS = [("WIRELESS EARBUDS BT5.3 WITH CHARGING CASE", "851830"), ("LED DESK LAMP USB-C DIMMABLE", "940521"),
         ("SILICONE PHONE CASES ASSORTED MODELS", "392690"), ("STAINLESS STEEL VACUUM FLASKS 500ML", "961700"),
         ("USB-C CHARGING CABLES 1M BRAIDED", "854442"), ("BAMBOO CUTTING BOARDS SET OF 3", "441990")]


def _owners(engine) -> None:
    """The importing entities as the files name them: legal names (BL consignee, importer of record) and
    Malaysian registration numbers."""
    from aggregator.owners.aliases import add_alias
    from aggregator.store.db import session_scope

    with session_scope(engine) as session:
        for owner, name, registration in (("LUMINA", LUMINA, "BRN-201901012345"),
                                          ("TROPIKA", TROPIKA, "BRN-201801054321")):
            add_alias(session, owner, "legal_name", name, None)
            add_alias(session, owner, "registration_no", registration, "MY")


def _container(n: int, c: int) -> str:
    first = f"{('TCLU', 'SEGU', 'MSKU')[(n + c) % 3]}{(n * 7919 + c * 104729) % 1_000_000:06d}"
    return first + str(iso6346_check_digit(first))


def _line(columns: list[str], **cells: str) -> str:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([cells.get(name, "") for name in columns])
    return buffer.getvalue()


def bl_document(n: int, containers: int, goods: int, *, consignee: str = LUMINA, number: str | None = None,
                level: str = "MASTER", master: str = "") -> list[str]:
    """Bill ``n``'s rows: each of its ``containers`` with ``goods`` lines (no SKU), document order."""
    doc = number or f"ZCRU26{n:07d}"
    rows = []
    for c in range(containers):
        container = _container(n, c)
        for g in range(goods):
            description, hs = GOODS[(n + c + g) % len(GOODS)]
            rows.append(_line(
                BL_COLUMNS, record_type="OCEAN", doc_level=level, doc_number=doc, master_doc_number=master,
                doc_type="BOL", is_to_order="false", is_electronic="false", release_type="TELEX_RELEASE",
                carrier_scac="ZCRU", carrier_booking_ref=f"ZCRB{n:07d}", shipper="Shenzhen Brightway Electronics Co. Ltd.",
                consignee=consignee, notify_party=consignee, place_of_receipt="CNSZX", port_of_loading="CNYTN",
                port_of_discharge="MYPKG", place_of_delivery="MYPKG", vessel_or_flight="ZC HARMONY", voyage="2609W",
                etd=f"2026-03-{1 + n % 20:02d}", shipped_on_board_date=f"2026-03-{2 + n % 20:02d}",
                eta=f"2026-03-{9 + n % 20:02d}", container_no=container, iso_equipment_code="42G1",
                seal_no=f"ZC{n:05d}{c}", seal_source="CAR", packages=str(10 * (g + 1) + c), package_code="CT",
                gross_weight_kg=f"{100 * (g + 1) + n}.500", volume_cbm=f"{g + 1}.{c}00", description_of_goods=description,
                hs_code=hs, po_number=f"PO-{n:04d}", incoterm="FOB", incoterm_place="Yantian", freight_term="COL"))
    return rows


def customs_entry(n: int, lines: int, *, importer: str = LUMINA, registration: str = "BRN-201901012345",
                  number: str | None = None) -> list[str]:
    """Declaration ``n``'s rows, one per line (its number stated), declaration order."""
    rows = []
    for ln in range(1, lines + 1):
        description, hs = GOODS[(n + ln) % len(GOODS)]
        value = 1000 * ln + n
        rows.append(_line(
            CUSTOMS_COLUMNS, country="MY", regime="IMPORT_FOR_HOME_CONSUMPTION", form="K1",
            declaration_no=number or f"K1-2026-{n:06d}", declaration_type="IMPORT",
            submitted_at=f"2026-03-{1 + n % 20:02d}T15:00:00+08:00", released_at=f"2026-03-{3 + n % 20:02d}T10:50:00+08:00",
            status="RELEASED", importer_of_record=importer, importer_registration_no=registration,
            customs_agent="PK Customs Brokerage", mbl_no=f"ZCRU26{n:07d}", container_no=_container(n, 0),
            vessel_or_flight="ZC HARMONY 2609W", port_of_discharge="MYPKG", arrival_date=f"2026-03-{9 + n % 20:02d}",
            line_no=str(ln), hs_code=hs, description=description, origin_country="CN", qty=str(100 * ln), uom="PCE",
            valuation_basis="CIF", invoice_currency="USD", invoice_value=f"{value}.00", fx_rate_to_myr="4.4000",
            customs_value_myr=f"{value * 44 / 10:.2f}", import_duty_rate="0.00", import_duty_myr="0.00",
            sales_tax_rate="0.10", sales_tax_myr=f"{value * 44 / 100:.2f}", preference_scheme="ACFTA",
            preference_doc_no=f"FORM-E-{n}", po_number=f"PO-{n:04d}", sku_group=f"LMN-{hs}-*"))
    return rows


HEADERS = {"bl": ",".join(BL_COLUMNS), "customs": ",".join(CUSTOMS_COLUMNS)}
COLUMNS = {"bl": BL_COLUMNS, "customs": CUSTOMS_COLUMNS}
NUMBER = {"bl": "doc_number", "customs": "declaration_no"}


def _cell(row: str, kind: str, name: str) -> str:
    import csv

    return next(csv.reader([row]))[COLUMNS[kind].index(name)]


def _write(path: Path, kind: str, rows: list[str]) -> Path:
    return _write_rows(path, HEADERS[kind], rows)


def _whole(counts: tuple, rows: list[str], records: list[list[str]], chunk_rows: int) -> None:
    """Every row stored, nothing flagged, each record new once (a record longer than a chunk is written in
    parts, each part after the first counted updated: README, "Status and known limits")."""
    assert counts[:3] == ("COMPLETED", len(rows), 0) and counts[3] == len(records) and counts[5:] == (0, {})
    if chunk_rows >= max(map(len, records)):
        assert counts[4] == 0


def _regrouped(rows: list[str], kind: str) -> list[str]:
    """``rows`` with each document's rows together (in their order; documents in the order of their first
    rows): the file a sorted export stands for. (A bill's lines are numbered in the order of its rows.)"""
    documents: dict[str, list[str]] = {}
    for row in rows:
        documents.setdefault(_cell(row, kind, NUMBER[kind]), []).append(row)
    return [row for document in documents.values() for row in document]


# -- exports sorted as real ones are ---------------------------------------------------------------------

#: kind → (its documents, two owners' alternately, and the column its export is sorted by)
SORTED_EXPORTS = {
    "bl": (lambda: [bl_document(n, 2 + n % 2, 1 + n % 3, consignee=(LUMINA, TROPIKA)[n % 2]) for n in range(1, 7)],
           "container_no"),
    "customs": (lambda: [customs_entry(n, 2 + n % 3, importer=(LUMINA, TROPIKA)[n % 2],
                                       registration=("BRN-201901012345", "BRN-201801054321")[n % 2])
                         for n in range(1, 8)], "hs_code"),
}


@pytest.mark.parametrize("kind", sorted(SORTED_EXPORTS))
@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("chunk_rows", [1, 3, 10_000])
def test_an_export_sorted_as_real_ones_are_stores_what_the_export_in_document_order_stores(
        engine, tmp_path: Path, kind: str, bulk: bool, chunk_rows: int) -> None:
    """A forwarder's report listing its rows by container (every bill of two or three containers has its
    rows apart), a broker's declaration lines sorted by tariff code (each entry's lines apart): the same
    documents, lines, containers, references and audit entries as the file with each document's rows
    together, nothing flagged or updated; that file imported next finds every document unchanged."""
    _owners(engine)
    documents, column = SORTED_EXPORTS[kind]
    records = documents()
    rows = sorted((row for record in records for row in record), key=lambda row: _cell(row, kind, column))
    spread = _write(tmp_path / f"{kind}_by_{column}.csv", kind, rows)
    together = _write(tmp_path / f"{kind}.csv", kind, _regrouped(rows, kind))
    (counts, stored), (spread_counts, spread_stored) = _import_both(engine, kind, together, spread, owner_id=None,
                                                                    chunk_rows=chunk_rows, bulk=bulk)
    assert spread_counts == counts
    assert spread_stored == stored
    _whole(counts, rows, records, chunk_rows)
    lines = stored["transport_document_lines" if kind == "bl" else "customs_entry_lines"]
    assert len(lines) == len(rows) and {key[0] for key, _ in lines} == {"LUMINA", "TROPIKA"}
    if chunk_rows >= len(rows):  # (a record longer than a chunk is written in parts: its re-import is left to them)
        again = import_file(engine, kind, together, chunk_rows=chunk_rows, bulk=bulk)
        assert _counts(again) == ("COMPLETED", len(rows), 0, 0, 0, len(records), {})
        assert _snapshot(engine) == spread_stored


def test_a_line_number_given_twice_in_a_spread_entry_is_a_clear_reject(engine, tmp_path: Path) -> None:
    """Line 2 of an entry at the top and, with other content, again at the end of a file sorted by HS
    code: ``duplicate_line_no`` naming the later row and the line it repeats, as in the file in entry
    order; the entry is stored with its other lines, nothing merged or updated."""
    _owners(engine)
    one, two = customs_entry(1, 3), customs_entry(2, 2)
    clash = one[1].replace(",PCE,", ",KGM,")
    spread = _write(tmp_path / "clash.csv", "customs", [one[0], *two, one[1], one[2], clash])
    summary = import_file(engine, "customs", spread)
    assert _counts(summary) == ("COMPLETED_WITH_REJECTS", 6, 1, 2, 0, 0, {"duplicate_line_no": 1})
    assert [dict(reject)["line"] for reject in _snapshot(engine)["rejects"]] == [7]


# -- two owners, one number ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["bl", "customs"])
@pytest.mark.parametrize("bulk", [True, False])
def test_two_owners_documents_of_one_number_interleaved_are_each_stored_whole(engine, tmp_path: Path, kind: str,
                                                                             bulk: bool) -> None:
    """Two consignees' house bills (two importers' declarations) of one number, their rows interleaved:
    each owner's document stored whole, as from the file with each one's rows together; the rows
    interleaved another way re-imported find both unchanged."""
    _owners(engine)
    if kind == "bl":
        lumina = bl_document(1, 2, 2, number="SZXFWD2603001", level="HOUSE", master="ZCRU2600000009")
        tropika = bl_document(2, 1, 3, consignee=TROPIKA, number="SZXFWD2603001", level="HOUSE",
                              master="ZCRU2600000009")
    else:
        lumina = customs_entry(1, 3, number="K1-2026-000077")
        tropika = customs_entry(2, 2, importer=TROPIKA, registration="BRN-201801054321", number="K1-2026-000077")
    together = _write(tmp_path / "together.csv", kind, [*lumina, *tropika])
    spread = _write(tmp_path / "spread.csv", kind, [lumina[0], tropika[0], *lumina[1:3], *tropika[1:], *lumina[3:]])
    (counts, stored), (spread_counts, spread_stored) = _import_both(engine, kind, together, spread, owner_id=None,
                                                                    bulk=bulk)
    assert counts == ("COMPLETED", 5 if kind == "customs" else 7, 0, 2, 0, 0, {})
    assert spread_counts == counts
    assert spread_stored == stored
    # (each document's rows in their order: a bill's lines are numbered by it)
    alternate = [1, 0] * min(len(lumina), len(tropika)) + [0] * (len(lumina) - len(tropika)) \
        + [1] * (len(tropika) - len(lumina))
    other = _write(tmp_path / "other.csv", kind, _interleaved([lumina, tropika], alternate))
    again = import_file(engine, kind, other, bulk=bulk)
    assert (again.status, again.created, again.updated, again.unchanged, again.rows_rejected,
            dict(again.problem_counts)) == ("COMPLETED", 0, 0, 2, 0, {})


# -- master bills consigned to the forwarder's agent ----------------------------------------------------

@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("chunk_rows", [2, 10_000])
def test_master_bills_of_the_agent_spread_over_the_report_are_stored_whole_for_their_houses_owners(
        engine, tmp_path: Path, bulk: bool, chunk_rows: int) -> None:
    """Two consolidation masters consigned to the destination agent (their owners: those of their house
    bills, found in the second pass), the report sorted by container so each master's rows lie apart and
    among the other's: each master stored whole for each owner of its houses, as from the report in bill
    order."""
    _owners(engine)
    masters = [bl_document(n, 2, 1, consignee=AGENT) for n in (8, 9)]
    houses = [bl_document(10 + n, 1, 2, consignee=owner, level="HOUSE", master=f"ZCRU26{m:07d}")
              for n, (m, owner) in enumerate([(8, LUMINA), (8, TROPIKA), (9, LUMINA)])]
    records = [*masters, *houses]
    rows = [row for record in records for row in record]
    together = _write(tmp_path / "bl.csv", "bl", rows)
    # (the masters' rows in turn, the houses' between them, the first house's rows apart too)
    spread = _write(tmp_path / "bl_spread.csv", "bl", [masters[0][0], houses[0][0], masters[1][0], houses[0][1],
                                                       masters[0][1], *houses[1], masters[1][1], *houses[2]])
    (counts, stored), (spread_counts, spread_stored) = _import_both(engine, "bl", together, spread, owner_id=None,
                                                                    chunk_rows=chunk_rows, bulk=bulk)
    assert spread_counts == counts
    assert counts[:4] == ("COMPLETED", len(rows), 0, 6) and counts[5:] == (0, {})  # (master 8 for two owners)
    if chunk_rows >= 2:
        assert counts[4] == 0
    assert spread_stored == stored


# -- property: any interleaving stores the same ---------------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(sizes=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=5),
       kind=st.sampled_from(["bl", "customs"]), named=st.booleans(), chunk_rows=st.sampled_from([1, 2, 5, 10_000]),
       bulk=st.booleans(), seed=st.randoms(use_true_random=False))
def test_interleaving_the_documents_of_a_valid_file_stores_the_same(engine, tmp_path_factory, sizes, kind: str,
                                                                   named: bool, chunk_rows: int, bulk: bool,
                                                                   seed: random.Random) -> None:
    """The rows of valid bills or declarations, two owners' alternately, in any interleaving (each
    document's rows in their order), imported with ``--owner`` or each row's owner read from it: the same
    rows, lines, audit entries and counts as the file in document order."""
    tmp_path = tmp_path_factory.mktemp("documents")
    _clear(engine)
    _owners(engine)
    if kind == "bl":
        records = [bl_document(n, containers, goods, consignee=(LUMINA, TROPIKA)[n % 2] if not named else LUMINA)
                   for n, (containers, goods) in enumerate(sizes, 1)]
    else:
        records = [customs_entry(n, containers * goods) if n % 2 or named else
                   customs_entry(n, containers * goods, importer=TROPIKA, registration="BRN-201801054321")
                   for n, (containers, goods) in enumerate(sizes, 1)]
    order = [index for index, record in enumerate(records) for _ in record]
    seed.shuffle(order)
    together = _write(tmp_path / "together.csv", kind, [row for record in records for row in record])
    spread = _write(tmp_path / "spread.csv", kind, _interleaved(records, order))
    (counts, stored), (spread_counts, spread_stored) = _import_both(
        engine, kind, together, spread, chunk_rows=chunk_rows, bulk=bulk, owner_id="LUMINA" if named else None)
    assert spread_counts == counts
    _whole(counts, [row for record in records for row in record], records, chunk_rows)
    assert spread_stored == stored
