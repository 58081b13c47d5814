"""The demo's transport retries: written to a log file and counted, kept off the console.

A sandbox with injected faults makes the transport retry (429s, 5xx) a few dozen times; each retry is an
INFO record of ``platform_adapters.http.transport`` naming its request (method and URL, the signed call's
secret parameters masked). On the demo's console they would interleave with its
report, so while the demo runs (``retries_to_file``) those INFO records go to ``<data dir>/demo.log`` only
(redacted, as every log line) and are counted per platform and per kind; the demo prints the counts and
the file's path. Records at WARNING or above still reach the console, and a request whose retries run
out still fails its sync (shown in the shop's summary line).
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.logging_setup import RedactingFilter, TextFormatter

TRANSPORT = "platform_adapters.http.transport"


@dataclass
class RetryCount:
    """Retries seen, per platform and per kind (``HTTP 429``, ``HTTP 5xx``, ``throttle``, …)."""

    path: Path
    by_platform: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_platform.values())

    def line(self) -> str:
        if not self.total:
            return f"transport retries: none (log: {self.path})"
        return (f"transport retries: {self.total} (" + ", ".join(f"{p} {n}" for p, n in sorted(self.by_platform.items()))
                + "; " + ", ".join(f"{k} {n}" for k, n in sorted(self.by_kind.items()))
                + f"), each logged in {self.path}")


def _kind(error: object) -> str:
    status = getattr(error, "http_status", None)
    if status:
        return "HTTP 429" if status == 429 else f"HTTP {status // 100}xx"
    kind = getattr(error, "kind", None)
    return str(getattr(kind, "value", kind) or type(error).__name__)


class _Counting(logging.Handler):
    def __init__(self, count: RetryCount) -> None:
        super().__init__(logging.INFO)
        self.count, self._lock = count, threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.levelno == logging.INFO and len(args) >= 3 and "retry in" in str(record.msg):
            with self._lock:
                self.count.by_platform[str(args[0])] += 1
                self.count.by_kind[_kind(args[2])] += 1


class _NotOnConsole(logging.Filter):
    """Drops the transport's records below WARNING from the console's handlers."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == TRANSPORT and record.levelno < logging.WARNING)


@contextmanager
def retries_to_file(path: Path) -> Iterator[RetryCount]:
    """While open: the transport's retry records go to ``path`` (appended) and are counted, not printed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = RetryCount(path)
    logger = logging.getLogger(TRANSPORT)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.addFilter(RedactingFilter())
    to_file.setFormatter(TextFormatter())
    counting = _Counting(count)
    quiet = _NotOnConsole()
    consoles = list(logging.getLogger().handlers)
    level = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)  # counted and logged whatever the console's level
    for handler in consoles:
        handler.addFilter(quiet)
    logger.addHandler(counting)  # before the file handler: it reads the record's own args
    logger.addHandler(to_file)
    try:
        yield count
    finally:
        logger.removeHandler(to_file)
        logger.removeHandler(counting)
        to_file.close()
        for handler in consoles:
            handler.removeFilter(quiet)
        logger.setLevel(level)
