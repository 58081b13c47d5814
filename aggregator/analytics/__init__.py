"""Analytics over the stored chain: legs in days per order (order-to-cash), value in transit, stock ageing
and expiry, demand and days of cover, exception resolution times and the resilience index.

Pure computation modules (``stats``, ``legs``, …) take DataFrames and return DataFrames; the store reads
that feed them live in ``facts`` (one owner at a time, never another owner's rows). ``docs/analytics.md``
defines every figure.
"""
