"""Copies: archived, backed-up and reference copies of agents that real trees keep beside the live code.

A file is a copy when a folder on its path or its own name says so. A name is
cut into words at anything that is not a letter or digit (`_trash_2025-06-13` ->
trash, 2025, 06, 13). A folder is a copy folder when one of its words
- starts with a long copy word (`ARCHIVEDONTUSE`, `_referencefolderpc2`,
  `main_pc_code_deprecated_components`, `backups`, `legacy`), or
- is exactly a short one (`old`, `bak`, `orig`, `copy`: `old/` but not `holder/`), or
- is a date stamp (`backups_2025-06-13/`, `20250602/`).
A file name says "copy" more narrowly, because live agents are named after what
they do (`backup_agent.py` and `memory_backup_agent.py` back things up): a copy
word after the first word that ends the name or is followed only by a date,
number or qualifier (`translator_agent_backup.py`, `agent.backup_day4_1.py`,
`x_backup_before_refactor.py`, `nlu_agent_old_v2.py`), a short copy word first
(`old_translator.py`, `copy_of_x.py`), or a date stamp anywhere
(`system_config_backup_20250602_213452.py`).

`[tool.analyzer]` adjusts this, in the manner of ruff's `exclude` / `extend-exclude`:

    copies = ["attic/**"]               # globs replacing the default words entirely
    extend-copies = ["*_snapshot/**"]    # globs added to the default words
    live = ["reference_impl/**"]         # globs that are never copies, whatever their names say

Globs match the repository-relative path (`fnmatch`, `*` crosses folders).

A module is a copy by content, too (`content:<live path>`), when its normalised
syntax tree equals another module's on the same machine and the evidence says
which one is live: of the modules with that content that no path rule marks,
the ones a startup config runs or a module outside the copies imports are live,
the others copies of the first live one. Without such evidence (nothing runs or
imports either, or both are used, or they sit on different machines, where the
same module deployed twice is normal) none is a copy. Trivial modules (an empty
`__init__.py`, a few imports) carry no content to compare. Content copies that
no pattern matches are what the scan suggests an `extend-copies` glob for.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from analyzer.facts import FileFacts

# Words that mark a copy folder when one of its words starts with them (too long to occur by chance).
COPY_WORD_PREFIXES = ("backup", "archive", "trash", "deprecated", "legacy", "reference", "dontuse", "obsolete")
# Of those, the ones that also mark a file name (`legacy_protocol.py`, `reference_data.py` are live code).
FILE_WORD_PREFIXES = ("backup", "archive", "trash", "deprecated", "dontuse")
# Words that mark a copy only as a whole word.
COPY_WORDS = frozenset({"old", "bak", "orig", "copy"})
# The `[tool.analyzer]` keys that adjust the rules, each a list of globs.
COPY_KEYS = ("copies", "extend-copies", "live")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
# What may follow a copy word at the end of a file name: `_backup_day4_1`, `_old_v2`, `_backup_before_refactor`.
_QUALIFIER = re.compile(r"^(\d+|v\d+|day\d*|before|after|pre|post|fix|refactor|final|tmp|temp|\d{4,}.*)$")
_DATE_WORD = re.compile(r"^(19|20)\d{6}$")  # 20250602
_DATE_TEXT = re.compile(r"(^|[^0-9])(19|20)\d\d-\d\d-\d\d([^0-9]|$)")  # 2025-06-13


def _words(name: str) -> list[str]:
    return [word for word in _WORD_SPLIT.split(name.lower()) if word]


@functools.lru_cache(maxsize=4096)  # a tree has few folder names, each asked of every path under it
def folder_copy_word(name: str) -> str | None:
    """The word of a folder name that makes it a copy folder under the default rules, else None."""
    if _DATE_TEXT.search(name):
        return "date"
    for word in _words(name):
        if _DATE_WORD.match(word):
            return "date"
        if word in COPY_WORDS or word.startswith(COPY_WORD_PREFIXES):
            return word
    return None


@functools.lru_cache(maxsize=65536)  # asked of every path several times a scan (listing, copies, graph rows)
def file_copy_word(stem: str) -> str | None:
    """The word of a file name (without `.py`) that makes it a copy under the default rules, else None."""
    if _DATE_TEXT.search(stem):
        return "date"
    words = _words(stem)
    for position, word in enumerate(words):
        if _DATE_WORD.match(word):
            return "date"
        if position == 0:
            if word in COPY_WORDS:
                return word
        elif (word in COPY_WORDS or word.startswith(FILE_WORD_PREFIXES)) and all(
                _QUALIFIER.match(rest) or rest in ("of",) for rest in words[position + 1:]):
            return word
    return None


@dataclass(frozen=True)
class CopyRules:
    """Which paths are copies: the default words unless replaced, plus globs, minus `live` globs."""

    default_words: bool = True
    globs: tuple[str, ...] = ()
    live: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, table: dict) -> "CopyRules":
        """From a `[tool.analyzer]` table (values already validated as lists of strings)."""
        replaced = "copies" in table
        globs = (*table.get("copies", ()), *table.get("extend-copies", ()))
        return cls(default_words=not replaced, globs=tuple(globs), live=tuple(table.get("live", ())))

    def reason(self, path: str) -> str:
        """Why `path` is a copy (`folder:_trash_2025-06-13`, `name:backup`, `glob:attic/**`), or "" if it is live."""
        if any(fnmatch.fnmatch(path, pattern) for pattern in self.live):
            return ""
        for pattern in self.globs:
            if fnmatch.fnmatch(path, pattern):
                return f"glob:{pattern}"
        if not self.default_words:
            return ""
        parts = path.split("/")
        for folder in parts[:-1]:
            if folder_copy_word(folder):
                return f"folder:{folder}"
        word = file_copy_word(parts[-1].removesuffix(".py"))
        return f"name:{word}" if word else ""

    def is_copy(self, path: str) -> bool:
        return bool(self.reason(path))

    def first_copy_folder(self, path: str) -> int | None:
        """Index of the first folder of `path` that is a copy folder (by word or glob), else None."""
        parts = path.split("/")[:-1]
        for index in range(len(parts)):
            if self.reason("/".join(parts[: index + 1]) + "/__init__.py"):  # `__init__` is never a copy name
                return index
        return None


DEFAULT_RULES = CopyRules()
CONTENT = "content"  # copy_reason prefix of a copy found by content
# A module with neither a class nor a function and fewer lines than this has no content worth comparing.
MIN_CONTENT_LINES = 5


@dataclass
class CopyIndex:
    """Every path's copy status, as the graph records it: scanned modules by path or content, other files
    (configs, requirements) by path."""

    reasons: dict[str, str] = field(default_factory=dict)  # module path -> reason, only for copies
    rules: CopyRules = DEFAULT_RULES
    suggested_globs: tuple[str, ...] = ()  # extend-copies globs covering the content copies no pattern matched

    def is_copy(self, path: str) -> bool:
        return bool(self.reason(path))

    def reason(self, path: str) -> str:
        return self.reasons.get(path) or self.rules.reason(path)

    @property
    def content_copies(self) -> list[str]:
        return sorted(path for path, reason in self.reasons.items() if reason.startswith(f"{CONTENT}:"))


def classify_paths(paths, rules: CopyRules = DEFAULT_RULES) -> CopyIndex:
    return CopyIndex({path: reason for path in paths if (reason := rules.reason(path))}, rules)


def has_content(facts: FileFacts) -> bool:
    """Whether a module has code worth comparing: not an empty `__init__.py` or a few imports."""
    return bool(facts.normalized_hash) and (bool(facts.classes or facts.functions) or facts.lines >= MIN_CONTENT_LINES)


def classify_copies(files: list[FileFacts], rules: CopyRules, imports: Iterable[tuple[str, str]],
                    run_by_config: set[str]) -> CopyIndex:
    """Copies by path, then by content; `imports` are (importer, imported) module paths, `run_by_config` the
    modules a startup config outside the copies runs."""
    index = classify_paths((f.path for f in files), rules)
    used = run_by_config | {target for importer, target in imports if not index.is_copy(importer) and importer != target}
    groups: dict[str, list[FileFacts]] = defaultdict(list)
    for facts in files:
        if has_content(facts) and not index.is_copy(facts.path):
            groups[facts.normalized_hash].append(facts)
    for same in groups.values():
        index.reasons.update(_content_copies(same, used))
    index.suggested_globs = _suggested_globs(index, [f.path for f in files if has_content(f)], {f.machine for f in files})
    return index


def _content_copies(same: list[FileFacts], used: set[str]) -> dict[str, str]:
    """Of modules with one content: each unused one on the machine of a used one is a copy of that one."""
    live = [f for f in same if f.path in used]
    copies = {}
    for facts in same:
        original = next((f for f in live if f.machine == facts.machine), None)
        if original is not None and facts.path not in used:
            copies[facts.path] = f"{CONTENT}:{original.path}"
    return copies


def _suggested_globs(index: CopyIndex, paths: list[str], machines: set[str]) -> tuple[str, ...]:
    """For each content copy no pattern matched: the highest folder below its machine root in which every
    module with content is a copy (`folder/*`), else the file itself."""
    live_folders: set[str] = set()  # every folder holding a live module with content
    for path in paths:
        if not index.is_copy(path):
            parts = path.split("/")[:-1]
            live_folders.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    globs = set()
    for path in index.content_copies:
        parts = path.split("/")[:-1]
        covering = path
        for depth in range(len(parts), 0, -1):
            folder = "/".join(parts[:depth])
            if folder in machines or folder in live_folders:
                break
            covering = f"{folder}/*"
        globs.add(covering)
    return tuple(sorted(globs))
