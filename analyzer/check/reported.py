"""A finding as `analyzer check` shows it: fingerprinted, and placed where a reviewer will read it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.findings import Finding


@dataclass(frozen=True)
class Reported:
    """A finding as the check shows it: its fingerprint and group, and where it is shown (under --base,
    the changed line it is attributed to; None when no changed line relates to it)."""

    finding: Finding
    fingerprint: str
    group: str
    path: str | None
    line: int | None
    attributed: bool = False

    @property
    def origin(self) -> str | None:
        """The finding's own place, `path:line` (or the path of a finding about a whole file)."""
        if not self.finding.path:
            return None
        return f"{self.finding.path}:{self.finding.line}" if (self.finding.line or 0) > 1 else self.finding.path

    @property
    def message(self) -> str:
        """The finding's sentence; shown away from its own place, it starts with that place and calls the
        line it is shown on `this line` (`a.py:7: Port 5556 on pc1 is also bound by this line`)."""
        if not (self.attributed and self.origin):
            return self.finding.message
        sentence = self.finding.message
        if self.path and self.line:
            sentence = re.sub(re.escape(f"{self.path}:{self.line}") + r"(?!\d)", "this line", sentence)
        return f"{self.origin}: {sentence}"
