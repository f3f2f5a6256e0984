"""What `--base REF` needs from git: the merge base, a throwaway worktree of it, the changed lines.

The user's work tree, index and branches are never written to: the base is
checked out into a temporary worktree that is removed afterwards.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")
WHOLE_FILE = None  # a new (untracked) file: every line changed


class GitError(RuntimeError):
    """git refused a step (not a repository, unknown ref, no merge base)."""


def _git(repo: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    except FileNotFoundError as error:
        raise GitError("git is not installed") from error
    except subprocess.CalledProcessError as error:
        raise GitError(f"git {' '.join(args)}: {error.stderr.strip() or error}") from error
    return result.stdout


def merge_base(repo: Path, ref: str) -> str:
    return _git(repo, "merge-base", ref, "HEAD").strip()


def toplevel(repo: Path) -> Path:
    return Path(_git(repo, "rev-parse", "--show-toplevel").strip())


def prefix(repo: Path) -> str:
    """Where `repo` sits inside its work tree ('' at the top, else 'sub/dir/')."""
    return _git(repo, "rev-parse", "--show-prefix").strip()


@contextmanager
def worktree(repo: Path, commit: str) -> Iterator[Path]:
    """A detached checkout of `commit` in a temporary folder, removed on exit; yields the folder matching `repo`."""
    sub = prefix(repo)
    with tempfile.TemporaryDirectory(prefix="analyzer-base-") as folder:
        checkout = Path(folder) / "tree"
        _git(repo, "worktree", "add", "--detach", "--quiet", str(checkout), commit)
        try:
            yield checkout / sub if sub else checkout
        finally:
            _git(repo, "worktree", "remove", "--force", str(checkout))


def changed_lines(repo: Path, commit: str) -> dict[str, set[int] | None]:
    """Repo-relative path -> new-side line numbers changed since `commit` (work tree, staged and committed
    changes), WHOLE_FILE for untracked files."""
    diff = _git(repo, "diff", "-U0", "--no-color", "--no-ext-diff", "--relative", commit, "--", ".")
    changed: dict[str, set[int] | None] = {}
    current: set[int] | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = None if name == "/dev/null" else changed.setdefault(name.removeprefix("b/"), set())
        elif (hunk := HUNK.match(line)) and current is not None:
            start, count = int(hunk["start"]), int(hunk["count"] or 1)
            # A pure deletion marks the line it left the gap after, so the file still points somewhere.
            current.update(range(start, start + count) if count else [max(start, 1)])
    for name in _git(repo, "ls-files", "--others", "--exclude-standard").splitlines():
        changed[name] = WHOLE_FILE
    return changed
