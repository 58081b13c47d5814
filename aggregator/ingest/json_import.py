"""Import DCSA JSON files: eBL v3 transport documents and Track & Trace events.

The file is decoded strictly (declared encoding, UTF-8 by default) and parsed with
``parse_float=Decimal``; each document or event is mapped and stored on its own (SAVEPOINT), so a
bad one is reported with its JSON path and the others are kept.

Owners (unless ``--owner``): a transport document is its consignee's or notify party's (owner
aliases), else, for a master, the owners' of its stored house documents (one copy each); an event is
stored for every owner whose stored documents it names (document reference, booking, container); a
vessel event naming none of them belongs to the owners of the file's other events at the same
transport call. An item that names no owner is rejected with its JSON path.
"""
from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from aggregator.ingest.events_writer import write_event
from aggregator.ingest.summary import ImportSummary
from aggregator.ingest.tabular_import import _ChunkSink
from aggregator.ingest.writers import error_text, write_transport_document
from aggregator.owners.attribution import Attribution, OwnerResolver
from platform_adapters.canonical.common import Problem
from platform_adapters.canonical.logistics import TransportDocument, TransportEvent
from platform_adapters.canonical.tenancy import OwnerClaim
from platform_adapters.logistics.bl_report import is_to_order
from platform_adapters.logistics import dcsa_ebl, dcsa_events
from platform_adapters.tabular.control import describe_control, find_control
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
    except RecursionError:  # arrays or objects nested thousands deep: no DCSA document is
        raise TabularError(path.name, "not valid JSON for a DCSA document: nested too deeply (arrays or objects "
                           "inside each other thousands of levels down)", code="bad_json") from None


def _located(problems, filename: str):
    """JSON problems carry a path, not a line: put it in the column so the report shows where."""
    return [Problem(p.code, p.message, p.severity, f"{p.location}.{p.field}" if p.field else p.location, p.value,
                    filename) for p in problems]


def document_claims(doc: TransportDocument) -> tuple[OwnerClaim, ...]:
    consignee = "" if doc.is_to_order or is_to_order(doc.consignee) else (doc.consignee or "")
    claims = [OwnerClaim("legal_name", "consignee", consignee),
              OwnerClaim("legal_name", "notify_party", doc.notify_party or "")]
    if doc.doc_level != "HOUSE":
        claims.append(OwnerClaim("houses_of", "transportDocumentReference", doc.doc_number))
    return tuple(claims)


def event_claims(event: TransportEvent) -> tuple[OwnerClaim, ...]:
    claims = [OwnerClaim("booking" if ref.kind == "BKG" else "document", "documentReference", ref.value)
              for ref in event.document_refs]
    claims.append(OwnerClaim("container", "equipmentReference", event.equipment_no or ""))
    return tuple(claims)


def _unowned(attribution: Attribution, filename: str, location: str) -> Problem:
    return Problem(attribution.code, attribution.reason, field=f"{location}.{attribution.column}",
                   value=attribution.value, location=filename)


def import_dcsa(session: Session, *, import_pk: int, path: Path, kind: str, owner_id: str | None,
                encoding: str, summary: ImportSummary) -> None:
    payload = load_json(path, encoding)
    sink = _ChunkSink(import_pk, summary)
    resolver = OwnerResolver(session, override=owner_id)
    if kind == "dcsa-ebl":
        documents = dcsa_ebl.split_documents(payload)
        if not documents:
            raise TabularError(path.name, "no DCSA TransportDocument found (expected transportDocumentReference, "
                               "or an object with 'transportDocument')" + _other_kind_hint(payload),
                               code="missing_columns")
        for location, doc, chain in documents:
            summary.rows_read += 1
            damaged = _control_problem(doc, location, path.name)
            if damaged is not None:
                sink.add([damaged], {None: {"location": location}})
                continue
            result = dcsa_ebl.map_transport_document(doc, chain, owner_id or "", location)
            problems = _located(result.problems, path.name)
            owners: tuple[str, ...] = ()
            if result.record is not None:
                attribution = resolver.resolve(document_claims(result.record))
                owners = attribution.owners
                if not owners:
                    problems.append(_unowned(attribution, path.name, location))
                for owner in owners:
                    problems += _store(session, summary, write_transport_document,
                                       (session, replace(result.record, owner_id=owner)), path.name, location, owner)
            sink.add(problems, {None: {"location": location}}, owners[0] if len(owners) == 1 else None)
    else:
        events = dcsa_events.split_events(payload)
        if events == [("$", payload)] and not (isinstance(payload, dict) and "payload" in payload
                                                or isinstance(payload, dict) and "eventType" in payload):
            raise TabularError(path.name, "no DCSA events found (expected a list, {'events': [...]} or one event)"
                               + _other_kind_hint(payload), code="missing_columns")
        mapped = []
        by_call: dict[str, set[str]] = {}
        for location, raw in events:
            summary.rows_read += 1
            damaged = _control_problem(raw, location, path.name)
            if damaged is not None:
                sink.add([damaged])
                continue
            result, call = dcsa_events.map_event(raw, owner_id, location)
            attribution = None
            if result.record is not None:
                attribution = resolver.resolve(event_claims(result.record), every=True)
                if call:
                    by_call.setdefault(call, set()).update(attribution.owners)
            mapped.append((location, result, call, attribution))
        for location, result, call, attribution in mapped:
            problems = _located(result.problems, path.name)
            owners = ()
            if result.record is not None:
                # A vessel event names no document or container: it is about the shipments of the other
                # events of this file at the same transport call.
                owners = attribution.owners or tuple(sorted(by_call.get(call, ())))
                if not owners:
                    problems.append(_unowned(attribution, path.name, location))
                key = dcsa_events.milestone_key(result.record, call)
                for owner in owners:
                    problems += _store(session, summary, write_event,
                                       (session, replace(result.record, owner_id=owner), owner, key),
                                       path.name, location, owner)
            sink.add(problems, owner_id=owners[0] if len(owners) == 1 else None)
    sink.flush(session)
    session.commit()


def _control_problem(raw: object, location: str, filename: str) -> Problem | None:
    """A record holding a control character other than tab/LF/CR in any string is rejected (not stored)."""
    found = find_control(raw, location)
    if found is None:
        return None
    where, char, text = found
    return Problem("control_character", f"holds the control character {describe_control(char)} (a damaged or "
                   "broken export); the record is not stored", field=where, value=text[:200], location=filename)


def _store(session: Session, summary: ImportSummary, write, args: tuple, filename: str,
           location: str, owner_id: str) -> list[Problem]:
    try:
        with session.begin_nested():
            outcome = write(*args)
            if isinstance(outcome, tuple):  # write_event also says what happened to the milestone
                outcome = outcome[0]
        summary.count(outcome.outcome.value)
        summary.owners[owner_id] += 1
        return []
    except (SQLAlchemyError, ValueError, TypeError) as exc:
        return [Problem("store_failed", f"could not be stored: {error_text(exc)}",
                        field=location, location=filename)]


def _other_kind_hint(payload) -> str:
    if isinstance(payload, dict):
        if "transportDocument" in payload or "transportDocumentReference" in payload:
            return "; this looks like a file of kind 'dcsa-ebl'"
        if "events" in payload:
            return "; this looks like a file of kind 'dcsa-events'"
    return ""
