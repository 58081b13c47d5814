"""Choosing a sandbox anchor for a test that needs a particular case in a seed's world.

The sandbox's world follows its anchor (its simulated "now"; by default the wall clock's minute a day
back), so a seed holds a given case at some anchors only. A test that needs the case picks, with
``anchor_where``, the latest whole hour (or 00:00 UTC, ``step=DAY``) before the default anchor whose world has
it (the nearest to the wall clock; a test that syncs such a world syncs from its first order, as
tests/api/matched_world does, since a sync's own first window follows the wall clock). A case can be missing
for weeks of anchors (seed 9's one scrapped return: none for 17 days in a row), hence the long search. None
found is a loud failure.
"""
from __future__ import annotations

from collections.abc import Callable

from platform_adapters.sandbox.server import default_anchor
from platform_adapters.sandbox.world import World, generate_world

HOUR, DAY = 3600, 86400
SPAN = 60 * DAY  # how far back the search goes


def anchor_where(wanted: Callable[[World, int], bool], what: str, seed: int, orders: int, days: int = 30,
                 *, aligned: bool = True, step: int = HOUR) -> int:
    """The latest anchor before the sandbox's default anchor, a whole ``step`` (an hour; ``DAY``: 00:00 UTC), at
    which ``wanted(world, anchor)`` holds for the seed's world; ``what`` names the case in the failure when none
    in the ``SPAN`` before has it. ``aligned=False``: the default anchor or a whole number of steps before it
    (its minute kept)."""
    start = default_anchor() // step * step if aligned else default_anchor()
    for back in range(SPAN // step):
        anchor = start - back * step
        if wanted(generate_world(seed=seed, orders=orders, anchor=anchor, days=days), anchor):
            return anchor
    raise AssertionError(f"seed {seed} ({orders} orders): no anchor in the {SPAN // step} steps of {step} s "
                         f"before {start} has {what}")
