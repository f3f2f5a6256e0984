"""Writing a generated docs page, or checking that the one on disk is current (`--check`, for CI)."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(path: Path, text: str, command: str, argv: list[str] | None = None) -> int:
    """`python -m <module>` writes `path`; `python -m <module> --check` exits 1 when it is stale."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--check"]:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            print(f"{path} is stale; run `{command}`", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0
