"""An order's detail read in one round trip on PostgreSQL: one statement foresees the questions the
assembly will ask (``api/order_reads.StatementReads``) and answers them all.

The statement walks the order's chain in CTEs, as the assembly does one statement at a time: the order
by its natural key → its lines, and their link keys (``order_key|line ref`` normalised as
``matching.keys`` does for printable ASCII) → ``order_shipment`` → ``shipment_lot`` → ``lot_receipt``
links → the receipts' upstream links; the warehouse shipments, receipts, transport documents and
customs entries those links name (each probed by the key parts the assembly will split out, found or
not); the order's own shipments, settlements, returns and returned units. Its rows are typed and
tagged by section (``UNION ALL`` over shared typed columns, so the driver and the column types load
every value exactly as the one-by-one statements do), each section in the order the reference
statement gives.

``PrefetchedReads`` answers a question from those rows only when the statement asked it (the same link
keys, the same probe key); any other question — a line reference the SQL normalisation does not mirror,
say — goes to the reference statement, so the answer never depends on the statement foreseeing right,
only its cost does (``fallbacks`` counts them).
"""
from __future__ import annotations

import re
from collections import namedtuple
from typing import Any

from sqlalchemy import BigInteger, Boolean, Connection, Date, Float, String, column, text

from aggregator.api.order_reads import (
    DOCUMENT_STEPS, LINE_FIELDS, ORDER_FIELDS, PACKAGE_FIELDS, UPSTREAM_STEPS, StatementReads,
)
from aggregator.store.models.marketplace import order_key
from aggregator.store.types import ExactDecimal, UTCDateTime

# the typed columns sections share: SQL type, and the column type that loads it (as the tables' columns do)
_KINDS = {"text": ("text", String()), "int": ("bigint", BigInteger()), "num": ("numeric", ExactDecimal()),
          "ts": ("timestamptz", UTCDateTime()), "date": ("date", Date()), "float": ("double precision", Float())}

_STEPS_SQL = ", ".join(f"'{s}'" for s in UPSTREAM_STEPS)
_DOC_STEPS_SQL = ", ".join(f"'{s}'" for s in DOCUMENT_STEPS)


def _bars(key: str) -> str:
    return f"(length({key}) - length(replace({key}, '|', '')))"


def _line_no(part: str) -> str:
    """``api.chain._line_no`` in SQL: a key part of 1 to 9 ASCII digits as a number, else NULL."""
    return f"CASE WHEN {part} ~ '^[0-9]{{1,9}}$' THEN CAST({part} AS integer) END"


_WITH = f"""
WITH o AS (
  SELECT * FROM orders WHERE platform = :platform AND shop_id = :shop_id AND order_id = :order_id),
ol AS (SELECT * FROM order_lines WHERE order_pk IN (SELECT id FROM o)),
lk AS (
  SELECT DISTINCT :order_key || '|' || CASE WHEN c ~ '^[0-9]+$' THEN coalesce(nullif(ltrim(c, '0'), ''), '0')
                                            ELSE c END AS k
  FROM (SELECT regexp_replace(upper(line_ref), '[- _./#:]+', '', 'g') AS c FROM ol) n),
osl AS (SELECT * FROM match_links WHERE step = 'order_shipment' AND left_key IN (SELECT k FROM lk)),
sll AS (SELECT * FROM match_links WHERE step = 'shipment_lot' AND left_key IN (SELECT right_key FROM osl)),
lrl AS (SELECT * FROM match_links WHERE step = 'lot_receipt' AND left_key IN (SELECT right_key FROM sll)),
upl AS (SELECT * FROM match_links WHERE step IN ({_STEPS_SQL}) AND left_key IN (SELECT right_key FROM lrl)),
shp AS (
  SELECT DISTINCT split_part(right_key, '|', 1) AS p1, split_part(right_key, '|', 2) AS p2,
                  split_part(right_key, '|', 3) AS p3
  FROM osl WHERE {_bars('right_key')} = 3),
rcp AS (
  SELECT DISTINCT split_part(right_key, '|', 1) AS p1, split_part(right_key, '|', 2) AS p2,
                  split_part(right_key, '|', 3) AS p3, {_line_no("split_part(right_key, '|', 4)")} AS p4
  FROM lrl WHERE {_bars('right_key')} = 3),
doc AS (
  SELECT DISTINCT split_part(right_key, '|', 1) AS p1, split_part(right_key, '|', 2) AS p2,
                  CASE WHEN {_bars('right_key')} = 2 THEN {_line_no("split_part(right_key, '|', 3)")} END AS p3
  FROM upl WHERE step IN ({_DOC_STEPS_SQL}) AND {_bars('right_key')} IN (1, 2)),
cus AS (
  SELECT DISTINCT split_part(right_key, '|', 1) AS p1, split_part(right_key, '|', 2) AS p2
  FROM upl WHERE step NOT IN ({_DOC_STEPS_SQL}) AND {_bars('right_key')} IN (1, 2)),
ret AS (
  SELECT * FROM returns WHERE platform = :platform AND shop_id = :shop_id AND order_id = :order_id
                          AND EXISTS (SELECT 1 FROM o))"""

