"""The order rung owner by owner: each owner's order and outbound lines are decoded and linked on their own,
so the rung's working set is one owner's rows, not the whole input's.

Every lookup of ``linker.link_orders`` stays inside one owner (the order id, package and tracking lookups
are scoped by owner, the fuzzy lookup by owner x shop, the SKU allocation by owner x order) as long as no
two owners can share an order key or meet through a joined text. ``groups`` checks that on the rows
given: owners hold no ``|`` and no missing owner; every order line key is ``platform|shop|order|line``
with no ``|`` inside a part; no platform shop belongs to two owners; and every ``order_shipment`` manual
link ties an order line and an outbound line of one owner. Then the links and exceptions of the owners,
linked one after another and put in the rung's order, are those of one run over all rows (the rung's
links are unique by (order line, outbound line) and sorted by partition and keys; its exceptions are
sorted by ``exceptions.combine``). Otherwise the rows are linked in one group, as before.

Each owner's links are held as ``frames.compact`` codes as soon as they are made.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from matching import ladder, linker
from matching.exceptions import combine
from matching.frames import (compact, concat_coded, plain, plain_values, positions, sort_order, sort_rows,
                            take_consuming, take_positions)

LINK_TEXT_KEYS = ("left_key", "right_key")  # (nearly) unique per link: kept as texts, not codes


def coded_links(links: pd.DataFrame) -> pd.DataFrame:
    """``links`` (changed in place and returned) with their repeated texts (step, owner, partition, method)
    as codes (``frames.compact``)."""
    return compact(links, skip=LINK_TEXT_KEYS)


def _owner_codes(*columns: pd.Series) -> tuple[list[np.ndarray], list[str]]:
    """Each column's owners as codes into one list of the owner texts its rows hold (-1: missing)."""
    pairs = []
    for column in columns:
        codes_, uniques = _codes_of(column)
        held = np.unique(codes_[codes_ >= 0])  # a coded column's texts can include owners of no row here
        pairs.append((codes_, [str(uniques[c]) for c in held], held))
    texts = list(dict.fromkeys(t for _, held_texts, _ in pairs for t in held_texts))
    index = pd.Series(texts, dtype="string")
    out = []
    for codes_, held_texts, held in pairs:
        at = np.full(int(held.max()) + 1 if len(held) else 0, -1)
        at[held] = positions(pd.Series(held_texts, dtype="string"), index)
        out.append(np.where(codes_ >= 0, at[np.maximum(codes_, 0)], -1) if len(at) else np.full(len(codes_), -1))
    return out, texts


def _owners(*columns: pd.Series) -> tuple[list[np.ndarray], list[str]] | None:
    """``_owner_codes`` of the columns; None when an owner is missing or holds a ``|`` (then keys joined
    from an owner and other parts could meet another owner's), or there is one owner only."""
    codes_, texts = _owner_codes(*columns)
    if len(texts) < 2 or any((c < 0).any() for c in codes_) or any("|" in t for t in texts):
        return None
    return codes_, texts


def _manual_owners(manual: pd.DataFrame, step: str, lefts: pd.Series, left_owner: np.ndarray, rights: pd.Series,
                   right_owner: np.ndarray) -> np.ndarray | None:
    """The owner of each manual link of ``step`` (-1 for the other steps): the owner of the rows its left and
    right keys name in ``lefts`` and ``rights``; None when a key names no row or the two owners differ."""
    mine = manual["step"].to_numpy() == step if len(manual) else np.zeros(0, dtype=bool)
    out = np.full(len(manual), -1)
    if mine.any():
        left = positions(manual["left_key"][mine], lefts)
        right = positions(manual["right_key"][mine], rights)
        if (left < 0).any() or (right < 0).any() or (left_owner[left] != right_owner[right]).any():
            return None
        out[mine] = left_owner[left]
    return out


