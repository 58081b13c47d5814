"""Declaration-line rows → ``CustomsEntry``: one record per (country, declaration no.).

Amounts: ``invoice_value`` is in ``invoice_currency``; customs value, duty and tax columns of the
standard (Malaysian K1) layout are in the local currency, which is ``local_currency`` when given,
otherwise the country's currency. A declaration line number repeated with other content is rejected.
"""
from __future__ import annotations

from fx.money import Money
from platform_adapters.canonical.common import Problem, Severity
from platform_adapters.canonical.identifiers import clean_text, normalize_document_number
from platform_adapters.canonical.logistics import CustomsEntry, CustomsEntryLine, DocumentRef
from platform_adapters.canonical.tenancy import OwnerClaim
from platform_adapters.tabular.rows import (
    CanonicalRow,
    GroupResult,
    ReadOptions,
    RowView,
    build_group,
    claim,
    header_value,
    line_number,
)

KIND = "customs"
#: The columns ``owner_claims`` reads.
OWNER_COLUMNS = ("importer_registration_no", "country", "importer_of_record")
#: The columns ``record_key`` reads besides the owner.
KEY_COLUMNS = ("country", "declaration_no")
LOCAL_CURRENCY = {"SG": "SGD", "MY": "MYR", "TH": "THB", "ID": "IDR", "PH": "PHP", "VN": "VND", "CN": "CNY"}


#: (column, ``DocumentRef`` kind) of the transport documents a declaration line names, in the order they are kept
REF_COLUMNS = (("mbl_no", "MBL"), ("hbl_no", "HBL"), ("awb_no", "AWB"))
#: (field, source column, currency) of a line's amounts: the invoice value in the invoice's currency, the
#: others in the local one (``local_currency``)
AMOUNTS = (("invoice_value", "invoice_value", "invoice_currency"), ("customs_value", "customs_value_myr", "local"),
           ("duty", "import_duty_myr", "local"), ("tax", "sales_tax_myr", "local"))


def local_currency(stated: str | None, country: str | None) -> str | None:
    """The currency of a line's customs value, duty and tax: the one the row states, else its country's."""
    return stated or LOCAL_CURRENCY.get(country or "")


def owner_claims(values: dict[str, str]) -> tuple[OwnerClaim, ...]:
    """The importer's registration number (per country), else the importer of record's legal name."""
    return (claim(values, "registration_no", "importer_registration_no", "country"),
            claim(values, "legal_name", "importer_of_record"))


def record_key(values: dict[str, str], owner_id: str) -> tuple[str, ...] | None:
    country = clean_text(values.get("country")).upper()
    number = normalize_document_number(values.get("declaration_no"))
    if not country or not number:
        return None
    return (owner_id, country, number)


def _money(view: RowView, column: str, currency: str | None) -> Money | None:
    amount = view.decimal(column)
    if amount is None:
        return None
    if not currency:
        view.problem(column, "missing_currency", "an amount without a currency")
        return None
    try:
        return Money(amount, currency)
    except ValueError as exc:
        view.problem(column, "bad_currency", str(exc))
        return None


