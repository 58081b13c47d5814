"""An owner's legal-name aliases are its parties in the title ledger: an eBL endorsed to a legal entity
registered with ``owners alias add OWNER --kind legal-name`` passes title to that owner, as the owner's
name and the policy file's ``parties`` do (a user registering the alias for the logistics files should
not have to declare the same name a second time for title). Adding one changes the policy's signature,
so the next match re-derives the title events. Names compare as import attribution compares legal-name
aliases (``platform_adapters.canonical.owner_names``): "Limited" on a document is the owner's "Ltd."."""
from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from aggregator.matching_service.service import _policy
from aggregator.owners.aliases import add_alias
from aggregator.store.db import session_scope
from aggregator.store.models.matching import TitleEventRow
from aggregator.tenancy import add_owner
from matching.title.policy import PolicyBook
from platform_adapters.canonical.owner_names import LEGAL_NAME, normalise, normalise_legal_name
from tests.matching.db_story import cli_run, load_story


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


# -- one rule for both: the title ledger compares party names as import attribution compares legal names --

_FORMS = [("Limited", "Ltd.", "LTD", "ltd"), ("Company", "Co.", "CO"), ("Private", "Pte.", "PTE"),
          ("Sendirian", "Sdn.", "SDN"), ("Berhad", "Bhd.", "BHD"), ("Corporation", "Corp."),
          ("Incorporated", "Inc.")]


@st.composite
def _spellings(draw) -> tuple[str, str]:
    """Two spellings of one company name: words (with parentheses, ampersands, case) and company forms,
    each form written one of its ways, and the punctuation between words varied."""
    words = draw(st.lists(st.sampled_from(["Lumina", "Commerce", "(HK)", "(M)", "Trading", "&", "Sons"]),
                          min_size=1, max_size=4))
    forms = draw(st.lists(st.sampled_from(_FORMS), max_size=3))

    def spell() -> str:
        parts = [draw(st.sampled_from([w, w.upper(), w.lower()])) for w in words]
        parts += [draw(st.sampled_from(f)) for f in forms]
        return draw(st.sampled_from([" ", "  ", ", "])).join(parts) + draw(st.sampled_from(["", ".", " "]))

    return spell(), spell()


@given(_spellings(), st.text(max_size=30))
def test_party_names_compare_by_the_legal_name_aliases_rule(pair, other) -> None:
    alias, on_document = pair
    book = PolicyBook(owner_parties={"LUMINA-HK": {alias}})
    assert normalise_legal_name(normalise_legal_name(on_document)) == normalise_legal_name(on_document)
    # attribution looks a legal-name alias up by this same function ...
    assert normalise(LEGAL_NAME, on_document) == normalise_legal_name(on_document)
    # ... so a name that attributes a row to the owner is the owner in the title ledger, and only such a name
    assert normalise(LEGAL_NAME, on_document) == normalise(LEGAL_NAME, alias)
    assert book.party("LUMINA-HK", on_document) == "LUMINA-HK"
    same = bool(normalise(LEGAL_NAME, other)) and normalise(LEGAL_NAME, other) == normalise(LEGAL_NAME, alias)
    assert book.party("LUMINA-HK", other) == ("LUMINA-HK" if same else other)
    assert book.party("TROPIKA", on_document) == on_document  # never another owner's


def test_an_ebl_naming_the_owner_by_another_company_form_is_the_owners_title_in_the_store(engine, tmp_path) -> None:
    """The sample eBL is endorsed to ``Lumina Commerce (HK) Ltd.`` and the house bill consigned to
    ``Lumina Commerce (M) Sdn Bhd``; the owner registered them as ``… Limited`` / ``… Sendirian Berhad`` (no
    policy file). Import attribution takes those aliases for the eBL's names, and so does the title
    ledger: once the goods are in the owner's hands every unit's title holder is the owner."""
    load_story(engine, tmp_path)
    for name in ("Lumina Commerce (HK) Limited", "LUMINA COMMERCE (M) SENDIRIAN BERHAD"):
        added = cli_run(engine, tmp_path, "owners", "alias", "add", "LUMINA-HK", "--kind", "legal-name",
                        "--value", name)
        assert added.exit_code == 0, added.output
    matched = cli_run(engine, tmp_path, "match")
    assert matched.exit_code == 0, matched.output
    position = cli_run(engine, tmp_path, "title", "position", "--at", "2026-03-16T00:00:00Z", "--owner",
                       "LUMINA-HK", "--format", "csv")
    assert position.exit_code == 0, position.output
    rows = list(csv.DictReader(io.StringIO(position.output)))
    assert rows and {r["title_holder"] for r in rows} == {"LUMINA-HK"}
    with session_scope(engine) as session:
        holders = set(session.scalars(select(TitleEventRow.title_holder).distinct()))
    assert not {h for h in holders if h and h.upper().startswith("LUMINA COMMERCE")}, holders