_SHIPMENT_FIELDS = [("id", "int"), ("wms_outbound_no", "text"), ("carrier_code", "text"),
                    ("tracking_number", "text"), ("wms_created_at", "ts"), ("shipped_at", "ts"),
                    ("delivered_at", "ts"), ("returned_at", "ts")]
_KINDS_OF = {"id": "int", "total_amount": "num", "ordered_at": "ts", "paid_at": "ts", "source_updated_at": "ts",
             "quantity": "int", "unit_price": "num", "paid_amount": "num"}

# (section, probe key fields, answer fields, the section's rows: FROM … [WHERE …], their order)
# a probe section's answer fields come from a LEFT JOIN LATERAL aliased ``a`` whose ``hit`` marks a find
_SECTIONS: list[tuple[str, list[tuple[str, str]], list[tuple[str, str]], str, str]] = [
    ("order", [], [("id", "int"), *((f, _KINDS_OF.get(f, "text")) for f in ORDER_FIELDS)], "o", "id"),
    ("lines", [], [(f, _KINDS_OF.get(f, "text")) for f in LINE_FIELDS], "ol", "id"),
    ("line_keys", [], [("k", "text")], "lk", "k"),
    ("packages", [], [(f, "text") for f in PACKAGE_FIELDS],
     "order_packages WHERE order_pk IN (SELECT id FROM o)", "id"),
    ("links", [], [("step", "text"), ("left_key", "text"), ("right_key", "text"), ("qty", "int"),
                   ("method", "text"), ("confidence", "float")],
     "(SELECT * FROM osl UNION ALL SELECT * FROM sll UNION ALL SELECT * FROM lrl) x", "step, left_key, right_key"),
    ("upstream", [], [("step", "text"), ("left_key", "text"), ("right_key", "text")], "upl", "left_key, right_key"),
    ("shipments_of_order", [], [*_SHIPMENT_FIELDS, ("owner_id", "text"), ("warehouse_code", "text")],
     "warehouse_shipments WHERE order_id = :order_id AND EXISTS (SELECT 1 FROM o)", "id"),
    ("shipment", [("p1", "text"), ("p2", "text"), ("p3", "text")], _SHIPMENT_FIELDS,
     "shp LEFT JOIN LATERAL (SELECT *, 1 AS hit FROM warehouse_shipments WHERE owner_id = shp.p1 "
     "AND warehouse_code = shp.p2 AND wms_outbound_no = shp.p3 LIMIT 1) a ON true", "p1, p2, p3"),
    ("receipt", [("p1", "text"), ("p2", "text"), ("p3", "text"), ("p4", "int")],
     [("asn_no", "text"), ("status", "text"), ("received_at", "ts"), ("container_no", "text"),
      ("received_good_qty", "int"), ("received_damaged_qty", "int")],
     "rcp LEFT JOIN LATERAL (SELECT r.asn_no, r.status, r.received_at, r.container_no, l.received_good_qty, "
     "l.received_damaged_qty, 1 AS hit FROM warehouse_receipts r LEFT JOIN warehouse_receipt_lines l "
     "ON l.receipt_pk = r.id AND l.line_no = rcp.p4 WHERE r.owner_id = rcp.p1 AND r.warehouse_code = rcp.p2 "
     "AND r.asn_no = rcp.p3 LIMIT 1) a ON true", "p1, p2, p3, p4"),
    ("document", [("p1", "text"), ("p2", "text"), ("p3", "int")],
     [("doc_type", "text"), ("doc_number", "text"), ("shipped_on_board_date", "date"), ("eta", "date"),
      ("container_no", "text")],
     "doc LEFT JOIN LATERAL (SELECT d.doc_type, d.doc_number, d.shipped_on_board_date, d.eta, l.container_no, "
     "1 AS hit FROM transport_documents d LEFT JOIN transport_document_lines l ON l.document_pk = d.id "
     "AND l.line_no = doc.p3 WHERE d.owner_id = doc.p1 AND d.doc_number = doc.p2 LIMIT 1) a ON true",
     "p1, p2, p3"),
    ("customs", [("p1", "text"), ("p2", "text")],
     [("declaration_no", "text"), ("arrival_date", "date"), ("released_at", "ts")],
     "cus LEFT JOIN LATERAL (SELECT *, 1 AS hit FROM customs_entries WHERE owner_id = cus.p1 "
     "AND declaration_no = cus.p2 ORDER BY id LIMIT 1) a ON true", "p1, p2"),
    ("settlements", [], [("kind", "text"), ("amount", "num"), ("currency", "text"), ("occurred_at", "ts")],
     "settlement_lines WHERE order_id = :order_id AND platform = :platform AND shop_id = :shop_id "
     "AND EXISTS (SELECT 1 FROM o)", "id"),
    ("returns", [], [("id", "int"), ("kind", "text"), ("return_id", "text"), ("status", "text"),
                     ("raw_status", "text"), ("requested_at", "ts"), ("source_updated_at", "ts"),
                     ("refund_amount", "num"), ("currency", "text"), ("disposition", "text")], "ret",
     "requested_at, id"),
    ("return_units", [], [("return_pk", "int"), ("quantity", "int"), ("disposition", "text")],
     "return_lines WHERE return_pk IN (SELECT id FROM ret)", "id"),
]


