"""Which files a fix run looks at: Python sources under PATH, minus tool and ignored folders."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from codemods import git

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "node_modules", "__pycache__", ".tox", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache"})
TEMP_SUFFIX = ".fix-tmp"  # atomic writes' temporary files; never a source


@dataclass
class Tree:
    root: Path  # git top level when PATH is in a repository, else PATH (or its folder)
    target: Path  # PATH as given, resolved
    files: list[str]  # posix paths relative to root, sorted
    in_git: bool
    ignored: int = 0  # files left out because .gitignore names them

    def path_of(self, relative: str) -> Path:
        return self.root / relative


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


def discover(path: Path | str) -> Tree:
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
    return Tree(root, target, files, top is not None, ignored_count)
