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


def test_owner_id_differing_only_in_case_is_refused(engine) -> None:
    """Matching's partitions (``shop|LUMINA-HK|…``), links and title subjects carry the owner upper-cased: a
    second owner 'LUMINA-HK' beside 'lumina-hk' would share them, and one owner's run would replace the
    other's links. Its creation is refused, naming the existing owner; nothing is written."""
    import pytest
    from sqlalchemy import func, select

    from aggregator.store.models.tenancy import OwnerRow
    from aggregator.tenancy import TenancyError

    with session_scope(engine) as session:
        add_owner(session, "lumina-hk", "Lumina")
    with pytest.raises(TenancyError, match="'lumina-hk' only in case"), session_scope(engine) as session:
        add_owner(session, "LUMINA-HK", "Lumina again")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(OwnerRow)) == 1
