"""Facts cached by content hash, so a rescan parses only what changed.

Facts depend on a file's bytes alone (path and machine are set on load), so a
renamed or copied file is a hit too. Entries are keyed by the analyzer's facts
version: a release that changes extraction never reads old entries.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

from analyzer import __version__
from analyzer.facts import FileFacts

# Bump when extraction changes what it produces for the same bytes.
FACTS_VERSION = f"{__version__}-5"  # -3: imports lazy / guarded; -4: raise facts (narrowing); -5: typed port references


class FactCache:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder) / FACTS_VERSION

    def _path(self, sha256: str, max_bytes: int) -> Path:
        return self.folder / sha256[:2] / f"{sha256}-{max_bytes}.pickle"

    def get(self, sha256: str, max_bytes: int) -> FileFacts | None:
        try:
            with open(self._path(sha256, max_bytes), "rb") as handle:
                return pickle.load(handle)  # our own cache folder, written by this process  # nosec B301
        except FileNotFoundError:
            return None
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None  # a torn or foreign entry: parse again and overwrite it

    def put(self, facts: FileFacts, max_bytes: int) -> None:
        path = self._path(facts.sha256, max_bytes)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(facts, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
