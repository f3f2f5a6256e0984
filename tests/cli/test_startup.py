"""Start-up: `analyzer --version` and `--help` import none of the heavy libraries (the timing is in
bench/bench_startup.py); the parser, the graph, the stores and Bandit load only for commands that use them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("libcst", "networkx", "bandit", "pyarrow", "ladybug", "neo4j", "radon", "yaml", "msgpack")

# Runs the CLI as the `analyzer` executable does, then lists the modules it imported and their top-level packages.
PROBE = """
import json, sys
sys.argv = ["analyzer", *json.loads(sys.argv[1])]
try:
    from analyzer.cli import main
    main()
except SystemExit:
    pass
sys.stdout.flush()
print("\\nMODULES " + json.dumps(sorted({*sys.modules, *(name.split(".")[0] for name in sys.modules)})))
"""


def imported_by(*args: str) -> tuple[str, set[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                            timeout=60, check=True)
    output, _, modules = result.stdout.rpartition("\nMODULES ")
    return output, set(json.loads(modules))


@pytest.mark.parametrize(("args", "light"), [(("--version",), HEAVY + ("rich",)), (("--help",), HEAVY)],
                         ids=["version", "help"])
def test_start_up_imports_no_heavy_library(args, light):
    output, modules = imported_by(*args)
    assert "analyzer" in output  # the command ran
    assert sorted(modules & set(light)) == []


@pytest.mark.slow  # a CLI process that imports every codemod
def test_a_command_that_parses_does_import_them():
    """The probe sees lazily imported libraries once a command needs them (so the test above can fail)."""
    _, modules = imported_by("fix", "--list")
    assert {"libcst", "rich"} <= modules


@pytest.mark.slow
def test_check_on_an_unchanged_tree_parses_nothing_and_imports_no_parser(scanned_fixture, fixture_repo,
                                                                            fixture_cache_dir):
    store, _report = scanned_fixture
    check = ("check", str(fixture_repo), "--store", str(store), "--cache-dir", str(fixture_cache_dir), "--no-baseline",
             "--format", "json")
    output, modules = imported_by(*check)
    assert '"findings"' in output  # the report was written
    assert sorted(modules & {"libcst", "bandit", "radon", "pyarrow", "agent_graph_codemods"}) == []
    # Asked again, the check answers with the report it saved: no graph library, store engine or finding.
    again, modules = imported_by(*check)
    assert again == output
    assert sorted(modules & {"libcst", "bandit", "radon", "pyarrow", "agent_graph_codemods", "networkx", "ladybug",
                             "analyzer.findings", "analyzer.check.run", "analyzer.scan"}) == []


def test_each_command_run_in_process_gets_a_console_for_its_own_environment():
    """The console is made on first use; a second run in the same process must not print at the first's width."""
    from typer.testing import CliRunner

    from analyzer.cli import app

    runner = CliRunner()
    narrow = runner.invoke(app, ["fix", "--list"], env={"COLUMNS": "40"})
    wide = runner.invoke(app, ["fix", "--list"], env={"COLUMNS": "200"})
    assert max(map(len, narrow.stdout.splitlines())) <= 40 < max(map(len, wide.stdout.splitlines()))
