"""Test helper: the eBL endorsement chain of the sample story as an ``endorsements`` frame, and the
story's policy book (the owner's legal entities)."""
from __future__ import annotations

import json

import pandas as pd

from matching.title.policy import PolicyBook
from tests.matching.story import OWNER, SAMPLES


def endorsements() -> pd.DataFrame:
    data = json.loads((SAMPLES / "ebl_dcsa_v3.json").read_text(encoding="utf-8"))
    chain = data["endorsementChain"]
    return pd.DataFrame([{
        "owner_id": OWNER, "doc_number": chain["transportDocumentReference"], "seq": i,
        "action_code": link["actionCode"], "actor": link["actor"]["partyName"],
        "recipient": (link.get("recipient") or {}).get("partyName"), "action_at": link["actionDateTime"],
        "reference": link.get("auditReference"),
    } for i, link in enumerate(chain["endorsementChain"], start=1)])


def policy_book() -> PolicyBook:
    return PolicyBook(owner_parties={OWNER: {"Lumina Commerce (HK) Ltd.", "Lumina Commerce (M) Sdn Bhd"}})
