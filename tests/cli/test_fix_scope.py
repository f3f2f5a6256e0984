"""`analyzer fix`: the scope a scan reads, honest exit codes, and no empty branch or pull request."""

from __future__ import annotations

import re

from tests.check.check_repo import git, make_repo, run_cli

BARE = "def work():\n    try:\n        run()\n    except:\n        pass\n"
FIXED = "except Exception:"
TREE = {
    "pyproject.toml": '[tool.analyzer]\nexclude = ["main_pc_code/generated/*"]\n',
    "main_pc_code/agents/live.py": BARE,
    "main_pc_code/agents/old/live_old.py": BARE,  # a copy: skipped unless --include-copies
    "main_pc_code/agents/live_backup.py": BARE,  # a copy by name
    "main_pc_code/generated/stub.py": BARE,  # [tool.analyzer] exclude
    "main_pc_code/tools/script.py": BARE,  # --exclude in the test
}


def _fixed(repo, path: str) -> bool:
    return FIXED in (repo / path).read_text()


def _skipped(output: str) -> dict[str, int]:
    """`skipped N file(s): 2 copies ..., e.g. x; 1 matched --exclude, e.g. y` as {why: count}."""
    line = next(line for line in output.splitlines() if line.startswith("skipped "))
    return {why.strip(): int(count) for count, why in re.findall(r"(\d+) ([^;,]+?)(?:, e\.g\. [^;]+)?(?:;|$)",
                                                                 line.split(": ", 1)[1])}


def test_fix_skips_excluded_files_and_copies_and_says_why(tmp_path):
    repo = make_repo(tmp_path, TREE)
    result = run_cli("fix", "bare-except", repo, "--apply", "--exclude", "main_pc_code/tools/*", "-j", "1")
    assert result.exit_code == 0, result.output
    assert _fixed(repo, "main_pc_code/agents/live.py")
    assert not any(_fixed(repo, p) for p in TREE if p.endswith(".py") and p != "main_pc_code/agents/live.py")
    skipped = _skipped(result.stderr)
    assert skipped == {"copies (--include-copies fixes them too)": 2, "matched [tool.analyzer] exclude": 1,
                       "matched --exclude": 1}, result.stderr
    assert git(repo, "status", "--porcelain").split() == ["M", "main_pc_code/agents/live.py"]


def test_include_copies_fixes_the_copies_too(tmp_path):
    repo = make_repo(tmp_path, TREE)
    result = run_cli("fix", "bare-except", repo / "main_pc_code" / "agents", "--apply", "--include-copies", "-j", "1")
    assert result.exit_code == 0, result.output
    assert all(_fixed(repo, p) for p in ("main_pc_code/agents/live.py", "main_pc_code/agents/old/live_old.py",
                                         "main_pc_code/agents/live_backup.py"))
    assert "skipped" not in result.stderr


def test_a_file_named_on_the_command_line_is_fixed_as_asked(tmp_path):
    repo = make_repo(tmp_path, TREE)
    assert run_cli("fix", "bare-except", repo / "main_pc_code/generated/stub.py", "--apply").exit_code == 0
    assert _fixed(repo, "main_pc_code/generated/stub.py")


def test_apply_exits_1_when_a_site_is_left_as_it_is(tmp_path):
    # An endpoint constant assigned twice cannot be rewritten in one place: port-literals leaves it.
    repo = make_repo(tmp_path, {"main_pc_code/agents/a.py": (
        'import zmq\nEP = "tcp://*:5556"\nif FLAG:\n    EP = "tcp://*:5557"\nzmq.Context().socket(zmq.PUB).bind(EP)\n')})
    result = run_cli("fix", "port-literals", repo, "--apply", "--unsafe", "-j", "1")
    assert result.exit_code == 1, result.output
    assert "left as they are" in result.stderr
    dry = run_cli("fix", "bare-except", repo, "-j", "1")
    assert dry.exit_code == 0  # nothing to change


def test_branch_and_pr_create_nothing_when_there_is_nothing_to_fix(tmp_path):
    repo = make_repo(tmp_path, {"main_pc_code/agents/ok.py": "def ok():\n    return 1\n"})
    for args in (["--branch", "fix/nothing"], ["--pr"]):
        result = run_cli("fix", "bare-except", repo, *args, "-j", "1")
        assert result.exit_code == 0, result.output
        assert "nothing to fix" in result.stderr
    assert git(repo, "branch", "--format=%(refname:short)").split() == ["main"]
    assert not (repo / ".git" / "analyzer-fix").exists()


def test_branch_is_created_once_something_changed(tmp_path):
    repo = make_repo(tmp_path, {"main_pc_code/agents/live.py": BARE})
    result = run_cli("fix", "bare-except", repo, "--branch", "fix/bare", "-j", "1")
    assert result.exit_code == 0, result.output
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "fix/bare"
    assert _fixed(repo, "main_pc_code/agents/live.py")
