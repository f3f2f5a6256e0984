"""Which files a scan reads: git's view of the tree when there is one, else a walk."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from analyzer import git
from analyzer.config import DEFAULT_EXCLUDES, ScanConfig
from analyzer.copies import DEFAULT_RULES, CopyRules


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


def machine_of(path: str, roots: Collection[str], copies: CopyRules = DEFAULT_RULES) -> str:
    """The machine root a file belongs to: its top-level folder when that is a root, else "" (shared code).
    Under a copy folder, a root nested in it wins: `backups/2025-07-01/main_pc_code/agents/x.py` is a copy
    of main_pc_code, never a machine of its own nor no machine; so is a top-level copy folder named after a
    root (`main_pc_code_deprecated_components/`). With no roots given, every top-level folder but a copy
    folder is one (see `machine_roots`)."""
    parts = path.split("/")[:-1]
    if not parts:
        return ""
    first_copy = copies.first_copy_folder(path)
    if first_copy is not None:
        nested = next((part for part in parts[first_copy + 1:] if part in roots), "")
        if nested:
            return nested
    if first_copy != 0:
        return parts[0] if parts[0] in roots or not roots else ""
    named_after = [root for root in roots if parts[0].startswith((f"{root}_", f"{root}-"))]
    return max(named_after, key=len, default="")


def machine_roots(paths: Iterable[str], config: ScanConfig) -> list[str]:
    """The configured roots, else every top-level folder that holds a selected file and is not a copy folder."""
    if config.roots:
        return config.roots
    tops = {path.split("/", 1)[0] for path in paths if "/" in path}
    return sorted(top for top in tops if config.copies.first_copy_folder(f"{top}/x.py") is None)


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
    selected: list[str] = []
    for name in names:
        if not name.endswith(suffixes):
            continue
        if is_excluded(name, config.exclude):
            continue
        if not (repo / name).is_file():  # deleted but still tracked
            continue
        selected.append(name)
    roots = machine_roots(selected, config)
    return [SourceFile(name, machine_of(name, roots, config.copies)) for name in sorted(selected)]
