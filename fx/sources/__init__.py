"""Rate sources: one module per publisher, each a PURE parser plus an optional fetcher.

Parsers take the bytes a publisher serves and return ``ParsedRates`` (rates + problems); they
never raise on a bad row: the row is reported with where and why, the rest goes on. Fetchers
(the only network code in ``fx``) live beside the parsers and use ``fx.sources.http``.
"""
from fx.sources.base import ParsedRates, ParseProblem, SourceFormatError

__all__ = ["ParsedRates", "ParseProblem", "SourceFormatError"]
