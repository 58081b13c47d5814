"""The one exceptions queue (model: ``aggregator.store.models.exceptions.ExceptionItem``).

Parked records (sync, import, webhooks, rate fetches), the matcher's exceptions and settlement findings
are items of one table with one integer id, listed, shown, resolved and retried the same way by
``aggregator exceptions list|show|resolve|retry`` and ``/api/v1/exceptions``.

* ``writes`` — ``park`` (add or refresh an open item), ``close``, ``store_match_exceptions`` (the matcher's
  run → items: stable ``ref``, re-open when found again, ``gone`` when no longer found);
* ``queries`` — ``Filters`` (kind, owner, status, age), ``list_items``, ``get_item``, ``as_row``,
  ``candidates``;
* ``actions`` — ``resolve`` (a note, or the manual link that fixes a match exception) and ``retry``
  (replay a parked record).

Others raise and clear items through these functions only (settlement findings:
``aggregator.settlement.exceptions``); every addition and closing is told through the outbox.
"""
