"""The ``aggregator import`` verb: summary output, report file and exit status 0 / 1 / 2."""
from __future__ import annotations

import csv

from click.testing import CliRunner

from aggregator.cli.main import cli


def run(tmp_path, *args: str):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    base = ["--database-url", url, "--data-dir", str(tmp_path / "data")]
    if not (tmp_path / "cli.sqlite").exists():
        for owner in ("L", "LUMINA"):
            assert CliRunner().invoke(cli, [*base, "owners", "add", owner, "--name", owner]).exit_code == 0
    return CliRunner().invoke(cli, [*base, "import", *args])


def test_clean_import_exits_0_and_reimport_is_a_noop(tmp_path, samples):
    first = run(tmp_path, "outbound", str(samples / "warehouse_outbound.csv"), "--owner", "LUMINA")
    assert first.exit_code == 0, first.output
    assert "10 rows, 7 records (7 new" in first.output
    again = run(tmp_path, "outbound", str(samples / "warehouse_outbound.csv"), "--owner", "LUMINA")
    assert again.exit_code == 0 and "already imported" in again.output


def test_rejects_exit_1_and_go_to_the_report(tmp_path, ingest_fixtures):
    report = tmp_path / "rejects.csv"
    result = run(tmp_path, "outbound", str(ingest_fixtures / "broken" / "outbound_bad_values.csv"),
                 "--owner", "L", "--report", str(report))
    assert result.exit_code == 1
    assert "3 rows rejected" in result.output and f"report: {report}" in result.output
    with report.open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 3


def test_several_files_with_a_profile_and_a_failed_file(tmp_path, ingest_fixtures, samples):
    result = run(tmp_path, "bl", str(ingest_fixtures / "forwarder_cn_gbk.csv"), str(samples / "warehouse_inbound.csv"),
                 "--profile", "forwarder-cn-gbk", "--owner", "LUMINA")
    assert result.exit_code == 1
    assert "forwarder_cn_gbk.csv [bl]: 4 rows, 3 records" in result.output
    assert "FAILED" in result.output and "missing required column(s): doc_number (as '提单号')" in result.output


def test_usage_errors_exit_2(tmp_path, samples):
    assert run(tmp_path, "nonsense", str(samples / "forwarder_bl.csv")).exit_code == 2
    assert run(tmp_path, "bl", str(tmp_path / "missing.csv")).exit_code == 2
    unknown = run(tmp_path, "bl", str(samples / "forwarder_bl.csv"), "--profile", "no-such-profile")
    assert unknown.exit_code == 2 and "bundled profiles are" in unknown.output
    wrong_kind = run(tmp_path, "bl", str(samples / "forwarder_bl.csv"), "--profile", "standard-outbound")
    assert wrong_kind.exit_code == 2 and "is for kind 'outbound'" in wrong_kind.output
    assert run(tmp_path, "bl", str(samples / "forwarder_bl.csv"), "--timezone", "Mars/Base").exit_code == 2
    assert run(tmp_path, "dcsa-ebl", str(samples / "ebl_dcsa_v3.json"), "--profile", "standard-bl").exit_code == 2
