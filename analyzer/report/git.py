"""Git facts for the reports: last commit date per file (one `git log` pass) and blame per line.

Both degrade to nothing when the folder is not in a git work tree or git is missing:
reports still work, the columns are empty, and `why_no_history` says why.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Blame:
    author: str
    date: str  # ISO 8601, author time
    commit: str


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except OSError:  # git not installed: no git facts
        return None
    return done.stdout if done.returncode == 0 else None


def why_no_history(root: Path) -> str | None:
    """Why git can give no dates or blame for `root` (said in the reports' output), or None when it can."""
    if not root.is_dir():
        return f"the scanned folder {root} is not here (give --root)"
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"], capture_output=True,
                              text=True, check=False)
    except OSError:
        return "git is not installed"
    if done.returncode != 0 or done.stdout.strip() != "true":
        return f"{root} is not in a git repository"
    return None


def last_modified(root: Path) -> dict[str, str]:
    """Repo-relative path -> ISO date of the last commit touching it (newest first, so the first seen wins)."""
    out = _git(root, "log", "--format=@%cI", "--name-only", "--relative", "--no-renames", "--", ".")
    dates: dict[str, str] = {}
    date = ""
    for line in (out or "").splitlines():
        if line.startswith("@"):
            date = line[1:]
        elif line.strip():
            dates.setdefault(line.strip(), date)
    return dates


def blame_lines(root: Path, path: str, lines: list[int]) -> dict[int, Blame]:
    """Blame of the given lines of one file, in one `git blame` call; uncommitted lines are left out."""
    if not lines:
        return {}
    ranges = [arg for line in sorted(set(lines)) for arg in ("-L", f"{line},{line}")]
    out = _git(root, "blame", "--line-porcelain", *ranges, "--", path)
    found: dict[int, Blame] = {}
    commit, final_line, fields = "", 0, {}
    for text in (out or "").splitlines():
        head = text.split(" ")
        if len(head) >= 3 and len(head[0]) == 40 and all(c in "0123456789abcdef" for c in head[0]):
            commit, final_line, fields = head[0], int(head[2]), {}
        elif text.startswith("\t"):  # the line's content closes its record
            if commit.strip("0"):
                found[final_line] = Blame(fields.get("author", ""), _iso(fields.get("author-time")), commit)
        else:
            key, _, value = text.partition(" ")
            fields[key] = value
    return found


def head_commit(root: Path) -> str | None:
    out = _git(root, "rev-parse", "HEAD")
    return out.strip() if out else None


def path_prefix(root: Path) -> str:
    """The scanned folder's path inside its git work tree (`fixtures/agent_system/`), '' at the top."""
    return (_git(root, "rev-parse", "--show-prefix") or "").strip()


def remote_web_url(root: Path) -> str | None:
    """`https://<host>/<owner>/<repo>` of the `origin` remote, for permalinks; None when there is none."""
    out = _git(root, "remote", "get-url", "origin")
    if not out:
        return None
    url = out.strip().removesuffix(".git")
    if url.startswith("git@") and ":" in url:
        host, _, rest = url[len("git@"):].partition(":")
        return f"https://{host}/{rest}"
    return url if url.startswith("https://") else None


def _iso(epoch: str | None) -> str:
    if not epoch:
        return ""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).isoformat()
