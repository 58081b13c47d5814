"""Settlements: marketplace statements stored beside their lines, per-order and per-statement
reconciliation, and the automatic booking of new statements into FX journals.

* ``writer``     — the ``settlements`` stream writer (lines and statements in one batch);
* ``reconcile``  — pure verdicts (order × lines → status; statement × lines → difference);
* ``service``    — reconcile an owner's changed orders and statements in the database;
* ``exceptions`` — the one function that turns a reconciliation finding into a queued exception;
* ``payouts``    — release days paid by payout batches (the orders a batch names);
* ``wallet_allocation`` / ``wallet`` — release days paid by a local shop's wallet withdrawals, oldest
  first (pure rule / in the database);
* ``booking``    — recognise every new statement at its own date (lock, else the rate source);
* ``queries``    — statements and reconciliation results for the CLI, the API and exports.
"""
