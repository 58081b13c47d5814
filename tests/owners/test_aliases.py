"""Owner aliases: normalisation (exact after it, never fuzzy), add/list/remove, and conflicts refused."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from aggregator.cli.main import cli
from aggregator.owners.aliases import AliasConflict, add_alias, list_aliases, remove_alias
from platform_adapters.canonical.owner_names import normalise
from aggregator.store.models.audit import AuditEntry
from aggregator.tenancy import TenancyError, UnknownOwner, add_owner


@pytest.mark.parametrize("a, b", [
    ("Shenzhen Brightway Electronics Co., Ltd.", "SHENZHEN BRIGHTWAY ELECTRONICS CO LTD"),
    ("Shenzhen Brightway Electronics Co. Ltd", "Shenzhen  Brightway Electronics Company Limited"),
    ("Lumina Commerce (M) Sdn. Bhd.", "LUMINA COMMERCE (M) SENDIRIAN BERHAD"),
    ("Tropika Living Pte. Ltd.", "tropika living private limited"),
    ("Kaiyue & Sons Corp.", "Kaiyue and Sons Corporation"),
    ("深圳市明途电子有限公司", "深圳市明途电子有限公司（）"),
    ("ＬＵＭＩＮＡ Ｃｏｍｍｅｒｃｅ Ltd", "Lumina Commerce Limited"),
])
def test_legal_name_spellings_that_are_one_name(a, b):
    assert normalise("legal_name", a) == normalise("legal_name", b)


@pytest.mark.parametrize("a, b", [
    ("Lumina Commerce (M) Sdn Bhd", "Lumina Commerce Sdn Bhd"),  # another entity
    ("Lumina Commerce Ltd", "Lumina Commerce Ltd (HK)"),
    ("Lumina Commerce", "Lumina Commerc"),  # never fuzzy
])
def test_legal_names_that_stay_apart(a, b):
    assert normalise("legal_name", a) != normalise("legal_name", b)


def test_codes_and_registration_numbers():
    assert normalise("owner_code", " lumina-hk ") == "LUMINA-HK" != normalise("owner_code", "LUMINAHK")
    assert normalise("registration_no", "201901-012345 (1234567-X)") == "2019010123451234567X"


@given(st.text(max_size=40))
def test_normalising_is_idempotent(text):
    for kind in ("owner_code", "legal_name", "registration_no"):
        once = normalise(kind, text)
        assert normalise(kind, once) == once


def test_add_list_remove_and_conflicts(session):
    for owner in ("LUMINA-HK", "TROPIKA"):
        add_owner(session, owner, owner.title())
    first = add_alias(session, "LUMINA-HK", "legal_name", "Lumina Commerce (M) Sdn. Bhd.")
    assert first.created and first.row.normalized == "lumina commerce m sdn bhd"
    assert not add_alias(session, "LUMINA-HK", "legal_name", "LUMINA COMMERCE (M) SDN BHD").created
    with pytest.raises(AliasConflict, match="would name two owners: it already names 'LUMINA-HK'"):
        add_alias(session, "TROPIKA", "legal_name", "Lumina Commerce (M) Sendirian Berhad")

    # Owner codes per warehouse: the same code may name two owners at two warehouses, but an unscoped
    # code overlaps every warehouse.
    add_alias(session, "LUMINA-HK", "owner_code", "LMN", "MYPKG-WH01")
    add_alias(session, "TROPIKA", "owner_code", "lmn", "SGSIN-WH02")
    with pytest.raises(AliasConflict, match="at warehouse code MYPKG-WH01"):
        add_alias(session, "TROPIKA", "owner_code", "LMN")
    with pytest.raises(AliasConflict):
        add_alias(session, "TROPIKA", "owner_code", "LMN", "mypkg-wh01")
    with pytest.raises(TenancyError, match="has no scope"):
        add_alias(session, "TROPIKA", "legal_name", "Tropika Living", "MY")
    with pytest.raises(TenancyError, match="unknown alias kind"):
        add_alias(session, "TROPIKA", "nickname", "T")
    with pytest.raises(TenancyError, match="empty once normalised"):
        add_alias(session, "TROPIKA", "legal_name", " ., ")
    with pytest.raises(UnknownOwner, match="no owner 'NOPE'"):
        add_alias(session, "NOPE", "owner_code", "X")

    listed = [(a.owner_id, a.kind, a.scope, a.value) for a in list_aliases(session)]
    assert listed == [("LUMINA-HK", "legal_name", "", "Lumina Commerce (M) Sdn. Bhd."),
                      ("LUMINA-HK", "owner_code", "MYPKG-WH01", "LMN"), ("TROPIKA", "owner_code", "SGSIN-WH02", "lmn")]
    assert [a.value for a in list_aliases(session, "TROPIKA")] == ["lmn"]
    with pytest.raises(TenancyError, match="has no owner_code alias 'LMN' at warehouse code MYPKG-WH01"):
        remove_alias(session, "TROPIKA", "owner_code", "LMN", "MYPKG-WH01")
    remove_alias(session, "LUMINA-HK", "owner_code", "lmn", "mypkg-wh01")
    add_alias(session, "TROPIKA", "owner_code", "LMN")  # free everywhere now
    session.flush()
    actions = [(e.entity, e.action) for e in session.query(AuditEntry).filter(AuditEntry.entity == "owner_aliases")]
    assert actions == [("owner_aliases", "create")] * 3 + [("owner_aliases", "delete"), ("owner_aliases", "create")]


def test_the_alias_verbs(tmp_path):
    base = ["--database-url", f"sqlite:///{tmp_path / 'a.sqlite'}", "--data-dir", str(tmp_path / "data")]

    def run(*args):
        return CliRunner().invoke(cli, [*base, *args])

    assert run("owners", "add", "LUMINA-HK", "--name", "Lumina").exit_code == 0
    assert run("owners", "add", "TROPIKA", "--name", "Tropika").exit_code == 0
    added = run("owners", "alias", "add", "LUMINA-HK", "--kind", "owner-code", "--value", "LMN", "--scope", "MYPKG-WH01")
    assert added.exit_code == 0 and "owner-code 'LMN' at MYPKG-WH01 now names LUMINA-HK" in added.output
    again = run("owners", "alias", "add", "LUMINA-HK", "--kind", "owner-code", "--value", "lmn", "--scope", "MYPKG-WH01")
    assert again.exit_code == 0 and "nothing changed" in again.output
    conflict = run("owners", "alias", "add", "TROPIKA", "--kind", "owner-code", "--value", "LMN")
    assert conflict.exit_code == 1 and "would name two owners" in conflict.output
    unknown = run("owners", "alias", "add", "NOPE", "--kind", "owner-code", "--value", "X")
    assert unknown.exit_code == 2 and "no owner 'NOPE'" in unknown.output
    assert run("owners", "alias", "list", "--owner", "NOPE").exit_code == 2

    assert run("owners", "alias", "add", "TROPIKA", "--kind", "legal-name", "--value", "=HYPERLINK(\"x\") Ltd").exit_code == 0
    listed = json.loads(run("owners", "alias", "list", "--format", "json").output)
    assert [(r["owner"], r["kind"], r["scope"], r["value"]) for r in listed] == [
        ("LUMINA-HK", "owner-code", "MYPKG-WH01", "LMN"), ("TROPIKA", "legal-name", "", "=HYPERLINK(\"x\") Ltd")]
    csv_text = run("owners", "alias", "list", "--format", "csv", "--kind", "legal-name").output
    assert csv_text.splitlines()[1].startswith("TROPIKA,legal-name,,\"'=HYPERLINK(\"\"x\"\") Ltd\"")
    table = run("owners", "alias", "list", "--owner", "LUMINA-HK").output
    assert "LUMINA-HK" in table and "TROPIKA" not in table

    removed = run("owners", "alias", "remove", "LUMINA-HK", "--kind", "owner-code", "--value", "LMN", "--scope", "mypkg-wh01")
    assert removed.exit_code == 0 and "removed" in removed.output
    missing = run("owners", "alias", "remove", "LUMINA-HK", "--kind", "owner-code", "--value", "LMN")
    assert missing.exit_code == 1 and "has no owner_code alias 'LMN'" in missing.output
