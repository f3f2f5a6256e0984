"""`.analyzer-baseline.json`: the fingerprints of the findings a team accepted for now.

The file holds no line numbers, so it changes only when findings appear or
disappear; rewriting it drops the fixed ones. Each entry keeps its group
(fingerprint.py), so a finding whose own statement was edited still matches.
"""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.check.fingerprint import Known, Prints

DEFAULT_BASELINE = ".analyzer-baseline.json"
BASELINE_VERSION = 2


class BaselineError(ValueError):
    """The baseline file is missing or malformed."""


def write_baseline(path: Path, entries: list[dict[str, str]]) -> None:
    """`entries`: {fingerprint, group, check, path, message} per finding; written sorted, one per fingerprint."""
    unique = {entry["fingerprint"]: entry for entry in entries}
    ordered = sorted(unique.values(), key=lambda e: (e["check"], e.get("path") or "", e["fingerprint"]))
    document = {"version": BASELINE_VERSION, "findings": ordered}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)


def read_baseline(path: Path) -> Known:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BaselineError(f"no baseline at {path} (write one with `analyzer baseline`)") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"{path}: {error}") from error
    version = document.get("version") if isinstance(document, dict) else None
    if isinstance(version, int) and version < BASELINE_VERSION:
        raise BaselineError(f"{path} was written by an older analyzer whose fingerprints held line text; "
                            "rewrite it with `analyzer baseline`")
    if version != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a version {BASELINE_VERSION} analyzer baseline")
    try:
        return Known.of(Prints(entry["fingerprint"], entry["group"]) for entry in document["findings"])
    except (KeyError, TypeError) as error:
        raise BaselineError(f"{path}: every finding needs a fingerprint and a group") from error

