"""The ``create`` audit entries of many new rows at once, as the per-record upsert writes them.

``audit_entries`` builds each row's entity key, owner and changes column by column: each value's JSON
text is made once per distinct instant and by the C string encoder otherwise, then put per row into one
template, giving the text ``jsonutil.encode_columns`` gives for the row's values without the bookkeeping
columns (a property test holds the two equal); ``json_objects`` the same for any rows (the sync's
``order.created`` events). Used by the import's batch writer
(``aggregator.ingest.bulk``) and the sync's order batches (``aggregator.store.order_batch``).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring  # the C encoder json.dumps uses with ensure_ascii=False

from aggregator.store.copy_text import fixed_zones
from aggregator.store.jsonutil import EncodedJSON, encode_columns

#: Bookkeeping columns never compared or audited (``aggregator.store.upsert`` uses the same set).
BOOKKEEPING = frozenset({"id", "first_seen_at", "stored_at", "created_at", "updated_at", "audit_batch_id"})
_NONE = type(None)


def audit_entries(columns: list[str], rows: list[tuple], key: tuple[str, ...]) -> list[tuple[str, str | None, str]]:
    """The ``create`` audit entry of each new header row, as the per-record upsert writes it: (entity key,
    owner, changes). Built column by column: each value's JSON text is made once per distinct date or
    time and by the C string encoder otherwise, then put per row into one template: the text
    ``encode_columns`` gives for the row's values without the bookkeeping columns."""
    if not rows:
        return []
    cells = list(zip(*rows))
    audited = [i for i, name in enumerate(columns) if name not in BOOKKEEPING]
    changes = _objects([columns[i] for i in audited], [cells[i] for i in audited])
    # upsert.entity_key, column by column
    keys = ["|".join(parts) for parts in zip(*(["" if v is None else str(v) for v in cells[columns.index(k)]]
                                               for k in key))]
    owners = cells[columns.index("owner_id")] if "owner_id" in columns else [None] * len(rows)
    return list(zip(keys, owners, changes))


def json_objects(columns: Sequence[str], rows: Sequence[tuple]) -> list[EncodedJSON]:
    """Each row (values in ``columns`` order) as the JSON object ``encode_columns`` writes for
    ``dict(zip(columns, row))``, built column by column like the audit entries."""
    if not rows:
        return []
    return _objects(columns, list(zip(*rows)))


def _objects(names: Sequence[str], cells: Sequence[tuple]) -> list[EncodedJSON]:
    """The JSON objects of the rows whose values of ``names`` are ``cells`` (one tuple per name)."""
    template = "{" + ", ".join(encode_basestring(name).replace("%", "%%") + ": %s" for name in names) + "}"
    return [EncodedJSON(template % parts) for parts in zip(*(_json_values(n, c) for n, c in zip(names, cells)))]


def _json_values(name: str, values: tuple) -> list[str]:
    """Each of ``values`` as ``json.dumps`` writes it as the value of ``name`` inside an object."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return list(map(encode_basestring, values))
    if kinds <= {str, _NONE}:
        return ["null" if v is None else encode_basestring(v) for v in values]
    if kinds <= {int, _NONE}:
        return ["null" if v is None else int.__repr__(v) for v in values]
    if kinds <= {Decimal, _NONE}:  # jsonutil._default: the exact text, as a JSON string
        return ["null" if v is None else encode_basestring(format(v, "f")) for v in values]
    if kinds <= {datetime, _NONE}:
        zones = fixed_zones(values)
        if zones is not None and len(zones) <= 1:  # one fixed offset: equal is alike
            done = {v: "null" if v is None else encode_basestring(v.isoformat()) for v in set(values)}
            return [done[v] for v in values]
        # equal instants at another offset write differently: keyed by offset (a set of the values alone
        # would keep one of two equal instants at different offsets)
        keyed = [(v, None if v is None else v.utcoffset()) for v in values]
        by_offset = {k: "null" if k[0] is None else encode_basestring(k[0].isoformat()) for k in set(keyed)}
        return [by_offset[k] for k in keyed]
    skip = len(encode_basestring(name)) + 3  # '{"name": '
    return [encode_columns({name: v})[skip:-1] for v in values]
