"""Lines of the scanned files, read once each, for fingerprints, suppressions and fixes."""

from __future__ import annotations

from pathlib import Path


class SourceLines:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._files:
            try:
                text = (self.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:  # deleted or unreadable since the scan: nothing to read
                text = ""
            self._files[path] = text.splitlines()
        return self._files[path]

    def line(self, path: str, number: int) -> str:
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else ""
