"""--branch/--commit/--pr in temporary git repositories; `gh` is hidden through PATH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analyzer import git as git_module
from agent_graph_codemods import pull_request


@pytest.fixture
def no_gh(monkeypatch, tmp_path):
    """A PATH that has git but no gh."""
    bin_dir = tmp_path / "bin-without-gh"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git"))
    monkeypatch.setenv("PATH", str(bin_dir))
    assert pull_request.find_gh() is None


def test_branch_and_commit(agent_repo, cli, layout) -> None:
    result = cli("fix", "bare-except", agent_repo, "--branch", "fix/bare-except", "--commit", "-j", "1")
    assert result.exit_code == 0, result.output
    assert layout.git(agent_repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "fix/bare-except"
    log = layout.git(agent_repo, "log", "--format=%s", "main..HEAD").splitlines()
    assert len(log) == 1
    sites = sum(1 for p in layout.sources if p not in layout.unparsable
                for line in (agent_repo / p).read_text().splitlines() if "except Exception" in line
                or "except BaseException" in line)
    assert log[0] == f"bare-except: give {sites} bare or silent except handlers a type or a log call in 6 files"
    body = layout.git(agent_repo, "log", "-1", "--format=%b")
    assert "FIX001 bare-except (safe fix)" in body and "main_pc_code/agents/translator.py: 2" in body
    diff = layout.git(agent_repo, "diff", "--unified=0", "main..HEAD")
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert len(removed) == len(added) == sites
    assert all("except" in line for line in removed + added)
    assert layout.git(agent_repo, "status", "--porcelain") == ""


def test_one_commit_per_codemod(agent_repo, cli, layout) -> None:
    result = cli("fix", "bare-except,asyncio-run,port-literals", agent_repo, "--branch", "debt", "--commit",
                 "--unsafe", "-j", "1")
    assert result.exit_code == 1, result.output  # port-literals leaves the collision on 5556
    log = layout.git(agent_repo, "log", "--format=%s", "main..HEAD").splitlines()
    assert [line.split(":")[0] for line in reversed(log)] == ["bare-except", "asyncio-run", "port-literals"]
    files = layout.git(agent_repo, "show", "--name-only", "--format=", "HEAD").split()
    assert "main_pc_code/config/ports.yaml" in files
    assert layout.git(agent_repo, "status", "--porcelain") == ""


def test_existing_branch_is_an_error(agent_repo, cli, layout) -> None:
    layout.git(agent_repo, "branch", "taken")
    result = cli("fix", "bare-except", agent_repo, "--branch", "taken", "--commit")
    assert result.exit_code == 2 and "already exists" in result.stderr


def test_pr_without_gh_writes_patch_and_body(agent_repo, cli, layout, no_gh) -> None:
    result = cli("fix", "bare-except", agent_repo, "--pr", "-j", "1")
    assert result.exit_code == 0, result.output
    branch = "analyzer-fix/bare-except"
    assert layout.git(agent_repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == branch
    folder = agent_repo / ".git" / "analyzer-fix"
    patch = folder / "analyzer-fix-bare-except.patch"
    body = folder / "analyzer-fix-bare-except.md"
    assert patch.is_file() and body.is_file()
    assert "Subject: [PATCH] bare-except:" in patch.read_text()
    text = body.read_text()
    assert "| bare-except | FIX001 | safe | 6 | 8 |" in text and "## How to review" in text
    assert "gh is not installed" in result.stderr and "gh pr create" in result.stderr
    assert str(patch) in result.stderr.replace("\n", "")
    # The patch applies to the base branch and gives the branch's tree.
    layout.git(agent_repo, "checkout", "-q", "main")
    layout.git(agent_repo, "apply", "--check", str(patch))


def test_pr_without_remote_writes_the_patch_even_with_gh(agent_repo, layout, monkeypatch, tmp_path) -> None:
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    gh = fake / "gh"
    gh.write_text("#!/bin/sh\necho should-not-run >&2\nexit 1\n")
    gh.chmod(0o755)
    assert pull_request.find_gh(str(fake)) == str(gh)
    layout.git(agent_repo, "checkout", "-q", "-b", "work")
    (agent_repo / "x.py").write_text("x = 1\n")
    sha = git_module.commit(agent_repo, ["x.py"], "add x")
    request = pull_request.open_pull_request(agent_repo, "work", "main", "main", "t", "b", gh_path=str(fake))
    assert request.url == "" and request.patch_file.is_file()
    assert "no remote" in request.instructions
    assert sha == layout.git(agent_repo, "rev-parse", "HEAD").strip()


def test_pr_with_gh_and_remote_pushes_and_creates(agent_repo, layout, tmp_path) -> None:
    remote = tmp_path / "remote.git"
    layout.git(tmp_path, "init", "-q", "--bare", str(remote))
    layout.git(agent_repo, "remote", "add", "origin", str(remote))
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    calls = tmp_path / "gh-calls"
    (fake / "gh").write_text(f'#!/bin/sh\necho "$@" > {calls}\necho https://example.invalid/pr/1\n')
    (fake / "gh").chmod(0o755)
    layout.git(agent_repo, "checkout", "-q", "-b", "work")
    (agent_repo / "x.py").write_text("x = 1\n")
    git_module.commit(agent_repo, ["x.py"], "add x")
    request = pull_request.open_pull_request(agent_repo, "work", "main", "main", "Title", "Body",
                                           gh_path=str(fake) + os.pathsep + os.environ["PATH"])
    assert request.url == "https://example.invalid/pr/1"
    assert calls.read_text().startswith("pr create --base main --head work --title Title")
    assert layout.git(remote, "rev-parse", "work").strip() == layout.git(agent_repo, "rev-parse", "HEAD").strip()


def test_commit_leaves_other_staged_changes_alone(agent_repo, layout) -> None:
    (agent_repo / "a.py").write_text("a = 1\n")
    (agent_repo / "b.py").write_text("b = 1\n")
    layout.git(agent_repo, "add", "b.py")
    git_module.commit(agent_repo, ["a.py"], "only a")
    assert layout.git(agent_repo, "show", "--name-only", "--format=", "HEAD").split() == ["a.py"]
    assert layout.git(agent_repo, "diff", "--cached", "--name-only").split() == ["b.py"]


def test_dirty_paths(agent_repo) -> None:
    assert git_module.dirty_paths(agent_repo, agent_repo) == []
    (agent_repo / "pc2_code" / "new.py").write_text("x = 1\n")
    assert git_module.dirty_paths(agent_repo, agent_repo) == ["pc2_code/new.py"]
    assert git_module.dirty_paths(agent_repo, agent_repo / "main_pc_code") == []
    assert git_module.toplevel(Path("/")) is None
