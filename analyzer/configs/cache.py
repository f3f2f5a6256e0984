"""What each config file declares, cached by content, so a warm rescan parses no YAML.

A startup config's ports may read `${VAR}` from .env or compose, so the key of
everything read from a file is its bytes' hash, path, machine, kind and the
environment's hash; compose `environment:` (read before any environment
exists) is keyed without it. Malformed files are never cached: each scan
reports them again. Bump READER_VERSION when a reader changes what it returns.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from analyzer import __version__
from analyzer.configs.model import ConfigFile

READER_VERSION = f"{__version__}-configs-2"  # 2: ports.yaml read by agent_runtime.portsyaml


class ConfigCache:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder) / "configs" / READER_VERSION

    @staticmethod
    def key(file: ConfigFile, part: str, environment: str) -> str:
        text = f"{file.sha256}|{file.path}|{file.machine}|{file.kind}|{part}|{environment}"
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> Any | None:
        try:
            with open(self.folder / key[:2] / f"{key}.pickle", "rb") as handle:
                return pickle.load(handle)  # our own cache folder, written by this process  # nosec B301
        except FileNotFoundError:
            return None
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None  # a torn or foreign entry: read the file again and overwrite it

    def put(self, key: str, value: Any) -> None:
        path = self.folder / key[:2] / f"{key}.pickle"
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
