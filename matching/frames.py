"""The column contract of the DataFrames the linker takes, and their preparation (checks + key columns).

One frame per record kind. Required columns must be present (``FrameContractError`` names the frame
and the missing columns); optional columns are added as empty when absent. Times are tz-aware UTC
(``datetime64[ns, UTC]``); quantities are integers. Container and document numbers are normalised
with the adapters' own functions (``platform_adapters.canonical.identifiers``), so both sides of a
join agree with what the importers stored. Order ids, line refs, tracking numbers and SKUs are normalised here
(``matching.keys``) into ``*_n`` columns; SKUs are resolved through the owner's crosswalk into
``sku_c`` (canonical SKU).

``order_lines``      owner_id, platform, shop_id, order_id, line_ref, sku, qty
                     [order_status, ordered_at, paid_at, package_id, tracking_number, country, product_name,
                      returned_qty, written_off_qty, written_off_at]
                     (``returned_qty``: units the marketplace's return records say came back, received;
                     ``written_off_qty``: those of them its warehouse disposed of, known at ``written_off_at``)
``shipment_lines``   owner_id, warehouse_code, wms_outbound_no, line_no, sku, qty
                     [platform, shop_id, order_id, order_line_ref, package_id, tracking_number, lot_id,
                      status, created_at, shipped_at, delivered_at, returned_at, carrier_code]
``receipt_lines``    owner_id, warehouse_code, asn_no, line_no, sku, planned_qty
                     [received_good_qty, received_damaged_qty, arrived_at, received_at, mbl_no, hbl_no,
                      awb_no, container_no, customs_declaration_no, po_number, lot_id, status, box_range]
                     (a line counts as received when the receipt has a receipt time, unless it has no
                     quantity yet while the receipt is still partial: ``line_received``)
``lots``             owner_id, warehouse_code, lot_id, sku  [asn_no, unit_cost, cost_currency]
``document_lines``   owner_id, doc_number, line_no
                     [master_doc_number, doc_type, doc_level, mode, is_to_order, release_type,
                      container_no, po_number, po_numbers, hs_code, packages, quantity, shipper, consignee,
                      incoterm, shipped_on_board_at, eta, description, sku]
                     (``po_numbers``: every PO of the line, space-separated; ``po_number`` alone counts
                     when it is not given)
``customs_lines``    owner_id, declaration_no, line_no
                     [country, mbl_no, hbl_no, awb_no, container_no, po_number, sku_group, hs_code, qty,
                      customs_value, currency, submitted_at, released_at, arrival_date, description,
                      invoice_value, invoice_currency]
``manual_links``     step, left_key, right_key, qty  [note]
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from matching import keys
from matching.crosswalk import SkuCrosswalk
from matching.descriptions import carton_counts
from platform_adapters.canonical import identifiers

CONTRACT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "order_lines": (
        ("owner_id", "platform", "shop_id", "order_id", "line_ref", "sku", "qty"),
        ("order_status", "ordered_at", "paid_at", "package_id", "tracking_number", "country", "product_name",
         "returned_qty", "written_off_qty", "written_off_at"),
    ),
    "shipment_lines": (
        ("owner_id", "warehouse_code", "wms_outbound_no", "line_no", "sku", "qty"),
        ("platform", "shop_id", "order_id", "order_line_ref", "package_id", "tracking_number", "lot_id",
         "status", "created_at", "shipped_at", "delivered_at", "returned_at", "carrier_code"),
    ),
    "receipt_lines": (
        ("owner_id", "warehouse_code", "asn_no", "line_no", "sku", "planned_qty"),
        ("received_good_qty", "received_damaged_qty", "arrived_at", "received_at", "mbl_no", "hbl_no",
         "awb_no", "container_no", "customs_declaration_no", "po_number", "lot_id", "status", "box_range"),
    ),
    "lots": (
        ("owner_id", "warehouse_code", "lot_id", "sku"),
        ("asn_no", "unit_cost", "cost_currency"),
    ),
    "document_lines": (
        ("owner_id", "doc_number", "line_no"),
        ("master_doc_number", "doc_type", "doc_level", "mode", "is_to_order", "release_type",
         "container_no", "po_number", "po_numbers", "hs_code", "packages", "quantity", "shipper", "consignee",
         "incoterm", "shipped_on_board_at", "eta", "description", "sku"),
    ),
    "customs_lines": (
        ("owner_id", "declaration_no", "line_no"),
        ("country", "mbl_no", "hbl_no", "awb_no", "container_no", "po_number", "sku_group", "hs_code",
         "qty", "customs_value", "currency", "submitted_at", "released_at", "arrival_date", "description",
         "invoice_value", "invoice_currency"),
    ),
    "manual_links": (("step", "left_key", "right_key", "qty"), ("note",)),
}

TIME_COLUMNS = {
    "ordered_at", "paid_at", "created_at", "shipped_at", "delivered_at", "returned_at", "arrived_at",
    "received_at", "shipped_on_board_at", "eta", "submitted_at", "released_at", "arrival_date", "written_off_at",
}
INT_COLUMNS = {"qty", "planned_qty", "received_good_qty", "received_damaged_qty", "line_no", "packages",
               "quantity", "returned_qty", "written_off_qty"}
_CODE_COLUMNS = {"owner_id", "platform", "shop_id", "warehouse_code", "wms_outbound_no", "asn_no",
                 "lot_id", "po_number", "package_id", "status", "order_status", "doc_type", "doc_level", "mode",
                 "release_type", "carrier_code"}
_DOCUMENT_COLUMNS = {"mbl_no", "hbl_no", "awb_no", "doc_number", "master_doc_number", "customs_declaration_no",
                     "declaration_no"}


def _map_unique(series: pd.Series, function) -> pd.Series:
    """Apply a scalar normaliser once per distinct value; empty results become missing."""
    codes_, uniques = pd.factorize(series.astype("string"), use_na_sentinel=True)
    mapped = pd.array([function(str(u)) or pd.NA for u in uniques.tolist()], dtype="string")
    return pd.Series(mapped.take(codes_, allow_fill=True), index=series.index, dtype="string")


# receipt statuses (normalised by the warehouse adapters, or the 3PL's raw Qimen ones) of a receipt
# whose counting is not finished
RECEIPT_IN_PROGRESS = ("PARTIALLY_RECEIVED", "RECEIVING", "ARRIVED", "IN_TRANSIT", "CREATED", "PARTFULFILLED")


class FrameContractError(ValueError):
    """A frame handed to the engine does not follow the contract (which frame, which columns)."""


def empty(kind: str) -> pd.DataFrame:
    required, optional = CONTRACT[kind]
    return conform(kind, pd.DataFrame(columns=[*required, *optional]))


_STRING_COLUMNS = {"left_key", "right_key", "step", "sku", "sku_group", "hs_code", "line_ref", "order_id",
                   "order_line_ref", "tracking_number", "shipper", "consignee", "incoterm", "currency", "country",
                   "product_name", "description", "box_range", "invoice_value", "invoice_currency"}


def _coerce(column: str, values: pd.Series) -> pd.Series:
    """One column in the contract's type (normalised codes and document numbers)."""
    if column in TIME_COLUMNS:
        return pd.to_datetime(values, utc=True, errors="coerce")
    if column in INT_COLUMNS:
        return pd.to_numeric(values, errors="coerce").fillna(0).astype("int64")
    if column in _DOCUMENT_COLUMNS:
        return _map_unique(values, identifiers.normalize_document_number)
    if column == "container_no":
        return _map_unique(values, identifiers.normalize_container_number)
    if column in _CODE_COLUMNS:
        return keys.codes(values)
    if column == "po_numbers":
        return _po_lists(values)
    if column in _STRING_COLUMNS:
        return values.astype("string")
    return values


