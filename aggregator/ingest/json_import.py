"""Import DCSA JSON files: eBL v3 transport documents and Track & Trace events.

The file is decoded strictly (declared encoding, UTF-8 by default) and parsed with
``parse_float=Decimal``; each document or event is mapped and stored on its own (SAVEPOINT), so a
bad one is reported with its JSON path and the others are kept.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from aggregator.ingest.events_writer import write_event
from aggregator.ingest.summary import ImportSummary
from aggregator.ingest.tabular_import import _ChunkSink
from aggregator.ingest.writers import write_transport_document
from platform_adapters.canonical.common import Problem
from platform_adapters.logistics import dcsa_ebl, dcsa_events
from platform_adapters.tabular.errors import TabularError
from platform_adapters.tabular.layout import codec_for
from platform_adapters.tabular.reader import check_encoding


def load_json(path: Path, encoding: str = "utf-8"):
    if path.stat().st_size == 0:
        raise TabularError(path.name, "the file is empty", code="empty")
    check_encoding(path, encoding)
    try:
        return json.loads(path.read_text(encoding=codec_for(encoding)), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise TabularError(f"{path.name}:{exc.lineno}", f"not valid JSON: {exc.msg} (column {exc.colno})",
                           code="bad_json") from None


def _located(problems, filename: str):
    """JSON problems carry a path, not a line: put it in the column so the report shows where."""
    return [Problem(p.code, p.message, p.severity, f"{p.location}.{p.field}" if p.field else p.location, p.value,
                    filename) for p in problems]


def import_dcsa(session: Session, *, import_pk: int, path: Path, kind: str, owner_id: str,
                encoding: str, summary: ImportSummary) -> None:
    payload = load_json(path, encoding)
    sink = _ChunkSink(import_pk, summary)
    if kind == "dcsa-ebl":
        documents = dcsa_ebl.split_documents(payload)
        if not documents:
            raise TabularError(path.name, "no DCSA TransportDocument found (expected transportDocumentReference, "
                               "or an object with 'transportDocument')" + _other_kind_hint(payload),
                               code="missing_columns")
        for location, doc, chain in documents:
            summary.rows_read += 1
            result = dcsa_ebl.map_transport_document(doc, chain, owner_id, location)
            problems = _located(result.problems, path.name)
            if result.record is not None:
                problems += _store(session, summary, write_transport_document, (session, result.record),
                                   path.name, location)
            sink.add(problems, {None: {"location": location}})
    else:
        events = dcsa_events.split_events(payload)
        if events == [("$", payload)] and not (isinstance(payload, dict) and "payload" in payload
                                                or isinstance(payload, dict) and "eventType" in payload):
            raise TabularError(path.name, "no DCSA events found (expected a list, {'events': [...]} or one event)"
                               + _other_kind_hint(payload), code="missing_columns")
        for location, raw in events:
            summary.rows_read += 1
            result, call = dcsa_events.map_event(raw, owner_id, location)
            problems = _located(result.problems, path.name)
            if result.record is not None:
                key = dcsa_events.milestone_key(result.record, call)
                problems += _store(session, summary, write_event, (session, result.record, owner_id, key),
                                   path.name, location)
            sink.add(problems)
    sink.flush(session)
    session.commit()


def _store(session: Session, summary: ImportSummary, write, args: tuple, filename: str,
           location: str) -> list[Problem]:
    try:
        with session.begin_nested():
            outcome = write(*args)
            if isinstance(outcome, tuple):  # write_event also says what happened to the milestone
                outcome = outcome[0]
        summary.count(outcome.outcome.value)
        return []
    except (SQLAlchemyError, ValueError, TypeError) as exc:
        return [Problem("store_failed", f"could not be stored: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}",
                        field=location, location=filename)]


def _other_kind_hint(payload) -> str:
    if isinstance(payload, dict):
        if "transportDocument" in payload or "transportDocumentReference" in payload:
            return "; this looks like a file of kind 'dcsa-ebl'"
        if "events" in payload:
            return "; this looks like a file of kind 'dcsa-events'"
    return ""
