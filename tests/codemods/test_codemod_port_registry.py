"""port-literals on fixtures/port_registry: exactly the hand-written registries and diff, names a reviewer accepts.

The fixture plants what a first run on a real tree got wrong: a port the launcher gives
(the first file naming it only connects), a collision, a backup copy and a test using
literals, two machines deployed apart (fixtures/port_registry/README.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "port_registry"
MACHINES = ("main_pc_code", "pc2_code")


@pytest.fixture
def tree(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURE / "tree", tmp_path / "tree"))


def test_fix_gives_exactly_the_expected_registries_and_diff(tree, cli) -> None:
    result = cli("fix", "port-literals", tree, "--apply", "--unsafe", "--diff", "-j", "1")
    assert result.exit_code == 1, result.output  # the collision is left as it is
    assert result.stdout == (FIXTURE / "expected" / "fix.diff").read_text()
    for machine in MACHINES:
        registry = f"{machine}/config/ports.yaml"
        assert (tree / registry).read_text() == (FIXTURE / "expected" / registry).read_text(), registry
    for note in ("port 27111 on main_pc_code is bound by 2 live modules",
                 "1 copies (--include-copies fixes them too), e.g. main_pc_code/agents/backups/translator_backup.py",
                 "2 port site(s) in 1 test left as they are (--include-tests rewrites them)",
                 "pc2_code/requirements.txt created", "main_pc_code/requirements.txt: agent-graph-runtime>=0.1.0 added"):
        assert note in result.stderr, note

    again = cli("fix", "port-literals", tree, "--apply", "--unsafe", "-j", "1")
    assert again.exit_code == 1 and "0 site(s) fixed" in again.stderr, again.output  # the collision still stands


def test_copies_and_tests_are_rewritten_only_when_asked_and_then_read_the_live_names(tree, cli) -> None:
    copy, test = "main_pc_code/agents/backups/translator_backup.py", "main_pc_code/tests/test_translator.py"
    before = {path: (tree / path).read_text() for path in (copy, test)}
    assert cli("fix", "port-literals", tree, "--apply", "--unsafe", "-j", "1").exit_code == 1
    assert {path: (tree / path).read_text() for path in before} == before
    result = cli("fix", "port-literals", tree, "--apply", "--unsafe", "--include-copies", "--include-tests", "-j", "1")
    assert result.exit_code == 1, result.output
    assert "get_port('TRANSLATOR_AGENT_PUB')" in (tree / copy).read_text()
    assert "get_port('MODEL_MANAGER_AGENT_REP')" in (tree / test).read_text()
    registries = "".join((tree / machine / "config/ports.yaml").read_text() for machine in MACHINES)
    assert "BACKUP" not in registries and "TEST" not in registries and "STREAMING_PARTIAL_TRANSCRIPTS_REQ" not in registries
