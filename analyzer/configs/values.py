"""Port numbers as configs write them: `5563`, `"5563"`, `${PORT_OFFSET}+7200`, `${X_PORT:-5556}`.

Variables are looked up through a callable (the deployment's environment: .env
files and compose `environment:`); an unset variable with no default leaves the
port unknown rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MIN_PORT, MAX_PORT = 1, 65535
VARIABLE_RE = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*)(?::?-(?P<default>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)")
SUM_RE = re.compile(r"^\s*[+-]?\s*\d+(?:\s*[-+]\s*\d+)*\s*$")
TERM_RE = re.compile(r"([+-]?)\s*(\d+)")

Lookup = Callable[[str], str | None]


def substitute(text: str, lookup: Lookup) -> str | None:
    """`text` with every `${VAR}`, `${VAR:-default}` and `$VAR` replaced; None if one is unset."""
    missing = False

    def replace(match: re.Match) -> str:
        nonlocal missing
        name = match.group("name") or match.group("bare")
        found = lookup(name)
        if found is None:
            found = match.group("default")
        if found is None:
            missing = True
            return ""
        return found

    result = VARIABLE_RE.sub(replace, text)
    return None if missing else result


def port_number(raw: Any, lookup: Lookup) -> int | None:
    """A port in 1..65535 from a YAML value, or None."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int):
        number = raw
    else:
        text = substitute(str(raw), lookup)
        if text is None or not SUM_RE.match(text):
            return None
        number = sum(int(digits) * (-1 if sign == "-" else 1) for sign, digits in TERM_RE.findall(text))
    return number if MIN_PORT <= number <= MAX_PORT else None


def variables(text: str) -> list[str]:
    """Names of the variables `text` refers to."""
    return [m.group("name") or m.group("bare") for m in VARIABLE_RE.finditer(text)]
