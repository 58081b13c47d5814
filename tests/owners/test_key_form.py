"""Owner ids come back from matching's key form (upper case) as registered."""
from __future__ import annotations

from aggregator.owners.key_form import OwnerOfKey
from aggregator.store.db import session_scope
from aggregator.tenancy import add_owner


def test_key_form_owner_is_named_as_registered(engine) -> None:
    with session_scope(engine) as session:
        add_owner(session, "lumina-hk", "Lumina")
        add_owner(session, "KAIYUE", "Kaiyue")
    with session_scope(engine) as session:
        owner_of = OwnerOfKey(session)
        assert (owner_of("LUMINA-HK"), owner_of("lumina-hk"), owner_of("KAIYUE")) == ("lumina-hk", "lumina-hk", "KAIYUE")
        assert owner_of("NOBODY") is None and owner_of(None) is None
