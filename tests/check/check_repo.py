"""Temporary git repositories and an in-process `analyzer` runner for the check tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from analyzer.cli import app

GIT_IDENTITY = ["-c", "user.email=check@test", "-c", "user.name=check-test", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *GIT_IDENTITY, "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


def write(repo: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def make_repo(root: Path, files: dict[str, str], ignore_workspace: bool = True) -> Path:
    """A git repository with `files` committed on `main`; `.analyzer/` is git-ignored unless told not to."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write(repo, {**({".gitignore": ".analyzer/\n"} if ignore_workspace else {}), **files})
    commit(repo, "initial")
    return repo


def fixture_git_repo(root: Path, fixture: Path, ignore_workspace: bool = True) -> Path:
    """The fixture repository copied into a new git repository, committed on `main`."""
    repo = make_repo(root, {}, ignore_workspace)
    shutil.copytree(fixture, repo, dirs_exist_ok=True)
    commit(repo, "fixture")
    return repo


def python_files(repo: Path) -> list[str]:
    return git(repo, "ls-files", "*.py").split()


def stdout_json(result) -> dict:
    return json.loads(result.stdout)


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def run_cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def check_args(repo: Path, *extra: str) -> list[str]:
    """`analyzer check` with the store and cache inside the repository's ignored .analyzer/."""
    return ["check", str(repo), "--store", str(repo / ".analyzer/store"), "--cache-dir",
            str(repo / ".analyzer/cache"), "--jobs", "1", *extra]
