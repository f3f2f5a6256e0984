"""Every git call the tool makes, through one runner and one error.

`run` raises GitError with git's own last line when a step fails (the CLI turns
it into one error line); `output` gives None instead, for facts that degrade to
nothing outside a work tree (report dates and blame). Reading the user's
repository never writes to its work tree, index or branches: `--base` checks the
base out into a temporary worktree that is removed afterwards. Only `fix`
writes, through `create_branch` and `commit`.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")
WHOLE_FILE = None  # an untracked file in a diff: every line is new


class GitError(RuntimeError):
    """A git (or gh) step failed: not a repository, unknown ref, no merge base, a refused commit."""


def run(repo: Path, *args: str, input_text: str | None = None, check: bool = True,
        binary: bool = False) -> subprocess.CompletedProcess:
    """`git -C repo ARGS`; with `check`, a non-zero exit is a GitError naming the step and git's message.
    `binary` leaves stdout as bytes (file names and patches exactly as git wrote them)."""
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], input=input_text, capture_output=True,
                                text=not binary, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if check and result.returncode != 0:
        stderr = result.stderr.decode(errors="replace") if binary else result.stderr
        message = stderr.strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])}: {message[-1] if message else f'exit {result.returncode}'}")
    return result


def output(repo: Path, *args: str) -> str | None:
    """git's stdout, or None when git is missing or the step fails (a folder outside any work tree)."""
    try:
        result = run(repo, *args, check=False)
    except GitError:
        return None
    return result.stdout if result.returncode == 0 else None


# --------------------------------------------------------------------- where a folder sits


def toplevel(folder: Path) -> Path | None:
    """The work tree's top folder, or None when `folder` is not inside one."""
    top = (output(folder, "rev-parse", "--show-toplevel") or "").strip()
    return Path(top).resolve() if top else None


def prefix(folder: Path) -> str:
    """Where `folder` sits inside its work tree ('' at the top, else 'sub/dir/')."""
    return (output(folder, "rev-parse", "--show-prefix") or "").strip()


def head(repo: Path) -> str:
    return run(repo, "rev-parse", "HEAD").stdout.strip()


def head_commit(repo: Path) -> str | None:
    """HEAD's commit id, None outside a work tree or before the first commit (report links degrade)."""
    return (output(repo, "rev-parse", "HEAD") or "").strip() or None


