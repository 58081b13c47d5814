"""Benchmark: rows/s importing a generated outbound (3PL fulfilment) CSV into SQLite and PostgreSQL,
next to a bare ``pandas.read_csv`` of the same file measured in the same run.

    .venv/bin/python bench/bench_import.py                 # 100k rows (default)
    .venv/bin/python bench/bench_import.py --rows 1000000  # the issue's figure
    .venv/bin/python bench/bench_import.py --skip-pg       # SQLite only
    .venv/bin/python bench/bench_import.py --pg-only       # PostgreSQL only (and the baseline)
    .venv/bin/python bench/bench_import.py --kind inbound  # a 3PL inbound (receipt) file instead
    .venv/bin/python bench/bench_import.py --kind stock    # a 3PL stock snapshot (one lot per row)
    .venv/bin/python bench/bench_import.py --kind bl --sorted  # a forwarder BL report sorted by container
    .venv/bin/python bench/bench_import.py --kind customs  # a broker's declaration lines (K1 layout)
    .venv/bin/python bench/bench_import.py --owners per-row  # each row's owner found from its shop (or alias)

PostgreSQL: ``--pg-url`` or ``AGGREGATOR_TEST_PG_URL`` (default postgresql://postgres@127.0.0.1:5432/test);
a scratch database is created and dropped for each run. The file is imported once into a scratch SQLite
database before anything is timed (its row shows what the first import in a process adds: one-time costs, as
the baseline's least of its runs leaves out pandas'). Each import is timed ``--repeat`` times (default 3),
each into a new database, and its row shows the run of the least wall, as the baseline is the least of as
many runs of ``read_csv`` (at least two); every run's wall and ratio, and the median ratio, are printed
after the table. The import is the real one (``aggregator.ingest.import_file``:
chunked column-wise read, profile, owner attribution, mapping, validation, batch insert with audit
log and lines), so the figure is end to end; pandas only parses text. It also re-imports the next day's
cumulative file (the same rows and one new record) on each database: what a 3PL's daily full export costs.

Beside each import, on each database and for every kind, the bench times the database's own work for the
very rows that import stored, the floor no import can go under (``floor.py``): every table the import
wrote rows into (the kind's header table, its child tables, the audit log and the file record), read back
in key order and inserted into a new database of the same schema (indexes and all) in chunks of
``--chunk-rows`` headers with their children, one transaction per chunk as the import commits. On SQLite
by sqlite3's executemany ("bare executemany of the stored rows"); on PostgreSQL by ``COPY … FROM STDIN``
of the rows the first PostgreSQL import stored, read by ``COPY … TO STDOUT`` before its scratch database
is dropped ("bare COPY of the stored rows"), with the server's CPU for it. Each floor is the least of
``--repeat`` runs, each into a new database. The table's "x floor" column is each import's wall over its
database's floor (how much the import adds above the database's own work); the lines after the table
also set its client CPU and, on PostgreSQL, its server CPU beside the floor's.
"""
from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
import floor  # noqa: E402  (bench/ is the script's own folder)
from context import cpu_model  # noqa: E402

HEADER = ["wms_outbound_no", "outbound_type", "status", "platform", "shop_id", "marketplace_order_id",
          "order_line_ref", "package_id", "sku", "qty", "stock_lot_id", "warehouse_code", "carrier_code",
          "tracking_number", "first_mile_tracking_number", "created_at", "shipped_at", "delivered_at", "weight_g",
          "remark"]
PLATFORMS = (("SHOPEE", "SHOPEE-MY-480012345", "SPX_MY"), ("LAZADA", "LAZADA-MY-100987", "LEX_MY"),
             ("TIKTOK", "TTS-MY-7300000001", "JNT_MY"))


