"""Which files a scan reads: git's view of the tree when there is one, else a walk.

A name that is not valid UTF-8 is kept: its undecodable bytes are written `\\xff`
in the path the graph shows, and the file is read under its real name. A
symbolic link that leads out of the repository is never read (it could name
any file on the machine); `outside_links` lists them for the scan summary.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from analyzer import git
from analyzer.config import DEFAULT_EXCLUDES, ScanConfig
from analyzer.copies import DEFAULT_RULES, CopyRules


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # posix, relative to the repository root; undecodable bytes escaped as \xff
    machine: str
    name: str = ""  # the name on disk when it differs from `path` (undecodable bytes as surrogates)

    def location(self, repo: Path) -> Path:
        """Where the file is on disk."""
        return repo / (self.name or self.path)


def display_path(name: str) -> str:
    """`name` with the bytes that are not UTF-8 (surrogate-escaped by the OS layer) written as `\\xff`."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _walk_files(repo: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in DEFAULT_EXCLUDES)
        relative = os.path.relpath(folder, repo)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        linked = [d for d in dirs if os.path.islink(os.path.join(folder, d))]  # never walked; listed as git lists them
        found.extend(prefix + f for f in [*files, *linked])
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


def _leaves(repo: Path, name: str) -> bool:
    """A symbolic link that resolves outside `repo` (git and the walk never descend into linked folders)."""
    return (repo / name).is_symlink() and not inside(repo, name)


def inside(repo: Path, name: str) -> bool:
    """`name` (repository-relative, as a config wrote it) stays inside `repo`, through any links."""
    if name.startswith("/") or ".." in name.split("/"):
        return False
    return Path(os.path.realpath(repo / name)).is_relative_to(os.path.realpath(repo))


# Inside `one_listing()`: (repository, excludes) -> its candidates, listed once for every reader of the inputs.
_listings: ContextVar[dict[tuple[Path, tuple[str, ...]], list[str]] | None] = ContextVar("listings", default=None)


@contextmanager
def one_listing() -> Iterator[None]:
    """Within: the sources, configs, credentials and requirements of a repository are picked from one listing
    of it (one `git ls-files` or walk) instead of one each: what a scan's inputs are read from."""
    token = _listings.set({})
    try:
        yield
    finally:
        _listings.reset(token)


def _candidates(repo: Path, config: ScanConfig) -> list[str]:
    """Every file name under `repo` that the excludes keep, in the OS's form."""
    listings = _listings.get()
    key = (repo, tuple(config.exclude))
    if listings is not None and key in listings:
        return listings[key]
    kept = _listed(repo, config)
    if listings is not None:
        listings[key] = kept
    return kept


def _listed(repo: Path, config: ScanConfig) -> list[str]:
    names = git.listed_files(repo)  # relative to `repo` even when it is a subfolder of the work tree
    if names is None:
        names = _walk_files(repo)
    kept = []
    for name in names:
        if is_excluded(display_path(name), config.exclude):
            continue
        kept.append(name)
    return kept


def list_files(repo: Path, config: ScanConfig, suffixes: tuple[str, ...] = (".py",)) -> list[SourceFile]:
    """Files under `repo` with one of `suffixes`, sorted, excludes applied, links out of the repository left out."""
    selected: dict[str, str] = {}  # shown path -> the name on disk when it differs
    for name in _candidates(repo, config):
        if not name.endswith(suffixes):
            continue
        if not (repo / name).is_file() or _leaves(repo, name):  # deleted but still tracked, or a way out
            continue
        shown = display_path(name)
        # An escaped name that equals a real one (`a\xff.py` both ways) keeps the real one.
        if shown not in selected or shown == name:
            selected[shown] = "" if shown == name else name
    roots = machine_roots(selected, config)
    return [SourceFile(path, machine_of(path, roots, config.copies), selected[path]) for path in sorted(selected)]


def outside_links(repo: Path, config: ScanConfig) -> list[str]:
    """Symbolic links (to files) that lead out of the repository: skipped by every reader, listed by the scan."""
    return sorted(display_path(name) for name in _candidates(repo, config) if _leaves(repo, name))
