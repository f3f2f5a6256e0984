"""`--help` prints what the help texts say: `[tool.analyzer]` and `ignore[check-id]` as written, examples line by line."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from analyzer.cli import app

COMMANDS = sorted(typer.main.get_command(app).commands)


def _source_texts(command) -> list[str]:
    texts = [command.help or ""]
    texts += [param.help or "" for param in command.params if getattr(param, "help", None)]
    return texts


@pytest.mark.parametrize("name", COMMANDS)
def test_bracketed_names_in_help_survive_rendering(name):
    command = typer.main.get_command(app).commands[name]
    expected = {match.replace("\\[", "[") for text in _source_texts(command)
                for match in re.findall(r"\\?\[[\w.-]+\]", text)}
    output = CliRunner().invoke(app, [name, "--help"], terminal_width=200).output
    flat = re.sub(r"(?<=\w-)\s+", "", re.sub(r"[\s│]+", " ", output))  # click may wrap after a word's hyphen
    for bracketed in expected:
        assert bracketed in flat, f"`analyzer {name} --help` lost {bracketed}"


def test_every_command_has_a_help_text():
    for name in COMMANDS:
        assert typer.main.get_command(app).commands[name].help, f"analyzer {name} has no help"


def test_errors_are_one_line_and_keep_bracketed_names(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.analyzer]\nchecks = 3\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(tmp_path), "--no-scan"])
    assert result.exit_code == 2
    assert "[tool.analyzer] checks must be a table of tables" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("name", COMMANDS)
def test_examples_keep_their_lines(name):
    """Click rewraps a paragraph unless it starts with `\\b`: each example is one line of the help, as written."""
    help_text = typer.main.get_command(app).commands[name].help or ""
    _, found, after = help_text.partition("Examples:")
    examples = [line.strip() for line in after.splitlines() if line.strip().startswith("analyzer ")]
    assert not found or examples, f"analyzer {name}: an Examples: heading with no example"
    shown = [line.strip() for line in CliRunner().invoke(app, [name, "--help"], terminal_width=200).output.splitlines()]
    for example in examples:
        assert example in shown, f"`analyzer {name} --help` broke the example {example!r}"
