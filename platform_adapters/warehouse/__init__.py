"""Overseas-warehouse (3PL) files: inbound ASN/receipts, outbound fulfilment, stock snapshots.

Pure mappers from canonical rows (see ``platform_adapters.profiles.kinds``) to the records of
``platform_adapters.canonical.warehouse``.
"""
