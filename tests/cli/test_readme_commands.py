"""Every ``aggregator …`` command the README prints names a verb that exists and options that verb
takes (a profile it names exists too), so a new user can type them as printed; the demo's closing
hint names a command that runs from where ``make demo`` was typed."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click

from aggregator.cli.main import cli
from aggregator.demo.runner import command_path
from platform_adapters.profiles import load_profile

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands() -> list[str]:
    """The README's command lines (alternatives split at ' / ', comments and […] optional marks removed)."""
    found = []
    for raw in README.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line.startswith("aggregator "):
            continue
        line = line.split("  #", 1)[0].rstrip(" \\")
        for part in re.split(r"\s+/\s+", line):
            part = re.sub(r"\[([^\]]*)\]", r"\1", part).replace("csv|json", "csv")
            if part.startswith("aggregator "):
                found.append(part.strip())
    return found


def _resolve(tokens: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    rest = list(tokens)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(command), rest[0])
        assert sub is not None, f"no verb {rest[0]!r} in {' '.join(tokens)}"
        command, rest = sub, rest[1:]
    return command, rest


def test_every_readme_command_names_real_verbs_options_and_profiles() -> None:
    commands = _commands()
    assert len(commands) > 30
    for text in commands:
        tokens = shlex.split(text)[1:]
        command, rest = _resolve(tokens)
        options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        for index, token in enumerate(rest):
            if token.startswith("--"):
                name = token.split("=", 1)[0]
                assert name in options, f"{text}: {command.name} has no option {name}"
                if name == "--profile":
                    load_profile(rest[index + 1])  # raises when the README names a profile that is not there


def test_the_demos_closing_hint_runs_as_printed(tmp_path: Path) -> None:
    hint = command_path()
    argv = shlex.split(hint) + ["--data-dir", str(tmp_path), "serve", "--help"]
    if argv[0] == "python":
        argv[0] = sys.executable
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=os.getcwd())
    assert done.returncode == 0 and "Serve the REST API" in done.stdout, done.stderr


def _bench_commands() -> list[str]:
    """The ``bench/…`` commands the README's Performance section quotes."""
    return sorted(set(re.findall(r"`(bench/[a-z_]+\.py[^`]*)`", README.read_text(encoding="utf-8"))))


def test_every_readme_benchmark_command_takes_the_options_it_is_printed_with() -> None:
    commands = _bench_commands()
    assert len(commands) >= 8
    root = README.parent
    for text in commands:
        tokens = shlex.split(text)
        assert (root / tokens[0]).is_file(), f"{tokens[0]} is not in the repository"
        done = subprocess.run([sys.executable, tokens[0], "--help"], capture_output=True, text=True,
                              timeout=120, cwd=root)
        assert done.returncode == 0, f"{tokens[0]} --help: {done.stderr[-400:]}"
        for token in tokens[1:]:
            if token.startswith("--"):
                assert token.split("=", 1)[0] in done.stdout, f"{text}: {tokens[0]} has no option {token}"