def _write(path: Path, header: list[str], rows: int, record: Callable[[int], list[list[str]]]) -> None:
    """``rows`` rows under ``header``: the rows of ``record(1)``, ``record(2)``, … (the last one cut short)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        written, number = 0, 0
        while written < rows:
            number += 1
            got = record(number)[:rows - written]
            writer.writerows(got)
            written += len(got)


def _outbound(outbound: int) -> list[list[str]]:
    name, shop, carrier = PLATFORMS[outbound % 3]
    day = 1 + outbound % 28
    return [[f"OC9{outbound:011d}", "JYCK", ("DELIVERED", "SHIPPED", "CANCELED")[outbound % 3], name, shop,
             f"2603{outbound:010d}", f"{outbound}-{line}", f"PKG-{outbound}", f"SKU-{(outbound + line) % 5000:05d}",
             str(1 + line), f"LOT-{outbound % 97:03d}", "MYPKG-WH01", carrier, f"TRK{outbound:012d}", "",
             f"2026-03-{day:02d}T08:00:00+08:00", f"2026-03-{day:02d}T16:00:00+08:00", "", "180", ""]
            for line in range(1 + outbound % 3)]


def generate(path: Path, rows: int) -> None:
    """Deterministic outbound file: outbounds of 1-3 lines, all three platforms, every status column filled."""
    _write(path, HEADER, rows, _outbound)


INBOUND_HEADER = ["asn_no", "wms_receipt_no", "warehouse_code", "owner_code", "importer_of_record", "inbound_type",
                  "status", "mbl_no", "hbl_no", "awb_no", "container_no", "seal_no", "customs_declaration_no",
                  "expected_arrival", "arrived_at", "received_at", "putaway_at", "line_no", "box_range", "sku",
                  "barcode", "planned_qty", "received_good_qty", "received_damaged_qty", "damage_type",
                  "putaway_qty", "variance_qty", "batch_no", "po_number", "remark"]


def _inbound(asn: int) -> list[list[str]]:
    from platform_adapters.canonical.identifiers import iso6346_check_digit

    day = 1 + asn % 28
    sea = asn % 5 != 0
    box = f"TCLU{asn % 1_000_000:06d}"
    container = f"{box}{iso6346_check_digit(box)}" if sea else ""
    out = []
    for line in range(1 + asn % 4):
        planned = 10 * (1 + (asn + line) % 50)
        damaged = 1 if (asn + line) % 17 == 0 else 0
        out.append([
            f"ASN-{asn:09d}", f"IC9{asn:012d}", "MYPKG-WH01", "BENCH", "Bench Trading Sdn Bhd", "CGRK",
            ("FULFILLED", "PUT_AWAY", "CLOSED")[asn % 3], f"ZCRU{asn:09d}" if sea else "", "",
            "" if sea else f"618-{asn % 10_000_000:07d}{asn % 10_000_000 % 7}", container,
            f"SL{asn:08d}" if sea else "", f"MY-A-{asn:07d}", f"2026-03-{day:02d}",
            f"2026-03-{day:02d}T09:00:00+08:00", f"2026-03-{day:02d}T16:00:00+08:00",
            f"2026-03-{day:02d}T20:00:00+08:00", str(line + 1), f"C{line * 10 + 1:04d}-C{line * 10 + 10:04d}",
            f"SKU-{(asn + line) % 5000:05d}", f"88500{(asn + line) % 5000:08d}", str(planned),
            str(planned - damaged), str(damaged), "CC" if damaged else "", str(planned - damaged), str(-damaged),
            f"B{asn % 97:03d}", f"PO-{asn // 10:07d}", ""])
    return out


def generate_inbound(path: Path, rows: int) -> None:
    """Deterministic inbound (receipt) file: ASNs of 1-4 lines, sea (valid ISO 6346 containers) and air, some
    damaged lines, every timestamp filled."""
    _write(path, INBOUND_HEADER, rows, _inbound)


STOCK_HEADER = ["snapshot_at", "lot_id", "sku", "title_holder", "risk_bearer", "custodian", "title_state",
                "location_state", "warehouse_code", "source_doc_kind", "source_doc_no", "container_no",
                "customs_declaration_no", "asn_no", "received_at", "qty_expected", "qty_in_receiving", "qty_available",
                "qty_allocated", "qty_in_last_mile", "qty_delivered", "qty_defective", "qty_box_damaged",
                "unit_landed_cost_myr", "cost_basis_note"]


def _stock(lot: int) -> list[list[str]]:
    day = 1 + lot % 28
    return [["2026-03-31T23:59:59+08:00", f"LOT-{lot:09d}", f"SKU-{lot % 5000:05d}", "BENCH", "BENCH", "MYPKG-WH01",
             "OWNED_IN_WAREHOUSE", "AVAILABLE", "MYPKG-WH01", "MBL", f"ZCRU{lot // 10:09d}", "",
             f"MY-A-{lot // 10:07d}", f"ASN-{lot // 3:09d}", f"2026-03-{day:02d}T16:00:00+08:00", str(lot % 500), "0",
             str(lot % 480), str(lot % 7), "0", str(lot % 11), str(lot % 3), "0", f"{10 + lot % 90}.{lot % 100:02d}",
             ""]]


def generate_stock(path: Path, rows: int) -> None:
    """Deterministic stock snapshot: one lot per row, every quantity and the landed cost filled."""
    _write(path, STOCK_HEADER, rows, _stock)


BL_HEADER = ["record_type", "doc_level", "doc_number", "master_doc_number", "doc_type", "is_to_order", "is_electronic",
             "release_type", "carrier_scac", "carrier_booking_ref", "shipper", "consignee", "notify_party",
             "place_of_receipt", "port_of_loading", "port_of_discharge", "place_of_delivery", "vessel_or_flight", "voyage",
             "etd", "shipped_on_board_date", "eta", "container_no", "iso_equipment_code", "seal_no", "seal_source",
             "packages", "package_code", "gross_weight_kg", "volume_cbm", "description_of_goods", "hs_code", "po_number",
             "incoterm", "incoterm_place", "freight_term"]
GOODS = (("WIRELESS EARBUDS BT5.3 WITH CHARGING CASE", "851830"), ("LED DESK LAMP USB-C DIMMABLE", "940521"),
         ("SILICONE PHONE CASES ASSORTED MODELS", "392690"), ("STAINLESS STEEL VACUUM FLASKS 500ML", "961700"),
         ("USB-C CHARGING CABLES 1M BRAIDED", "854442"), ("BAMBOO CUTTING BOARDS SET OF 3", "441990"))


def _bl(doc: int) -> list[list[str]]:
    """Bill ``doc``: 1-3 containers (valid ISO 6346 numbers) of 2-4 goods lines each, no SKU (as forwarders write)."""
    from platform_adapters.canonical.identifiers import iso6346_check_digit

    rows = []
    for c in range(1 + doc % 3):
        serial = f"{('TCLU', 'SEGU', 'MSKU')[(doc + c) % 3]}{(doc * 7919 + c * 104729) % 1_000_000:06d}"
        for g in range(2 + doc % 3):
            description, hs = GOODS[(doc + c + g) % len(GOODS)]
            rows.append(["OCEAN", "MASTER", f"ZCRU{doc:09d}", "", "BOL", "false", "false", "TELEX_RELEASE", "ZCRU",
                         f"ZCRB{doc:07d}", "Shenzhen Brightway Electronics Co. Ltd.", "Bench Trading Sdn Bhd",
                         "Bench Trading Sdn Bhd", "CNSZX", "CNYTN", "MYPKG", "MYPKG", "ZC HARMONY", "2609W",
                         f"2026-03-{1 + doc % 20:02d}", f"2026-03-{2 + doc % 20:02d}", f"2026-03-{9 + doc % 20:02d}",
                         serial + str(iso6346_check_digit(serial)), "42G1", f"ZC{doc:07d}{c}", "CAR",
                         str(10 * (g + 1) + c), "CT", f"{100 * (g + 1) + doc % 97}.500", f"{g + 1}.{c}00", description,
                         hs, f"PO-{doc:07d}", "FOB", "Yantian", "COL"])
    return rows


def generate_bl(path: Path, rows: int) -> None:
    """Deterministic forwarder BL report: one row per bill x container x goods line."""
    _write(path, BL_HEADER, rows, _bl)


CUSTOMS_HEADER = ["country", "regime", "form", "declaration_no", "declaration_type", "submitted_at", "released_at",
                  "status", "importer_of_record", "importer_registration_no", "customs_agent", "mbl_no", "hbl_no",
                  "awb_no", "container_no", "vessel_or_flight", "port_of_discharge", "arrival_date", "line_no", "hs_code",
                  "description", "origin_country", "qty", "uom", "valuation_basis", "invoice_currency",
                  "invoice_value", "fx_rate_to_myr", "customs_value_myr", "import_duty_rate", "import_duty_myr",
                  "sales_tax_rate", "sales_tax_myr", "preference_scheme", "preference_doc_no", "po_number", "sku_group"]


def _customs(entry: int) -> list[list[str]]:
    """Declaration ``entry``: 1-6 lines, each stating its number, HS code and amounts in MYR."""
    rows = []
    for line in range(1, 2 + entry % 6):
        description, hs = GOODS[(entry + line) % len(GOODS)]
        value = 1000 * line + entry % 997
        rows.append(["MY", "IMPORT_FOR_HOME_CONSUMPTION", "K1", f"K1-{entry:09d}", "IMPORT",
                     f"2026-03-{1 + entry % 20:02d}T15:00:00+08:00", f"2026-03-{3 + entry % 20:02d}T10:50:00+08:00",
                     "RELEASED", "Bench Trading Sdn Bhd", "BRN-BENCH", "PK Customs Brokerage", f"ZCRU{entry:09d}", "", "",
                     "", "ZC HARMONY 2609W", "MYPKG", f"2026-03-{9 + entry % 20:02d}", str(line), hs, description, "CN",
                     str(100 * line), "PCE", "CIF", "USD", f"{value}.00", "4.4000", f"{value * 44 / 10:.2f}", "0.00",
                     "0.00", "0.10", f"{value * 44 / 100:.2f}", "ACFTA", f"FORM-E-{entry}", f"PO-{entry:07d}",
                     f"BNC-{hs}-*"])
    return rows


def generate_customs(path: Path, rows: int) -> None:
    """Deterministic broker's declaration-line file (Malaysian K1 layout)."""
    _write(path, CUSTOMS_HEADER, rows, _customs)


