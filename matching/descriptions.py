"""What real transport and customs documents say about goods, turned into comparable features.

Forwarders' bill-of-lading lines carry no SKU: a description of goods, an HS code, PO numbers and a
package count in cartons (reference/logistics_title.md §1.3, §7.2). Customs lines carry an HS code,
a description, units and often a SKU pattern. To compare them with a 3PL's receipt line (a SKU and a
box range) the engine needs three features, computed here, vectorised:

* **tokens** of a text: upper case (NFKC), ``.``, ``-`` and ``'`` removed inside words
  (``BT5.3`` -> ``BT53``, ``USB-C`` -> ``USBC``, matching the parts of a SKU such as
  ``LMN-LMP-USBC-WHT``), split on anything else, a plural ``S`` dropped (``CASES`` -> ``CASE``),
  one-letter words and packing words (``WITH``, ``ASSORTED``, ``PCS`` …) ignored;
* **cartons** of a box range as 3PLs write it on an ASN line: ``C0001-C0500`` -> 500,
  ``P111-P140`` -> 30, ``A01-A12`` -> 12, a single box ``C0007`` -> 1; anything else -> missing;
* **HS prefix**: digits only; two codes agree when their first 6 digits (the international part)
  agree, or their first 4 when one of them is shorter than 6.

``overlap(pairs)`` counts the tokens two sides share per pair without a Python loop over the
pairs: it works on the distinct (left text, right text) combinations only.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

STOPWORDS = frozenset({
    "WITH", "AND", "FOR", "THE", "OF", "IN", "ON", "TO", "NEW", "PCS", "PCE", "PC", "SET", "SETS", "ASSORTED",
    "MODEL", "MODELS", "OTHER", "OTHERS", "GOODS", "PARTS", "ITEM", "ITEMS", "SAID", "CONTAIN", "CONTAINS",
    "CTN", "CTNS", "CARTON", "CARTONS", "PKG", "PKGS", "AS", "PER", "ATTACHED", "LIST", "BOX", "BOXES",
    # words of a consolidation's summary line ("CONSOLIDATED CARGO AS PER ATTACHED HOUSE BILLS")
    "CONSOLIDATED", "CONSOLIDATION", "CARGO", "MANIFEST", "HOUSE", "BILL", "BILLS", "GENERAL",
})
_JOINERS = re.compile(r"[.\-']")
_SPLIT = re.compile(r"[^0-9A-Z]+")
_BOX_RANGE = re.compile(r"^\s*([A-Za-z]*)(\d+)\s*(?:-|~|–|TO|to)\s*([A-Za-z]*)(\d+)\s*$")
_ONE_BOX = re.compile(r"^\s*[A-Za-z]*\d+\s*$")


def _stem(token: str) -> str:
    if len(token) >= 4 and token.endswith("S") and not token.endswith("SS") and not token[-2].isdigit():
        return token[:-1]
    return token


def tokens(text: object) -> frozenset[str]:
    """The comparable words of one text (see the module docstring); empty for missing values."""
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return frozenset()
    value = unicodedata.normalize("NFKC", str(text)).upper()
    words = _SPLIT.split(_JOINERS.sub("", value))
    return frozenset(_stem(w) for w in words if len(w) > 1 and w not in STOPWORDS)


def cartons(box_range: object) -> int | None:
    """Number of cartons of one box range (``C0001-C0500`` -> 500), None when it is not a range."""
    if box_range is None or box_range is pd.NA or (isinstance(box_range, float) and np.isnan(box_range)):
        return None
    text = str(box_range)
    found = _BOX_RANGE.match(text)
    if found:
        first, last = int(found.group(2)), int(found.group(4))
        if found.group(1).upper() == found.group(3).upper() and last >= first:
            return last - first + 1
        return None
    return 1 if _ONE_BOX.match(text) else None


def carton_counts(series: pd.Series) -> pd.Series:
    """Vectorised :func:`cartons` (computed once per distinct value), as a nullable integer Series."""
    codes, uniques = pd.factorize(series.astype("string"), use_na_sentinel=True)
    values = pd.array([cartons(u) for u in uniques], dtype="Int64")
    out = pd.Series(pd.NA, index=series.index, dtype="Int64")
    present = codes >= 0
    out[present] = values[codes[present]]
    return out


def hs_digits(series: pd.Series) -> pd.Series:
    """HS codes reduced to their digits (``8518.30.00`` -> ``85183000``); empty -> missing."""
    digits = series.astype("string").str.replace(r"[^0-9]", "", regex=True)
    return digits.mask(digits.str.len().fillna(0) < 4)


def hs_agree(left: pd.Series, right: pd.Series) -> pd.Series:
    """Per row: True / False when both codes are known (see the module docstring), missing otherwise."""
    a, b = hs_digits(left), hs_digits(right)
    both = a.notna() & b.notna()
    six = (a.str.len() >= 6) & (b.str.len() >= 6)
    agree = (a.str[:6] == b.str[:6]).where(six.fillna(False), a.str[:4] == b.str[:4])
    return agree.astype("boolean").where(both.to_numpy(), pd.NA)


def token_table(texts: pd.Series) -> pd.DataFrame:
    """Long table ``(text, token)`` of the distinct non-empty texts of ``texts``."""
    distinct = pd.unique(texts.dropna().astype("string"))
    rows = [(t, w) for t in distinct.tolist() for w in tokens(t)]
    return pd.DataFrame(rows, columns=["text", "token"]).astype("string")


def overlap(left: pd.Series, right: pd.Series) -> pd.Series:
    """Number of tokens the ``left`` and ``right`` texts of each row share (0 when either is missing)."""
    frame = pd.DataFrame({"l": left.astype("string").to_numpy(), "r": right.astype("string").to_numpy()})
    combos = frame.dropna().drop_duplicates()
    if combos.empty:
        return pd.Series(0, index=left.index, dtype="int64")
    lt = token_table(combos["l"]).rename(columns={"text": "l"})
    rt = token_table(combos["r"]).rename(columns={"text": "r"})
    shared = combos.merge(lt, on="l").merge(rt, on=["r", "token"])
    counts = shared.groupby(["l", "r"], sort=False).size().rename("n").reset_index()
    out = frame.merge(counts, on=["l", "r"], how="left")["n"].fillna(0).astype("int64")
    out.index = left.index
    return out
