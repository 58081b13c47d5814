"""Every verb that takes an owner refuses an unknown one: a clear message, a non-zero exit, nothing written.

The verbs are found by walking the ``aggregator`` click group (every command, at every depth, with an
``--owner`` option or an ``OWNER_ID`` argument), so a verb added later is covered without touching this
test. The owner is named first on the command line: it is checked while the line is read, before any
other parameter is asked for and before the verb does anything.
"""
from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, table

from aggregator.cli.main import cli
from aggregator.store.db import create_engine_for

#: the one verb whose owner argument names an owner to create (it refuses an existing one instead)
CREATES = {("owners", "add")}


def _walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _walk(command, (*path, name))


def _owner_params(command: click.Command) -> list[click.Parameter]:
    return [p for p in command.params if (isinstance(p, click.Option) and "--owner" in p.opts)
            or (isinstance(p, click.Argument) and p.name in ("owner", "owner_id"))]


VERBS = [(path, param) for path, command in _walk(cli) if path not in CREATES for param in _owner_params(command)]


def _ids() -> list[str]:
    return [" ".join(path) for path, _ in VERBS]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("owners")
    url = f"sqlite:///{folder / 'db.sqlite'}"
    added = CliRunner().invoke(cli, ["--database-url", url, "--data-dir", str(folder), "owners", "add", "LUMINA-HK",
                                     "--name", "Lumina"])
    assert added.exit_code == 0, added.output
    return url, folder


def _row_counts(url: str) -> dict[str, int]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            return {n: connection.scalar(select(func.count()).select_from(table(n))) for n in names}
    finally:
        engine.dispose()


def test_the_walk_finds_the_verbs_the_issue_names():
    found = set(_ids())
    for verb in ("import", "match", "match link", "export links", "export exceptions", "export journal",
                 "export settlement", "title position", "fx lock create", "settlements orders", "exceptions list",
                 "owners set", "owners alias add"):
        assert verb in found, verb


@pytest.mark.parametrize(("path", "param"), VERBS, ids=_ids())
def test_an_unknown_owner_is_refused(data, path: tuple[str, ...], param: click.Parameter) -> None:
    url, folder = data
    before = _row_counts(url)
    owner = ["--owner", "NOPE"] if isinstance(param, click.Option) else ["NOPE"]
    result = CliRunner().invoke(cli, ["--database-url", url, "--data-dir", str(folder), *path, *owner],
                                input="", catch_exceptions=False)
    assert result.exit_code != 0, result.output
    assert "no owner 'NOPE'; known owners: LUMINA-HK" in result.output, result.output
    assert "Traceback" not in result.output
    assert _row_counts(url) == before


REQUIRED = [(path, param) for path, param in VERBS if isinstance(param, click.Option) and param.required]


def test_a_required_owner_is_required():
    # under click 8.2+ an explicit default=None made required=True a no-op: `export journal` without
    # --owner wrote an empty journal for owner None and exited 0
    assert {" ".join(p) for p, _ in REQUIRED} >= {"export journal", "fx revalue", "fx lock show"}
    for path, param in REQUIRED:
        ctx = click.Context(click.Command(" ".join(path)))
        with pytest.raises(click.MissingParameter):
            param.process_value(ctx, param.get_default(ctx) if param.default is not None else None)


@pytest.mark.parametrize("verb", [["export", "journal", "--format", "xero", "--period", "2026-10", "--out", "j.csv"],
                                  ["fx", "revalue", "--period", "2026-11"], ["fx", "lock", "show", "L1"]])
def test_a_verb_that_needs_an_owner_does_not_run_without_one(data, verb: list[str]) -> None:
    url, folder = data
    result = CliRunner().invoke(cli, ["--database-url", url, "--data-dir", str(folder), *verb],
                                catch_exceptions=False)
    assert result.exit_code == 2 and "Missing option '--owner'" in result.output, result.output
    assert "None" not in result.output
