"""The owners of the stored records claims name, read in each form a look-up gives its values in
(``attribution._values_form``: one array on PostgreSQL; one JSON text through ``json_each`` on SQLite, or ``IN``
lists where SQLite lacks its JSON functions): every form finds the same owners, for values holding what JSON and
SQL quote (quotes, backslashes, commas, brackets, non-ASCII), receipts scoped by their warehouse, document
numbers compared in their key form, and values nobody stored; ``owners_named`` answers what ``resolve`` answers
claim by claim."""
from __future__ import annotations

import pytest

from aggregator.ingest import import_file
from aggregator.owners import attribution
from aggregator.owners.attribution import OwnerResolver
from aggregator.store.db import session_factory
from platform_adapters.canonical.tenancy import OwnerClaim
from tests.ingest.test_owner_attribution import LUMINA_NAME, TROPIKA_NAME, aliases, with_rows

#: ASNs whose text JSON or SQL would quote, each stored by one owner at MYPKG-WH01
ODD_ASNS = ['ASN "7"', "ASN\\8", "ASN,9", "ASN [10]", '{"asn": 11}', "ASN-ünïcødé-12", "ASN 'x' 13", "ASN%_14"]


def _stored_world(engine, samples, tmp_path) -> dict[str, str]:
    """Receipts of two owners (odd ASNs among them), the forwarder's bills and the broker's declarations stored;
    each odd ASN's owner."""
    aliases(engine, ("LUMINA-HK", "owner_code", "LUMINA-HK"), ("TROPIKA", "owner_code", "TRP"),
            ("LUMINA-HK", "legal_name", LUMINA_NAME), ("TROPIKA", "legal_name", TROPIKA_NAME),
            ("LUMINA-HK", "registration_no", "brn placeholder 0001", "MY"))
    owners = {asn: ("LUMINA-HK", "TROPIKA")[n % 2] for n, asn in enumerate(ODD_ASNS)}
    inbound = with_rows(samples / "warehouse_inbound.csv", tmp_path / "inbound.csv", extra=[
        {"asn_no": asn, "wms_receipt_no": f"IC-ODD-{n}", "line_no": "1", "importer_of_record": "",
         "owner_code": "LUMINA-HK" if owners[asn] == "LUMINA-HK" else "TRP"} for n, asn in enumerate(ODD_ASNS)])
    assert import_file(engine, "inbound", inbound).rows_rejected == 0
    assert import_file(engine, "bl", samples / "forwarder_bl.csv").status == "COMPLETED"
    assert import_file(engine, "customs", samples / "customs_entry_my_k1.csv").status == "COMPLETED"
    return owners


def _forms(engine) -> list[str]:
    return ["array"] if engine.dialect.name == "postgresql" else ["json", "list"]


def test_every_form_finds_the_same_owners(engine, samples, tmp_path, monkeypatch) -> None:
    owners = _stored_world(engine, samples, tmp_path)
    receipts = [(asn, "MYPKG-WH01") for asn in ODD_ASNS] + [
        ("ASN-LMN-260305-03", "MYPKG-WH01"), ("ASN-LMN-260305-03", "ELSEWHERE"), ("ASN-NOBODY", "MYPKG-WH01"),
        ("", "MYPKG-WH01")]
    documents = [("ZCRU260301234", ""), ("zcru-2603 01234", ""), ("61850123452", ""), ("HBL-NOBODY", "")]
    declarations = [("K1-PLACEHOLDER-0001", ""), ("k1 placeholder 0001", ""), ("K1-NOBODY", "")]
    named = [("receipt", receipts), ("document", documents), ("customs_entry", declarations),
             ("owner_code", [("LUMINA-HK", "MYPKG-WH01"), ("TRP", "MYPKG-WH01"), ("NOBODY", "MYPKG-WH01")])]
    expected = [[frozenset({owners[asn]}) for asn in ODD_ASNS]
                + [frozenset({"LUMINA-HK"}), frozenset(), frozenset(), frozenset()],
                [frozenset({"LUMINA-HK"})] * 3 + [frozenset()],
                [frozenset({"LUMINA-HK"})] * 2 + [frozenset()],
                [frozenset({"LUMINA-HK"}), frozenset({"TROPIKA"}), frozenset()]]
    for form in _forms(engine):
        monkeypatch.setattr(attribution, "_values_form", lambda dialect, form=form: form)
        with session_factory(engine)() as session:
            assert OwnerResolver(session).owners_named(named) == expected, form
            resolver = OwnerResolver(session)  # (claim by claim, as a row is resolved)
            for (via, pairs), sets in zip(named, expected):
                for (value, scope), owners_of in zip(pairs, sets):
                    found = resolver.resolve((OwnerClaim(via, "column", value, scope),), final=False)
                    assert found.owners == tuple(sorted(owners_of)), (form, via, value, found)


@pytest.mark.parametrize("form", ["json", "list"])
def test_a_stock_file_lands_alike_in_either_sqlite_form(sqlite_engine, samples, tmp_path, monkeypatch, form) -> None:
    """Lots named only by their receipts (odd ASNs among them), in chunks of three: the same owners and rejects
    whichever form the look-ups take."""
    monkeypatch.setattr(attribution, "_values_form", lambda dialect: form)
    owners = _stored_world(sqlite_engine, samples, tmp_path)
    stock = with_rows(samples / "stock_lots_snapshot.csv", tmp_path / "stock.csv",
                      edit=lambda row: {**row, "title_holder": "", "risk_bearer": ""},
                      extra=[{"lot_id": f"LOT-ODD-{n}", "asn_no": asn, "title_holder": "", "risk_bearer": "",
                              "source_doc_no": "", "customs_declaration_no": ""} for n, asn in enumerate(ODD_ASNS)])
    summary = import_file(sqlite_engine, "stock", stock, chunk_rows=3)
    assert summary.rows_rejected == 1  # (the sample's lot still at sea)
    counted = {"LUMINA-HK": 7}
    for owner in owners.values():
        counted[owner] = counted.get(owner, 0) + 1
    assert dict(summary.owners) == counted


def test_the_form_follows_the_database_and_its_sqlite_build(engine) -> None:
    """PostgreSQL: one array; SQLite with its JSON functions (this machine's, 3.38 on): one JSON text; any other
    database: ``IN`` lists."""
    from sqlalchemy.dialects import mysql

    assert attribution._values_form(engine.dialect) == {"postgresql": "array", "sqlite": "json"}[engine.dialect.name]
    assert attribution._values_form(mysql.dialect()) == "list"
