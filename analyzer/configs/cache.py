"""What each config file declares, cached by content, so a warm rescan parses no YAML.

A startup config's ports may read `${VAR}` from .env or compose, so the key of
everything read from a file is its bytes' hash, path, machine, kind and the
environment's hash; compose `environment:` (read before any environment
exists) is keyed without it. Malformed files are never cached: each scan
reports them again. Entries are JSON through the facts cache's codec
(analyzer/cache.py): loading one runs no code, and a damaged one is a miss.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import agent_runtime.portsyaml

from analyzer.cache import EntryFolder, code_key
from analyzer.configs.model import ConfigFile

# Changes whenever a reader (or what it returns) changes, the runtime's ports.yaml parser included.
READER_VERSION = code_key(Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "redact.py",
                          Path(agent_runtime.portsyaml.__file__))


class ConfigCache:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.entries = EntryFolder(Path(folder) / "configs" / READER_VERSION, READER_VERSION)

    @staticmethod
    def key(file: ConfigFile, part: str, environment: str) -> str:
        text = f"{file.sha256}|{file.path}|{file.machine}|{file.kind}|{part}|{environment}"
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()

    def get(self, key: str, hint: Any) -> Any | None:
        """The value of type `hint` filed under `key`; None when missing, damaged or misfiled."""
        return self.entries.read(key, hint)

    def put(self, key: str, value: Any, hint: Any) -> None:
        self.entries.write(key, value, hint)
