"""File ingestion: logistics documents, DCSA JSON, customs entries and 3PL records into the store.

``import_file(engine, kind, path, …)`` is the one entry point (used by ``aggregator import``); the
mapping is pure and lives in ``platform_adapters``; here are the I/O, the database and the report.
"""
from aggregator.ingest.runner import import_file
from aggregator.ingest.summary import ImportSummary

__all__ = ["ImportSummary", "import_file"]
