"""A list verb's ``--shop`` filter refuses a shop nobody registered (exit 2, the id named) instead of
printing an empty list; a registered shop lists normally. The verbs are found by walking the click group,
so a list verb added later with a ``--shop`` filter is covered too."""
from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from aggregator.cli.main import cli


def _walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _walk(command, (*path, name))


def _optional_shop(command: click.Command) -> bool:
    return any(isinstance(p, click.Option) and "--shop" in p.opts and not p.required for p in command.params)


def _needs_owner(command: click.Command) -> bool:
    return any(isinstance(p, click.Option) and "--owner" in p.opts and p.required for p in command.params)


#: ``sync --shop`` picks what to pull, not a filter: it refuses a shop it cannot find by itself (exit 1)
NOT_FILTERS = {("sync",)}

VERBS = [(path, _needs_owner(command)) for path, command in _walk(cli)
         if _optional_shop(command) and path not in NOT_FILTERS]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("shops")
    base = ["--database-url", f"sqlite:///{folder / 'db.sqlite'}", "--data-dir", str(folder)]
    runner = CliRunner()
    for args in (["owners", "add", "LUMINA-HK", "--name", "Lumina"],
                 ["shops", "add", "--platform", "shopee", "--owner", "LUMINA-HK", "--shop-id", "480012345",
                  "--region", "MY", "--app-key", "2001234", "--app-secret", "s3cret-s3cret"]):
        done = runner.invoke(cli, [*base, *args])
        assert done.exit_code == 0, done.output
    return base


def test_the_walk_finds_the_list_verbs() -> None:
    assert {("runs", "list"), ("settlements", "statements", "list"), ("settlements", "orders")} <= {
        path for path, _ in VERBS}


@pytest.mark.parametrize("path,needs_owner", VERBS, ids=[" ".join(path) for path, _ in VERBS])
def test_an_unknown_shop_is_refused_and_a_known_one_lists(data, path, needs_owner) -> None:
    owner = ["--owner", "LUMINA-HK"] if needs_owner else []
    refused = CliRunner().invoke(cli, [*data, *path, *owner, "--shop", "999"])
    assert refused.exit_code == 2, refused.output
    assert "no shop '999' is registered" in refused.output and "Traceback" not in refused.output
    listed = CliRunner().invoke(cli, [*data, *path, *owner, "--shop", "480012345"])
    assert listed.exit_code == 0, listed.output
