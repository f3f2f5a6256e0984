"""Git and pull-request plumbing for fix runs: dirty checks, branches, commits, `gh pr create`.

Every call runs `git` (or `gh`) as a subprocess in the repository; a failure is a
GitError with git's own message, which the CLI turns into one error line.
The `gh` lookup goes through PATH (`find_gh(path=...)`), so tests can hide it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class GitError(Exception):
    """A git or gh command failed."""


def _run(root: Path, *args: str, input_text: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, input=input_text, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if check and result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else f'exit {result.returncode}'}")
    return result


def toplevel(directory: Path) -> Path | None:
    """The repository's top folder, or None when `directory` is not in a git work tree."""
    try:
        result = _run(directory, "rev-parse", "--show-toplevel", check=False)
    except GitError:
        return None
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return Path(result.stdout.strip()).resolve()


def ignored(root: Path, paths: list[str]) -> set[str]:
    """The paths (relative to root) that .gitignore rules exclude."""
    result = _run(root, "check-ignore", "--stdin", "-z", input_text="\0".join(paths) + "\0", check=False)
    if result.returncode not in (0, 1):
        raise GitError(f"git check-ignore failed: {result.stderr.strip()}")
    return {p for p in result.stdout.split("\0") if p}


def dirty_paths(root: Path, target: Path) -> list[str]:
    """Uncommitted changes (untracked files included) under `target`."""
    result = _run(root, "status", "--porcelain", "-z", "--", str(target))
    entries = [e for e in result.stdout.split("\0") if e]
    return [entry[3:] for entry in entries if len(entry) > 3]


def current_branch(root: Path) -> str:
    return _run(root, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()


def head(root: Path) -> str:
    return _run(root, "rev-parse", "HEAD").stdout.strip()


def create_branch(root: Path, name: str) -> None:
    if _run(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}", check=False).returncode == 0:
        raise GitError(f"branch {name!r} already exists")
    _run(root, "checkout", "-b", name)


def commit(root: Path, paths: list[str], message: str) -> str:
    """Commit exactly `paths` (other staged changes stay staged); returns the new commit id."""
    _run(root, "add", "--", *paths)
    _run(root, "commit", "--quiet", "-m", message, "--", *paths)
    return head(root)


def remotes(root: Path) -> list[str]:
    names = _run(root, "remote").stdout.split()
    return sorted(names, key=lambda n: (n != "origin", n))


def git_dir(root: Path) -> Path:
    path = Path(_run(root, "rev-parse", "--git-dir").stdout.strip())
    return path if path.is_absolute() else (root / path)


def format_patch(root: Path, base: str) -> bytes:
    """The commits after `base` as an mbox patch, byte for byte (CRLF files stay CRLF)."""
    result = subprocess.run(["git", "format-patch", "--stdout", f"{base}..HEAD"], cwd=root, capture_output=True,
                            check=False)
    if result.returncode != 0:
        raise GitError(f"git format-patch failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def find_gh(path: str | None = None) -> str | None:
    """The `gh` executable on PATH (or on `path`), None when it is not installed."""
    return shutil.which("gh", path=path)


@dataclass
class PullRequest:
    url: str = ""  # set when gh opened it
    patch_file: Path | None = None  # set when it could not be opened here
    body_file: Path | None = None
    instructions: str = ""


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "fix"


def open_pull_request(root: Path, branch: str, base_branch: str, base_commit: str, title: str, body: str,
                      gh_path: str | None = None) -> PullRequest:
    """Push and run `gh pr create`; without gh or a remote, write the patch and body to files."""
    gh = find_gh(gh_path)
    names = remotes(root)
    if gh and names:
        _run(root, "push", "--set-upstream", names[0], branch)
        try:
            result = subprocess.run(
                [gh, "pr", "create", "--base", base_branch, "--head", branch, "--title", title, "--body", body],
                cwd=root, capture_output=True, text=True, check=False,
            )
        except OSError as error:
            raise GitError(f"gh pr create failed: {error}") from None
        if result.returncode != 0:
            raise GitError(f"gh pr create failed: {result.stderr.strip() or result.stdout.strip()}")
        return PullRequest(url=result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "")
    folder = git_dir(root) / "analyzer-fix"
    folder.mkdir(parents=True, exist_ok=True)
    patch_file = folder / f"{slug(branch)}.patch"
    body_file = folder / f"{slug(branch)}.md"
    patch_file.write_bytes(format_patch(root, base_commit))
    body_file.write_text(f"# {title}\n\n{body}", encoding="utf-8")
    why = "gh is not installed" if not gh else "the repository has no remote"
    instructions = (
        f"{why}; to open the pull request: push the branch (`git push -u <remote> {branch}`) and run "
        f"`gh pr create --base {base_branch} --head {branch} --title {title!r} --body-file {body_file}`, "
        f"or paste {body_file} into the web form. Elsewhere, apply the commits with `git am {patch_file}`."
    )
    return PullRequest(patch_file=patch_file, body_file=body_file, instructions=instructions)
