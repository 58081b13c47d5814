"""Title policy: when title passes where documents do not decide it, per owner / platform / country.

Defaults follow reference/logistics_title.md §3: on a negotiable (to-order) bill title follows the
endorsement chain; on straight bills, sea waybills and air waybills no document event moves title,
so it follows the contract trigger, defaulting to the Incoterm delivery point (on board for
FOB/CFR/CIF, handover to the first carrier for FCA/CPT/CIP, arrival for D-terms); to the consumer
title passes on delivery, and risk stays with the seller until delivery. ``PolicyBook`` picks the
most specific policy (owner, platform, country each either set or a wildcard).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from platform_adapters.canonical.owner_names import normalise_legal_name

STRAIGHT_TRIGGERS = ("INCOTERM_POINT", "ON_SHIPMENT", "ON_ARRIVAL", "ON_RECEIPT")
CONSUMER_TRIGGERS = ("DELIVERY", "DISPATCH")

# Incoterm -> where risk (and, by default policy, title on straight documents) passes to the buyer
INCOTERM_POINT = {
    "EXW": "ON_SHIPMENT", "FCA": "ON_SHIPMENT", "FOB": "ON_SHIPMENT", "CFR": "ON_SHIPMENT",
    "CIF": "ON_SHIPMENT", "CPT": "ON_SHIPMENT", "CIP": "ON_SHIPMENT",
    "DAP": "ON_ARRIVAL", "DPU": "ON_ARRIVAL", "DDP": "ON_RECEIPT",
}


@dataclass(frozen=True)
class TitlePolicy:
    straight_document_title: str = "INCOTERM_POINT"
    default_incoterm: str = "FOB"
    consumer_title_on: str = "DELIVERY"
    consumer_risk_on: str = "DELIVERY"

    def __post_init__(self) -> None:
        if self.straight_document_title not in STRAIGHT_TRIGGERS:
            raise ValueError(f"straight_document_title must be one of {STRAIGHT_TRIGGERS}")
        if self.consumer_title_on not in CONSUMER_TRIGGERS or self.consumer_risk_on not in CONSUMER_TRIGGERS:
            raise ValueError(f"consumer triggers must be one of {CONSUMER_TRIGGERS}")
        if self.default_incoterm not in INCOTERM_POINT:
            raise ValueError(f"unknown Incoterm {self.default_incoterm!r}")

    def straight_trigger(self, incoterm: str | None) -> str:
        """When title passes on a straight document for this contract's Incoterm."""
        if self.straight_document_title != "INCOTERM_POINT":
            return self.straight_document_title
        return INCOTERM_POINT.get((incoterm or self.default_incoterm).upper(), "ON_SHIPMENT")

    @staticmethod
    def risk_point(incoterm: str | None, default: str = "FOB") -> str:
        return INCOTERM_POINT.get((incoterm or default).upper(), "ON_SHIPMENT")


@dataclass
class PolicyBook:
    """Policies by (owner_id, platform, country); ``None`` is a wildcard. Plus each owner's party names."""

    default: TitlePolicy = field(default_factory=TitlePolicy)
    entries: dict[tuple[str | None, str | None, str | None], TitlePolicy] = field(default_factory=dict)
    owner_parties: dict[str, set[str]] = field(default_factory=dict)
    _found: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # lookup's answers

    def set(self, policy: TitlePolicy, *, owner_id: str | None = None, platform: str | None = None,
            country: str | None = None) -> None:
        self.entries[(owner_id, platform, country)] = policy
        self._found.clear()

    def lookup(self, owner_id: str | None, platform: str | None = None, country: str | None = None) -> TitlePolicy:
        wanted = (owner_id, platform, country)
        found = self._found.get(wanted)
        if found is not None:
            return found
        best, best_score = self.default, -1
        for (o, p, c), policy in sorted(self.entries.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
            if (o not in (None, owner_id)) or (p not in (None, platform)) or (c not in (None, country)):
                continue
            score = (o is not None) * 4 + (p is not None) * 2 + (c is not None)
            if score > best_score:
                best, best_score = policy, score
        self._found[wanted] = best
        return best

    def signature(self) -> str:
        """A stable digest of everything the book decides by (a changed book re-derives every title event)."""
        text = repr((self.default, sorted((tuple(str(x) for x in k), v) for k, v in self.entries.items()),
                     sorted((o, sorted(names)) for o, names in self.owner_parties.items())))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def party(self, owner_id: str, name: str | None) -> str | None:
        """The owner id when ``name`` is one of the owner's legal entities, else the name itself.

        Names compare as legal-name aliases do for import attribution (``normalise_legal_name``: company
        forms, punctuation and case made one), so a document naming ``Lumina Commerce (HK) Limited``
        counts as the owner whose alias is ``Lumina Commerce (HK) Ltd.``; a name with no words matches none.
        """
        if name is None:
            return None
        wanted = _legal_form(name)
        if wanted and any(_legal_form(n) == wanted for n in self.owner_parties.get(owner_id, ())):
            return owner_id
        return name


# each distinct party name is normalised once per process (a run asks about the same few names per event)
_legal_form = lru_cache(maxsize=65536)(normalise_legal_name)
