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

import math
import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_SEPARATORS = r"[\s\-_./#:]+"
_SKU_SEPARATORS = r"[\s_./\\:]+"
_ORDER_PREFIX = r"^(?:ORDER(?:NO|ID)?|NO)(?=\d)"
_SEP_RE = re.compile(_SEPARATORS)
_SKU_SEP_RE = re.compile(_SKU_SEPARATORS)
_ORDER_PREFIX_RE = re.compile(_ORDER_PREFIX)
_DASHES_RE = re.compile(r"-{2,}")


def _base(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
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
    if type(value) is str and value.isascii() and value.isalnum():  # no separator, space or wide form
        if value.isdigit():
            if value[0] != "0":
                return value  # digits without a leading zero: already normal
        elif value.isupper() and not value.startswith(("NO", "ORDER")):
            return value  # capitals and digits with no prefix to drop: already normal
    return _normalize_order_id(value)


def _normalize_order_id(value: object) -> str | None:
    """``normalize_order_id``'s rules, applied one by one."""
    text = _base(value)
    if text is None:
        return None
    text = _SEP_RE.sub("", text)
    text = _ORDER_PREFIX_RE.sub("", text)
    text = _strip_numeric_zeros(_recompose(text))
    return text or None


def _compact_code(value: object) -> str | None:
    """Upper case, separators removed, leading zeros of an all-digit code stripped."""
    text = _base(value)
    if text is None:
        return None
    text = _SEP_RE.sub("", text)
    text = _strip_numeric_zeros(_recompose(text))
    return text or None


def normalize_tracking(value: object) -> str | None:
    """Normalise a courier tracking number (``'spxmy 0000-0001'`` -> ``'SPXMY00000001'``)."""
    return _compact_code(value)


def normalize_line_ref(value: object) -> str | None:
    """Normalise an order line reference (Lazada order_item_id, TikTok line id, Shopee item:model)."""
    return _compact_code(value)


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
#
# Values made only of printable ASCII (the bulk of real keys) take a fast path on the default
# (Arrow) string storage, where upper-casing, NFKC and whitespace rules coincide with Python's;
# any other value goes through the scalar function above, once per distinct value. Both paths are
# property-tested to agree with the scalar functions.

_PRINTABLE_ASCII = r"[\x20-\x7e]*"


def _few_distinct(text: pd.Series) -> bool:
    """True when an even sample of ``text`` repeats values (warehouse codes, statuses, SKUs): then each
    distinct value is normalised once."""
    sample = text.iloc[:: max(1, len(text) // 2_000)]
    return len(text) > 2_000 and sample.nunique() < len(sample) // 2


def _vectorise(series: pd.Series, fast, scalar) -> pd.Series:
    text = series.astype("string")
    if _few_distinct(text):
        codes_, uniques = pd.factorize(text, use_na_sentinel=True)
        done = _vectorise(pd.Series(uniques, dtype="string"), fast, scalar)
        return pd.Series(done.array.take(codes_, allow_fill=True), index=series.index, dtype="string")
    # Arrow compute on the column's own storage (no pandas wrapper per step, no masked writes)
    values = pa.chunked_array(pa.array(text)) if len(text) else pa.chunked_array([], pa.large_string())
    present = pc.is_valid(values)
    safe = pc.match_substring_regex(values, "^(" + _PRINTABLE_ASCII + ")$")
    if pc.any(pc.and_(present, safe)).as_py():
        # the fast path runs over the whole column (missing stays missing) and the few other values are
        # put in after: no filtered copy of the column
        done = fast(pc.utf8_trim(pc.utf8_upper(values), characters=" "))
        out = pc.if_else(pc.equal(done, ""), pa.scalar(None, done.type), done)
    else:
        out = pa.nulls(len(values), pa.large_string())
    slow = pc.and_(present, pc.invert(safe)).to_numpy(zero_copy_only=False)
    if slow.any():
        at = np.flatnonzero(slow)
        codes_, uniques = pd.factorize(text.iloc[at])
        mapped = pa.array([scalar(u) for u in uniques], pa.large_string()).take(pa.array(codes_))
        fixed = np.zeros(len(values), dtype=np.int64)
        fixed[at] = np.arange(len(at))
        out = pc.if_else(pa.array(slow), pc.take(mapped, pa.array(fixed)), out)
    result = pd.arrays.ArrowStringArray(pa.chunked_array(out).cast(pa.large_string()))
    return pd.Series(result, index=series.index, dtype="string")


def _fast_strip_zeros(text: pa.ChunkedArray) -> pa.ChunkedArray:
    numeric = pc.match_substring_regex(text, "^([0-9]+)$")
    stripped = pc.utf8_ltrim(text, characters="0")
    stripped = pc.if_else(pc.equal(stripped, ""), "0", stripped)
    return pc.if_else(pc.fill_null(numeric, False), stripped, text)


def _fast_order_id(text: pa.ChunkedArray) -> pa.ChunkedArray:
    text = pc.replace_substring_regex(text, r"[ \-_./#:]+", "")
    prefixed = pc.fill_null(pc.match_substring_regex(text, "^((?:ORDER(?:NO|ID)?|NO)[0-9])"), False)
    if pc.any(prefixed).as_py():
        text = pc.if_else(prefixed, pc.replace_substring_regex(text, "^(?:ORDERNO|ORDERID|ORDER|NO)", ""), text)
    return _fast_strip_zeros(text)


def _fast_tracking(text: pa.ChunkedArray) -> pa.ChunkedArray:
    return _fast_strip_zeros(pc.replace_substring_regex(text, r"[ \-_./#:]+", ""))


def _fast_sku(text: pa.ChunkedArray) -> pa.ChunkedArray:
    text = pc.replace_substring_regex(text, r"[ _./\\:]+", "-")
    return pc.utf8_trim(pc.replace_substring_regex(text, "-{2,}", "-"), characters="-")


def _fast_code(text: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.replace_substring(text, " ", "")


def order_ids(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_order_id`."""
    return _vectorise(series, _fast_order_id, normalize_order_id)


def tracking_numbers(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_tracking`."""
    return _vectorise(series, _fast_tracking, normalize_tracking)


def line_refs(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_line_ref`."""
    return _vectorise(series, _fast_tracking, normalize_line_ref)


def skus(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_sku`."""
    return _vectorise(series, _fast_sku, normalize_sku)


def codes(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_code`."""
    return _vectorise(series, _fast_code, normalize_code)
