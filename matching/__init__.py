"""Matching engine: links order lines to warehouse shipments, lots, receipts, transport documents and
customs entries, and keeps the in-transit title ledger.

Pure code: pandas and the standard library only. No database, no HTTP. ``aggregator`` loads the
input frames (see ``matching.frames``) and persists what the engine returns.
"""
