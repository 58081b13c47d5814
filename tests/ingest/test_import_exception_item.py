"""An import's item in the exceptions queue follows the import: opened when it rejects rows or fails, and
closed when a later run of the same import (the same file record, run again) completes with no rejects.

A clean re-run (the owner's alias added since, the forwarder's file imported again) used to leave the item
open, pointing at rejects the re-run had deleted. Another import's item, still with rejects, stays open.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from aggregator.ingest import import_file
from aggregator.owners.aliases import add_alias
from aggregator.store.db import session_factory, session_scope
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.events import OutboxEventRow

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "forwarder_bl.csv"


def items(engine) -> dict[str, tuple[str, str | None]]:
    with session_factory(engine)() as s:
        return {item.record_key: (item.status, item.resolution)
                for item in s.execute(select(ExceptionItem).where(ExceptionItem.queue == "parked")).scalars()}


def test_a_clean_re_run_closes_its_imports_item_and_only_that_one(engine, tmp_path):
    with session_scope(engine) as session:
        add_alias(session, "LUMINA", "legal_name", "Lumina Commerce (M) Sdn Bhd")
    # another file: the same rows and a house bill of a consignee nobody registers
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    tropika = next(line for line in lines if "SZXFWD2603002" in line)
    nobody = tropika.replace("SZXFWD2603002", "SZXFWD2603099").replace("Tropika Living Sdn Bhd", "Nobody Trading Sdn Bhd")
    other = tmp_path / "forwarder_bl_more.csv"
    other.write_text("\n".join([*lines, nobody]) + "\n", encoding="utf-8")

    first = import_file(engine, "bl", SAMPLE)
    more = import_file(engine, "bl", other)
    assert (first.status, first.rows_rejected) == ("COMPLETED_WITH_REJECTS", 1)
    assert (more.status, more.rows_rejected) == ("COMPLETED_WITH_REJECTS", 2)
    mine, theirs = f"import_files:{first.import_id}", f"import_files:{more.import_id}"
    assert items(engine) == {mine: ("open", None), theirs: ("open", None)}

    with session_scope(engine) as session:
        add_alias(session, "TROPIKA", "legal_name", "Tropika Living Sdn Bhd")
    again = import_file(engine, "bl", SAMPLE)
    assert (again.status, again.rows_rejected, again.import_id) == ("COMPLETED", 0, first.import_id)
    status, note = items(engine)[mine]
    assert status == "resolved" and "completed with no rejects" in note
    assert items(engine)[theirs] == ("open", None)  # (another import, its rows still rejected: untouched)
    with session_factory(engine)() as s:
        item_id = s.execute(select(ExceptionItem.id).where(ExceptionItem.record_key == mine)).scalar_one()
        audited = s.execute(select(AuditEntry.action).where(AuditEntry.entity == "exception_items",
                                                             AuditEntry.entity_key == str(item_id))).scalars().all()
        told = s.execute(select(OutboxEventRow.topic).where(OutboxEventRow.topic.like("exception.%"))).scalars().all()
    assert audited == ["resolve"]
    assert told == []  # (an item of no one owner, a per-row import's, tells no client: opened nor closed)

    still = import_file(engine, "bl", other)  # (its re-run still rejects the unknown consignee: the item stays)
    assert (still.status, still.rows_rejected, still.import_id) == ("COMPLETED_WITH_REJECTS", 1, more.import_id)
    assert items(engine)[theirs][0] == "open"
    assert import_file(engine, "bl", SAMPLE).status == "ALREADY_IMPORTED"


def test_a_new_import_closes_no_item(engine, tmp_path):
    """Only a later run of an import recorded before closes an item: a new import, even one whose record's id
    an item names (its import record deleted, the id given again, as SQLite does), closes nothing."""
    from sqlalchemy import delete

    from aggregator.store.models.logistics import ImportFileRow, ImportRejectRow

    with session_scope(engine) as session:
        add_alias(session, "LUMINA", "legal_name", "Lumina Commerce (M) Sdn Bhd")
    first = import_file(engine, "bl", SAMPLE)
    assert first.status == "COMPLETED_WITH_REJECTS"
    with session_scope(engine) as session:
        session.execute(delete(ImportRejectRow))
        session.execute(delete(ImportFileRow))
        add_alias(session, "TROPIKA", "legal_name", "Tropika Living Sdn Bhd")
    fresh = import_file(engine, "bl", SAMPLE)
    assert fresh.status == "COMPLETED"
    assert items(engine)[f"import_files:{first.import_id}"] == ("open", None)
