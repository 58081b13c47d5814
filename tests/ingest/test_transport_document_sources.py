"""One transport document described by several sources: the forwarder's BL report and the carrier's DCSA eBL.

Each source is stored for what it states (``TransportDocument.stated``): a report states no endorsements and
leaves the eBL's chain (and the title it moves) alone; an eBL states no incoterm and no place of delivery it
does not name, and leaves the report's alone; a source sending its own document again with a value changed or
emptied still changes it. Checked on the per-record path (``bulk=False``) and the column-wise one.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aggregator.ingest import import_file
from aggregator.matching_service.queries import position_at
from aggregator.matching_service.service import run_match
from aggregator.store.db import session_scope
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.logistics import TransportDocumentRow, TransportEndorsementRow

DOC = "ZCRU260301234"
OWNER = "LUMINA"
#: the day after the eBL's endorsement to Lumina HK (2026-03-04)
AFTER_ENDORSEMENT = datetime(2026, 3, 5, tzinfo=UTC)


def _import(engine, kind: str, path: Path, **options):
    summary = import_file(engine, kind, path, owner_id=OWNER, **options)
    assert summary.status in ("COMPLETED", "COMPLETED_WITH_REJECTS"), summary
    return summary


def _world(engine, samples: Path) -> None:
    """The samples but the eBL imported for ``OWNER`` (the test database's owners include it), whose Hong Kong
    company the eBL is endorsed to."""
    from aggregator.owners.aliases import add_alias

    with session_scope(engine) as session:
        add_alias(session, OWNER, "legal_name", "Lumina Commerce (HK) Ltd.", None)
    for kind, name in (("bl", "forwarder_bl.csv"), ("customs", "customs_entry_my_k1.csv"),
                       ("inbound", "warehouse_inbound.csv"), ("outbound", "warehouse_outbound.csv"),
                       ("stock", "stock_lots_snapshot.csv")):
        _import(engine, kind, samples / name)


def _document(engine) -> dict:
    with session_scope(engine) as session:
        row = session.execute(select(TransportDocumentRow).where(TransportDocumentRow.doc_number == DOC)).scalar_one()
        return {c.name: getattr(row, c.name) for c in TransportDocumentRow.__table__.c}


def _endorsements(engine) -> int:
    with session_scope(engine) as session:
        return session.execute(select(func.count()).select_from(TransportEndorsementRow)).scalar_one()


def _holders(engine) -> dict[str, int]:
    position = position_at(engine, AFTER_ENDORSEMENT, OWNER)
    found: dict[str, int] = {}
    for row in position.itertuples():
        found[row.title_holder] = found.get(row.title_holder, 0) + int(row.qty)
    return found


def _next_export(path: Path, into: Path, newlines: int = 1, **changes: str) -> Path:
    """The same report as the forwarder exports it again (``newlines`` trailing newlines: not the file already
    imported), with the cells ``changes`` names changed on every row of the document."""
    text = path.read_text(encoding="utf-8")
    if changes:
        lines = text.splitlines()
        header = lines[0].split(",")
        rows = [line.split(",") for line in lines[1:]]
        for row in rows:
            if len(row) == len(header) and DOC in row:
                for name, value in changes.items():
                    row[header.index(name)] = value
        text = "\n".join([lines[0], *(",".join(row) for row in rows)]) + "\n"
    into.write_text(text + "\n" * newlines, encoding="utf-8")
    return into


@pytest.mark.parametrize("bulk", [True, False], ids=["columnar", "per-record"])
def test_a_report_after_the_ebl_keeps_its_endorsements_and_the_title_they_moved(engine, samples, tmp_path, bulk):
    _world(engine, samples)
    _import(engine, "dcsa-ebl", samples / "ebl_dcsa_v3.json")
    assert _endorsements(engine) == 5
    run_match(engine)
    before = _holders(engine)
    assert before == {OWNER: 25480}

    again = _import(engine, "bl", _next_export(samples / "forwarder_bl.csv", tmp_path / "bl_next.csv"), bulk=bulk)
    assert again.stale == 0
    assert _endorsements(engine) == 5
    stored = _document(engine)
    assert (stored["status"], stored["issue_date"].isoformat()) == ("ISSUED", "2026-03-02")  # (no such columns)
    assert (stored["is_to_order"], stored["release_type"]) == (True, "EBL_SURRENDER")
    matched = run_match(engine)
    assert matched.title_events_retracted == 0
    assert _holders(engine) == before

    # idempotent: the same report once more is unchanged and moves nothing
    once_more = _import(engine, "bl", _next_export(samples / "forwarder_bl.csv", tmp_path / "bl_again.csv", 2), bulk=bulk)
    assert (once_more.created, once_more.updated) == (0, 0)
    matched = run_match(engine)
    assert (matched.title_events_added, matched.title_events_retracted) == (0, 0)
    assert _endorsements(engine) == 5 and _holders(engine) == before


def test_the_ebl_after_a_report_keeps_what_only_the_report_states(engine, samples):
    _world(engine, samples)
    report = _document(engine)
    assert (report["incoterm"], report["incoterm_place"], report["place_of_delivery"]) == ("FOB", "Yantian", "MYPKG")
    summary = _import(engine, "dcsa-ebl", samples / "ebl_dcsa_v3.json")
    assert summary.updated == 1
    stored = _document(engine)
    assert (stored["incoterm"], stored["incoterm_place"], stored["place_of_delivery"]) == ("FOB", "Yantian", "MYPKG")
    assert (stored["status"], stored["source"]) == ("ISSUED", "dcsa-ebl-v3")  # (what the eBL states)
    assert _endorsements(engine) == 5
    with session_scope(engine) as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.entity == "transport_documents",
                                                         AuditEntry.entity_key == f"{OWNER}|{DOC}",
                                                         AuditEntry.action == "update")).scalars().all()[-1]
    assert {"status", "source"} <= set(entry.changes)
    assert not {"incoterm", "incoterm_place", "place_of_delivery"} & set(entry.changes)



def test_the_same_ebl_sent_again_is_unchanged(engine, samples, tmp_path):
    _world(engine, samples)
    _import(engine, "dcsa-ebl", samples / "ebl_dcsa_v3.json")
    again = _import(engine, "dcsa-ebl", _ebl_copy(samples, tmp_path / "ebl_again.json"))
    assert (again.updated, again.unchanged) == (0, 1)
    assert _endorsements(engine) == 5


def _ebl_copy(samples: Path, into: Path, change=None) -> Path:
    payload = json.loads((samples / "ebl_dcsa_v3.json").read_text(encoding="utf-8"))
    if change is not None:
        change(payload)
    into.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return into


@pytest.mark.parametrize("bulk", [True, False], ids=["columnar", "per-record"])
def test_a_source_sending_its_own_document_again_changes_and_clears_its_values(engine, samples, tmp_path, bulk):
    _world(engine, samples)
    _import(engine, "dcsa-ebl", samples / "ebl_dcsa_v3.json")
    # the forwarder's next export: the incoterm place emptied, the incoterm changed
    changed = _import(engine, "bl", _next_export(samples / "forwarder_bl.csv", tmp_path / "bl_changed.csv",
                                                 incoterm="FCA", incoterm_place=""), bulk=bulk)
    assert changed.updated == 1
    stored = _document(engine)
    assert (stored["incoterm"], stored["incoterm_place"]) == ("FCA", None)
    assert _endorsements(engine) == 5
    with session_scope(engine) as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.entity == "transport_documents",
                                                         AuditEntry.entity_key == f"{OWNER}|{DOC}",
                                                         AuditEntry.action == "update")
                                .order_by(AuditEntry.id.desc())).scalars().first()
    assert entry.changes["incoterm"] == ["FOB", "FCA"] and entry.changes["incoterm_place"] == ["Yantian", None]

    # the carrier's eBL again, amended: its status changed, its notify party emptied, a link added to its chain
    def amend(payload):
        document = payload["transportDocument"]
        document["transportDocumentStatus"] = "SURRENDERED"
        document["documentParties"]["notifyParties"] = None
        chain = payload["endorsementChain"]["endorsementChain"]
        chain.append({**chain[-1], "auditReference": "AUDIT-EXTRA"})

    amended = import_file(engine, "dcsa-ebl", _ebl_copy(samples, tmp_path / "ebl_amended.json", amend), owner_id=OWNER)
    assert amended.updated == 1
    stored = _document(engine)
    assert (stored["status"], stored["notify_party"]) == ("SURRENDERED", None)
    assert (stored["incoterm"], stored["place_of_delivery"]) == ("FCA", "MYPKG")  # (the report's, kept)
    assert _endorsements(engine) == 6
    # the amended eBL once more (other bytes): unchanged
    same = import_file(engine, "dcsa-ebl", _ebl_copy(samples, tmp_path / "ebl_amended_again.json",
                                                     lambda p: (amend(p), p.update({"_note": "resent"}))),
                       owner_id=OWNER)
    assert (same.updated, same.unchanged) == (0, 1)
