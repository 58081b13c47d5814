"""Key normalisers for the identifiers the linker joins on: order ids, SKUs, tracking numbers, lot ids.

Each normaliser exists twice with the same rules: a scalar function (for one value) and a
vectorised one over a pandas Series (for the bulk). Both are idempotent and map ``None``/empty to
``None``. Rules (from reference/logistics_title.md §7 and issue 6):

* full-width characters become ASCII (Unicode NFKC), letters are upper-cased;
* whitespace and separators (``- _ . / # :`` and spaces) are removed from order ids and tracking
  numbers; SKUs keep a single ``-`` between parts (``lmn_eb bt53/blk`` -> ``LMN-EB-BT53-BLK``);
* purely numeric order ids and tracking numbers lose leading zeros (spreadsheets drop them on one
  side, so both sides are stripped);
* known decorations in front of an order id (``#``, ``ORDER``, ``NO.``) are dropped.

Container and transport-document numbers are normalised by the adapters
(``platform_adapters.canonical.identifiers``) before they reach the engine; they are not
re-implemented here.
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

_SEPARATORS = r"[\s\-_./#:]+"
_SKU_SEPARATORS = r"[\s_./\\:]+"
_ORDER_PREFIX = r"^(?:ORDER(?:NO|ID)?|NO)(?=\d)"
_SEP_RE = re.compile(_SEPARATORS)
_SKU_SEP_RE = re.compile(_SKU_SEPARATORS)
_ORDER_PREFIX_RE = re.compile(_ORDER_PREFIX)
_DASHES_RE = re.compile(r"-{2,}")
_PY_STRING = pd.StringDtype("python")


def _base(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if value is pd.NA:
        return None
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", str(value)).upper()).strip()
    return text or None


def _recompose(text: str) -> str:
    """Removing separators can put a base letter next to a combining mark: compose them again."""
    return unicodedata.normalize("NFKC", text)


def _strip_numeric_zeros(text: str) -> str:
    if text.isdigit():
        stripped = text.lstrip("0")
        return stripped or "0"
    return text


def normalize_order_id(value: object) -> str | None:
    """Normalise a marketplace order id (``' #0００８８1234 '`` -> ``'881234'``)."""
    text = _base(value)
    if text is None:
        return None
    text = _SEP_RE.sub("", text)
    text = _ORDER_PREFIX_RE.sub("", text)
    text = _strip_numeric_zeros(_recompose(text))
    return text or None


def normalize_tracking(value: object) -> str | None:
    """Normalise a courier tracking number (``'spxmy 0000-0001'`` -> ``'SPXMY00000001'``)."""
    text = _base(value)
    if text is None:
        return None
    text = _SEP_RE.sub("", text)
    text = _strip_numeric_zeros(_recompose(text))
    return text or None


def normalize_line_ref(value: object) -> str | None:
    """Normalise an order line reference (Lazada order_item_id, TikTok line id, Shopee item:model)."""
    text = _base(value)
    if text is None:
        return None
    text = _SEP_RE.sub("", text)
    text = _strip_numeric_zeros(_recompose(text))
    return text or None


def normalize_sku(value: object) -> str | None:
    """Normalise a SKU: upper case, separators unified to single ``-``, no leading/trailing ``-``."""
    text = _base(value)
    if text is None:
        return None
    text = _SKU_SEP_RE.sub("-", text)
    text = _recompose(_DASHES_RE.sub("-", text).strip("-"))
    return text or None


def normalize_code(value: object) -> str | None:
    """Normalise a free code (warehouse code, lot id, shop id, platform): upper case, trimmed."""
    text = _base(value)
    if text is None:
        return None
    return _recompose(re.sub(r"\s+", "", text)) or None


# ---------------------------------------------------------------- vectorised versions


def _series_base(series: pd.Series) -> pd.Series:
    # Python string storage: the same Unicode rules as the scalar functions (``str.upper``, ``re``).
    text = series.astype(_PY_STRING)
    text = text.str.normalize("NFKC").str.upper().str.normalize("NFKC").str.strip()
    return text.mask(text == "")


def _series_strip_zeros(text: pd.Series) -> pd.Series:
    numeric = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
    stripped = text.str.lstrip("0")
    stripped = stripped.mask(stripped == "", "0")
    return text.mask(numeric, stripped)


def order_ids(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_order_id`."""
    text = _series_base(series).str.replace(_SEPARATORS, "", regex=True)
    text = text.str.replace(_ORDER_PREFIX, "", regex=True)
    text = _series_strip_zeros(text.str.normalize("NFKC"))
    return text.mask(text == "")


def tracking_numbers(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_tracking`."""
    text = _series_base(series).str.replace(_SEPARATORS, "", regex=True)
    text = _series_strip_zeros(text.str.normalize("NFKC"))
    return text.mask(text == "")


def line_refs(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_line_ref`."""
    return tracking_numbers(series)


def skus(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_sku`."""
    text = _series_base(series).str.replace(_SKU_SEPARATORS, "-", regex=True)
    text = text.str.replace(r"-{2,}", "-", regex=True).str.strip("-").str.normalize("NFKC")
    return text.mask(text == "")


def codes(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_code`."""
    text = _series_base(series).str.replace(r"\s+", "", regex=True).str.normalize("NFKC")
    return text.mask(text == "")
