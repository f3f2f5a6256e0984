"""Opening a pull request for a fix run: push and `gh pr create`, else a patch and a body to paste.

git steps go through analyzer.git; a `gh` failure is a GitError too, which the
CLI turns into one error line. The `gh` lookup goes through PATH
(`find_gh(path=...)`), so tests can hide it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from analyzer import git
from analyzer.git import GitError


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
    names = git.remotes(root)
    if gh and names:
        git.push(root, names[0], branch)
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
    folder = git.git_dir(root) / "analyzer-fix"
    folder.mkdir(parents=True, exist_ok=True)
    patch_file = folder / f"{slug(branch)}.patch"
    body_file = folder / f"{slug(branch)}.md"
    patch_file.write_bytes(git.format_patch(root, base_commit))
    body_file.write_text(f"# {title}\n\n{body}", encoding="utf-8")
    why = "gh is not installed" if not gh else "the repository has no remote"
    instructions = (
        f"{why}; to open the pull request: push the branch (`git push -u <remote> {branch}`) and run "
        f"`gh pr create --base {base_branch} --head {branch} --title {title!r} --body-file {body_file}`, "
        f"or paste {body_file} into the web form. Elsewhere, apply the commits with `git am {patch_file}`."
    )
    return PullRequest(patch_file=patch_file, body_file=body_file, instructions=instructions)