GENERATORS = {"outbound": (generate, "outbounds", ("OC9", "OC8")), "inbound": (generate_inbound, "receipts", ("ASN-", "ASN-X")),
              "stock": (generate_stock, "snapshots", ("LOT-", "LOX-")), "bl": (generate_bl, "bills", ("ZCRU", "ZCRX")),
              "customs": (generate_customs, "declarations", ("K1-", "K1-X"))}
#: the column a real export of the kind is often sorted by (``--sorted``: a record's rows apart)
SORTED_BY = {"outbound": "sku", "inbound": "sku", "stock": "sku", "bl": "container_no", "customs": "hs_code"}


def sort_file(path: Path, column: str) -> None:
    """Rewrite ``path`` with its rows sorted by ``column`` (stable): each record's rows lie apart."""
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    at = header.index(column)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *sorted(rows, key=lambda row: row[at])])


def machine() -> list[str]:
    cpu = cpu_model()
    libs = ", ".join(f"{name} {version(name)}" for name in ("pandas", "SQLAlchemy", "psycopg", "openpyxl"))
    system = f"Python {platform.python_version()} on {platform.system()} {platform.release()}"
    return [f"CPU: {cpu}; cores: {os.cpu_count()}", system, f"{libs}, sqlite {sqlite3.sqlite_version}"]


