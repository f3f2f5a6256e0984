"""TODO comments as tracked work: rows with git blame, GitHub issue payloads, creation through `gh`.

A TODO is known by its fingerprint (path, tag and text, never the line), so an
exported TODO stays exported when code above it moves. The export state is a
JSON file mapping fingerprint -> issue URL.

TODOs in copies (`Module.is_copy`) are left out unless asked for; even then a copy's
TODO is exported only when no live module has the same one (tag and text), and once
however many copies repeat it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from analyzer import git
from analyzer.report.reads import TODOS, read, repository_info
from analyzer.store import GraphStore

DEFAULT_STATE = Path(".analyzer/todos-exported.json")
TITLE_LENGTH = 72


class TodoExportError(RuntimeError):
    """`gh` is missing or failed; the message is for the user."""


@dataclass(frozen=True)
class Todo:
    path: str
    line: int
    machine: str
    tag: str
    text: str
    ticket: str
    author: str
    date: str
    commit: str
    fingerprint: str
    copy: str = ""  # why its file is a copy (`folder:_trash_2025-06-13`), "" for live code

    @property
    def said(self) -> tuple[str, str]:
        """What the TODO says, wherever it is: its tag and its text with spacing normalised."""
        return self.tag, " ".join(self.text.split())


def fingerprint(path: str, tag: str, text: str) -> str:
    return hashlib.sha256(f"{path}\0{tag}\0{' '.join(text.split())}".encode()).hexdigest()[:16]


def todos(store: GraphStore, repository: str | None = None, root: Path | None = None,
          include_copies: bool = False) -> list[Todo]:
    rows = [row for row in read(store, TODOS, repository) if include_copies or not row["copy"]]
    root = root or Path(repository_info(store, repository).get("root") or ".")
    lines_by_path: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        lines_by_path[row["path"]].append(row["line"])
    blames = {path: git.blame_lines(root, path, lines) for path, lines in lines_by_path.items()} if root.is_dir() else {}
    found = []
    for row in rows:
        blame = blames.get(row["path"], {}).get(row["line"])
        found.append(Todo(row["path"], row["line"], row["machine"] or "", row["tag"], row["text"], row["ticket"] or "",
                          blame.author if blame else "", blame.date if blame else "", blame.commit if blame else "",
                          fingerprint(row["path"], row["tag"], row["text"]), row["copy"] or ""))
    return found


def as_rows(found: list[Todo]) -> list[dict[str, Any]]:
    return [asdict(todo) for todo in found]


# --- GitHub ---------------------------------------------------------------------------------------

def location_link(todo: Todo, web_url: str | None, commit: str | None, prefix: str) -> str:
    """`<web>/blob/<commit>/<path>#L<line>` when the remote and commit are known, else `path#L<line>`."""
    if web_url and commit:
        return f"{web_url}/blob/{commit}/{prefix}{todo.path}#L{todo.line}"
    return f"{prefix}{todo.path}#L{todo.line}"


def issue_payload(todo: Todo, link: str) -> dict[str, Any]:
    text = " ".join(todo.text.split()) or "(no text)"
    title = f"{todo.tag}: {text}"
    if len(title) > TITLE_LENGTH:
        title = title[:TITLE_LENGTH - 1].rstrip() + "…"
    blame = f"\n\nLast touched by {todo.author} on {todo.date[:10]}." if todo.author else ""
    body = (f"`{todo.tag}` comment in `{todo.path}` line {todo.line} (machine `{todo.machine or '-'}`):\n\n"
            f"> {text}\n\nLocation: {link}{blame}\n\n<!-- analyzer-todo: {todo.fingerprint} -->")
    labels = list(dict.fromkeys(["todo", todo.tag.lower(), *([todo.machine] if todo.machine else [])]))
    return {"title": title, "body": body, "labels": labels, "fingerprint": todo.fingerprint}


def pending(found: list[Todo], exported: dict[str, str]) -> list[Todo]:
    """TODOs worth an issue: no ticket reference yet, not exported before, and not a copy's repeat of one."""
    live = {todo.said for todo in found if not todo.copy}
    seen_in_copies: set[tuple[str, str]] = set()
    worth = []
    for todo in found:
        if todo.copy:
            if todo.said in live or todo.said in seen_in_copies:
                continue
            seen_in_copies.add(todo.said)
        if not todo.ticket and todo.fingerprint not in exported:
            worth.append(todo)
    return worth


def github_payloads(found: list[Todo], root: Path) -> list[dict[str, Any]]:
    web_url, commit, prefix = git.remote_web_url(root), git.head_commit(root), git.prefix(root)
    return [issue_payload(todo, location_link(todo, web_url, commit, prefix)) for todo in found]


def load_state(path: Path) -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def save_state(path: Path, exported: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(dict(sorted(exported.items())), indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def create_issues(payloads: list[dict[str, Any]], state_path: Path, gh: str = "gh",
                  gh_repo: str | None = None) -> list[str]:
    """Open one issue per payload with `gh issue create`, recording each in the state file as soon as it exists."""
    exported = load_state(state_path)
    created = []
    for payload in payloads:
        command = [gh, "issue", "create", "--title", payload["title"], "--body", payload["body"]]
        command += [arg for label in payload["labels"] for arg in ("--label", label)]
        command += ["--repo", gh_repo] if gh_repo else []
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as error:
            raise TodoExportError(f"cannot run {gh!r}: {error.strerror} (install the GitHub CLI and `gh auth login`)")
        if done.returncode != 0:
            raise TodoExportError(f"gh issue create failed for {payload['title']!r}: "
                                  f"{' '.join(done.stderr.split()) or 'exit ' + str(done.returncode)}")
        url = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        exported[payload["fingerprint"]] = url
        save_state(state_path, exported)
        created.append(url)
    return created