def conform(kind: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """Check required columns, add missing optional ones, coerce types; returns a new frame."""
    required, optional = CONTRACT[kind]
    if frame is None:
        frame = pd.DataFrame(columns=list(required))
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise FrameContractError(f"frame {kind!r} lacks required column(s) {missing}")
    out = frame.copy(deep=False)  # copy-on-write: a column only changed here is copied; the caller's never is
    for column in out.columns:
        out[column] = _coerce(column, out[column])
    # an absent optional column is missing everywhere: one missing value is coerced and repeated (the same
    # column as coercing a column of missing values, without converting it row by row)
    repeat = np.zeros(len(out), dtype=np.intp)
    for column in optional:
        if column not in out.columns:
            one = _coerce(column, pd.Series([pd.NA], dtype=object))
            out[column] = pd.Series(one.array.take(repeat), index=out.index)
    return out.reset_index(drop=True)


def prepare(kind: str, frame: pd.DataFrame | None, crosswalk: SkuCrosswalk | None = None) -> pd.DataFrame:
    """``conform`` plus the normalised key columns the linker joins on."""
    out = conform(kind, frame)
    cross = crosswalk or SkuCrosswalk()
    if "order_id" in out.columns:
        out["order_id_n"] = keys.order_ids(out["order_id"])
    if kind == "order_lines":
        out["line_ref_n"] = keys.line_refs(out["line_ref"])
    if kind == "shipment_lines":
        out["line_ref_n"] = keys.line_refs(out["order_line_ref"])
    if kind == "receipt_lines":
        nothing_yet = (out["received_good_qty"] + out["received_damaged_qty"]) == 0
        partial = out["status"].isin(RECEIPT_IN_PROGRESS).fillna(False).astype(bool)
        out["line_received"] = out["received_at"].notna() & ~(nothing_yet & partial)
        out["cartons"] = carton_counts(out["box_range"])
    if "tracking_number" in out.columns:
        out["tracking_n"] = keys.tracking_numbers(out["tracking_number"])
    if "sku" in out.columns:
        out["sku_c"] = cross.resolve(out["owner_id"], out["sku"])
    _add_keys(kind, out)
    out["row_hash"] = row_hashes(kind, out)
    return out


def source_columns(kind: str, frame: pd.DataFrame) -> list[str]:
    """The columns a row's content hash covers: the contract's columns and the canonical SKU (which also
    depends on the crosswalk); every other prepared column follows from them."""
    required, optional = CONTRACT[kind]
    return [c for c in (*required, *optional, "sku_c") if c in frame.columns]


def row_hashes(kind: str, frame: pd.DataFrame) -> np.ndarray:
    """64-bit content hash of each prepared row (``row_hash``): breaks ties between rows of one key and
    makes the partition fingerprints of ``matching.incremental``. A row's hash depends on its own
    values and dtypes only, never on the other rows."""
    if frame.empty:
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_pandas_object(frame[source_columns(kind, frame)], index=False).to_numpy(np.uint64)


def change_points(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """True for each row whose ``columns`` differ from the previous row's (the first row: True); missing
    equals missing. Compared by Arrow, no Python per row."""
    n = len(frame)
    out = np.ones(n, dtype=bool)
    if n < 2:
        return out
    out[1:] = False
    for column in columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):  # a ``compact`` column: equal texts, equal codes
            codes_ = frame[column].cat.codes.to_numpy()
            out[1:] |= codes_[1:] != codes_[:-1]
            continue
        values = pa.array(frame[column])
        values = pa.chunked_array([values]) if isinstance(values, pa.Array) else values
        after, before = values.slice(1), values.slice(0, n - 1)
        differ = pc.not_equal(after, before).fill_null(True)
        both_missing = pc.and_(pc.is_null(after), pc.is_null(before))
        out[1:] |= pc.and_(differ, pc.invert(both_missing)).to_numpy(zero_copy_only=False)
    return out


def sort_rows(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` sorted by ``columns`` (ascending, missing last, stable), index reset; sorted by Arrow,
    which sorts a million string keys several times faster than pandas' lexsort on Arrow strings. Strings
    compare by code point, as in Python."""
    if len(frame) < 2:
        return frame.reset_index(drop=True)
    return frame.take(sort_order(frame, columns)).reset_index(drop=True)


def sort_order(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The row positions that put ``frame`` in ``sort_rows``' order."""
    table = pa.table({c: _sortable(frame[c]) for c in columns})
    order = pc.sort_indices(table, sort_keys=[(c, "ascending") for c in columns])  # missing values last
    return order.to_numpy()


def _sortable(series: pd.Series) -> pa.Array:
    """The column as Arrow sorts it; a ``compact`` column as the rank of each row's text among its distinct
    texts (the same order as its texts, without decoding them), missing where the text is missing."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return pa.array(series)
    texts = series.cat.categories
    rank = np.empty(len(texts), dtype=np.int64)
    rank[pc.sort_indices(pa.array(texts.array)).to_numpy()] = np.arange(len(texts))
    codes_ = series.cat.codes.to_numpy()
    return pa.array(rank[np.maximum(codes_, 0)] if len(texts) else np.zeros(len(codes_), np.int64), mask=codes_ < 0)


def take_positions(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """``frame.take(positions).reset_index(drop=True)`` (positions not negative). An Arrow column held in
    several chunks (a state that grew by ``pd.concat``) is taken chunk by chunk: Arrow's take joins the
    chunks first, which copies the whole column to take a few of its rows."""
    positions = np.asarray(positions, dtype=np.intp)
    return pd.DataFrame({column: pd.Series(_take_chunked(frame[column].array, positions), name=column)
                         for column in frame.columns}, copy=False)


def _take_chunked(values, positions: np.ndarray):
    chunks = getattr(getattr(values, "_pa_array", None), "chunks", None)
    if chunks is None or len(chunks) < 2 or len(positions) == 0:
        return values.take(positions)
    bounds = np.cumsum([0, *(len(chunk) for chunk in chunks)])
    which = np.searchsorted(bounds, positions, side="right") - 1
    by_chunk = np.argsort(which, kind="stable")
    grouped = positions[by_chunk]
    cuts = np.searchsorted(which[by_chunk], np.arange(len(chunks) + 1))
    pieces = [values[bounds[i]:bounds[i + 1]].take(grouped[cuts[i]:cuts[i + 1]] - bounds[i])
              for i in range(len(chunks)) if cuts[i] < cuts[i + 1]]
    inverse = np.empty_like(by_chunk)
    inverse[by_chunk] = np.arange(len(by_chunk))
    return type(values)._concat_same_type(pieces).take(inverse)


def take_consuming(frame: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """``frame.take(order)`` with a fresh index, built one column at a time while the columns are removed
    from ``frame`` (which the caller gives up): at most one column exists twice, instead of the whole frame."""
    out = {}
    for column in list(frame.columns):
        values = frame.pop(column).array
        out[column] = pd.Series(values.take(order), name=column)
        del values
    return pd.DataFrame(out, copy=False)


def _po_lists(series: pd.Series) -> pd.Series:
    """Space-separated PO lists with each PO normalised like ``po_number`` (``;``, ``|`` and ``,`` also split)."""
    def one(text: str) -> str | None:
        parts = [keys.normalize_code(p) for p in text.replace(";", " ").replace("|", " ").replace(",", " ").split()]
        return " ".join(sorted({p for p in parts if p})) or None
    return _map_unique(series, one)


def po_table(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Long table ``(key, po)``: every PO of each row of a document frame (``po_numbers``, else ``po_number``)."""
    lists = frame["po_numbers"].fillna(frame["po_number"]) if "po_numbers" in frame else frame["po_number"]
    long = pd.DataFrame({key: frame[key].to_numpy(), "po": lists.astype("string").str.split(" ").to_numpy()})
    long = long.explode("po").dropna(subset=["po"])
    long = long[long["po"] != ""]
    return long.astype({"po": "string"}).drop_duplicates().reset_index(drop=True)


def member(series: pd.Series, values) -> pd.Series:
    """``series.isin(values)`` for string keys, computed by Arrow (pandas' own is slow on Arrow strings).

    Missing values are never members. A ``compact`` column is looked up once per distinct value."""
    series = pd.Series(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        found = member(pd.Series(series.cat.categories), values).to_numpy()
        return pd.Series(np.where(codes >= 0, found[codes], False) if len(found) else np.zeros(len(codes), bool),
                         index=series.index)
    left = pa.array(pd.Series(series).astype("string"))
    right = pa.array(pd.Series(values).astype("string").dropna())  # Arrow's set lookup takes repeats as they are
    found = pc.is_in(left, value_set=right).to_numpy(zero_copy_only=False)
    return pd.Series(found.astype(bool), index=series.index)


def positions(keys: pd.Series, index) -> np.ndarray:
    """Position of each of ``keys`` in ``index`` (string values; the first position of a repeated value),
    -1 where it is absent; missing matches missing. Computed by Arrow's hash lookup (pandas' own
    ``Index.get_indexer`` is slow on Arrow strings)."""
    left = pa.array(pd.Series(keys).astype("string"))
    right = pa.array(pd.Series(index).astype("string")).cast(left.type)
    found = pc.index_in(left, value_set=right, skip_nulls=False).fill_null(-1)
    return found.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def map_keys(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``keys.map(table)`` (same values, dtype, index and name) for string keys and a table with a unique
    string index, found with ``positions``; any other dtype goes through ``Series.map``."""
    if not (isinstance(keys.dtype, pd.StringDtype) and isinstance(table.index.dtype, pd.StringDtype)):
        return keys.map(table)
    at = positions(keys, table.index)
    values = table.to_numpy() if isinstance(table.dtype, np.dtype) else table.array
    return pd.Series(pd.api.extensions.take(values, at, allow_fill=True), index=keys.index, name=keys.name)


# ---------------------------------------------------------------- repeated texts as integer codes
#
# A state keeps a million order and outbound lines between runs; most of their text columns repeat a few
# values (owner, shop, platform, status, SKU, partition). ``compact`` keeps such a column as a pandas
# Categorical: one small integer per row and each distinct text once, in the column's own string dtype.
# ``plain`` gives the column back exactly as it was (same values, same dtype): the rungs read plain
# columns, decoded only for the columns they read and only while they run.


def compact(frame: pd.DataFrame, skip: tuple[str, ...] = ("key",)) -> pd.DataFrame:
    """``frame`` (changed in place and returned) with each string column whose distinct values are at most
    half its rows held as codes; ``skip`` names columns known to be unique. A column is replaced as soon as
    its codes exist, so the plain column is freed (when nothing else holds it) before the next is encoded."""
    n = len(frame)
    for column in list(frame.columns):
        values = frame[column]
        if column in skip or not isinstance(values.dtype, pd.StringDtype) or n < 2:
            continue
        sample = values.iloc[::max(1, n // 2_000)]
        if sample.nunique(dropna=False) > 3 * len(sample) // 4:  # (nearly) one value per row: not worth it
            continue
        codes_, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) > n // 2:
            continue
        frame[column] = pd.Series(pd.Categorical.from_codes(codes_, dtype=pd.CategoricalDtype(uniques)),
                                  index=frame.index, name=column)
        del values, codes_, uniques
    return frame


def plain_values(series: pd.Series) -> pd.Series:
    """A ``compact`` column as it was before (a plain column is returned as it is)."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return series
    texts, codes_ = series.cat.categories.array, series.cat.codes.to_numpy()
    stored = getattr(texts, "_pa_array", None)
    if stored is None:
        values = texts.take(codes_, allow_fill=True)
    else:  # Arrow's take straight from the codes (missing where a code is -1): several times pandas' take
        values = pd.array(pc.take(stored.combine_chunks(), pa.array(codes_, mask=codes_ < 0)), dtype=texts.dtype)
    return pd.Series(values, index=series.index, name=series.name)


def plain_dtype(series: pd.Series):
    """The dtype of ``plain_values(series)``."""
    return series.cat.categories.dtype if isinstance(series.dtype, pd.CategoricalDtype) else series.dtype


def plain(frame: pd.DataFrame, columns=None) -> pd.DataFrame:
    """``frame`` (or its ``columns`` that exist, in that order) with every ``compact`` column decoded; the
    frame itself when it has no coded column and all columns are wanted (no copy)."""
    wanted = list(frame.columns) if columns is None else [c for c in columns if c in frame.columns]
    coded = [c for c in wanted if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not coded and columns is None:
        return frame
    out = frame[wanted]
    for column in coded:
        out[column] = plain_values(out[column])
    return out


def stack(kept: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``pd.concat([kept, rows], ignore_index=True)`` (same columns) where a column ``kept`` holds as codes
    stays coded: ``rows``' new texts join its distinct values (the kept codes are not renumbered)."""
    return concat_coded([kept, rows])


def concat_coded(frames: list[pd.DataFrame], consume: bool = False) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)`` (frames with the same columns) where a column held as codes
    (``compact``) in any frame stays coded: its distinct texts are the first frame's, then each next frame's
    new ones (no frame's codes are renumbered but to point into the joined texts). ``consume``: the frames
    are emptied column by column while the result is built (the caller gives them up)."""
    if len(frames) == 1 and not consume:
        return frames[0].reset_index(drop=True)
    out = {}
    for column in list(frames[0].columns):
        parts = [frame.pop(column) if consume else frame[column] for frame in frames]
        coded = any(isinstance(part.dtype, pd.CategoricalDtype) for part in parts)
        if coded and len({str(plain_dtype(part)) for part in parts}) == 1:
            out[column] = _concat_codes(parts)
        else:
            out[column] = pd.concat([plain_values(part) for part in parts] if coded else parts, ignore_index=True)
        del parts
    return pd.DataFrame(out, copy=False)


def _concat_codes(parts: list[pd.Series]) -> pd.Series:
    texts = None
    seen: dict[int, tuple] = {}  # categories object -> (it, kept alive; its positions in ``texts``): slices share it
    codes_list = []
    for part in parts:
        if isinstance(part.dtype, pd.CategoricalDtype):
            codes_, uniques = part.cat.codes.to_numpy(), part.cat.categories
        else:
            codes_, uniques = pd.factorize(part, use_na_sentinel=True)
            uniques = pd.Index(uniques)
        at = seen.get(id(uniques), (None, None))[1] if texts is not None else None
        if texts is None:
            texts, at = uniques, np.arange(len(uniques))
        elif at is None:
            at = positions(pd.Series(uniques), texts)
            if (at < 0).any():
                texts = texts.append(uniques[at < 0])
                at = positions(pd.Series(uniques), texts)
        seen[id(uniques)] = (uniques, at)
        if len(at) and np.array_equal(at, np.arange(len(at))):
            codes_list.append(codes_)  # the texts so far begin with this part's: its codes stand
        else:
            at = at.astype(np.int32)
            codes_list.append(np.where(codes_ >= 0, at[np.maximum(codes_, 0)], np.int32(-1)) if len(at)
                              else np.full(len(codes_), -1, dtype=np.int32))
    return pd.Series(pd.Categorical.from_codes(np.concatenate(codes_list), dtype=pd.CategoricalDtype(texts)))


def rows_where(frame: pd.DataFrame, mask) -> pd.DataFrame:
    """``frame[mask]``; when every row is kept, a shallow copy instead of a copy of every column (columns
    added to it do not reach ``frame``)."""
    mask = np.asarray(mask, dtype=bool)
    return frame.copy(deep=False) if mask.all() else frame[mask]


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table[key]`` for every key (missing keys and missing values give NA), in the table's dtype.

    Unlike ``Series.map`` this works when ``keys`` is empty or all-missing (float NaN) and ``table`` holds
    datetimes. ``table`` must have a unique index."""
    return _taken(keys, table, table.index.get_indexer(pd.Index(keys.astype(object))))


def lookup_columns(keys: pd.Series, table: pd.DataFrame, columns) -> dict[str, pd.Series]:
    """``lookup(keys, table[c])`` of each of ``columns``, the keys found in ``table``'s index once."""
    positions = table.index.get_indexer(pd.Index(keys.astype(object)))
    return {c: _taken(keys, table[c], positions) for c in columns}


def _taken(keys: pd.Series, table: pd.Series, positions: np.ndarray) -> pd.Series:
    found = positions >= 0
    if len(table) == 0:
        dtype = "Int64" if pd.api.types.is_integer_dtype(table.dtype) else table.dtype
        return pd.Series(pd.NA, index=keys.index).astype(dtype)
    values = table.iloc[np.where(found, positions, 0)].reset_index(drop=True)
    values = values.where(pd.Series(found))
    values.index = keys.index
    return values


_KEY_SEPARATOR = pa.scalar("|", pa.large_string())


def join_key(*parts: pd.Series | str) -> pd.Series:
    """``a|b|c`` from aligned Series (empty string for missing parts); a part given as a ``str`` is the same
    in every row (``join_key("wh", owner, warehouse)`` = ``"wh|" + join_key(owner, warehouse)``). One Arrow
    join of all the parts, not a new column per part and separator."""
    series = [part for part in parts if not isinstance(part, str)]
    if not series:
        raise ValueError("join_key needs at least one Series")
    index = series[0].index
    arrays = [pa.scalar(part, pa.large_string()) if isinstance(part, str) else
              pa.chunked_array(pa.array(part.astype("string").fillna(""))).cast(pa.large_string())
              for part in parts]
    if len(arrays) == 1:
        joined = arrays[0]
    else:
        joined = pc.binary_join_element_wise(*arrays, _KEY_SEPARATOR)
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=index, dtype="string")


def _add_keys(kind: str, out: pd.DataFrame) -> None:
    """Stable string keys of each record and the partition (owner x warehouse, or owner x shop)."""
    if kind == "order_lines":
        out["order_key"] = join_key(out["platform"], out["shop_id"], out["order_id_n"])
        out["key"] = join_key(out["order_key"], out["line_ref_n"])
        out["partition"] = join_key("shop", out["owner_id"], out["platform"], out["shop_id"])
    elif kind == "shipment_lines":
        out["key"] = join_key(out["owner_id"], out["warehouse_code"], out["wms_outbound_no"],
                              out["line_no"].astype("string"))
        out["partition"] = join_key("wh", out["owner_id"], out["warehouse_code"])
        out["shop_partition"] = join_key("shop", out["owner_id"], out["platform"], out["shop_id"])
    elif kind == "receipt_lines":
        out["key"] = join_key(out["owner_id"], out["warehouse_code"], out["asn_no"],
                              out["line_no"].astype("string"))
        out["receipt_key"] = join_key(out["owner_id"], out["warehouse_code"], out["asn_no"])
        out["partition"] = join_key("wh", out["owner_id"], out["warehouse_code"])
    elif kind == "lots":
        out["key"] = join_key(out["owner_id"], out["warehouse_code"], out["lot_id"])
        out["partition"] = join_key("wh", out["owner_id"], out["warehouse_code"])
    elif kind == "document_lines":
        out["key"] = join_key(out["owner_id"], out["doc_number"], out["line_no"].astype("string"))
        out["doc_key"] = join_key(out["owner_id"], out["doc_number"])
    elif kind == "customs_lines":
        out["key"] = join_key(out["owner_id"], out["declaration_no"], out["line_no"].astype("string"))
        out["entry_key"] = join_key(out["owner_id"], out["declaration_no"])