def _build() -> tuple[Any, dict[str, tuple[Any, list[int], list[int]]]]:
    """The combined statement, and per section: its row type, the columns of its probe key and answer."""
    slots: dict[str, int] = {}  # typed columns needed: the most any one section uses of each kind
    for _, key, answer, _, _ in _SECTIONS:
        for kind in _KINDS:
            slots[kind] = max(slots.get(kind, 0), sum(1 for _, k in [*key, *answer] if k == kind))
    columns = [(f"{kind}{i}", kind) for kind in _KINDS for i in range(slots[kind])]
    selects, layout = [], {}
    for number, (name, key, answer, source, order) in enumerate(_SECTIONS):
        used: dict[str, list[str]] = {kind: [] for kind in _KINDS}
        place: dict[str, str] = {}
        probe = bool(key)
        for field, kind in [*key, *answer]:
            expression = f"a.{field}" if probe and (field, kind) in answer else field
            place[field] = f"{kind}{len(used[kind])}"
            used[kind].append(expression)
        values = []
        for name_, kind in columns:
            index = int(name_[len(kind):])
            value = used[kind][index] if index < len(used[kind]) else "NULL"
            # the first section's casts type every column (a NULL of a later one takes that type)
            values.append(f"CAST({value} AS {_KINDS[kind][0]})" if not selects else value)
        hit = "a.hit IS NOT NULL" if probe else "true"
        selects.append(f"SELECT {number},row_number() OVER (ORDER BY {order}),{hit}," + ",".join(values)
                       + f" FROM {source}")
        positions = {name_: 3 + i for i, (name_, _) in enumerate(columns)}
        layout[name] = (namedtuple(f"{name}_row", [f for f, _ in answer]),
                        [positions[place[f]] for f, _ in key], [positions[place[f]] for f, _ in answer])
    # on one line: a shorter text for the driver to convert on each execution (it is prepared on the server)
    sql = re.sub(r"\s*\n\s*", " ", _WITH + "\n" + "\nUNION ALL ".join(selects) + "\nORDER BY 1, 2").strip()
    typed = [column("section", BigInteger()), column("n", BigInteger()), column("hit", Boolean()),
             *(column(c, _KINDS[k][1]) for c, k in columns)]
    return text(sql).columns(*typed), layout  # matched by position: no result map built per execution


_COMBINED, _LAYOUT = _build()
_NAMES = [name for name, *_ in _SECTIONS]


