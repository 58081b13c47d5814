"""The demo runs the whole chain on a fresh embedded database and ends equal to the sandbox."""
from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from cryptography.fernet import Fernet
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.cli.main import cli
from aggregator.config import load_settings
from aggregator.demo.runner import run_demo
from aggregator.store.db import create_engine_for
from aggregator.store.models.tenancy import ShopCredential
from aggregator.store.vault import Vault


def _shop_secrets(settings) -> set[str]:
    """Every shop's app secret, access and refresh token as the demo stored them (decrypted)."""
    engine = create_engine_for(settings.effective_database_url)
    vault = Vault.from_settings(settings)
    with Session(engine) as session:
        found = {vault.decrypt(value) for c in session.scalars(select(ShopCredential))
                 for value in (c.app_secret_enc, c.access_token_enc, c.refresh_token_enc)}
    engine.dispose()
    return {s for s in found if s}


def test_demo_syncs_imports_matches_and_converts(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key=Fernet.generate_key().decode())
    console = Console(record=True, width=140)
    report = run_demo(settings, seed=3, orders=40, faults="429=0.05", console=console)
    assert report.orders_stored == report.orders_in_sandbox > 0
    assert report.shops >= 3 and report.owners >= 2 and len(report.sync_lines) == 3 * report.shops  # orders, settlements, returns
    assert all(": succeeded" in line for line in report.sync_lines), report.sync_lines
    assert set(report.imports) == {"bl", "customs", "inbound", "outbound", "stock"} and report.import_rejects == 0
    assert report.links > 0 and report.title_rows > 0
    # the chain against the sandbox's ground truth: every depth and the title position, in units
    verdict = report.chain
    assert verdict is not None and verdict.true_units > 0 and verdict.failures() == []
    assert list(verdict.depths)[-1] == "→ customs entry (full depth)" and verdict.full_depth == (1.0, 1.0)
    assert verdict.linked_units == verdict.true_units and verdict.title == (1.0, 1.0)
    assert verdict.value == (1.0, 1.0) and verdict.unvalued[0] == verdict.unvalued[1]
    assert verdict.write_offs == (1.0, 1.0) and verdict.write_off_units[0] == verdict.write_off_units[1]
    at_sea = verdict.title_table[verdict.title_table["title_state"] == "SELLER_TITLE_IN_TRANSIT"]
    assert at_sea["qty_truth"].sum() > 0 and (at_sea["qty_truth"] == at_sea["qty_position"]).all()  # FOB: owner's
    assert report.open_exceptions.get("unlinked_receipt", 0) == 0
    truth = json.loads((tmp_path / "logistics" / "ground_truth.json").read_text())
    assert sum(row["qty"] for row in truth["chains"]) == verdict.true_units
    text = console.export_text()
    assert "→EUR→CNY" in text and "agk_" in text
    # the transport's retries against the injected 429s: counted and in the log file, not on the console
    retries = report.retries
    assert retries is not None and retries.total > 0 and set(retries.by_kind) <= {"HTTP 429", "throttle"}
    assert f"transport retries: {retries.total} (" in text and str(tmp_path / "demo.log") in text
    logged = (tmp_path / "demo.log").read_text()
    assert logged.count(" retry in ") == retries.total
    # each retry names its request: the signed call's line is there (its secret parameters present, masked),
    # and no secret the shops hold, no signature and no owner API key is anywhere in the log
    requests = re.findall(r"; request (GET|POST) (\S+)", logged)
    assert len(requests) == retries.total
    assert any("access_token=***" in url for _, url in requests) and any("sign=***" in url for _, url in requests)
    secrets = _shop_secrets(settings) | set(report.api_keys.values())
    assert len(secrets) >= 2 * report.shops and all(len(secret) >= 16 for secret in secrets)
    assert [secret for secret in secrets if secret in logged] == []
    assert re.search(r"(?i)\b[0-9a-f]{64}\b", logged) is None  # HMAC-SHA256 signs are 64 hex digits
    assert "links vs the sandbox's ground truth" in text and "(unlinked receipts: 0)" in text
    # the sandbox's signed pushes through the running API's receivers: all taken, every pushed order shows the
    # truth's status through the API
    pushes = report.pushes
    assert pushes is not None and pushes.failures() == [] and pushes.refused == []
    assert pushes.orders > 0 and pushes.showing == pushes.orders and pushes.pushes >= pushes.orders
    assert "signed pushes from the sandbox" in text and f"all {pushes.orders} pushed orders show their new" in text
    assert "owner aliases registered for the logistics files (legal-name" in text
    assert "at cost in base currency" in text and "USD→EUR→CNY (ECB" in text  # owners book in CNY
    # settlements: journals for every owner with no manual step, statuses counted, money equal to the truth
    assert set(report.journals) == set(report.reconciliation) and len(report.journals) == report.owners
    assert all(count > 0 for count in report.journals.values()), report.journals
    assert all(counts.get("settled", 0) > 0 for counts in report.reconciliation.values())
    assert report.money_mismatches == [] and "reconciliation: orders by status" in text
    # returns and cancellations: every stored case equal to /_sandbox/truth/returns
    assert report.returns is not None and report.returns.true_cases > 0 and report.returns.failures() == []
    assert report.returns.scores == (1.0, 1.0) and report.returns.stored_cases == report.returns.true_cases
    assert "returns vs the sandbox's ground truth" in text and "lines and quantities" in text
    rerun = run_demo(settings, seed=3, orders=40, faults="", console=Console(file=open("/dev/null", "w")))
    assert rerun.orders_stored == report.orders_stored  # a fresh database each time, not an accumulation


def test_demo_command_exits_zero(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "demo", "--orders", "30", "--faults", "5xx=0.05"])
    assert result.exit_code == 0, result.output
    assert " retry in " not in result.output and "transport retries: " in result.output  # counted, not printed
    assert "Done" in result.output and "webhook verdict against the sandbox's ground truth: all " in result.output
    assert "title position (owner × holder × state) │ 1.0000    │ 1.0000" in result.output
    assert "written off (owner × lot; " in result.output
    assert "cash cycle (aggregator report cash-cycle" in result.output and "order → cash p50" in result.output
