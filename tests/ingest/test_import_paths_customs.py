"""The column-wise path of a customs declaration import stores exactly what the per-record path stores.

Each file is imported twice into the same empty database (``test_import_paths._both_paths``): once the
column-wise way (``platform_adapters.customs.customs_columns``), once with ``bulk=False``; every row, reject,
audit entry and count is compared. A clean file and its next day's cumulative export go the fast way only.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest import import_file
from tests.ingest.test_import_paths import BAD_CONTAINER, CONTAINER, _aliases_once, _both_paths, _csv, _refuse_the_per_record_path

HEADER = ["country", "declaration_no", "importer_registration_no", "importer_of_record", "status", "mbl_no", "hbl_no",
          "awb_no", "container_no", "port_of_discharge", "submitted_at", "arrival_date", "line_no", "hs_code",
          "description", "qty", "invoice_currency", "invoice_value", "customs_value_myr", "import_duty_myr",
          "sales_tax_myr", "sales_tax_rate", "local_currency"]


def _line(number: int, line: int, **cells: str) -> dict[str, str]:
    """Line ``line`` of a clean Malaysian declaration ``K1-<number>`` of LUMINA's (its registration number)."""
    row = {"country": "MY", "declaration_no": f"K1-{number:04d}", "importer_registration_no": "BRN-LMN",
           "importer_of_record": "", "status": "RELEASED", "mbl_no": f"ZCRU{number:06d}", "hbl_no": "", "awb_no": "",
           "container_no": CONTAINER if number % 2 else "", "port_of_discharge": "MYPKG",
           "submitted_at": f"2026-03-{1 + number % 20:02d}T15:00:00+08:00", "arrival_date": "2026-03-09",
           "line_no": str(line), "hs_code": "851830", "description": f"GOODS {line}", "qty": str(10 * line),
           "invoice_currency": "USD", "invoice_value": f"{100 * line}.00", "customs_value_myr": f"{440 * line}.00",
           "import_duty_myr": "0.00", "sales_tax_myr": f"{44 * line}.00", "sales_tax_rate": "0.10", "local_currency": ""}
    row.update(cells)
    return row


def _entries(numbers, lines: int = 2) -> list[dict[str, str]]:
    return [_line(n, ln) for n in numbers for ln in range(1, lines + 1)]


def _owners(engine) -> None:
    _aliases_once(engine, [("LUMINA", "registration_no", "BRN-LMN", "MY"), ("TROPIKA", "registration_no", "BRN-TRP", "MY"),
                           ("LUMINA", "legal_name", "Lumina Commerce (M) Sdn Bhd", None)])


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    return _csv(path, HEADER, rows)


def _mixed() -> list[dict[str, str]]:
    """Clean declarations around every case the column-wise path hands to the per-row path, and the values it
    derives per entry (documents and containers named by its lines, a line without a local amount)."""
    return [
        *_entries(range(1, 5)),
        *[_line(5, ln, line_no="") for ln in range(1, 10)],  # longer than small chunks, numbered by place
        *_entries(range(6, 8), lines=1),
        _line(2, 9, description="late line of K1-0002"),
        *_entries(range(8, 10)),
        _entries(range(8, 10))[-1],  # an exact repeat of the row before
        _line(10, 1, qty="-3"), _line(10, 2, qty="1,200"),
        _line(11, 1, submitted_at="15/03/2026"),
        _line(12, 1, description="esc\x1b"),
        _line(13, 1, importer_registration_no="BRN-NOPE"),
        _line(14, 1, importer_registration_no=""),
        _line(15, 1, importer_registration_no="", importer_of_record="Lumina Commerce (M) Sdn Bhd"),
        *[_line(n, 1, importer_registration_no="BRN-TRP") for n in (16, 17)],
        _line(18, 1, container_no=BAD_CONTAINER),
        _line(19, 1, port_of_discharge="PORT KLANG"),
        *[_line(n, 1, country=country, importer_registration_no="", importer_of_record="Lumina Commerce (M) Sdn Bhd")
          for n, country in ((20, "MYS"), (21, ""))],  # (known by name: the registration number is the country's)
        _line(22, 1, invoice_currency=""), _line(23, 1, local_currency="MYRX"), _line(24, 1, customs_value_myr="abc"),
        _line(25, 1), _line(25, 2, line_no=""), _line(25, 3, line_no="2"),
        _line(26, 1, hs_code="8" * 20),
        # documents and containers differing between an entry's lines; a line stating no local amount
        _line(27, 1, hbl_no="SZXFWD1"), _line(27, 2, mbl_no="ZCRU999999", awb_no="618-50123452", container_no=CONTAINER),
        _line(27, 3, container_no="SEGU4812090", customs_value_myr="", import_duty_myr="", sales_tax_myr=""),
        *[_line(28, n, country="SG", importer_registration_no="", importer_of_record="Lumina Commerce (M) Sdn Bhd", **cells)
          for n, cells in ((1, {"local_currency": "sgd", "customs_value_myr": "", "import_duty_myr": "",
                                "sales_tax_myr": ""}), (2, {"local_currency": "SGD"}))],
        _line(29, 1, invoice_value="", invoice_currency="usd"),
        *_entries(range(30, 34), lines=3),
    ]


