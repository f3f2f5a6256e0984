"""Which files a scan reads: git's view of the tree when there is one, else a walk."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from analyzer import git
from analyzer.config import DEFAULT_EXCLUDES, ScanConfig


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # posix, relative to the repository root
    machine: str


def _walk_files(repo: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in DEFAULT_EXCLUDES)
        relative = os.path.relpath(folder, repo)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found.extend(prefix + f for f in files)
    return found


def machine_of(path: str, roots: list[str]) -> str:
    top = path.split("/", 1)[0] if "/" in path else ""
    if not roots:
        return top
    return top if top in roots else ""


def is_excluded(path: str, patterns: Iterable[str]) -> bool:
    """A tool folder on the path (.git, .venv, ...), or a glob matching the repo-relative path or the file name."""
    parts = path.split("/")
    if any(part in DEFAULT_EXCLUDES for part in parts[:-1]):
        return True
    return any(fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(parts[-1], pattern) for pattern in patterns)


def list_files(repo: Path, config: ScanConfig, suffixes: tuple[str, ...] = (".py",)) -> list[SourceFile]:
    """Files under `repo` with one of `suffixes`, sorted, excludes applied."""
    names = git.listed_files(repo)  # relative to `repo` even when it is a subfolder of the work tree
    if names is None:
        names = _walk_files(repo)
    selected = []
    for name in names:
        if not name.endswith(suffixes):
            continue
        if is_excluded(name, config.exclude):
            continue
        if not (repo / name).is_file():  # deleted but still tracked
            continue
        selected.append(SourceFile(name, machine_of(name, config.roots)))
    selected.sort(key=lambda f: f.path)
    return selected
