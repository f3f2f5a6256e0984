"""Scan settings: command-line options over `[tool.analyzer]` in the scanned repository."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.extract import DEFAULT_MAX_FILE_BYTES

DEFAULT_EXCLUDES = (".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".analyzer", "site-packages")


class ConfigError(ValueError):
    """The repository's analyzer settings are malformed."""


@dataclass
class ScanConfig:
    roots: list[str] = field(default_factory=list)  # machine roots; empty: every top-level folder
    exclude: list[str] = field(default_factory=list)  # globs on repo-relative paths
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    raw: dict[str, Any] = field(default_factory=dict)  # the whole [tool.analyzer] table, for other commands


def read_tool_table(repo: Path) -> dict[str, Any]:
    """`[tool.analyzer]` from the repository's pyproject.toml or .analyzer.toml, {} if none."""
    for name, nested in (("pyproject.toml", True), (".analyzer.toml", False)):
        path = repo / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: {error}") from error
        table = data.get("tool", {}).get("analyzer", {}) if nested else data
        if table:
            return table
    return {}


def load_scan_config(repo: Path, roots: list[str] | None = None, exclude: list[str] | None = None) -> ScanConfig:
    table = read_tool_table(repo)
    config = ScanConfig(
        roots=list(table.get("roots", [])),
        exclude=list(table.get("exclude", [])),
        max_file_bytes=int(table.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)),
        raw=table,
    )
    if roots:
        config.roots = roots
    if exclude:
        config.exclude = [*config.exclude, *exclude]
    for root in config.roots:
        if not isinstance(root, str) or "/" in root.strip("/"):
            raise ConfigError(f"machine root {root!r} must be a top-level folder name")
    config.roots = [r.strip("/") for r in config.roots]
    return config
