"""Exports name records as stored: matching's upper-cased key forms of the platform, shop and owner are
turned back into the registered values; a value the store does not know is kept as it is."""
from __future__ import annotations

import pandas as pd
from cryptography.fernet import Fernet

from aggregator.auth.shops import add_shop
from aggregator.exports.stored_forms import as_stored
from aggregator.store.db import session_scope
from aggregator.store.vault import Vault
from aggregator.tenancy import add_owner


def test_key_forms_become_the_stored_values(engine) -> None:
    with session_scope(engine) as session:
        add_owner(session, "Lumina-hk", "Lumina")
        add_shop(session, Vault(Fernet.generate_key()), platform="tiktok", owner_id="Lumina-hk", shop_id="sg-abc7",
                 region="SG", app_key="k", app_secret="s", name="shop")
    frame = pd.DataFrame({"platform": ["TIKTOK", "TIKTOK", None], "shop_id": ["SG-ABC7", "SG-NOPE", None],
                          "owner_id": ["LUMINA-HK", "NOBODY", None], "qty": [1, 2, 3]})
    with session_scope(engine) as session:
        out = as_stored(session, frame)
    assert out["platform"].tolist()[:2] == ["tiktok", "tiktok"] and pd.isna(out["platform"][2])
    assert out["shop_id"].tolist()[:2] == ["sg-abc7", "SG-NOPE"]  # an unknown shop is left as it is
    assert out["owner_id"].tolist()[:2] == ["Lumina-hk", "NOBODY"] and out["qty"].tolist() == [1, 2, 3]
    assert out.iloc[2][["platform", "shop_id", "owner_id"]].isna().all()
