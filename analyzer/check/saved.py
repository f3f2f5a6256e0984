"""A check's report, saved to answer the same check of the same inputs again.

`analyzer check` on a tree unchanged since the last check answers from here without opening the store or
reading a rule. What it answers is the very text the last run printed (rendering 15,000 findings as
indented JSON alone takes longer than the whole answer may), so every format is identical to a run that
computes it.

The key is everything the report depends on, keyed with this user's local key (analyzer/cache.py): the
scan's inputs fingerprint (sources, configs, settings, the analyzer's own code: analyzer/inputs.py), the
store's stamp of the snapshot the findings came from (`GraphStore.snapshot_stamp`), the rule files
(`library_folder()`: the bundled `queries/` or $ANALYZER_QUERIES), the codemods (SARIF's fixes), the
baseline file's bytes, the query engine's and Python's versions, and the request (the check options, the
format, the folder paths are shown relative to). The entry also lists the files whose lines placed or
suppressed findings, with their hashes, and is checked against them again when used.

One entry per repository, format and destination in `<cache>/check-reports/`: its signature (keyed with
the local key), a line of JSON (the key, the files, the summary and exit code), then the report's text. An
entry planted, edited, damaged or made from other inputs is a miss (the check runs), never an error.
Reports are saved only for a store that stamps its snapshots (the embedded one), for a check that scans
first and uses the cache, and not for `--base` (its answer depends on git history).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.metadata
import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.cache import default_cache_dir, keyed_digest, signature, write_atomically
from analyzer.check.options import CheckOptions, baseline_file
from analyzer.check.sources import file_digest
from analyzer.config import load_check_config
from analyzer.inputs import Inputs, read_inputs
from analyzer.queries import library_folder  # where the rule files are: a module of names, no rule is read
from analyzer.store import check_repository_name, is_server_url, open_store, resolve_store_location

CHECK_REPORTS = "check-reports"
CODEMODS_PACKAGE = "agent_graph_codemods"  # SARIF carries their fixes
QUERY_ENGINE = "ladybug"  # the embedded store's library: its version is part of every answer


@dataclass(frozen=True)
class CheckReport:
    text: str  # the report: stdout, or the --output file
    summary: str  # what stderr shows beside it ("" for nothing)
    exit_code: int


class SavedChecks:
    """The saved report of one check request: `load` before running it, `save` after."""

    def __init__(self, options: CheckOptions, request: dict[str, Any], store_location: str) -> None:
        self.repo = options.repo.resolve()
        self.name = check_repository_name(self.repo.name if options.repository is None else options.repository)
        self.cache_dir = str(options.cache_dir or default_cache_dir())
        self.store_location = store_location
        self.inputs: Inputs = read_inputs(self.repo, options.roots, options.exclude)
        baseline = baseline_file(self.repo, load_check_config(self.inputs.config.raw), options)
        self.request = {
            "repository": self.name, "repo": str(self.repo), "cwd": os.getcwd(), "python": sys.version,
            "engine": importlib.metadata.version(QUERY_ENGINE), "rules": _folder_digest(library_folder()),
            "codemods": _package_digest(CODEMODS_PACKAGE) if request.get("format") == "sarif" else "",
            "baseline": [str(baseline), file_digest(_read(baseline))] if baseline is not None else None,
            "roots": options.roots, "exclude": options.exclude, "select": options.select, "ignore": options.ignore,
            "params": options.params, "fail_on": options.fail_on, "files": options.files, **request,
        }
        slot = json.dumps([self.name, request.get("format"), request.get("to_file")])
        self.path = Path(self.cache_dir) / CHECK_REPORTS / f"{hashlib.sha256(slot.encode()).hexdigest()}.report"

    @classmethod
    def for_check(cls, options: CheckOptions, request: dict[str, Any]) -> SavedChecks | None:
        """None for a check whose report is never saved (module docstring)."""
        location = resolve_store_location(options.store)
        if options.base or not options.run_scan or not options.use_cache or is_server_url(location):
            return None  # a server's snapshots have no stamp (Neo4jStore.snapshot_stamp): not worth a connection
        return cls(options, request, location)

    def _stamp(self) -> str | None:
        store = open_store(self.store_location, read_only=True)
        try:
            return store.snapshot_stamp(self.name)
        finally:
            store.close()

    def _key(self, stamp: str) -> str:
        text = json.dumps({"inputs": self.inputs.fingerprint, "stamp": stamp, **self.request}, sort_keys=True,
                          default=str)
        return keyed_digest(text)

    def load(self) -> CheckReport | None:
        """The saved report when it answers this request on the current inputs and snapshot; None otherwise."""
        stamp = self._stamp()
        if stamp is None:
            return None
        try:
            data = self.path.read_bytes()
            signed_from = data.index(b"\n") + 1
            text_from = data.index(b"\n", signed_from) + 1
            view = memoryview(data)  # slices without copying: a report at 1M lines is over 100 MB
            if not hmac.compare_digest(data[:signed_from - 1], signature(view[signed_from:]).hex().encode()):
                return None
            entry = json.loads(data[signed_from:text_from])
            if entry["key"] != self._key(stamp) or not self._same_files(entry["files"]):
                return None
            return CheckReport(str(view[text_from:], "utf-8", "surrogateescape"), entry["summary"], entry["exit_code"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None  # missing, damaged or foreign: the check runs

    def save(self, report: CheckReport, files: dict[str, str]) -> None:
        """Save `report`, made from the current snapshot and `files` (path -> hash of the bytes read), when the
        scan it ran on is the one these inputs name (a tree edited meanwhile is not saved)."""
        from analyzer.scan import saved_scan  # imported by the check that ran

        stamp = self._stamp()
        scanned = saved_scan(self.cache_dir, self.name)
        if stamp is None or scanned is None or (scanned.fingerprint, scanned.stamp) != (self.inputs.fingerprint, stamp):
            return
        # One line of JSON, then the report's own text: neither escaped nor parsed again to answer.
        head = json.dumps({"key": self._key(stamp), "summary": report.summary, "exit_code": report.exit_code,
                           "files": files}, ensure_ascii=True)
        signed = head.encode() + b"\n" + report.text.encode("utf-8", "surrogateescape")
        try:
            write_atomically(self.path, signature(signed).hex().encode() + b"\n" + signed)
        except OSError:
            pass  # a read-only or full cache folder: the next check runs again

    def _same_files(self, files: dict[str, str]) -> bool:
        """Every file the report was placed with still holds the bytes it held (sources by the scan's hash)."""
        known = self.inputs.source_hashes_by_path()
        return all((known[path] if path in known else file_digest(_read(self.repo / path))) == sha
                   for path, sha in files.items())


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _package_digest(name: str) -> str:
    """Every file of a package (code and data), found without importing it."""
    spec = importlib.util.find_spec(name)
    folders = (spec.submodule_search_locations or []) if spec is not None else []
    return "".join(_folder_digest(Path(folder)) for folder in folders)


def _folder_digest(folder: Path) -> str:
    """Every file under `folder`, by relative path and bytes (bytecode left out)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