def rss_mb() -> int:
    """Resident memory of this process now (Linux), in MB; 0 where /proc is not available."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20
    except (OSError, ValueError, IndexError):
        return 0


def time_pandas(path: Path, runs: int = 2) -> tuple[float, float, int]:
    """(wall, CPU seconds, RSS MB after) of a bare ``read_csv``, in a fresh process of its own: the least of
    ``runs`` runs (at least two: the first pays for pandas' lazy imports), as each import is the least of its
    ``--repeat`` runs. Not in the bench's process: after the imports its heap
    is in another state (measured 2026-11-30: read_csv took 0.27-0.42 s of CPU there against 0.19-0.23 s in a
    fresh process, the same file), and the baseline must not move with what was measured before it."""
    code = ("import gc, json, resource, sys, time; import pandas as pd; runs = []\n"
            f"for _ in range({max(2, runs)}):\n"
            "    gc.collect(); started, cpu = time.perf_counter(), time.process_time()\n"
            "    frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)\n"
            "    runs.append((time.perf_counter() - started, time.process_time() - cpu)); assert len(frame) > 0\n"
            "    del frame\n"
            "print(json.dumps([min(w for w, _ in runs), min(c for _, c in runs),"
            " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024]))\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True)
    wall, cpu, rss = json.loads(done.stdout)
    return wall, cpu, rss


def _backend_cpu(pids: list[int]) -> float | None:
    """CPU seconds the PostgreSQL backends ``pids`` have used (user + system, from /proc: a server on this
    machine); None when one cannot be read."""
    total = 0
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
                return None  # (a server elsewhere or in another pid namespace: the pid names no backend here)
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _backend_sched(pids: list[int]) -> dict[int, tuple[float, float]]:
    """Per PostgreSQL backend of ``pids`` readable here: (seconds on a CPU, seconds waiting for one) from
    /proc/<pid>/schedstat (nanoseconds)."""
    found = {}
    for pid in pids:
        try:
            ran, queued = Path(f"/proc/{pid}/schedstat").read_text().split()[:2]
        except (OSError, ValueError):
            continue
        found[pid] = (int(ran) / 1e9, int(queued) / 1e9)
    return found


#: per PostgreSQL import timed: (label, seconds its busiest backend neither ran nor waited for a CPU): waiting
#: for the client (or a round trip, or its WAL flush). Unlike the wall, this hardly grows with the machine's load.
SERVER_WAITS: list[float] = []


#: ``--owners``: "given" (each import named its owner, ``--owner BENCH``) or "per-row" (the owner found from each
#: row by what ``register_owners`` registers, as a 3PL's or forwarder's file covering every brand it serves is read)
OWNERS = "given"


#: with ``--owners per-row --kind stock``: the 3PL's inbound file of the receipts the snapshot's lots name
#: (``generate_inbound``), imported into every database first, as a 3PL's receipts are before its stock
RECEIPTS: Path | None = None


def register_owners(engine: object, kind: str) -> None:
    """Register what names the generated file's rows' owner BENCH, through the product's own commands: the
    outbound file's three shops, the 3PL's owner code BENCH at its warehouse (receipts; stock, whose lots also
    name their receipts, stored first from ``RECEIPTS``, and documents and declarations, none stored: each
    looked up), the importer's legal name (bills of lading, declarations) and its registration number in
    Malaysia (declarations)."""
    from cryptography.fernet import Fernet

    from aggregator.auth.shops import add_shop
    from aggregator.ingest import import_file
    from aggregator.owners.aliases import add_alias
    from aggregator.store.db import session_scope
    from aggregator.store.vault import Vault

    with session_scope(engine) as session:
        if kind == "outbound":
            vault = Vault(Fernet.generate_key())
            for name, shop, _ in PLATFORMS:
                add_shop(session, vault, platform=name.lower(), owner_id="BENCH", shop_id=shop, region="MY",
                         app_key={"SHOPEE": "2001234", "LAZADA": "100001"}.get(name, "bench-key"),
                         app_secret="bench-secret")
        elif kind in ("inbound", "stock"):
            add_alias(session, "BENCH", "owner_code", "BENCH", "MYPKG-WH01")
        else:
            add_alias(session, "BENCH", "legal_name", "Bench Trading Sdn Bhd")
            if kind == "customs":
                add_alias(session, "BENCH", "registration_no", "BRN-BENCH", "MY")
    if kind == "stock" and RECEIPTS is not None:
        import_file(engine, "inbound", RECEIPTS, owner_id="BENCH")


def prepared(url: str, kind: str) -> object:
    """``floor.prepared(url)``: the schema at head and the owner BENCH, and with ``--owners per-row`` what names
    the owner in the rows of ``kind`` (``register_owners``): every database an import or a floor writes to."""
    engine = floor.prepared(url)
    if OWNERS == "per-row":
        register_owners(engine, kind)
    return engine


def time_import(url: str, path: Path, chunk_rows: int, again: Path | None = None,
                kind: str = "outbound", timeline: str | None = None) -> tuple[float, float, object, float | None]:
    """(wall, CPU of this process, summary, CPU of the PostgreSQL backends the import used or None) of the
    import; with ``again``, of importing that file after ``path`` (a cumulative file: the same rows and one
    more). ``timeline``: who was on the CPU when, printed on stderr (``timeline.py``; PostgreSQL only):
    "buckets" or "summary"."""
    from sqlalchemy import event

    from aggregator.ingest import import_file

    engine = prepared(url, kind)
    owner = "BENCH" if OWNERS == "given" else None
    if again is not None:
        import_file(engine, kind, path, owner_id=owner, chunk_rows=chunk_rows)
        path = again
    pids: list[int] = []
    if engine.dialect.name == "postgresql":
        engine.dispose()  # (the import's connections made anew, their backends noted)

        @event.listens_for(engine, "connect")
        def _note_backend(connection: object, _record: object) -> None:
            pids.append(connection.info.backend_pid)

        with engine.connect():  # (the pool's first connection, made before the clock starts)
            pass
    server = _backend_cpu(pids)
    sched = _backend_sched(pids)
    # from a collected heap: this process holds ~190k objects (pandas, SQLAlchemy), and whether an import's
    # allocations tip the collector into a full collection of them all (60-80 ms) depended on where its
    # counters stood when the import began: one import in two paid it (measured), the next not
    gc.collect()
    sampler = None
    if timeline and pids:
        import subprocess
        import sys

        sampler = subprocess.Popen([sys.executable, str(Path(__file__).with_name("timeline.py")), str(os.getpid()),
                                    url.rsplit("/", 1)[1], *(["--summary-only"] if timeline == "summary" else [])])
        time.sleep(0.2)  # (its first scan done)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        summary = import_file(engine, kind, path, owner_id=owner, chunk_rows=chunk_rows)
        unowned = sum(summary.problem_counts[code] for code in ("owner_unknown", "owner_conflict", "owner_ambiguous"))
        if unowned:  # (every row of the generated file names its owner: such a reject is the bench's defect)
            raise SystemExit(f"{unowned} rows found no owner: {summary.sample_problems[0].describe()}")
    finally:  # (the sampler stopped whatever the import did)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        if sampler is not None:
            sampler.terminate()
            sampler.wait()
    after = _backend_cpu(pids) if pids else None
    server = None if after is None or server is None else after - server
    used = {pid: (ran - sched[pid][0], queued - sched[pid][1])
            for pid, (ran, queued) in _backend_sched(pids).items() if pid in sched}
    if used:
        ran, queued = max(used.values())
        SERVER_WAITS.append(elapsed - ran - queued)
    engine.dispose()
    if summary.status != "COMPLETED":
        raise SystemExit(f"import did not complete cleanly: {summary.describe()}")
    return elapsed, cpu, summary, server


def best_of(count: int, once: Callable[[int], tuple]) -> tuple[tuple, list[float]]:
    """``once(0)``, …, ``once(count - 1)``, each a timing whose first item is its wall: the one of the least wall
    (as the baseline's least of its runs: on a shared machine a run's wall also holds what other processes
    took), and every run's wall, for the reader to see the spread."""
    timed = [once(i) for i in range(max(1, count))]
    return min(timed, key=lambda t: t[0]), [t[0] for t in timed]


def time_floor_sqlite(kind: str, stored: Path, tmp: Path, chunk_rows: int, repeat: int) -> tuple[float, float]:
    """(wall, CPU) of inserting the rows the import into ``stored`` stored (every table it wrote, as stored)
    into an empty database of the same schema through sqlite3's executemany, a transaction per ``chunk_rows``
    headers (``floor``): what the database itself costs, with no reading, mapping or checking. The least
    wall of ``repeat`` runs, each into a new database."""
    from aggregator.store.db import create_engine_for

    source = create_engine_for(f"sqlite:///{stored}")
    set_up = prepared(f"sqlite:///{tmp / 'floor-set-up.sqlite'}", kind)
    try:
        chunks = floor.read_sqlite(kind, source, set_up, chunk_rows)
    finally:
        source.dispose()
        set_up.dispose()

    def once(i: int) -> tuple[float, float]:
        target = tmp / f"floor-{i}.sqlite"
        prepared(f"sqlite:///{target}", kind).dispose()
        return floor.time_sqlite(chunks, str(target))

    return best_of(repeat, once)[0]


def read_stored_postgresql(kind: str, admin: object, base_url: str, stored: str, chunk_rows: int) -> list:
    """The rows the import into the PostgreSQL database ``stored`` stored, per chunk and table, read into
    memory (``floor.read_postgresql``, against a scratch database set up as the import's was)."""
    from aggregator.store.db import create_engine_for

    with scratch_database(admin) as name:
        source, set_up = create_engine_for(f"{base_url}/{stored}"), prepared(f"{base_url}/{name}", kind)
        try:
            return floor.read_postgresql(kind, source, set_up, chunk_rows)
        finally:
            source.dispose()
            set_up.dispose()


def time_floor_postgresql(chunks: list, admin: object, base_url: str, repeat: int,
                          kind: str) -> tuple[float, float, float | None]:
    """(wall, CPU of this process, server CPU or None) of ``COPY … FROM STDIN`` of ``chunks`` (the rows a
    PostgreSQL import stored, ``floor.read_postgresql``) into a new database of the same schema: the least wall
    of ``repeat`` runs, each into a scratch database dropped after it."""
    def once(_: int) -> tuple[float, float, float | None]:
        with scratch_database(admin) as name:
            target = prepared(f"{base_url}/{name}", kind)
            try:
                return floor.time_postgresql(chunks, target, _backend_cpu)
            finally:
                target.dispose()

    return best_of(repeat, once)[0]


@contextmanager
def scratch_database(admin: object) -> Iterator[str]:
    """The name of a new PostgreSQL database, created through ``admin`` (an AUTOCOMMIT engine of the server)
    and dropped when the block ends, whatever it raised."""
    from sqlalchemy import text

    name = f"bench_import_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the generated file (default 100000)")
    parser.add_argument("--full", action="store_true", help="the issue's size: 1,000,000 rows")
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="time each import this many times, each into a new database, and show the least wall with "
                             "every run's (default 3; the baseline is the least of as many runs, at least two)")
    parser.add_argument("--skip-pg", action="store_true", help="measure SQLite only")
    parser.add_argument("--pg-only", action="store_true", help="measure PostgreSQL only (and the read_csv baseline)")
    parser.add_argument("--kind", choices=tuple(GENERATORS), default="outbound",
                        help="the 3PL file generated and imported (default outbound)")
    parser.add_argument("--timeline", nargs="?", const="buckets", choices=("buckets", "summary"),
                        help="print who was on the CPU when during each PostgreSQL import (bench/timeline.py): "
                             "per 25 ms (the default) or its summary only")
    parser.add_argument("--sorted", action="store_true",
                        help="the file sorted as exports often are (SORTED_BY: container, HS code, SKU): records' rows apart")
    parser.add_argument("--owners", choices=("given", "per-row"), default="given",
                        help="each import given its owner (--owner BENCH, the default), or finding each row's owner "
                             "itself from the shops and aliases registered for it, as a file covering every brand "
                             "a 3PL or forwarder serves is read")
    parser.add_argument("--pg-url", default=os.environ.get("AGGREGATOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    rows = 1_000_000 if args.full else args.rows
    global OWNERS
    OWNERS = args.owners

    print("\n".join(machine()))
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        kind = args.kind
        path = Path(tmp) / f"{kind}.csv"
        make, records, (was, now) = GENERATORS[kind]
        make(path, rows)
        if OWNERS == "per-row" and kind == "stock":  # (lot n names receipt n // 3; a receipt has 1-4 lines)
            global RECEIPTS
            RECEIPTS = Path(tmp) / "receipts.csv"
            generate_inbound(RECEIPTS, rows // 3 * 5 // 2 + 8)
        if args.sorted:
            sort_file(path, SORTED_BY[kind])
        print(f"file: {rows} rows, {path.stat().st_size / 1e6:.1f} MB, chunk {args.chunk_rows} rows")
        results: list[tuple[str, float, float, int]] = []
        runs: list[tuple[str, list[float]]] = []  # (label, the wall of each run) of each row timed --repeat times
        servers: list[str] = []  # the PostgreSQL backends' CPU per import, when the server is on this machine
        #: (label, wall, this process's CPU, the backends' CPU) of each PostgreSQL import the server's CPU is known of
        both: list[tuple[str, float, float, float]] = []
        #: per import row: (the floor's row label, its database's floor: the floor's wall, CPU and server CPU)
        floors: dict[str, tuple[str, float, float, float | None]] = {}
        again = Path(tmp) / f"{kind}_cumulative.csv"  # the next day's file: the same rows and one new record
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[1]
        again.write_text(text + first.replace(was, now, 1) + "\n", encoding="utf-8")
        # the process's first import pays one-time costs (Arrow's first CSV read, lazy imports, SQLAlchemy's
        # first compiles: 0.05-0.15 s at 50k rows), as read_csv's first run pays pandas' (the baseline takes
        # the lower of two): that import is shown on its own row, and the imports timed after it are the figures
        elapsed, cpu, _, _ = time_import(f"sqlite:///{Path(tmp) / 'first.sqlite'}", path, args.chunk_rows, None, kind)
        results.append(("first import in the process → SQLite (one-time costs)", elapsed, cpu, rss_mb()))
        if not args.pg_only:
            (elapsed, cpu, summary, _), walls = best_of(args.repeat, lambda i: time_import(
                f"sqlite:///{Path(tmp) / ('bench.sqlite' if i == 0 else f'bench-{i}.sqlite')}", path, args.chunk_rows,
                None, kind))
            label = f"import → SQLite ({summary.created} {records})"
            results.append((label, elapsed, cpu, rss_mb()))
            runs.append((label, walls))
            floor_label = "bare executemany of the stored rows → SQLite"
            elapsed, cpu = time_floor_sqlite(kind, Path(tmp) / "bench.sqlite", Path(tmp), args.chunk_rows,
                                             args.repeat)
            results.append((floor_label, elapsed, cpu, rss_mb()))
            floors[label] = (floor_label, elapsed, cpu, None)
            (elapsed, cpu, summary, _), walls = best_of(args.repeat, lambda i: time_import(
                f"sqlite:///{Path(tmp) / f'bench-again-{i}.sqlite'}", path, args.chunk_rows, again, kind))
            label = f"re-import cumulative → SQLite ({summary.unchanged} unchanged)"
            results.append((label, elapsed, cpu, rss_mb()))
            runs.append((label, walls))
        if not args.skip_pg:
            from sqlalchemy import create_engine

            from aggregator.store.db import normalise_url

            admin_url = normalise_url(args.pg_url)
            base_url = admin_url.rsplit("/", 1)[0]
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            stored: list = []  # the rows the first PostgreSQL import stored, per chunk and table (``floor``)
            try:
                for label, next_day in (("import → PostgreSQL", None), ("re-import cumulative → PostgreSQL", again)):
                    def once(i: int, next_day: Path | None = next_day) -> tuple:
                        with scratch_database(admin) as name:
                            timed = time_import(f"{base_url}/{name}", path, args.chunk_rows, next_day, kind,
                                                args.timeline)
                            if next_day is None and i == 0:  # (read before its database is dropped)
                                stored[:] = read_stored_postgresql(kind, admin, base_url, name, args.chunk_rows)
                            return (*timed, SERVER_WAITS[-1] if SERVER_WAITS else None)

                    (elapsed, cpu, summary, server, waited), walls = best_of(args.repeat, once)
                    what = f"{summary.unchanged} unchanged" if next_day else f"{summary.created} {records}"
                    results.append((f"{label} ({what})", elapsed, cpu, rss_mb()))
                    runs.append((f"{label} ({what})", walls))
                    if server is not None:
                        idle = f" (idle {waited:.2f} s)" if waited is not None else ""
                        servers.append(f"{label}: {server:.2f} s{idle}")
                        both.append((label, elapsed, cpu, server))
                    if next_day is None:
                        floor_label = "bare COPY of the stored rows → PostgreSQL"
                        floor_wall, floor_cpu, floor_server = time_floor_postgresql(stored, admin, base_url,
                                                                                    args.repeat, kind)
                        results.append((floor_label, floor_wall, floor_cpu, rss_mb()))
                        floors[f"{label} ({what})"] = (floor_label, floor_wall, floor_cpu, floor_server)
                        stored.clear()
            finally:
                admin.dispose()
        # in a process of its own (``time_pandas``), last: its RSS is that process's peak (pandas holds the
        # whole frame); the import rows' RSS shows the imports stay bounded
        results.insert(0, (f"pandas.read_csv (baseline, own process, least of {max(2, args.repeat)})",
                            *time_pandas(path, max(2, args.repeat))))
    baseline, baseline_cpu = results[0][1], results[0][2]
    print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"{'what':52} {'seconds':>9} {'rows/s':>11} {'x baseline':>11} {'x floor':>8} {'CPU s':>8} {'CPU x':>7} "
          f"{'RSS MB after':>13}")
    for label, seconds, cpu, rss in results:
        above = f"{seconds / floors[label][1]:8.1f}" if label in floors else f"{'':8}"
        print(f"{label:52} {seconds:9.2f} {rows / seconds:11,.0f} {seconds / baseline:11.1f} {above} {cpu:8.2f} "
              f"{cpu / baseline_cpu:7.1f} {rss:13}")
    for label, walls in runs:
        print(f"{label}: every run {', '.join(f'{w:.2f}' for w in walls)} s (x baseline "
              f"{', '.join(f'{w / baseline:.1f}' for w in walls)}; median {statistics.median(walls) / baseline:.1f})")
    print("CPU: this process only (PostgreSQL's server CPU is not counted); on a loaded machine prefer the CPU ratio.")
    if servers:
        print(f"PostgreSQL server CPU (the import's backends; idle: of the wall, the busiest one neither on a CPU nor "
              f"waiting for one, so waiting for the client, a round trip or its WAL flush): {'; '.join(servers)}")
    server_of = {label: server for label, _, _, server in both}
    for label, (floor_label, floor_wall, floor_cpu, floor_server) in floors.items():
        seconds, cpu = next((s, c) for what, s, c, _ in results if what == label)
        line = (f"{label} above its database's own work ({floor_label}): {seconds / floor_wall:.1f}x wall "
                f"({seconds:.2f} s / {floor_wall:.2f} s), client CPU {cpu:.2f} s against {floor_cpu:.2f} s")
        server = server_of.get(label.split(" (", 1)[0])  # (the PostgreSQL import's server CPU, where known)
        if floor_server is not None and server is not None:
            line += f"; server CPU {server:.2f} s against {floor_server:.2f} s ({server / floor_server:.1f}x)"
        print(line)
    if both:  # steadier on a loaded machine than the wall, which waits for whichever process is scheduled
        print("PostgreSQL (client CPU + server CPU) / read_csv CPU, beside the wall ratio: " + "; ".join(
            f"{label}: {(cpu + server) / baseline_cpu:.1f}x CPU, {seconds / baseline:.1f}x wall"
            for label, seconds, cpu, server in both))


if __name__ == "__main__":
    main()
