"""Choosing a sandbox anchor for a test that needs a particular case in a seed's world.

The sandbox's world follows its anchor (its simulated "now"; by default the wall clock's minute a day
back), so a seed holds a given case at some anchors only. A test that needs the case picks, with
``anchor_where``, the latest whole hour before the default anchor whose world has it (the nearest to the wall
clock; a test that syncs such a world syncs from its first order, as tests/api/matched_world does, since a
sync's own first window follows the wall clock). A case can be missing for weeks of anchors (seed 9's one
scrapped return: none for 17 days in a row), hence the long search. None found is a loud failure.
"""
from __future__ import annotations

from collections.abc import Callable

from platform_adapters.sandbox.server import default_anchor
from platform_adapters.sandbox.world import World, generate_world

HOURS = 60 * 24


def anchor_where(wanted: Callable[[World, int], bool], what: str, seed: int, orders: int, days: int = 30,
                 *, whole_hours: bool = True) -> int:
    """The latest whole hour before the sandbox's default anchor at which ``wanted(world, anchor)`` holds for
    the seed's world; ``what`` names the case in the failure when none of the ``HOURS`` hours has it.
    ``whole_hours=False``: the default anchor or a whole number of hours before it (its minute kept)."""
    start = default_anchor() if not whole_hours else default_anchor() // 3600 * 3600
    for hours in range(HOURS):
        anchor = start - hours * 3600
        if wanted(generate_world(seed=seed, orders=orders, anchor=anchor, days=days), anchor):
            return anchor
    raise AssertionError(f"seed {seed} ({orders} orders): no anchor in the {HOURS} hours before {start} has {what}")