def current_branch(repo: Path) -> str:
    return run(repo, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()


def git_dir(repo: Path) -> Path:
    path = Path(run(repo, "rev-parse", "--git-dir").stdout.strip())
    return path if path.is_absolute() else (repo / path)


def remotes(repo: Path) -> list[str]:
    """Remote names, `origin` first."""
    return sorted(run(repo, "remote").stdout.split(), key=lambda name: (name != "origin", name))


def remote_web_url(repo: Path) -> str | None:
    """`https://<host>/<owner>/<repo>` of the `origin` remote, for permalinks; None when there is none."""
    url = (output(repo, "remote", "get-url", "origin") or "").strip().removesuffix(".git")
    if url.startswith("git@") and ":" in url:
        host, _, rest = url[len("git@"):].partition(":")
        return f"https://{host}/{rest}"
    return url if url.startswith("https://") else None


# --------------------------------------------------------------------- which files


def listed_files(folder: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under `folder`, relative to it; None outside a work tree."""
    try:
        result = run(folder, "ls-files", "-co", "--exclude-standard", "-z", "--", ".", check=False, binary=True)
    except GitError:
        return None
    if result.returncode != 0:
        return None
    return [name for name in result.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


def ignored(repo: Path, paths: list[str]) -> set[str]:
    """Those of `paths` (relative to `repo`) that .gitignore rules exclude."""
    result = run(repo, "check-ignore", "--stdin", "-z", input_text="\0".join(paths) + "\0", check=False)
    if result.returncode not in (0, 1):
        raise GitError(f"git check-ignore: {result.stderr.strip()}")
    return {path for path in result.stdout.split("\0") if path}


def dirty_paths(repo: Path, target: Path) -> list[str]:
    """Uncommitted changes (untracked files included) under `target`."""
    entries = [entry for entry in run(repo, "status", "--porcelain", "-z", "--", str(target)).stdout.split("\0") if entry]
    return [entry[3:] for entry in entries if len(entry) > 3]


# --------------------------------------------------------------------- history, for reports


@dataclass(frozen=True)
class Blame:
    author: str
    date: str  # ISO 8601, author time
    commit: str


def why_no_history(folder: Path) -> str | None:
    """Why git can give no dates or blame for `folder` (the reports say it), or None when it can."""
    if not folder.is_dir():
        return f"the scanned folder {folder} is not here (give --root)"
    try:
        result = run(folder, "rev-parse", "--is-inside-work-tree", check=False)
    except GitError as error:
        return str(error)
    if result.returncode != 0 or result.stdout.strip() != "true":
        return f"{folder} is not in a git repository"
    return None


def last_modified(repo: Path) -> dict[str, str]:
    """Path relative to `repo` -> ISO date of the last commit touching it; {} outside a work tree."""
    log = output(repo, "log", "--format=@%cI", "--name-only", "--relative", "--no-renames", "--", ".")
    dates: dict[str, str] = {}
    date = ""
    for line in (log or "").splitlines():
        if line.startswith("@"):
            date = line[1:]
        elif line.strip():
            dates.setdefault(line.strip(), date)  # newest first: the first date seen wins
    return dates


def blame_lines(repo: Path, path: str, lines: list[int]) -> dict[int, Blame]:
    """Blame of the given lines of one file in one `git blame` call; uncommitted lines are left out."""
    if not lines:
        return {}
    ranges = [arg for line in sorted(set(lines)) for arg in ("-L", f"{line},{line}")]
    porcelain = output(repo, "blame", "--line-porcelain", *ranges, "--", path)
    found: dict[int, Blame] = {}
    fields: dict[str, str] = {}
    commit_id, final_line = "", 0
    for text in (porcelain or "").splitlines():
        words = text.split(" ")
        if len(words) >= 3 and len(words[0]) == 40 and all(c in "0123456789abcdef" for c in words[0]):
            commit_id, final_line, fields = words[0], int(words[2]), {}
        elif text.startswith("\t"):  # the line's content closes its record
            if commit_id.strip("0"):
                found[final_line] = Blame(fields.get("author", ""), _iso(fields.get("author-time")), commit_id)
        else:
            key, _, value = text.partition(" ")
            fields[key] = value
    return found


def _iso(epoch: str | None) -> str:
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).isoformat() if epoch else ""


# --------------------------------------------------------------------- a base to compare with


def merge_base(repo: Path, ref: str) -> str:
    return run(repo, "merge-base", ref, "HEAD").stdout.strip()


@contextmanager
def worktree(repo: Path, commit_id: str) -> Iterator[Path]:
    """A detached checkout of `commit_id` in a temporary folder, removed on exit; yields the folder matching `repo`."""
    sub = prefix(repo)
    with tempfile.TemporaryDirectory(prefix="analyzer-base-") as folder:
        checkout = Path(folder) / "tree"
        run(repo, "worktree", "add", "--detach", "--quiet", str(checkout), commit_id)
        try:
            yield checkout / sub if sub else checkout
        finally:
            run(repo, "worktree", "remove", "--force", str(checkout))


@dataclass
class Diff:
    """What changed since a commit, in the work tree (committed, staged and unstaged)."""

    lines: dict[str, set[int] | None] = field(default_factory=dict)  # path -> new-side lines, WHOLE_FILE if untracked
    texts: dict[str, dict[int, list[str]]] = field(default_factory=dict)  # path -> line -> added and removed texts

    def touches(self, path: str, line: int | None) -> bool:
        if path not in self.lines:
            return False
        changed = self.lines[path]
        return changed is WHOLE_FILE or line in changed


def diff_since(repo: Path, commit_id: str) -> Diff:
    """Changed lines (new-side numbers) since `commit_id`, with each changed line's added and removed text.
    A removed line is kept at the new-side line it left its gap before, so a deletion still points somewhere."""
    patch = run(repo, "diff", "-U0", "--no-color", "--no-ext-diff", "--relative", commit_id, "--", ".").stdout
    diff = Diff()
    lines: set[int] | None = None
    texts: dict[int, list[str]] = {}
    added = removed_at = 0
    for line in patch.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            lines = None if name == "/dev/null" else diff.lines.setdefault(name.removeprefix("b/"), set())
            texts = {} if lines is None else diff.texts.setdefault(name.removeprefix("b/"), {})
        elif (hunk := HUNK.match(line)) and lines is not None:
            start, count = int(hunk["start"]), int(hunk["count"] or 1)
            removed_at = max(start, 1)
            added = start
            lines.update(range(start, start + count) if count else [removed_at])
        elif lines is not None and line.startswith("-") and not line.startswith("--- "):
            texts.setdefault(removed_at, []).append(line[1:])
        elif lines is not None and line.startswith("+"):
            texts.setdefault(added, []).append(line[1:])
            added += 1
    for name in run(repo, "ls-files", "--others", "--exclude-standard").stdout.splitlines():
        diff.lines[name] = WHOLE_FILE
    return diff


# --------------------------------------------------------------------- writing, for `fix`


def branch_exists(repo: Path, name: str) -> bool:
    return run(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}", check=False).returncode == 0


def create_branch(repo: Path, name: str) -> None:
    """Switch to a new branch at HEAD; uncommitted changes come along."""
    if branch_exists(repo, name):
        raise GitError(f"branch {name!r} already exists")
    run(repo, "checkout", "-q", "-b", name)


def commit(repo: Path, paths: list[str], message: str) -> str:
    """Commit exactly `paths` (other staged changes stay staged); returns the new commit id."""
    run(repo, "add", "--", *paths)
    run(repo, "commit", "--quiet", "-m", message, "--", *paths)
    return head(repo)


def push(repo: Path, remote: str, branch: str) -> None:
    run(repo, "push", "--set-upstream", remote, branch)


def format_patch(repo: Path, base: str) -> bytes:
    """The commits after `base` as an mbox patch, byte for byte (CRLF files stay CRLF)."""
    return run(repo, "format-patch", "--stdout", f"{base}..HEAD", binary=True).stdout