def _rows_by_owner(texts: list[str], *codes_: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """For each owner, in the order of their texts, its rows in each of the code arrays."""
    return [tuple(np.flatnonzero(c == owner) for c in codes_) for owner in sorted(range(len(texts)), key=texts.__getitem__)]


def order_groups(orders: pd.DataFrame, ships: pd.DataFrame, manual: pd.DataFrame
                 ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    """(order line rows, outbound line rows, manual link rows) of each owner when the order rung can link the
    owners apart (see the module's docstring); None when it cannot."""
    found = _owners(orders["owner_id"], ships["owner_id"])
    if found is None:
        return None
    (order_owner, ship_owner), texts = found
    bars = pc.count_substring(pa.array(orders["key"].astype("string")), "|")
    if orders["key"].isna().any() or pc.any(pc.not_equal(bars, 3)).as_py():
        return None
    (platform, platforms), (shop, shops_) = _codes_of(orders["platform"]), _codes_of(orders["shop_id"])
    shops = pd.DataFrame({"owner": order_owner, "platform": platform, "shop": shop}).drop_duplicates()
    shops = shops.assign(platform=_texts_at(platforms, shops["platform"]), shop=_texts_at(shops_, shops["shop"]))
    if shops.drop_duplicates(["owner", "platform", "shop"]).duplicated(["platform", "shop"]).any():
        return None
    manual_owner = _manual_owners(manual, linker.STEP, orders["key"], order_owner, ships["key"], ship_owner)
    if manual_owner is None:
        return None
    return _rows_by_owner(texts, order_owner, ship_owner, manual_owner)


def lot_groups(ships: pd.DataFrame, lot_table: pd.DataFrame, manual: pd.DataFrame
               ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    """(outbound line rows, lot rows, manual link rows) of each owner when the outbound -> lot rung can link
    the owners apart: its lot lookups and FIFO are by owner x warehouse, its keys start with an owner
    (without ``|``), and every ``shipment_lot`` manual link ties an outbound line and a lot of one owner;
    None when it cannot."""
    found = _owners(ships["owner_id"], lot_table["owner_id"])
    if found is None:
        return None
    (ship_owner, lot_owner), texts = found
    manual_owner = _manual_owners(manual, ladder.STEP, ships["key"], ship_owner, lot_table["lot_key"], lot_owner)
    if manual_owner is None:
        return None
    return _rows_by_owner(texts, ship_owner, lot_owner, manual_owner)


def _codes_of(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """(code of each row, -1 where missing; the distinct texts)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), pd.Index(column.cat.categories)
    codes_, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes_, pd.Index(uniques)


def _texts_at(texts: pd.Index, codes_: pd.Series) -> list[str]:
    """The texts of ``codes_`` (missing as "", as the keys join them)."""
    return ["" if c < 0 else str(texts[c]) for c in codes_.tolist()]


def link_orders(orders: pd.DataFrame, ships: pd.DataFrame, manual: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``linker.link_orders`` over order and outbound lines as held (``compact`` columns decoded here, one
    owner at a time); the links as ``coded_links``, sorted by ``linker.LINK_SORT``."""
    orders = orders[[c for c in linker.ORDER_COLUMNS if c in orders.columns]]
    ships = ships[[c for c in linker.SHIP_COLUMNS if c in ships.columns]]
    parts = order_groups(orders, ships, manual)
    if parts is None:
        links, exceptions = linker.link_orders(plain(orders), plain(ships), manual)
        return coded_links(links), exceptions
    return _each_owner(parts, lambda order_rows, ship_rows, manual_rows: linker.link_orders(
        plain(take_positions(orders, order_rows)), plain(take_positions(ships, ship_rows)), manual.iloc[manual_rows]),
        linker.LINK_SORT, presorted=True)


def link_shipments(ships: pd.DataFrame, lot_table: pd.DataFrame, manual: pd.DataFrame
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``ladder.link_shipments_to_lots`` over outbound lines as held (decoded here, one owner at a time); the
    links as ``coded_links``, sorted by ``LOT_LINK_SORT``."""
    ships = ships[[c for c in ladder.SHIP_COLUMNS if c in ships.columns]]
    parts = lot_groups(ships, lot_table, manual)
    if parts is None:
        links, exceptions = ladder.link_shipments_to_lots(plain(ships), lot_table, manual)
        return coded_links(sort_rows(links, LOT_LINK_SORT)), exceptions
    return _each_owner(parts, lambda ship_rows, lot_rows, manual_rows: ladder.link_shipments_to_lots(
        plain(take_positions(ships, ship_rows)), lot_table.iloc[lot_rows].reset_index(drop=True),
        manual.iloc[manual_rows]), LOT_LINK_SORT, presorted=False)


LOT_LINK_SORT = ["partition", "left_key", "right_key"]  # the engine's order of one step's links


def _each_owner(parts, link, by: list[str], presorted: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``link`` on each owner's rows; (its links as codes, each owner's sorted by ``by`` (``presorted``:
    ``link`` gives them so) and joined in that order; its exceptions combined)."""
    pieces, found = [], []
    for rows in parts:
        links, exceptions = link(*rows)
        if not links.empty:
            pieces.append(coded_links(links if presorted else sort_rows(links, by)))
        found.append(exceptions)
        del links, exceptions
        pa.default_memory_pool().release_unused()
    exceptions = combine(found)
    if not pieces:
        return coded_links(linker.empty_links()), exceptions
    return sorted_concat(pieces, by), exceptions


def sorted_concat(pieces: list[pd.DataFrame], by: list[str],
                  span: Callable[[pd.DataFrame], tuple[str, str]] | None = None,
                  arrange: Callable[[int, pd.DataFrame], pd.DataFrame] | None = None) -> pd.DataFrame:
    """Frames joined into one sorted by ``by`` (stably); ``pieces`` is emptied (the caller gives the frames
    up: each is consumed as it is joined). ``span(piece)``: the lowest and highest value of ``by[0]`` in a
    piece (default: its first and last row's, for pieces sorted by ``by``). When the pieces' spans do not
    overlap, each piece is put in order on its own (``arrange(i, piece)``, ``i`` its place in ``pieces``;
    default: as it is, sorted already) and they are joined in span order: the same rows in the same order
    as sorting them all together, without sorting the joined rows again. Otherwise the joined rows are sorted."""
    spans = sorted(((span or (lambda piece: _first_last(piece, by[0])))(piece), i) for i, piece in enumerate(pieces))
    apart = all(spans[i][0][1] < spans[i + 1][0][0] for i in range(len(spans) - 1))
    if apart:
        ordered = []
        for _, i in spans:
            piece, pieces[i] = pieces[i], None
            ordered.append(piece if arrange is None else arrange(i, piece))
            del piece  # (a piece arranged anew is freed here)
    else:
        ordered = list(pieces)
    pieces.clear()
    whole = concat_coded(ordered, consume=True)
    ordered.clear()
    return whole if apart else take_consuming(whole, sort_order(whole, by))


def _first_last(frame: pd.DataFrame, column: str) -> tuple[str, str]:
    """The first and last value of a frame's sorted, never missing ``column``."""
    ends = plain_values(frame[column].iloc[[0, len(frame) - 1]])
    if ends.isna().any():
        return ("", "\U0010ffff")  # a missing value sorts last: no span proves the pieces apart
    return str(ends.iloc[0]), str(ends.iloc[1])
