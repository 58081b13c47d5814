"""Content fingerprints of canonical records (sha256 of their stable JSON form)."""
from __future__ import annotations

import hashlib
from typing import Any

from aggregator.store.jsonutil import dumps


def content_hash(record: Any) -> str:
    return hashlib.sha256(dumps(record).encode("utf-8")).hexdigest()
