"""Persisting parsed rates with provenance, and loading them back as an ``fx.convert.RateBook``.

An import is keyed by (source, sha256 of the payload): importing the same file twice is a no-op.
New rates are inserted in bulk (``ON CONFLICT DO NOTHING`` so concurrent imports never collide);
a rate the publisher revised (same key, different value) is updated and written to the audit log;
each problem the parser reported is parked in the exceptions queue with its location and raw text.
A rate that jumps more than ``jump_threshold`` from the fixing before it (in the payload or already
stored) is stored but also parked as a warning for a person to check.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.exceptions_queue.writes import park
from aggregator.store.models.fx import FxRateImport, FxRateRow
from aggregator.store.upsert import insert_for, write_audit
from fx.convert import RateBook
from fx.rate_checks import DEFAULT_THRESHOLD, SeriesKey, large_moves, series_key
from fx.rates import Rate, Side
from fx.sources.base import ParsedRates

RateKey = tuple[str, str, str, str, date]  # source, base, quote, side, date
CHUNK = 2000


@dataclass(slots=True)
class ImportReport:
    source: str
    origin: str
    sha256: str
    read: int = 0
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    duplicate_file: bool = False
    problems: list[str] = field(default_factory=list)
    jumps: list[str] = field(default_factory=list)
    import_id: int | None = None

    def summary(self) -> str:
        if self.duplicate_file:
            return f"{self.origin}: already imported (import #{self.import_id}); nothing to do"
        return (f"{self.origin}: {self.read} rates read, {self.created} new, {self.revised} revised, "
                f"{self.unchanged} unchanged, {len(self.problems)} problem(s), {len(self.jumps)} suspicious jump(s)")


def _key(rate: Rate) -> RateKey:
    return (rate.source, rate.base, rate.quote, rate.side.value, rate.on)


def import_rates(session: Session, parsed: ParsedRates, *, payload: bytes, origin: str,
                 jump_threshold: Decimal = DEFAULT_THRESHOLD) -> ImportReport:
    """Store ``parsed`` (read from ``payload``) idempotently; the caller commits."""
    digest = hashlib.sha256(payload).hexdigest()
    report = ImportReport(parsed.source, origin, digest, read=len(parsed.rates))
    previous = session.scalars(select(FxRateImport).where(
        FxRateImport.source == parsed.source, FxRateImport.content_sha256 == digest)).first()
    if previous is not None:
        report.duplicate_file, report.import_id = True, previous.id
        return report

    report.problems = [p.describe() for p in parsed.problems]
    record = FxRateImport(source=parsed.source, origin=origin, content_sha256=digest, rates_read=len(parsed.rates),
                          problems=report.problems)
    session.add(record)
    session.flush()
    report.import_id = record.id

    incoming: dict[RateKey, Rate] = {}
    for rate in parsed.rates:
        incoming.setdefault(_key(rate), rate)
    existing = _existing(session, incoming.values())
    new_rows = []
    for key, rate in incoming.items():
        stored = existing.get(key)
        if stored is None:
            new_rows.append({"source": rate.source, "base": rate.base, "quote": rate.quote, "side": rate.side.value,
                             "rate_date": rate.on, "value": rate.value, "unit": rate.unit,
                             "reference": rate.reference, "published_at": rate.published_at,
                             "import_id": record.id})
        elif stored.value != rate.value or stored.unit != rate.unit:
            write_audit(session, entity="fx_rates", key="|".join(map(str, key)), action="update", owner_id=None,
                        changes={"value": [str(stored.value), str(rate.value)], "unit": [stored.unit, rate.unit],
                                 "import_id": [stored.import_id, record.id]})
            stored.value, stored.unit, stored.reference = rate.value, rate.unit, rate.reference
            stored.import_id = record.id
            report.revised += 1
        else:
            report.unchanged += 1
    statement = insert_for(session, FxRateRow.__table__).on_conflict_do_nothing(
        index_elements=["source", "base", "quote", "side", "rate_date"]).returning(FxRateRow.id)
    for start in range(0, len(new_rows), CHUNK):
        report.created += len(session.execute(statement, new_rows[start:start + CHUNK]).all())
    report.unchanged += len(new_rows) - report.created  # inserted meanwhile by a concurrent import

    for problem in parsed.problems:
        if problem.skipped_by_design:
            continue
        park(session, owner_id=None, source=f"fx:{parsed.source.lower()}", kind="fx_rate",
             reason=problem.message, raw_payload={"raw": problem.raw, "origin": origin},
             location=f"{origin} {problem.location}", record_key=f"{digest[:16]}:{problem.location}")
    for jump in large_moves(incoming.values(), previous=_previous(session, incoming.values()),
                            threshold=jump_threshold):
        report.jumps.append(jump.describe())
        park(session, owner_id=None, source=f"fx:{parsed.source.lower()}", kind="fx_rate_jump",
             reason=jump.describe(), raw_payload={"value": str(jump.current.value), "origin": origin},
             location=f"{origin} {jump.current.on} {jump.current.pair}",
             record_key=f"jump:{'|'.join(map(str, series_key(jump.current)))}|{jump.current.on}")
    record.rates_created, record.rates_revised = report.created, report.revised
    session.flush()
    return report


def _existing(session: Session, rates: Iterable[Rate]) -> dict[RateKey, FxRateRow]:
    rates = list(rates)
    if not rates:
        return {}
    sources = {r.source for r in rates}
    first, last = min(r.on for r in rates), max(r.on for r in rates)
    rows = session.scalars(select(FxRateRow).where(
        FxRateRow.source.in_(sources), FxRateRow.rate_date >= first, FxRateRow.rate_date <= last))
    return {(row.source, row.base, row.quote, row.side, row.rate_date): row for row in rows}


def _previous(session: Session, rates: Iterable[Rate]) -> dict[SeriesKey, Rate]:
    """For each series in ``rates``, the stored fixing just before the series' first date here."""
    first_day: dict[SeriesKey, date] = {}
    for rate in rates:
        key = series_key(rate)
        first_day[key] = min(first_day.get(key, rate.on), rate.on)
    previous: dict[SeriesKey, Rate] = {}
    for (source, base, quote, side, unit), day in first_day.items():
        row = session.scalars(select(FxRateRow).where(
            FxRateRow.source == source, FxRateRow.base == base, FxRateRow.quote == quote, FxRateRow.side == side,
            FxRateRow.unit == unit, FxRateRow.rate_date < day).order_by(FxRateRow.rate_date.desc()).limit(1)).first()
        if row is not None:
            previous[(source, base, quote, side, unit)] = to_rate(row)
    return previous


