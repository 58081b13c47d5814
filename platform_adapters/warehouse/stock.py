"""Stock snapshot rows → ``StockSnapshot``: one record per row, title / risk / custody kept apart.

Key: (owner, snapshot instant, lot id or SKU, warehouse). The landed cost column of the standard
layout is in MYR (``unit_landed_cost_myr``); ``unit_landed_cost_currency`` overrides the currency. A lot's
``batch_no`` and ``expiry_date`` are kept when the 3PL gives them (an expiry before the snapshot's day is
flagged ``expired_in_stock``).
"""
from __future__ import annotations

from fx.money import Money
from platform_adapters.canonical.common import Problem, Severity
from platform_adapters.canonical.identifiers import clean_text
from platform_adapters.canonical.warehouse import StockSnapshot
from platform_adapters.canonical.tenancy import OwnerClaim
from platform_adapters.tabular.rows import (CanonicalRow, ClaimSpec, GroupResult, ReadOptions, RowView, build_group,
                                           claims_of)

KIND = "stock"
#: Part of every stored record's content hash: bump it when a change here maps the same rows differently.
MAPPING_VERSION = 1
#: The columns ``owner_claims`` reads (the import resolves each distinct combination of them once).
OWNER_COLUMNS = ("owner_code", "warehouse_code", "risk_bearer", "title_holder", "asn_no", "source_doc_no",
                 "customs_declaration_no")
QUANTITIES = ("qty_expected", "qty_in_receiving", "qty_available", "qty_allocated", "qty_in_last_mile",
               "qty_delivered", "qty_defective", "qty_box_damaged")


#: What names a lot's owner (``owner_claims``): the 3PL's owner code (its own column, or the party codes of risk
#: and title), else the owner of the source documents the lot came in with: the receipt (ASN in that
#: warehouse), the transport document, the customs entry.
CLAIM_SPECS = (ClaimSpec("owner_code", "owner_code", "warehouse_code"),
               ClaimSpec("owner_code", "risk_bearer", "warehouse_code"),
               ClaimSpec("owner_code", "title_holder", "warehouse_code"),
               ClaimSpec("receipt", "asn_no", "warehouse_code"),
               ClaimSpec("document", "source_doc_no"),
               ClaimSpec("customs_entry", "customs_declaration_no"))


def owner_claims(values: dict[str, str]) -> tuple[OwnerClaim, ...]:
    """The claims of ``CLAIM_SPECS`` a row makes."""
    return claims_of(values, CLAIM_SPECS)


def record_key(values: dict[str, str], owner_id: str) -> tuple[str, ...] | None:
    """Grouping key from the cell texts (the stored key uses the parsed instant)."""
    sku, instant = clean_text(values.get("sku")), clean_text(values.get("snapshot_at"))
    if not sku or not instant:
        return None
    return (owner_id, instant, clean_text(values.get("lot_id")) or sku, clean_text(values.get("warehouse_code")))


def expired_in_stock(expiry, at) -> bool:
    return expiry is not None and at is not None and expiry < at.date()


def currency_of(text: str | None) -> str:
    """The landed cost's currency: the ``unit_landed_cost_currency`` cell (cleaned), else MYR."""
    return (text or "MYR").upper()


def _read(view: RowView) -> dict:
    data = {
        "snapshot_at": view.datetime("snapshot_at", required=True),
        "sku": view.text("sku", required=True),
        "lot_id": view.text("lot_id"), "warehouse_code": view.text("warehouse_code"),
        "title_holder": view.text("title_holder"), "risk_bearer": view.text("risk_bearer"),
        "custodian": view.text("custodian"), "title_state": view.upper("title_state"),
        "location_state": view.upper("location_state"), "source_doc_kind": view.upper("source_doc_kind"),
        "source_doc_no": view.doc("source_doc_no"), "container_no": view.container("container_no")[0],
        "customs_declaration_no": view.doc("customs_declaration_no"), "asn_no": view.text("asn_no"),
        "received_at": view.datetime("received_at"), "cost_basis_note": view.text("cost_basis_note"),
        "batch_no": view.text("batch_no"), "expiry_date": view.date("expiry_date"),
    }
    expiry, at = data["expiry_date"], data["snapshot_at"]
    if expired_in_stock(expiry, at):
        view.problem("expiry_date", "expired_in_stock",
                     f"expiry {expiry.isoformat()} is before the snapshot on {at.date().isoformat()}", Severity.WARNING)
    for name in QUANTITIES:
        data[name] = view.quantity(name) or 0
    cost = view.decimal("unit_landed_cost_myr")
    currency = currency_of(view.text("unit_landed_cost_currency"))
    data["unit_landed_cost"] = None
    if cost is not None:
        try:
            data["unit_landed_cost"] = Money(cost, currency)
        except ValueError as exc:
            view.problem("unit_landed_cost_currency", "bad_currency", str(exc))
    return data


def map_rows(rows: list[CanonicalRow], options: ReadOptions, line_offset: int = 0) -> GroupResult[StockSnapshot]:
    def build(accepted: list[tuple[RowView, dict]]):
        problems: list[Problem] = []
        _, data = accepted[0]
        for view, _ in accepted[1:]:
            problems.append(Problem("duplicate_key", f"same snapshot, lot/SKU and warehouse as line "
                                    f"{accepted[0][0].row.line}", location=view.location))
        return StockSnapshot(owner_id=options.owner_id, **data), problems

    return build_group(rows, options, _read, build)
