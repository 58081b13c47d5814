"""The CLI map: every verb is listed and has --help; owners and db verbs work on a fresh data dir."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from aggregator.cli.main import VERB_MODULES, cli

VERBS = {"db", "owners", "keys", "shops", "sync", "import", "match", "title", "fx", "export", "runs", "exceptions",
         "serve", "worker", "beat", "sandbox", "demo", "inventory", "settlements", "report"}


def test_help_lists_the_whole_map() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == VERBS
    assert {m.command.name for m in VERB_MODULES} == VERBS


def test_every_verb_has_help() -> None:
    runner = CliRunner()
    for verb in sorted(VERBS):
        result = runner.invoke(cli, [verb, "--help"])
        assert result.exit_code == 0, (verb, result.output)
        assert "Usage:" in result.output


def test_db_upgrade_and_owners_on_a_fresh_data_dir(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    result = runner.invoke(cli, ["--data-dir", data, "db", "upgrade"])
    assert result.exit_code == 0 and "revision 0001" in result.output
    added = runner.invoke(cli, ["--data-dir", data, "owners", "add", "LUMINA-HK", "--name", "Lumina"])
    assert added.exit_code == 0 and "API key (shown once): agk_" in added.output
    again = runner.invoke(cli, ["--data-dir", data, "owners", "add", "LUMINA-HK", "--name", "Lumina"])
    assert again.exit_code != 0 and "already exists" in again.output
    listed = runner.invoke(cli, ["--data-dir", data, "owners", "list"])
    assert listed.exit_code == 0 and "LUMINA-HK" in listed.output and "agk_" not in listed.output
