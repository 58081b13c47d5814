"""An owner's legal-name aliases are its parties in the title ledger: an eBL endorsed to a legal entity
registered with ``owners alias add OWNER --kind legal-name`` passes title to that owner, as the owner's
name and the policy file's ``parties`` do (a user registering the alias for the logistics files should
not have to declare the same name a second time for title). Adding one changes the policy's signature,
so the next match re-derives the title events."""
from __future__ import annotations

from aggregator.matching_service.service import _policy
from aggregator.owners.aliases import add_alias
from aggregator.store.db import session_scope
from aggregator.tenancy import add_owner


def test_a_legal_name_alias_is_one_of_the_owners_parties(sqlite_engine) -> None:
    with session_scope(sqlite_engine) as session:
        add_owner(session, "LUMINA-HK", "Lumina")
        add_owner(session, "TROPIKA", "Tropika")
        before = _policy(session, None)
        assert before.party("LUMINA-HK", "Lumina Commerce (HK) Ltd.") == "Lumina Commerce (HK) Ltd."
        add_alias(session, "LUMINA-HK", "legal_name", "Lumina Commerce (HK) Ltd.")
        add_alias(session, "LUMINA-HK", "owner_code", "LUMINA-HK", scope="MYPKG-WH01")
    with session_scope(sqlite_engine) as session:
        after = _policy(session, None)
    assert after.party("LUMINA-HK", "Lumina Commerce (HK) Ltd.") == "LUMINA-HK"
    assert after.party("LUMINA-HK", "Lumina") == "LUMINA-HK"  # the owner's name still counts
    assert after.party("TROPIKA", "Lumina Commerce (HK) Ltd.") == "Lumina Commerce (HK) Ltd."  # not another's
    assert after.party("LUMINA-HK", "LUMINA-HK-3PL") == "LUMINA-HK-3PL"  # an owner code is not a party
    assert after.signature() != before.signature()


def test_an_event_rederived_with_another_holder_is_another_event() -> None:
    """The ledger stores only ids it has not seen: an event derived again with a different state (the
    holder a new alias or policy names, another quantity) must get a new id, or the stored one stays as
    it was and the position never moves (the old one is then retracted as no longer derived)."""
    from datetime import UTC, datetime

    from matching.title.events import TitleEvent

    first = TitleEvent("LUMINA-HK", "LOT", "LUMINA-HK|MYPKG-WH01|LOT-1", None, 10, "TRANSFERRED",
                       datetime(2026, 3, 4, 2, 30, tzinfo=UTC), "Lumina Commerce (HK) Ltd.",
                       "Lumina Commerce (HK) Ltd.", "Lumina Commerce (HK) Ltd.", "ZCRU", "SELLER_TITLE_IN_TRANSIT",
                       "IN_TRANSIT", "BL_ENDORSEMENT", "possession transferred", "endorsement chain AUD-0003",
                       "ASSERTED")
    assert first._replace().event_id == first.event_id  # deriving twice: the same id
    assert first._replace(title_holder="LUMINA-HK").event_id != first.event_id
    assert first._replace(qty=12).event_id != first.event_id
    assert first._replace(title_state="OWNED_IN_WAREHOUSE").event_id != first.event_id
