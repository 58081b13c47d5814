"""Foreign exchange: money, rates with provenance, rate locks, realized and unrealized gains.

Pure code: nothing here imports the application, SQLAlchemy or an HTTP client, except the
optional fetchers of rate sources (``fx.sources``), whose parsers stay pure.
"""
from fx.money import Money, CurrencyMismatch

__all__ = ["Money", "CurrencyMismatch"]
