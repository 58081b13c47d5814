"""Every CLI failure is one clear message and a non-zero exit, never a traceback."""
from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from aggregator.cli.errors import INTERNAL_ERROR_EXIT, HandledGroup, UserError
from aggregator.cli.main import cli


def _run(tmp_path, *argv: str):
    return CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), *argv])


def _clean(result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.output


JOURNAL = ["export", "journal", "--owner", "X", "--format", "csv", "--period", "2026-12"]
REPORT = ["report", "in-transit", "--owner", "X"]
SETTLEMENT = ["export", "settlement", "--owner", "X", "--period", "2026-12", "--format", "csv"]


@pytest.mark.parametrize("argv, message", [
    (["export", "links", "--out", "{tmp}/afile/links.csv"], "'{tmp}/afile' is a file, not a folder"),
    (["export", "documents", "--out", ""], "needs a file name"),
    (["export", "lots", "--out", "{tmp}"], "is a folder"),
    ([*JOURNAL, "--out", "{tmp}/afile/j.csv"], "is a file, not a folder"),
    ([*JOURNAL, "--out", ""], "needs a file name"),
    # a folder that does not exist is refused, never created (every verb that writes a file a user names)
    (["export", "links", "--out", "{tmp}/new/deeper/links.csv"], "the folder '{tmp}/new/deeper' does not exist"),
    (["export", "exceptions", "--out", "{tmp}/new/x.csv"], "the folder '{tmp}/new' does not exist"),
    ([*JOURNAL, "--out", "{tmp}/new/j.csv"], "the folder '{tmp}/new' does not exist"),
    ([*SETTLEMENT, "--out", "{tmp}/new/s.csv"], "the folder '{tmp}/new' does not exist"),
    ([*REPORT, "--out", "{tmp}/new/r.csv"], "the folder '{tmp}/new' does not exist"),
    ([*REPORT, "--format", "xlsx", "--out", "{tmp}/new/r.xlsx"], "the folder '{tmp}/new' does not exist"),
    (["import", "bl", "{tmp}/afile", "--report", "{tmp}/new/rejects.csv"],
     "Invalid value for '--report': cannot write '{tmp}/new/rejects.csv': the folder '{tmp}/new' does not exist"),
])
def test_bad_out_is_a_clear_usage_error(tmp_path, argv, message) -> None:
    (tmp_path / "afile").write_text("in the way")
    assert _run(tmp_path, "owners", "add", "X", "--name", "X").exit_code == 0  # an unknown owner is refused first
    result = _run(tmp_path, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert result.exit_code == 2, result.output
    output = " ".join(_clean(result).split())  # click wraps long lines
    assert message.replace("{tmp}", str(tmp_path)) in output
    assert "--out" in output or "--report" in output
    assert not (tmp_path / "new").exists()


def test_an_existing_folder_is_written_into(tmp_path) -> None:
    out = tmp_path / "links.csv"
    result = _run(tmp_path, "export", "links", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("platform,shop_id,order_id")


def test_unwritable_out(tmp_path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = _run(tmp_path, "export", "links", "--out", str(locked / "links.csv"))
    finally:
        locked.chmod(0o700)
    import os

    if os.geteuid() == 0:  # root writes anywhere; the refusal path is the OSError one below
        assert result.exit_code == 0
    else:
        assert result.exit_code == 1 and "cannot write" in _clean(result)


def test_unreachable_database_is_named_not_dumped(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["--database-url", "postgresql+psycopg://u:s3cret@127.0.0.1:1/none",
                                      "owners", "list"])
    assert result.exit_code == 1
    output = _clean(result)
    assert "the database did not answer" in output and "s3cret" not in output


def test_a_bug_is_one_line_and_exit_70() -> None:
    @click.group(cls=HandledGroup)
    def group() -> None:
        pass

    @group.command()
    def boom() -> None:
        raise RuntimeError("kaput")

    @group.command()
    def refuse() -> None:
        raise UserError("no such thing")

    @group.command()
    def missing() -> None:
        open("/nonexistent/folder/file")  # noqa: SIM115

    result = CliRunner().invoke(group, ["boom"])
    assert result.exit_code == INTERNAL_ERROR_EXIT
    assert "internal error (RuntimeError): kaput" in _clean(result)
    result = CliRunner().invoke(group, ["refuse"])
    assert result.exit_code == 1 and "Error: no such thing" in _clean(result)
    result = CliRunner().invoke(group, ["missing"])
    assert result.exit_code == 1 and "/nonexistent/folder/file: No such file or directory" in _clean(result)