class PrefetchedReads(StatementReads):
    """The order ``platform/shop_id/order_id`` and everything its detail reads, fetched in one statement;
    a question the statement did not ask goes to the reference statement (``fallbacks`` counts them)."""

    def __init__(self, connection: Connection, platform: str, shop_id: str, order_id: str) -> None:
        super().__init__(connection)
        self.fallbacks = 0
        self._asked = (platform, shop_id, order_id)
        rows: dict[str, list] = {name: [] for name in _NAMES}
        probes: dict[str, dict] = {}
        params = {"platform": platform, "shop_id": shop_id, "order_id": order_id,
                  "order_key": order_key(platform, shop_id, order_id)}
        for row in connection.execute(_COMBINED, params):
            name = _NAMES[row[0]]
            kind, key, answer = _LAYOUT[name]
            value = kind._make(row[i] for i in answer) if row[2] else None
            if key:
                probes.setdefault(name, {})[tuple(row[i] for i in key)] = value
            else:
                rows[name].append(value)
        self._rows, self._probes = rows, probes
        self._order = rows["order"][0] if rows["order"] else None
        links: dict[str, list] = {}
        for link in rows["links"]:
            links.setdefault(link.step, []).append(link)
        self._links = links
        # the left keys each rung was probed with: the lines' keys, then the right keys of the rung before
        self._probed = {"order_shipment": {row.k for row in rows["line_keys"]}}
        for step, before in (("shipment_lot", "order_shipment"), ("lot_receipt", "shipment_lot"),
                             ("upstream", "lot_receipt")):
            self._probed[step] = {link.right_key for link in links.get(before, [])}

    def _fallback(self) -> StatementReads:
        self.fallbacks += 1
        return super()

    def _own(self, order_pk: int) -> bool:
        return self._order is not None and order_pk == self._order.id

    def order(self, platform: str, shop_id: str, order_id: str) -> Any:
        if (platform, shop_id, order_id) == self._asked:
            return self._order
        return self._fallback().order(platform, shop_id, order_id)

    def lines(self, order_pk: int) -> list:
        return self._rows["lines"] if self._own(order_pk) else self._fallback().lines(order_pk)

    def packages(self, order_pk: int) -> list:
        return self._rows["packages"] if self._own(order_pk) else self._fallback().packages(order_pk)

    def _foreseen(self, step: str, rows: list, lefts: list[str]) -> list | None:
        if not self._probed[step].issuperset(lefts):
            return None
        wanted = set(lefts)
        return [row for row in rows if row.left_key in wanted]

    def links(self, step: str, lefts: list[str]) -> list:
        found = self._foreseen(step, self._links.get(step, []), lefts) if step in self._probed else None
        return self._fallback().links(step, lefts) if found is None else found

    def upstream(self, lefts: list[str]) -> list:
        found = self._foreseen("upstream", self._rows["upstream"], lefts)
        return self._fallback().upstream(lefts) if found is None else found

    def shipments_of_order(self, order_id: str) -> list:
        if self._order is not None and order_id == self._asked[2]:
            return self._rows["shipments_of_order"]
        return self._fallback().shipments_of_order(order_id)

    def _probe(self, name: str, key: tuple, read) -> Any:
        found = self._probes.get(name, {})
        if key in found:
            return found[key]
        return read(*key)

    def shipment(self, owner: str, warehouse: str, outbound_no: str) -> Any:
        return self._probe("shipment", (owner, warehouse, outbound_no), lambda *k: self._fallback().shipment(*k))

    def receipt(self, owner: str, warehouse: str, asn_no: str, line_no: int | None) -> Any:
        return self._probe("receipt", (owner, warehouse, asn_no, line_no), lambda *k: self._fallback().receipt(*k))

    def document(self, owner: str, doc_number: str, line_no: int | None) -> Any:
        return self._probe("document", (owner, doc_number, line_no), lambda *k: self._fallback().document(*k))

    def customs(self, owner: str, declaration_no: str) -> Any:
        return self._probe("customs", (owner, declaration_no), lambda *k: self._fallback().customs(*k))

    def _of_order(self, name: str, platform: str, shop_id: str, order_id: str) -> list | None:
        return self._rows[name] if self._order is not None and (platform, shop_id, order_id) == self._asked else None

    def settlements(self, platform: str, shop_id: str, order_id: str) -> list:
        found = self._of_order("settlements", platform, shop_id, order_id)
        return self._fallback().settlements(platform, shop_id, order_id) if found is None else found

    def returns(self, platform: str, shop_id: str, order_id: str) -> list:
        found = self._of_order("returns", platform, shop_id, order_id)
        return self._fallback().returns(platform, shop_id, order_id) if found is None else found

    def return_units(self, return_pks: list[int]) -> list:
        if self._order is not None and {r.id for r in self._rows["returns"]}.issuperset(return_pks):
            wanted = set(return_pks)
            return [unit for unit in self._rows["return_units"] if unit.return_pk in wanted]
        return self._fallback().return_units(return_pks)
