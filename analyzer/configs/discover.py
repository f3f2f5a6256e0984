"""Which files are deployment configs: globs per kind, overridable in `[tool.analyzer]`.

    [tool.analyzer.config_globs]
    startup = ["**/startup_config*.y*ml", "deploy/*.yaml"]
    env = []            # an empty list turns a kind off

Globs are matched against repository-relative posix paths: `**/` is any number
of folders (zero included), `*` and `?` stay inside one path segment.
"""

from __future__ import annotations

import re
import hashlib
from functools import cache
from pathlib import Path

from analyzer.config import ConfigError, ScanConfig
from analyzer.configs.model import COMPOSE, ENV, REGISTRY, STARTUP
from analyzer.discover import SourceFile, list_files

DEFAULT_GLOBS: dict[str, tuple[str, ...]] = {
    STARTUP: ("**/startup_config*.y*ml",),
    REGISTRY: ("**/ports.y*ml",),
    COMPOSE: ("**/docker-compose*.y*ml", "**/compose.y*ml", "**/compose.*.y*ml"),
    ENV: ("**/.env", "**/.env.*", "**/*.env"),
}
SETTING = "config_globs"


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def config_globs(config: ScanConfig) -> dict[str, tuple[str, ...]]:
    table = config.raw.get(SETTING, {})  # a table of string lists (analyzer/config.py checked)
    globs = dict(DEFAULT_GLOBS)
    for kind, patterns in table.items():
        if kind not in DEFAULT_GLOBS:
            raise ConfigError(f"[tool.analyzer.{SETTING}] {kind!r} is not one of {', '.join(DEFAULT_GLOBS)}")
        globs[kind] = tuple(patterns)
    return globs


def kind_of(path: str, globs: dict[str, tuple[str, ...]]) -> str | None:
    for kind, patterns in globs.items():
        if any(glob_regex(p).match(path) for p in patterns):
            return kind
    return None


def find_config_files(repo: Path, config: ScanConfig) -> list[tuple[SourceFile, str]]:
    """(file, kind) for every config file in the repository, sorted by path; .gitignore'd files are skipped."""
    globs = config_globs(config)
    found = []
    for source in list_files(repo, config, suffixes=("",)):
        kind = kind_of(source.path, globs)
        if kind is not None:
            found.append((source, kind))
    return found


def config_files_digest(repo: Path, config: ScanConfig) -> str:
    """Every config file's path and bytes ("" for one that cannot be read): what a snapshot built from the
    deployment configs must change with, known before any of them is parsed."""
    parts = []
    for source, _kind in find_config_files(repo, config):
        try:
            sha = hashlib.sha256(source.location(repo).read_bytes()).hexdigest()
        except OSError:
            sha = ""  # the deployment reader reports it; a later scan that can read it differs
        parts.append(f"{source.path}\0{sha}\n")
    return "".join(parts)
