"""Scan settings: command-line options over `[tool.analyzer]` in the scanned repository."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.copies import COPY_KEYS, DEFAULT_RULES, CopyRules

# Files over this size are listed as skipped, not parsed (`max_file_bytes` in [tool.analyzer]).
DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
DEFAULT_EXCLUDES = (".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".analyzer", "site-packages")


class ConfigError(ValueError):
    """The repository's analyzer settings are malformed."""


@dataclass(frozen=True)
class Expect:
    """What a setting's value must be: a description for the message and the check."""

    description: str
    accepts: Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


STRING = Expect("a string", lambda v: isinstance(v, str))
STRING_LIST = Expect("a list of strings", _is_string_list)
POSITIVE_INT = Expect("a positive integer", lambda v: _is_int(v) and v > 0)
POSITIVE_NUMBER = Expect("a positive number", lambda v: (_is_int(v) or isinstance(v, float)) and v > 0)
TABLE_OF_STRING_LISTS = Expect("a table of lists of strings",
                               lambda v: isinstance(v, dict) and all(_is_string_list(x) for x in v.values()))
TABLE = Expect("a table", lambda v: isinstance(v, dict))
LIST_OF_TABLES = Expect("a list of tables", lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v))
TABLE_OF_TABLES = Expect("a table of tables", lambda v: isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()))

# Every `[tool.analyzer]` key and what its value must be; adding a setting is one line here.
SETTINGS: dict[str, Expect] = {
    "roots": STRING_LIST,  # machine roots (top-level folders)
    "exclude": STRING_LIST,  # globs of repo-relative paths
    "max_file_bytes": POSITIVE_INT,
    "max_file_seconds": POSITIVE_NUMBER,
    "config_globs": TABLE_OF_STRING_LISTS,  # analyzer/configs/discover.py
    "enable": STRING_LIST,
    "disable": STRING_LIST,
    "fail_on": STRING,
    "baseline": STRING,
    "checks": TABLE_OF_TABLES,
    "per-path-ignores": TABLE_OF_STRING_LISTS,
    "copies": STRING_LIST,  # analyzer/copies.py
    "extend-copies": STRING_LIST,
    "live": STRING_LIST,
    "contracts": TABLE,  # analyzer/contracts.py checks what is inside
    "ports_registry": STRING,  # analyzer/configs/registry.py checks the path
    "raises": LIST_OF_TABLES,  # analyzer/narrowing checks each row
    "hosts": TABLE_OF_STRING_LISTS,  # machine root -> the names that mean it
}
DEFAULT_MAX_FILE_SECONDS = 120.0  # libcst takes ~90 s on a 2 MB file here: generated code, not an attack


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def check_settings(table: dict[str, Any], where: str) -> list[str]:
    """ConfigError for the first known key whose value has the wrong type; warnings for unknown keys."""
    for key, expect in SETTINGS.items():
        if key in table and not expect.accepts(table[key]):
            raise ConfigError(f"{where}: [tool.analyzer] {key} must be {expect.description}, "
                              f"not {table[key]!r} ({_kind(table[key])})")
    unknown = [key for key in table if key not in SETTINGS]
    return [f"{where}: [tool.analyzer] {key} is not a setting (known: {', '.join(SETTINGS)}); it is ignored"
            for key in unknown]


@dataclass
class ScanConfig:
    roots: list[str] = field(default_factory=list)  # machine roots; empty: every top-level folder
    exclude: list[str] = field(default_factory=list)  # globs on repo-relative paths
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_file_seconds: float = DEFAULT_MAX_FILE_SECONDS  # a file's parse and extraction, in its worker
    copies: CopyRules = DEFAULT_RULES  # which files are archived / backup / reference copies (analyzer/copies.py)
    # machine root -> host names, variables and addresses that mean it (`PC2_IP`, `pc2_host`, "192.168.1.2")
    hosts: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # the whole [tool.analyzer] table, for other commands
    warnings: list[str] = field(default_factory=list)  # unknown settings
    raises: list[dict[str, Any]] = field(default_factory=list)  # extra raise-table rows (analyzer/narrowing)


def _settings_file(repo: Path) -> tuple[Path, dict[str, Any]] | None:
    for name, nested in (("pyproject.toml", True), (".analyzer.toml", False)):
        path = repo / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: {error}") from error
        table = data.get("tool", {}).get("analyzer", {}) if nested else data
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.analyzer] must be a table")
        if table:
            return path, table
    return None


def read_tool_table(repo: Path) -> dict[str, Any]:
    """`[tool.analyzer]` from the repository's pyproject.toml or .analyzer.toml, {} if none; values type-checked."""
    return read_settings(repo)[0]


def read_settings(repo: Path) -> tuple[dict[str, Any], list[str]]:
    """(`[tool.analyzer]`, warnings about unknown keys); ConfigError naming the key for a value of the wrong type."""
    found = _settings_file(repo)
    if found is None:
        return {}, []
    path, table = found
    return table, check_settings(table, path.name)


def load_scan_config(repo: Path, roots: list[str] | None = None, exclude: list[str] | None = None) -> ScanConfig:
    table, warnings = read_settings(repo)
    config = ScanConfig(
        roots=list(table.get("roots", [])),
        exclude=list(table.get("exclude", [])),
        max_file_bytes=table.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES),
        max_file_seconds=float(table.get("max_file_seconds", DEFAULT_MAX_FILE_SECONDS)),
        copies=CopyRules.from_settings({key: table[key] for key in COPY_KEYS if key in table}),
        hosts={machine: list(names) for machine, names in table.get("hosts", {}).items()},
        raw=table,
        warnings=warnings,
        raises=table.get("raises", []),
    )
    if roots:
        config.roots = roots
    if exclude:
        config.exclude = [*config.exclude, *exclude]
    for root in config.roots:
        if "/" in root.strip("/") or root.strip("/") in ("", ".", ".."):
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


def load_check_config(table: dict[str, Any]) -> CheckConfig:
    """The check settings of a `[tool.analyzer]` table (from `read_tool_table`, so typed); ids are checked by the caller."""
    checks = table.get("checks", {})
    ignores = table.get("per-path-ignores", {})
    # Query.bind converts text to each default's type, so values travel as text like `--param k=v`.
    params = {check: {key: _param_text(value) for key, value in values.items()} for check, values in checks.items()}
    return CheckConfig(
        enable=table.get("enable"),
        disable=table.get("disable", []),
        fail_on=table.get("fail_on", "info"),
        baseline=table.get("baseline"),
        params=params,
        per_path_ignores=ignores,
    )


def _param_text(value: Any) -> str:
    """A TOML value as `--param` would give it: lists comma-separated (queries.Query.bind splits them)."""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)
