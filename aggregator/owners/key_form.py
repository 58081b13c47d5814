"""Owner ids in matching's key form and back.

Matching writes owner ids upper-cased (``matching.keys.normalize_code``) in its keys and in the owner
column of the rows it derives (links, exceptions, lot keys). ``OwnerOfKey`` maps such a value back to
the owner id as registered, so an event or an API answer names the owner a key, stream or path uses.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.models.tenancy import OwnerRow
from matching import keys


class OwnerOfKey:
    """Key-form owner → registered owner id (``None`` for an owner not registered)."""

    def __init__(self, session: Session) -> None:
        self._owners = {keys.normalize_code(o): o for o in session.scalars(select(OwnerRow.owner_id))}

    def __call__(self, owner: str | None) -> str | None:
        return self._owners.get(keys.normalize_code(owner) or "") if owner else None
