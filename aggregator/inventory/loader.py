"""Chooses the inventory core from configuration: switching mode is configuration, not code."""
from __future__ import annotations

from importlib.metadata import entry_points

from sqlalchemy import Engine

from aggregator.config import Settings
from aggregator.inventory.port import InventoryCore, NullCore
from aggregator.inventory.reference import ReferenceCore

ENTRY_POINT_GROUP = "aggregator.inventory_cores"


def core_for(settings: Settings, engine: Engine) -> InventoryCore:
    if settings.inventory_mode == "inventory-less":
        return NullCore()
    if settings.inventory_core == "reference":
        return ReferenceCore(engine)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == settings.inventory_core:
            factory = ep.load()
            return factory(settings=settings, engine=engine)
    raise LookupError(f"no inventory core named {settings.inventory_core!r} "
                      f"(built in: reference; plug-ins register under {ENTRY_POINT_GROUP!r})")
