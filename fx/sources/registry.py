"""The rate sources by name (as the CLI and the application call them) and their parsers."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fx.sources import bank_csv, ecb, json_provider, mas, nbp
from fx.sources.base import ParsedRates

PARSERS: dict[str, Callable[..., ParsedRates]] = {
    "ecb": ecb.parse,
    "mas": mas.parse,
    "json": json_provider.parse,
    "bank-csv": bank_csv.parse,
    "nbp": nbp.parse,
}


def parse(kind: str, payload: bytes, **options: Any) -> ParsedRates:
    """Parse ``payload`` with the named source's parser (``bank-csv`` needs ``home_currency``)."""
    try:
        parser = PARSERS[kind]
    except KeyError as exc:
        raise ValueError(f"unknown rate source {kind!r}; choose one of {sorted(PARSERS)}") from exc
    return parser(payload, **options)


def guess_kind(file_name: str, payload: bytes) -> str:
    """A best guess from the name and first bytes: ECB XML/zip/CSV, MAS CSV, NBP or Frankfurter JSON; else
    bank CSV."""
    head = payload.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if head.startswith((b"{", b"[")):
        return "nbp" if b'"effectiveDate"' in head and b'"table"' in head else "json"
    first_line = [cell.strip() for cell in head.split(b"\n", 1)[0].decode("utf-8", "replace").split(",")]
    ecb_csv = len(first_line) > 1 and first_line[0].lower() == "date" and len(first_line[1]) == 3 \
        and first_line[1].isupper()
    if head.startswith(b"<") or payload[:2] == b"PK" or "eurofxref" in file_name.lower() or ecb_csv:
        return "ecb"
    if b"End of Period" in head:
        return "mas"
    return "bank-csv"
