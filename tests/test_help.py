"""Every command's ``--help`` has an example and names only documents that ship."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from nhs_oversight.cli import app

runner = CliRunner()


def _commands() -> list[list[str]]:
    """Every command path of the ``oversight`` application, groups included."""
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            if path:
                paths.append(path)
            for name, sub in subcommands.items():
                walk(sub, [*path, name])
        else:
            paths.append(path)

    walk(typer.main.get_command(app), [])
    return paths


COMMANDS = _commands()


def test_every_command_is_listed() -> None:
    names = {" ".join(p) for p in COMMANDS}
    assert {"governance", "objectives mrsa", "spc", "serve", "users add", "rulebooks show", "decide"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_help_has_an_example_and_no_unshipped_document(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, result.output
    assert f"oversight {' '.join(path)}" in result.output
    assert not re.search(r"\b(RULES|DATA|INTERFACE|WEB|DESIGN)\.md\b", result.output), result.output
