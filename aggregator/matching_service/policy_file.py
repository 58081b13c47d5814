"""Read the title policy configuration (TOML) into a ``matching.title.PolicyBook``.

    [owners.LUMINA-HK]
    parties = ["Lumina Commerce (HK) Ltd.", "Lumina Commerce (M) Sdn Bhd"]   # the owner's legal entities

    [[policies]]                # any of owner_id / platform / country may be left out (= any)
    owner_id = "LUMINA-HK"
    platform = "TIKTOK"
    country = "MY"
    straight_document_title = "INCOTERM_POINT"   # ON_SHIPMENT | ON_ARRIVAL | ON_RECEIPT
    default_incoterm = "FOB"
    consumer_title_on = "DELIVERY"               # or DISPATCH
    consumer_risk_on = "DELIVERY"

Without a file the reference defaults apply (``TitlePolicy()``). The owner's own name (``owners.name``)
always counts as one of its parties, and so do its legal-name aliases
(``owners alias add OWNER --kind legal-name``, added by ``service._policy``). A bad file is refused with the key and the reason.
"""
from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

from matching.title.policy import PolicyBook, TitlePolicy

_POLICY_FIELDS = {f.name for f in fields(TitlePolicy)}


class PolicyFileError(ValueError):
    pass


def load_policy_book(path: Path | None, owner_names: dict[str, str] | None = None) -> PolicyBook:
    book = PolicyBook()
    for owner_id, name in (owner_names or {}).items():
        book.owner_parties.setdefault(owner_id, set()).add(name)
    if path is None or not Path(path).exists():
        return book
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"{path}: not valid TOML: {exc}") from exc
    for owner_id, section in (data.get("owners") or {}).items():
        parties = section.get("parties", [])
        if not isinstance(parties, list) or not all(isinstance(p, str) for p in parties):
            raise PolicyFileError(f"{path}: owners.{owner_id}.parties must be a list of names")
        book.owner_parties.setdefault(owner_id, set()).update(parties)
    for index, entry in enumerate(data.get("policies") or [], start=1):
        scope = {k: entry.get(k) for k in ("owner_id", "platform", "country")}
        unknown = set(entry) - _POLICY_FIELDS - set(scope)
        if unknown:
            raise PolicyFileError(f"{path}: policies[{index}] has unknown key(s) {sorted(unknown)}")
        try:
            policy = TitlePolicy(**{k: v for k, v in entry.items() if k in _POLICY_FIELDS})
        except ValueError as exc:
            raise PolicyFileError(f"{path}: policies[{index}]: {exc}") from exc
        platform = scope["platform"].upper() if scope["platform"] else None
        book.set(policy, owner_id=scope["owner_id"], platform=platform, country=scope["country"])
    return book
