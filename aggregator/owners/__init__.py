"""Who owns a row: owner aliases (3PL owner codes, legal names, registration numbers) and per-row
attribution of imported files. ``normalise`` is pure; ``aliases`` and ``attribution`` read the store.
"""