@pytest.mark.parametrize("chunk_rows", [1, 2, 4, 7, 10_000])
def test_the_columnar_path_stores_what_the_per_row_path_stores(engine, tmp_path: Path, chunk_rows: int) -> None:
    """Entries carried across chunks, written in parts, merged, rejected or attributed per row: the same rows,
    rejects, audit entries and counts whatever the chunk size."""
    _owners(engine)
    bulk, per_record, summary = _both_paths(engine, "customs", _write(tmp_path / "mixed_customs.csv", _mixed()),
                                            chunk_rows=chunk_rows)
    assert bulk == per_record
    assert summary[0] == "COMPLETED_WITH_REJECTS" and summary[3] > 20
    codes = {dict(r)["code"] for r in bulk["rejects"]}
    assert codes >= {"bad_quantity", "bad_datetime", "control_character", "duplicate_row", "owner_unknown",
                     "container_check_digit", "unlocode_pattern", "bad_country", "missing_value", "missing_currency",
                     "bad_currency", "bad_decimal", "duplicate_line_no", "too_long"}
    assert {dict(row)["owner_id"] for row in bulk["customs_entries"]} == {"LUMINA", "TROPIKA"}
    entries = {dict(row)["declaration_no"]: dict(row) for row in bulk["customs_entries"]}
    assert entries["K10027"]["transport_doc_refs"] == "MBL:ZCRU000027 HBL:SZXFWD1 MBL:ZCRU999999 AWB:61850123452"
    assert entries["K10027"]["container_nos"] == f"{CONTAINER} SEGU4812090"
    lines = {(key[2], dict(line)["line_no"]): dict(line) for key, line in bulk["customs_entry_lines"]}
    assert (lines[("K10027", 3)]["currency"], lines[("K10027", 3)]["customs_value"]) == ("MYR", None)
    assert lines[("K10028", 1)]["currency"] == "SGD" and lines[("K10029", 1)]["invoice_currency"] is None
    assert [lines[("K10005", n)]["description"] for n in (1, 9)] == ["GOODS 1", "GOODS 9"]


def test_a_clean_customs_file_and_its_cumulative_reimport_go_the_fast_way_only(engine, tmp_path: Path,
                                                                                monkeypatch) -> None:
    _owners(engine)
    _refuse_the_per_record_path(monkeypatch)
    day1 = _entries(range(1, 40), lines=3)
    first = import_file(engine, "customs", _write(tmp_path / "day1.csv", day1), chunk_rows=25)
    assert (first.status, first.created) == ("COMPLETED", 39)
    again = import_file(engine, "customs", _write(tmp_path / "day2.csv", [*day1, *_entries(range(40, 41))]),
                        chunk_rows=25)
    assert (again.status, again.created, again.updated, again.unchanged) == ("COMPLETED", 1, 0, 39)


