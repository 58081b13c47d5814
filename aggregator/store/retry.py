"""Riding out a short database outage: bounded retries of a unit of work on transient errors.

A transient error is one the database gives while it is unreachable or restarting, or when the
connection under a session was killed: SQLAlchemy's ``OperationalError`` / ``InterfaceError``
(psycopg's connection failures, SQLite's ``database is locked``) and any error whose connection
SQLAlchemy invalidated. A unit of work retried here must be a whole transaction (its rollback undoes
every write), so running it again is safe. Errors in the statement itself (a missing table, a
constraint) are not transient and are raised at once.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import tenacity
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_RETRY_SECONDS = 60.0
_NOT_TRANSIENT = ("no such table", "no such column", "syntax error", "has no column")


def is_transient_db_error(exc: BaseException) -> bool:
    """True for errors that a later attempt can get past (the database coming back)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc, (OperationalError, InterfaceError)):
        text = str(exc.orig).lower()
        return not any(marker in text for marker in _NOT_TRANSIENT)
    return False


def retrying(seconds: float = DEFAULT_RETRY_SECONDS, what: str = "database work") -> tenacity.Retrying:
    """A tenacity controller: retry transient database errors for up to ``seconds`` (backoff 0.2 s … 2 s),
    then raise the last error as itself."""

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("%s: database unavailable (%s); attempt %d, retrying", what,
                    type(error).__name__ if error else "?", state.attempt_number)

    return tenacity.Retrying(retry=tenacity.retry_if_exception(is_transient_db_error),
                             stop=tenacity.stop_after_delay(max(0.0, seconds)),
                             wait=tenacity.wait_exponential(multiplier=0.2, max=2.0),
                             before_sleep=before_sleep, reraise=True)


def with_db_retry(work: Callable[[], T], seconds: float = DEFAULT_RETRY_SECONDS, what: str = "database work") -> T:
    """Run ``work`` (one whole transaction) until it succeeds, a non-transient error, or ``seconds`` pass."""
    return retrying(seconds, what)(work)
