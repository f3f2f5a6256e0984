"""Which files a fix run looks at: Python sources under PATH, minus tool and ignored folders, and the
scope a scan would leave out: `[tool.analyzer] exclude`, `--exclude` and copies (analyzer/copies.py).

The scope applies to files found under a folder; a file named on the command line is fixed as asked.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analyzer import git
from analyzer.config import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILE_SECONDS, load_scan_config, read_tool_table
from analyzer.copies import CopyRules
from analyzer.discover import is_excluded
from analyzer.facts import PARSE_OK, FileFacts

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "node_modules", "__pycache__", ".tox", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache"})
TEMP_SUFFIX = ".fix-tmp"  # atomic writes' temporary files; never a source
# Why the scope left a file out (Tree.skipped keys).
EXCLUDED_BY_OPTION = "matched --exclude"
EXCLUDED_BY_CONFIG = "matched [tool.analyzer] exclude"
COPY = "copies (--include-copies fixes them too)"


@dataclass
class Tree:
    root: Path  # git top level when PATH is in a repository, else PATH (or its folder)
    target: Path  # PATH as given, resolved
    files: list[str]  # posix paths relative to root, sorted
    in_git: bool
    ignored: int = 0  # files left out because .gitignore names them
    skipped: Counter[str] = field(default_factory=Counter)  # why -> files the scope left out
    examples: dict[str, str] = field(default_factory=dict)  # why -> one such file

    def path_of(self, relative: str) -> Path:
        return self.root / relative


@dataclass(frozen=True)
class Scope:
    """What a fix run leaves out of a folder, as a scan would: globs and copies, relative to `config_root`."""

    config_root: Path  # the folder whose `[tool.analyzer]` applies; globs match paths relative to it
    exclude: tuple[str, ...] = ()  # [tool.analyzer] exclude
    extra_exclude: tuple[str, ...] = ()  # --exclude
    copies: CopyRules | None = None  # None: copies are fixed too (--include-copies)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # the scan's limit, part of the facts cache's key
    max_file_seconds: float = DEFAULT_MAX_FILE_SECONDS  # the scan's time limit per file, a worker's here too

    def why_skipped(self, relative: str) -> str | None:
        """Why a path relative to `config_root` is out of scope, None when it is in."""
        if is_excluded(relative, self.extra_exclude):
            return EXCLUDED_BY_OPTION
        if is_excluded(relative, self.exclude):
            return EXCLUDED_BY_CONFIG
        if self.copies is not None and self.copies.is_copy(relative):
            return COPY
        return None


def load_scope(path: Path | str, exclude: list[str] | tuple[str, ...] = (), include_copies: bool = False) -> Scope:
    """The scope of a fix run on `path`: the `[tool.analyzer]` of the nearest folder at or above it (up to the
    git top level) that has one, plus `exclude` globs."""
    target = Path(path).resolve()
    start = target if target.is_dir() else target.parent
    top = git.toplevel(start)
    config_root = start
    for folder in (start, *start.parents):
        if read_tool_table(folder):
            config_root = folder
            break
        if top is None or folder == top:
            break
    config = load_scan_config(config_root)
    return Scope(config_root, tuple(config.exclude), tuple(exclude), None if include_copies else config.copies,
                 config.max_file_bytes, config.max_file_seconds)


def _walk_python(target: Path) -> list[Path]:
    if target.is_file():
        return [] if target.is_symlink() else [target]
    found = []
    for directory, dirnames, filenames in os.walk(target):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for filename in filenames:
            path = Path(directory, filename)
            # Symlinks are skipped: replacing one would turn it into a plain file.
            if filename.endswith(".py") and not path.is_symlink():
                found.append(path)
    return found


def discover(path: Path | str, scope: Scope | None = None) -> Tree:
    """The files a fix run rewrites; `scope` (see load_scope) leaves more out of a folder than .gitignore does."""
    target = Path(path).resolve()
    start = target if target.is_dir() else target.parent
    top = git.toplevel(start)
    root = top if top is not None else start
    files = sorted(p.relative_to(root).as_posix() for p in _walk_python(target))
    ignored_count = 0
    if top is not None and files:
        ignored = git.ignored(root, files)
        ignored_count = len(ignored)
        files = [f for f in files if f not in ignored]
    tree = Tree(root, target, files, top is not None, ignored_count)
    if scope is not None and target.is_dir():
        _apply_scope(tree, scope)
    return tree


def _apply_scope(tree: Tree, scope: Scope) -> None:
    kept = []
    for name in tree.files:
        reason = scope.why_skipped((tree.root / name).relative_to(scope.config_root).as_posix())
        if reason is None:
            kept.append(name)
        else:
            tree.skipped[reason] += 1
            tree.examples.setdefault(reason, name)
    tree.files = kept


def cached_facts(tree: Tree, cache_dir: Path | str, fields: Iterable[str],
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> dict[str, FileFacts]:
    """The facts a scan cached for the current bytes of the tree's files, by path, with only the fact lists
    `fields` filled in (Codemod.FACT_FIELDS): those that parsed (a file that did not, or whose bytes changed
    since, or that no scan saw has none and is parsed as before)."""
    from analyzer.cache import FactCache

    cache, fields = FactCache(cache_dir), tuple(fields)
    found = {}
    for relative in tree.files:
        try:
            data = tree.path_of(relative).read_bytes()
        except OSError:
            continue  # the run reports it unreadable
        facts = cache.get_fields(hashlib.sha256(data).hexdigest(), max_file_bytes, fields)
        if facts is not None and facts.parse_status == PARSE_OK:
            found[relative] = facts
    return found
