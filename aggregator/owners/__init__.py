"""Who owns a row: owner aliases (3PL owner codes, legal names, registration numbers) and per-row
attribution of imported files. ``aliases`` and ``attribution`` read the store; how
values are compared is the pure ``platform_adapters.canonical.owner_names`` (the title ledger compares
party names by the same rule).
"""