def to_rate(row: FxRateRow) -> Rate:
    return Rate(row.base, row.quote, row.value, row.rate_date, row.source, Side(row.side), row.unit,
                row.reference, row.published_at)


def load_rate_book(session: Session, *, since: date | None = None, until: date | None = None,
                   sources: Iterable[str] | None = None) -> RateBook:
    """The stored rates between ``since`` and ``until`` (inclusive) as a ``RateBook``."""
    query = select(FxRateRow)
    if since is not None:
        query = query.where(FxRateRow.rate_date >= since)
    if until is not None:
        query = query.where(FxRateRow.rate_date <= until)
    if sources is not None:
        query = query.where(FxRateRow.source.in_(list(sources)))
    return RateBook(to_rate(row) for row in session.scalars(query))


def fetch_payload(kind: str, *, attempts: int = 3, ecb_file: str = "daily", url: str | None = None,
                  base: str = "EUR", start: date | None = None, end: date | None = None) -> tuple[bytes, str]:
    """Download one payload from a publisher (``ecb``, ``nbp``, ``mas`` or ``json``); returns (bytes, origin).

    Raises ``fx.sources.http.FetchError`` (offline, HTTP error) with the source and the reason. The
    body of the CLI's ``fx rates fetch`` and of a scheduled daily job.
    """
    from fx.sources import ecb, json_provider, mas, nbp

    if kind == "ecb":
        return ecb.fetch(ecb_file, attempts=attempts), ecb.URLS[ecb_file]
    if kind == "mas":
        last = end or datetime.now(timezone.utc).date()  # never the server's local day
        first = start or last - timedelta(days=7)
        return mas.fetch(first, last, attempts=attempts), mas.URL
    if kind == "nbp":
        last = end or datetime.now(timezone.utc).date()  # never the server's local day
        first = start or last - timedelta(days=7)
        return (nbp.fetch(first, last, attempts=attempts),
                f"{nbp.API.split('{', 1)[0]}{{a,b}}/{first}/{last}/ ({len(list(nbp.windows(first, last)))} window(s))")
    if kind == "json":
        target = url or json_provider.DEFAULT_URL
        return json_provider.fetch(base=base, url=target, attempts=attempts), target
    raise ValueError(f"cannot fetch {kind!r}; fetchable sources are ecb, nbp, mas, json")


def fetch_and_import(session: Session, kind: str, **options: object) -> ImportReport:
    """Fetch one payload and import it (idempotent: the same payload twice is a no-op)."""
    from fx.sources.registry import parse

    payload, origin = fetch_payload(kind, **options)  # type: ignore[arg-type]
    return import_rates(session, parse(kind, payload), payload=payload, origin=origin)
