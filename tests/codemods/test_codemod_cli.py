"""`analyzer fix`: list, dry run, exit codes, refusals, unsafe gating, the fixture repository."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from analyzer.config import load_scan_config
from analyzer.endpoints import resolve_file_endpoints
from analyzer.extract import extract_file
from agent_graph_codemods import all_codemods
from agent_graph_codemods.port_literals import COPY, path_kind

FIXTURE_REPO = Path(__file__).resolve().parents[2] / "fixtures" / "agent_system"


def test_list(cli) -> None:
    result = cli("fix", "--list")
    assert result.exit_code == 0
    for name, codemod in all_codemods().items():
        assert name in result.stdout and codemod.code in result.stdout
    assert "unsafe" in result.stdout


def test_dry_run_prints_a_diff_and_writes_nothing(agent_tree, cli, layout) -> None:
    before = layout.read(agent_tree, layout.sources)
    result = cli("fix", "bare-except", agent_tree, "-j", "1")
    assert result.exit_code == 1
    assert "--- a/main_pc_code/agents/translator.py" in result.stdout
    assert "-            except:\n+            except Exception:\n" in result.stdout
    assert "site(s) to fix" in result.stderr and "translator.py: 2 edit(s)" in result.stderr
    assert layout.read(agent_tree, layout.sources) == before


def test_clean_tree_exits_zero(tmp_path, cli) -> None:
    (tmp_path / "ok.py").write_text("try:\n    x()\nexcept ValueError:\n    pass\n")
    result = cli("fix", "all", tmp_path, "--apply")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_apply_with_diff_prints_it(agent_tree, cli) -> None:
    result = cli("fix", "asyncio-run", agent_tree, "--apply", "--diff", "-j", "1")
    assert result.exit_code == 0
    assert "+    asyncio.run(main())\r\n" in result.stdout or "+    asyncio.run(main())" in result.stdout
    assert b"asyncio.run(main())\r\n" in (agent_tree / "pc2_code/run_all.py").read_bytes()


def test_unsafe_fix_needs_the_flag_to_be_written(agent_tree, cli) -> None:
    refused = cli("fix", "port-literals", agent_tree, "--apply")
    assert refused.exit_code == 2
    assert "unsafe" in refused.stderr and "--unsafe" in refused.stderr
    assert not (agent_tree / "main_pc_code/config").exists()
    shown = cli("fix", "port-literals", agent_tree, "-j", "1")
    assert shown.exit_code == 1 and "+++ b/main_pc_code/config/ports.yaml" in shown.stdout
    assert not (agent_tree / "main_pc_code/config").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fix"], "name a codemod"),
        (["fix", "nope", "."], "no codemod named 'nope'"),
        (["fix", "bare-except", "/does/not/exist"], "does not exist"),
        (["fix", "asyncio-run", ".", "--log-swallowed"], "option 'log_swallowed'"),
        (["fix", "bare-except", ".", "-o", "novalue"], "KEY=VALUE"),
        (["fix", "bare-except", ".", "-o", "log_swallowed=maybe"], "true or false"),
    ],
)
def test_errors_exit_two_with_one_line(cli, args, message) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_option_flag(agent_tree, cli) -> None:
    result = cli("fix", "bare-except", agent_tree, "--apply", "-o", "reraise-base-exception=false", "-j", "1")
    assert result.exit_code == 0
    assert "BaseException" not in (agent_tree / "pc2_code/agents/emotion.py").read_text()


def test_dirty_tree_is_refused_unless_allowed(agent_repo, cli, layout) -> None:
    (agent_repo / "main_pc_code/agents/memory.py").write_text("# local edit\n", encoding="utf-8")
    refused = cli("fix", "bare-except", agent_repo, "--apply")
    assert refused.exit_code == 2 and "uncommitted" in refused.stderr
    assert "except:" in (agent_repo / "main_pc_code/agents/translator.py").read_text()
    dry = cli("fix", "bare-except", agent_repo, "-j", "1")
    assert dry.exit_code == 1  # a dry run writes nothing, so a dirty tree is fine
    allowed = cli("fix", "bare-except", agent_repo, "--apply", "--allow-dirty", "-j", "1")
    assert allowed.exit_code == 0
    assert "except:" not in (agent_repo / "main_pc_code/agents/translator.py").read_text()
    # Dirt outside PATH does not block a fix inside it.
    layout.git(agent_repo, "checkout", "-q", "--", ".")
    (agent_repo / "main_pc_code/agents/memory.py").write_text("# local edit\n", encoding="utf-8")
    assert cli("fix", "bare-except", agent_repo / "pc2_code", "--apply", "-j", "1").exit_code == 0


def test_branch_outside_git_is_an_error(agent_tree, cli) -> None:
    result = cli("fix", "bare-except", agent_tree, "--commit")
    assert result.exit_code == 2 and "git repository" in result.stderr


@pytest.mark.slow  # every codemod written over the whole fixture, then run again: end to end
@pytest.mark.skipif(not FIXTURE_REPO.is_dir(), reason="fixtures/agent_system is not there")
def test_fixture_repository_copy(tmp_path, cli) -> None:
    root = tmp_path / "agent_system"
    shutil.copytree(FIXTURE_REPO, root)
    sources = sorted(p for p in root.rglob("*.py"))
    before = {p: p.read_bytes() for p in sources}

    result = cli("fix", "bare-except,asyncio-run", root, "--apply", "--log-swallowed", "--include-copies", "-j", "2")
    assert result.exit_code in (0, 1), result.output
    ports = cli("fix", "port-literals", root, "--apply", "--unsafe", "--include-copies", "-j", "1")
    assert ports.exit_code in (0, 1), ports.output
    copies = load_scan_config(root).copies
    for path in sources:
        relative = path.relative_to(root).as_posix()
        old, new = before[path], path.read_bytes()
        old_facts, new_facts = extract_file(relative, old), extract_file(relative, new)
        if old_facts.parse_status != "ok":
            assert new == old, f"{relative} did not parse and must be left alone"
            continue
        compile(new, relative, "exec")
        assert [e for e in new_facts.excepts if e.kind == "bare"] == []
        # Literal ports stay only in backup copies and on ports the notes name (a collision, nothing binding it).
        left = [e.port for e in resolve_file_endpoints(new_facts) if e.source in ("literal", "constant")]
        named = all(f"port {port} on " in ports.stderr for port in left)
        assert path_kind(relative, copies) == COPY or named, (relative, left)
    for args, first in ((("bare-except,asyncio-run", "--log-swallowed"), result), (("port-literals", "--unsafe"), ports)):
        again = cli("fix", args[0], root, "--apply", args[1], "--include-copies", "-j", "1")
        assert again.exit_code == first.exit_code, again.output  # sites left the first time are left again
        assert set(re.findall(r": (\d+) site\(s\) fixed", again.stderr)) == {"0"}, again.stderr
