"""What a check is asked: its options, and the baseline they name (read without the query machinery)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.check.baseline import DEFAULT_BASELINE
from analyzer.config import CheckConfig

if TYPE_CHECKING:
    from analyzer.scan import Progress


@dataclass
class CheckOptions:
    repo: Path
    store: str | None = None
    cache_dir: str | None = None
    use_cache: bool = True
    jobs: int = 0
    run_scan: bool = True
    repository: str | None = None  # name in the store; default: the folder's name
    roots: list[str] | None = None
    exclude: list[str] | None = None
    select: list[str] | None = None  # check ids to run instead of the configured ones
    ignore: list[str] = field(default_factory=list)  # check ids to skip
    params: dict[str, dict[str, str]] = field(default_factory=dict)  # check id -> parameter -> value
    fail_on: str | None = None
    baseline: Path | None = None  # default: [tool.analyzer] baseline, else REPO/.analyzer-baseline.json if present
    no_baseline: bool = False
    base: str | None = None  # git ref: report only findings introduced since its merge base with HEAD
    files: list[str] | None = None  # repo-relative: report only findings touching these (pre-commit)
    progress: Progress | None = None  # told how many files each scan parses (the CLI says when it builds the cache)


def baseline_file(repo: Path, config: CheckConfig, options: CheckOptions) -> Path | None:
    """The baseline to compare with: --baseline, else the configured one, else REPO/.analyzer-baseline.json
    when it exists; None with --no-baseline or when there is none. A named file that is missing is an error
    (read_baseline says so)."""
    if options.no_baseline:
        return None
    if options.baseline is not None:
        return options.baseline
    if config.baseline:
        return repo / config.baseline
    default = repo / DEFAULT_BASELINE
    return default if default.is_file() else None
