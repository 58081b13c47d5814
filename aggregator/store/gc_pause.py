"""``gc_paused``: the cyclic garbage collector held off while a batch is written.

A batch of orders allocates tens of thousands of short-lived objects (tuples, Decimals, datetimes,
JSON texts) and frees them without cycles; meanwhile the collector would walk every object the process
holds again and again (it was a fifth of the batch write's CPU). Reference counting still frees
everything as usual; only the search for cycles waits until the block ends. The collector is enabled
again only if this block disabled it (a caller that disabled it keeps it disabled), in a ``finally``.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector off for the ``with`` block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
