"""Scan settings: command-line options over `[tool.analyzer]` in the scanned repository."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.copies import COPY_KEYS, DEFAULT_RULES, CopyRules

# Files over this size are listed as skipped, not parsed (`max_file_bytes` in [tool.analyzer]).
DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
DEFAULT_EXCLUDES = (".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".analyzer", "site-packages")


class ConfigError(ValueError):
    """The repository's analyzer settings are malformed."""


@dataclass
class ScanConfig:
    roots: list[str] = field(default_factory=list)  # machine roots; empty: every top-level folder
    exclude: list[str] = field(default_factory=list)  # globs on repo-relative paths
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    copies: CopyRules = DEFAULT_RULES  # which files are archived / backup / reference copies (analyzer/copies.py)
    # machine root -> host names, variables and addresses that mean it (`PC2_IP`, `pc2_host`, "192.168.1.2")
    hosts: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # the whole [tool.analyzer] table, for other commands
    raises: list[dict[str, Any]] = field(default_factory=list)  # extra raise-table rows (analyzer/narrowing)


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
        copies=CopyRules.from_settings({key: _string_list(table, key) for key in COPY_KEYS if key in table}),
        hosts=_hosts(table),
        raw=table,
        raises=table.get("raises", []),
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


@dataclass
class CheckConfig:
    """What `analyzer check` runs and when it fails, from `[tool.analyzer]`:

        enable = ["god-objects", ...]        # default: every detection query
        disable = ["print-as-logging"]
        fail_on = "medium"                   # lowest severity that fails the check
        baseline = ".analyzer-baseline.json"
        [tool.analyzer.checks.god-objects]   # a query's parameters
        min_methods = 40
        [tool.analyzer.per-path-ignores]     # glob -> check ids (or "*")
        "tests/**" = ["bare-except"]
    """

    enable: list[str] | None = None
    disable: list[str] = field(default_factory=list)
    fail_on: str = "info"
    baseline: str | None = None
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)


def _string_list(table: dict[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"[tool.analyzer] {key} must be a list of strings")
    return value


def load_check_config(table: dict[str, Any]) -> CheckConfig:
    """The check settings of a `[tool.analyzer]` table (see `read_tool_table`); ids are checked by the caller."""
    checks = table.get("checks", {})
    ignores = table.get("per-path-ignores", {})
    if not isinstance(checks, dict) or not all(isinstance(v, dict) for v in checks.values()):
        raise ConfigError("[tool.analyzer.checks] holds one table of parameters per check id")
    if not isinstance(ignores, dict) or not all(isinstance(v, list) for v in ignores.values()):
        raise ConfigError("[tool.analyzer.per-path-ignores] maps a glob to a list of check ids")
    # Query.bind converts text to each default's type, so values travel as text like `--param k=v`.
    params = {check: {key: _param_text(value) for key, value in values.items()} for check, values in checks.items()}
    return CheckConfig(
        enable=_string_list(table, "enable") if "enable" in table else None,
        disable=_string_list(table, "disable"),
        fail_on=str(table.get("fail_on", "info")),
        baseline=table.get("baseline"),
        params=params,
        per_path_ignores={glob: [str(c) for c in ids] for glob, ids in ignores.items()},
    )


def _hosts(table: dict[str, Any]) -> dict[str, list[str]]:
    """`hosts = { pc2_code = ["PC2_IP", "pc2_host", "192.168.1.2"] }`: what names each machine root."""
    hosts = table.get("hosts", {})
    if not isinstance(hosts, dict) or not all(
            isinstance(names, list) and all(isinstance(n, str) for n in names) for names in hosts.values()):
        raise ConfigError('[tool.analyzer] hosts maps a machine root to a list of host names, e.g. '
                          'hosts = { pc2_code = ["PC2_IP", "192.168.1.2"] }')
    return {str(machine): list(names) for machine, names in hosts.items()}


def _param_text(value: Any) -> str:
    """A TOML value as `--param` would give it: lists comma-separated (queries.Query.bind splits them)."""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)