def _read(view: RowView) -> dict:
    country = view.upper("country")
    if country is None:
        view.problem("country", "missing_value", "a value is required")
    elif len(country) != 2 or not country.isalpha():
        view.problem("country", "bad_country", "expected an ISO 3166 alpha-2 country code")
    local = local_currency(view.upper("local_currency"), country)
    invoice_currency = view.upper("invoice_currency")
    refs = []
    for column, kind in REF_COLUMNS:
        value = view.doc(column)
        if value:
            refs.append(DocumentRef(kind, value))
    container, _ = view.container("container_no")
    return {
        "country": country, "declaration_no": view.doc("declaration_no", required=True),
        "regime": view.upper("regime"), "form": view.upper("form"),
        "declaration_type": view.upper("declaration_type"), "status": view.upper("status"),
        "importer_of_record": view.text("importer_of_record"), "customs_agent": view.text("customs_agent"),
        "importer_registration_no": view.text("importer_registration_no"),
        "vessel_or_flight": view.text("vessel_or_flight"), "valuation_basis": view.upper("valuation_basis"),
        "fx_rate": view.decimal("fx_rate_to_myr"), "preference_doc_no": view.text("preference_doc_no"),
        "submitted_at": view.datetime("submitted_at"), "released_at": view.datetime("released_at"),
        "arrival_date": view.date("arrival_date"), "port_of_discharge": view.unlocode("port_of_discharge"),
        "refs": tuple(refs), "container_no": container, "currency": local,
        "source_updated_at": view.datetime("source_updated_at"),
        "line_no": view.quantity("line_no"), "hs_code": view.text("hs_code"),
        "description": view.text("description") or "", "origin_country": view.upper("origin_country"),
        "qty": view.quantity("qty"), "uom": view.upper("uom"),
        **{name: _money(view, column, invoice_currency if currency == "invoice_currency" else local)
           for name, column, currency in AMOUNTS},
        "duty_rate": view.decimal("import_duty_rate"), "tax_rate": view.decimal("sales_tax_rate"),
        "preference_scheme": view.upper("preference_scheme"), "po_number": view.text("po_number"),
        "sku_group": view.text("sku_group"),
    }


def map_rows(rows: list[CanonicalRow], options: ReadOptions, line_offset: int = 0) -> GroupResult[CustomsEntry]:
    def build(accepted: list[tuple[RowView, dict]]):
        problems: list[Problem] = []

        def head(name):
            return header_value(accepted, name)

        refs: dict[tuple[str, str], DocumentRef] = {}
        containers: dict[str, None] = {}
        lines = []
        seen: dict[int, int] = {}
        for index, (view, data) in enumerate(accepted, start=1):
            for ref in data["refs"]:
                refs.setdefault((ref.kind, ref.value), ref)
            if data["container_no"]:
                containers.setdefault(data["container_no"])
            line_no = line_number(data["line_no"], line_offset, index)
            if line_no in seen:
                problems.append(Problem("duplicate_line_no", f"declaration line {line_no} repeats line {seen[line_no]}",
                                        Severity.ERROR, options.source_name("line_no"), str(line_no), view.location))
                continue
            seen[line_no] = view.row.line
            lines.append(CustomsEntryLine(
                line_no=line_no, hs_code=data["hs_code"], description=data["description"],
                origin_country=data["origin_country"], quantity=data["qty"], uom=data["uom"],
                customs_value=data["customs_value"], invoice_value=data["invoice_value"], duty=data["duty"],
                tax=data["tax"], duty_rate=data["duty_rate"], tax_rate=data["tax_rate"],
                po_number=data["po_number"], sku_group=data["sku_group"], container_no=data["container_no"],
                preference_scheme=data["preference_scheme"], preference_doc_no=data["preference_doc_no"],
                valuation_basis=data["valuation_basis"], fx_rate=data["fx_rate"]))
        record = CustomsEntry(
            owner_id=options.owner_id, country=head("country"), declaration_no=head("declaration_no"),
            regime=head("regime"), form=head("form"), declaration_type=head("declaration_type"),
            status=head("status"), importer_of_record=head("importer_of_record"),
            importer_registration_no=head("importer_registration_no"), vessel_or_flight=head("vessel_or_flight"),
            customs_agent=head("customs_agent"), submitted_at=head("submitted_at"), released_at=head("released_at"),
            arrival_date=head("arrival_date"), port_of_discharge=head("port_of_discharge"),
            transport_doc_refs=tuple(refs.values()), container_nos=tuple(containers), currency=head("currency"),
            lines=tuple(lines), source_updated_at=head("source_updated_at"),
        )
        return record, problems

    return build_group(rows, options, _read, build)


