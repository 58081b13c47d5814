"""The settlement verbs refuse an unknown owner with a clear message (no traceback), on every verb."""
from __future__ import annotations

from click.testing import CliRunner

from aggregator.cli.main import cli


def test_unknown_owner_is_refused_by_every_settlement_verb(tmp_path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    for args in (["settlements", "statements", "list", "--owner", "NOPE"],
                 ["settlements", "statements", "show", "--owner", "NOPE", "shopee:1:escrow-2026-10-01"],
                 ["settlements", "orders", "--owner", "NOPE"], ["settlements", "reconcile", "--owner", "NOPE"],
                 ["settlements", "book", "--owner", "NOPE"],
                 ["export", "settlement", "--owner", "NOPE", "--period", "2026-10", "--format", "csv",
                  "--out", str(tmp_path / "s.csv")]):
        result = runner.invoke(cli, data + args)
        assert result.exit_code != 0 and "NOPE" in result.output and "Traceback" not in result.output, (args, result.output)
        assert "internal error" not in result.output, (args, result.output)
    assert not (tmp_path / "s.csv").exists()
    assert runner.invoke(cli, data + ["owners", "add", "LUMINA", "--name", "L"]).exit_code == 0
    empty = runner.invoke(cli, data + ["settlements", "statements", "list", "--owner", "LUMINA"])
    assert empty.exit_code == 0 and "(no rows)" in empty.output
    bad_ref = runner.invoke(cli, data + ["settlements", "statements", "show", "--owner", "LUMINA", "nonsense"])
    assert bad_ref.exit_code != 0 and "platform:shop_id:statement_id" in bad_ref.output
