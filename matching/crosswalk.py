"""SKU crosswalk per owner: platform seller SKU <-> merchant SKU <-> warehouse SKU.

Every SKU the engine sees is resolved to one *canonical* SKU per owner before joining: the merchant
SKU when the row names one, else the warehouse SKU, else the platform SKU. A SKU that is in no row
resolves to itself (normalised). Owners never share entries. Users load rows from a CSV file
(columns ``owner_id, platform_sku, merchant_sku, warehouse_sku`` and optionally ``platform``,
``hs_code``) and extend the crosswalk with more rows; a row whose alias already resolves to a
different canonical SKU of the same owner is refused and reported (never silently overwritten).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from matching.keys import codes, normalize_code, normalize_sku, skus

CROSSWALK_COLUMNS = ("owner_id", "platform_sku", "merchant_sku", "warehouse_sku", "platform", "hs_code")


@dataclass(frozen=True, slots=True)
class CrosswalkRow:
    owner_id: str
    platform_sku: str | None = None
    merchant_sku: str | None = None
    warehouse_sku: str | None = None
    platform: str | None = None
    hs_code: str | None = None


@dataclass(frozen=True, slots=True)
class CrosswalkProblem:
    """A refused crosswalk row: where it came from and why."""

    location: str
    reason: str


@dataclass
class SkuCrosswalk:
    """Alias -> canonical SKU per owner, plus the HS code hint of a canonical SKU when known."""

    _canonical: dict[tuple[str, str], str] = field(default_factory=dict)
    _hs_codes: dict[tuple[str, str], str] = field(default_factory=dict)
    rows: list[CrosswalkRow] = field(default_factory=list)

    def extend(self, rows: list[CrosswalkRow], *, source: str = "rows") -> list[CrosswalkProblem]:
        """Add rows; return the problems of the rows that were refused (the others are kept)."""
        problems: list[CrosswalkProblem] = []
        for index, row in enumerate(rows, start=1):
            where = f"{source}:{index}"
            owner = normalize_code(row.owner_id)
            names = [normalize_sku(v) for v in (row.platform_sku, row.merchant_sku, row.warehouse_sku)]
            if owner is None:
                problems.append(CrosswalkProblem(where, "owner_id is empty"))
                continue
            canonical = names[1] or names[2] or names[0]
            if canonical is None:
                problems.append(CrosswalkProblem(where, "no SKU in the row"))
                continue
            aliases = [name for name in names if name is not None]
            clash = next(
                (a for a in aliases if self._canonical.get((owner, a), canonical) != canonical), None
            )
            if clash is not None:
                problems.append(
                    CrosswalkProblem(
                        where,
                        f"SKU {clash} already maps to {self._canonical[(owner, clash)]} for owner {owner}, "
                        f"not {canonical}",
                    )
                )
                continue
            for alias in aliases:
                self._canonical[(owner, alias)] = canonical
            if row.hs_code:
                self._hs_codes[(owner, canonical)] = str(row.hs_code).strip()
            self.rows.append(row)
        return problems

    def load_csv(self, path: str | Path) -> list[CrosswalkProblem]:
        """Read a crosswalk CSV (UTF-8, header row) and add its rows."""
        path = Path(path)
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = {"owner_id"} - set(reader.fieldnames or ())
            if missing:
                return [CrosswalkProblem(f"{path.name}:1", f"missing column(s): {sorted(missing)}")]
            rows = [
                CrosswalkRow(**{name: (record.get(name) or None) for name in CROSSWALK_COLUMNS})
                for record in reader
            ]
        return self.extend(rows, source=path.name)

    def canonical(self, owner_id: str, sku: str | None) -> str | None:
        """Canonical SKU of one raw SKU for one owner."""
        normalised = normalize_sku(sku)
        if normalised is None:
            return None
        return self._canonical.get((normalize_code(owner_id) or "", normalised), normalised)

    def hs_code(self, owner_id: str, canonical_sku: str) -> str | None:
        return self._hs_codes.get((normalize_code(owner_id) or "", canonical_sku))

    def hs_hints(self) -> dict[tuple[str, str], str]:
        """(owner, canonical SKU) -> HS code, for every SKU the crosswalk gives one."""
        return dict(self._hs_codes)

    def resolve(self, owner_ids: pd.Series, raw_skus: pd.Series) -> pd.Series:
        """Vectorised :meth:`canonical` over aligned Series of owner ids and raw SKUs."""
        normalised = skus(raw_skus)
        if not self._canonical:
            return normalised
        # each distinct (owner, SKU) pair is looked up once: rows repeat a few thousand pairs
        owner_codes, owners = pd.factorize(codes(owner_ids).astype("string"), use_na_sentinel=True)
        sku_codes, names = pd.factorize(normalised, use_na_sentinel=True)
        both = np.flatnonzero((owner_codes >= 0) & (sku_codes >= 0))
        at, pairs = pd.factorize(owner_codes[both].astype(np.int64) * len(names) + sku_codes[both])
        owners, names = owners.tolist(), names.tolist()  # Python strings (an Arrow Index is slow per value)
        found = [self._canonical.get((owners[p // len(names)], names[p % len(names)])) for p in pairs.tolist()]
        hit = np.array([c is not None for c in found], dtype=bool)
        rows = both[hit[at]]
        result = normalised.copy()
        if len(rows):
            result.iloc[rows] = pd.array([c for c in found if c is not None], dtype="string").take(
                np.cumsum(hit)[at[hit[at]]] - 1)
        return result


def _row_dict(row: CrosswalkRow) -> dict[str, str | None]:
    return {name: getattr(row, name) for name in CROSSWALK_COLUMNS}