# messy cells (the first two of each list are clean)
_MESSY = {
    "country": ["MY", "MY", "my", " MY ", "SG", "MYS", "", "Ｍ"],
    "declaration_no": ["K1-1", "K1-2", "k1 1", "Ｋ１－２", ""],
    "importer_registration_no": ["BRN-LMN", "BRN-TRP", "BRN-NOPE", "", " BRN-LMN "],
    "importer_of_record": ["", "", "Lumina Commerce (M) Sdn Bhd", "Somebody Else"],
    "mbl_no": ["ZCRU1", "", "zcru-1", "ＺＣＲＵ２"],
    "hbl_no": ["", "SZX1", "szx 1"],
    "container_no": ["", CONTAINER, "tclu 654321-4", BAD_CONTAINER],
    "port_of_discharge": ["MYPKG", "", "my pkg", "PORT KLANG", "MY1"],
    "submitted_at": ["2026-03-09T15:00:00+08:00", "", "2026-03-09 15:00", "09/03/2026", "2026-02-30T00:00:00Z"],
    "arrival_date": ["2026-03-09", "", "09/03/2026", "2026-03-09T10:00:00"],
    "line_no": ["", "1", "2", "１", "0", "-1", "1.0"],
    "hs_code": ["851830", "940521", "", "8" * 17],
    "description": ["GOODS", "", "  spaced   out ", "ctl\x07", "是"],
    "qty": ["10", "", "1,200", "-3", "x"],
    "invoice_currency": ["USD", "USD", "", "usd", "US", "ＵＳＤ"],
    "invoice_value": ["100.00", "", "1,029.50", "1e2", "NaN", "abc", "100.0"],
    "customs_value_myr": ["440.00", "", "440.0", "-1", "x"],
    "import_duty_myr": ["0.00", "", "0"],
    "sales_tax_myr": ["44.00", "", "44"],
    "sales_tax_rate": ["0.10", "", "10%"],
    "local_currency": ["", "", "MYR", "sgd", "MYRX", "12"],
}


@st.composite
def _messy_customs(draw) -> list[dict[str, str]]:
    """Rows of up to 8 declarations; about half drawn from clean cells only (each list's first two)."""
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        cells = {name: values[:2] for name, values in _MESSY.items()} if draw(st.booleans()) else _MESSY
        record = {name: draw(st.sampled_from(cells[name])) for name in
                  ("country", "declaration_no", "importer_registration_no", "importer_of_record", "submitted_at",
                   "arrival_date", "port_of_discharge")}
        for _ in range(draw(st.integers(1, 3))):
            row = {**{name: "" for name in HEADER}, **record}
            for name in ("mbl_no", "hbl_no", "container_no", "line_no", "hs_code", "description", "qty",
                         "invoice_currency", "invoice_value", "customs_value_myr", "import_duty_myr", "sales_tax_myr",
                         "sales_tax_rate", "local_currency"):
                row[name] = draw(st.sampled_from(cells[name]))
            if draw(st.integers(0, 9)) == 0:  # now and then a header cell differs on a later row
                name = draw(st.sampled_from(("country", "importer_registration_no", "submitted_at", "port_of_discharge")))
                row[name] = draw(st.sampled_from(_MESSY[name]))
            rows.append(row)
            if draw(st.integers(0, 14)) == 0:
                rows.append(dict(row))  # an exact repeat
    return rows


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=_messy_customs(), chunk_rows=st.sampled_from([1, 3, 10_000]))
def test_messy_declaration_lines_store_the_same_on_both_paths(engine, tmp_path_factory, rows, chunk_rows) -> None:
    """Arbitrary messy declaration lines (blank cells, odd dates, separators, bad amounts and currencies,
    unknown importers, repeated line numbers, repeats): the column-wise and the per-row path store the same
    rows, rejects, audit entries and counts; a row whose owner is unknown is rejected, never defaulted."""
    _owners(engine)
    bulk, per_record, _ = _both_paths(engine, "customs", _write(tmp_path_factory.mktemp("messy") / "customs.csv", rows),
                                      chunk_rows=chunk_rows)
    assert bulk == per_record
    assert {dict(row)["owner_id"] for row in bulk["customs_entries"]} <= {"LUMINA", "TROPIKA"}


def test_equal_amounts_written_with_other_exponents_are_stored_as_written_on_both_paths(engine, tmp_path: Path) -> None:
    """``440.0`` and ``440.00`` are equal numbers: the column-wise path, which parses each distinct text once,
    stores each cell's own amount, as the per-row path does."""
    _owners(engine)
    rows = [_line(n, 1, customs_value_myr=value) for n, value in enumerate(["440.00", "440.0", "440.00", "440"], 1)]
    bulk, per_record, _ = _both_paths(engine, "customs", _write(tmp_path / "customs.csv", rows))
    assert bulk == per_record
    assert sorted(dict(line)["customs_value"] for _, line in bulk["customs_entry_lines"]) == ["440", "440.0", "440.00",
                                                                                             "440.00"]
