"""The edge: each source's protocol, mapped to canonical records.

One folder per source (``shopee/``, ``lazada/``, ``tiktok/``, ``logistics/``, ``warehouse/``,
``sandbox/``). Adapters emit the records in ``platform_adapters.canonical`` and never touch the
database; they import ``fx.money`` for amounts and nothing of ``aggregator``.
"""
