"""Finance exports: stored FX journals as balanced files a finance team imports.

* ``rows``: the canonical settlement export row (reference/fx_settlement.md §6.7) and the pure
  mapping from journal lines (+ where each line came from) to rows.
* ``balance``: the check every export passes before anything is written (debits = credits per
  journal in book currency, amounts already rounded at booking, one rounding mode per journal).
* ``canonical`` (our own CSV and XLSX), ``xero``, ``quickbooks``, ``kingdee``: one module per
  layout, each a pure function rows -> file bytes; ``registry`` names them.
* ``source``: the only module that reads the database (journal lines of one owner in a date range,
  with the statement, shop and order they came from); ``files``: writes the files.
"""
