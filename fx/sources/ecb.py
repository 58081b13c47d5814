"""ECB euro foreign exchange reference rates: XML (daily, 90-day, history) and CSV (daily, history).

Every ECB rate means "units of currency per 1 EUR" (mid, for information purposes). Parsers keep
the number exactly as printed. Layout facts (reference/fx_settlement.md §1.1):

* XML: ``gesmes:Envelope`` with a default namespace; ``Cube time=…`` per day holding
  ``Cube currency=… rate=…`` leaves; the parser is namespace-aware.
* History CSV: ISO dates, ``N/A`` for missing values, a trailing comma (empty last column), legacy
  currencies (CYP, ROL…) that are no longer ISO 4217 codes.
* Daily CSV: ``", "`` separators, dates written ``30 October 2026``, a trailing ``", "``.
* The official downloads are zip files holding one CSV.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from fx.currencies import is_known
from fx.rates import InvalidRate, Rate, Side
from fx.sources.base import ParsedRates, ParseProblem, SourceFormatError

SOURCE = "ECB"
BASE = "EUR"
NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
MISSING_MARKERS = frozenset({"", "N/A", "NA", "-"})
URLS = {
    "daily": "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml",
    "90d": "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml",
    "hist": "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.xml",
    "daily-csv": "https://www.ecb.europa.eu/stats/eurofxref/eurofxref.zip",
    "hist-csv": "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip",
}
_MONTHS = {name: number for number, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}


def payload_reference(payload: bytes) -> str:
    """A short, stable reference to the exact payload a rate came from (for provenance)."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()[:16]


def parse_day(text: str) -> date:
    """Parse ``2026-10-30`` or ``30 October 2026`` (locale-independent)."""
    text = text.strip()
    parts = text.split()
    if len(parts) == 3 and parts[1].lower() in _MONTHS:
        return date(int(parts[2]), _MONTHS[parts[1].lower()], int(parts[0]))
    return date.fromisoformat(text)


def _make_rate(code: str, raw: str, day: date, reference: str, location: str,
               problems: list[ParseProblem]) -> Rate | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        problems.append(ParseProblem(location, f"{code} rate is not a number", raw))
        return None
    try:
        return Rate(BASE, code, value, day, SOURCE, Side.MID, 1, reference)
    except InvalidRate as exc:
        problems.append(ParseProblem(location, str(exc), raw))
        return None


def parse_xml(payload: bytes, *, reference: str | None = None) -> ParsedRates:
    """Parse any of the ECB XML files (one or many ``Cube time`` blocks)."""
    reference = reference or payload_reference(payload)
    if b"<!DOCTYPE" in payload:  # entities can only be declared in a DOCTYPE (XML is case-sensitive)
        raise SourceFormatError("ECB XML never declares a DOCTYPE or entities; refusing this payload")
    try:
        root = ElementTree.fromstring(payload)
    except ElementTree.ParseError as exc:
        raise SourceFormatError(f"ECB XML is not well-formed: {exc}") from exc
    days = [cube for cube in root.iter(f"{NAMESPACE}Cube") if "time" in cube.attrib]
    if not days:
        raise SourceFormatError("no <Cube time=…> element in the ECB namespace; is this an ECB file?")
    result = ParsedRates(SOURCE)
    for day_cube in days:
        raw_day = day_cube.attrib["time"]
        try:
            day = parse_day(raw_day)
        except ValueError:
            result.problems.append(ParseProblem(f"Cube time={raw_day!r}", "not a date", raw_day))
            continue
        for leaf in day_cube.findall(f"{NAMESPACE}Cube"):
            code = leaf.attrib.get("currency", "").strip()
            raw = leaf.attrib.get("rate", "").strip()
            location = f"{day.isoformat()} {code or '?'}"
            if not code:
                result.problems.append(ParseProblem(location, "Cube without a currency attribute"))
                continue
            rate = _make_rate(code, raw, day, reference, location, result.problems)
            if rate is not None:
                result.rates.append(rate)
    return result


def parse_csv(text: str, *, reference: str) -> ParsedRates:
    """Parse the ECB daily or history CSV (header ``Date,USD,…``; quirks handled)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise SourceFormatError("ECB CSV is empty")
    header = [cell.strip() for cell in lines[0].split(",")]
    if header[0].lower() != "date":
        raise SourceFormatError(f"ECB CSV must start with a 'Date' column, got {header[0]!r}")
    columns = header[1:]
    result = ParsedRates(SOURCE)
    legacy_seen: dict[str, int] = {}
    for line_no, line in enumerate(lines[1:], start=2):
        cells = [cell.strip() for cell in line.split(",")]
        try:
            day = parse_day(cells[0])
        except ValueError:
            result.problems.append(ParseProblem(f"line {line_no}", "first column is not a date", cells[0]))
            continue
        for code, raw in zip(columns, cells[1:]):
            if not code or raw in MISSING_MARKERS:
                continue
            if not is_known(code):
                legacy_seen[code] = legacy_seen.get(code, 0) + 1
                continue
            rate = _make_rate(code, raw, day, reference, f"line {line_no} {code}", result.problems)
            if rate is not None:
                result.rates.append(rate)
    for code, count in sorted(legacy_seen.items()):
        result.problems.append(ParseProblem(
            f"column {code}", f"not a current ISO 4217 currency; {count} value(s) skipped",
            skipped_by_design=True))
    return result


def parse_zip(payload: bytes, *, reference: str | None = None) -> ParsedRates:
    """Parse an ECB zip download (each CSV member)."""
    reference = reference or payload_reference(payload)
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(f"not a zip file: {exc}") from exc
    result = ParsedRates(SOURCE)
    for name in archive.namelist():
        part = parse_csv(archive.read(name).decode("utf-8-sig"), reference=reference)
        result.rates.extend(part.rates)
        result.problems.extend(ParseProblem(f"{name} {p.location}", p.message, p.raw, p.skipped_by_design)
                               for p in part.problems)
    return result


def parse(payload: bytes, *, reference: str | None = None) -> ParsedRates:
    """Parse any ECB payload, recognising zip, XML or CSV by its first bytes."""
    if payload[:2] == b"PK":
        return parse_zip(payload, reference=reference)
    stripped = payload.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return parse_xml(payload, reference=reference)
    return parse_csv(payload.decode("utf-8-sig"), reference=reference or payload_reference(payload))


def fetch(kind: str = "daily", **http_options: object) -> bytes:
    """Download one ECB file (``daily``, ``90d``, ``hist``, ``daily-csv``, ``hist-csv``)."""
    from fx.sources.http import get_bytes  # network code stays out of the parsers' import path

    try:
        url = URLS[kind]
    except KeyError as exc:
        raise ValueError(f"unknown ECB file {kind!r}; choose one of {sorted(URLS)}") from exc
    return get_bytes(url, **http_options)
